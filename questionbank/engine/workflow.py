"""The review workflow as a pure function: draft -> in review -> approved -> retired, back to draft.

Rules: editors submit, reviewers approve, retire and return; the approver is not the author; a question
needs a source to be approved; sending a question back to draft needs a reason. Only approved questions
can be drawn into rounds.

The transition table (``TRANSITIONS``) and who may make each move (``REVIEWER_ACTIONS``, the rest are
editors' moves) are written here once: the admin derives its buttons and bulk actions from
``actions_open`` and ``needs_reason`` rather than encoding them again.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Status(enum.StrEnum):
    DRAFT = "draft"
    REVIEW = "review"
    APPROVED = "approved"
    RETIRED = "retired"


class Action(enum.StrEnum):
    SUBMIT = "submit"  # draft -> review
    APPROVE = "approve"  # review -> approved
    RETIRE = "retire"  # approved -> retired
    RETURN = "return"  # review | approved | retired -> draft, with a reason


class WorkflowError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Move:
    action: Action
    actor_id: int | None
    author_id: int | None
    has_source: bool
    reason: str = ""
    actor_is_reviewer: bool = False


# action -> (the statuses it may start from, the status it leads to)
TRANSITIONS: dict[Action, tuple[frozenset[Status], Status]] = {
    Action.SUBMIT: (frozenset({Status.DRAFT}), Status.REVIEW),
    Action.APPROVE: (frozenset({Status.REVIEW}), Status.APPROVED),
    Action.RETIRE: (frozenset({Status.APPROVED}), Status.RETIRED),
    Action.RETURN: (frozenset({Status.REVIEW, Status.APPROVED, Status.RETIRED}), Status.DRAFT),
}
REVIEWER_ACTIONS = frozenset({Action.APPROVE, Action.RETIRE, Action.RETURN})
REASON_ACTIONS = frozenset({Action.RETURN})


def needs_reason(action: Action) -> bool:
    return action in REASON_ACTIONS


def may_make(action: Action, *, editor: bool, reviewer: bool) -> bool:
    """Whether someone with these roles may make ``action`` at all (whatever the question's status)."""
    return reviewer if action in REVIEWER_ACTIONS else editor


def actions_open(status: Status, *, editor: bool, reviewer: bool, author: bool = False) -> list[Action]:
    """The moves someone with these roles may try on a question in ``status``, in ``Action`` order;
    ``author``: they wrote it, so approving it is not open to them.

    What is left to ``next_status`` is what depends on the question and the move (its source, the reason
    given), so a move offered here may still be refused with a message."""
    return [
        action
        for action, (sources, _to) in TRANSITIONS.items()
        if status in sources
        and may_make(action, editor=editor, reviewer=reviewer)
        and not (author and action == Action.APPROVE)
    ]


def next_status(status: Status, move: Move) -> Status:
    """The status after ``move``, or WorkflowError with a stable code saying why not."""
    sources, to = TRANSITIONS[move.action]
    if status not in sources:
        raise WorkflowError("illegal_transition", f"cannot {move.action} a question that is {status}")
    if move.action in REVIEWER_ACTIONS and not move.actor_is_reviewer:
        raise WorkflowError("not_reviewer", f"only reviewers may {move.action} questions")
    if move.action == Action.APPROVE:
        if move.author_id is not None and move.actor_id == move.author_id:
            raise WorkflowError("own_question", "someone other than the author must approve it")
        if not move.has_source:
            raise WorkflowError("source_required", "a question needs a source before it is approved")
    if needs_reason(move.action) and not move.reason.strip():
        raise WorkflowError("reason_required", "say why the question goes back to draft")
    return to
