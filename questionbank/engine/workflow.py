"""The review workflow as a pure function: draft -> in review -> approved -> retired, back to draft.

Rules: the approver is not the author; a question needs a source to be approved; sending a question
back to draft needs a reason. Only approved questions can be drawn into rounds.
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


_FROM = {
    Action.SUBMIT: {Status.DRAFT},
    Action.APPROVE: {Status.REVIEW},
    Action.RETIRE: {Status.APPROVED},
    Action.RETURN: {Status.REVIEW, Status.APPROVED, Status.RETIRED},
}
_TO = {
    Action.SUBMIT: Status.REVIEW,
    Action.APPROVE: Status.APPROVED,
    Action.RETIRE: Status.RETIRED,
    Action.RETURN: Status.DRAFT,
}
REVIEWER_ACTIONS = {Action.APPROVE, Action.RETIRE, Action.RETURN}


def next_status(status: Status, move: Move) -> Status:
    """The status after ``move``, or WorkflowError with a stable code saying why not."""
    if status not in _FROM[move.action]:
        raise WorkflowError("illegal_transition", f"cannot {move.action} a question that is {status}")
    if move.action in REVIEWER_ACTIONS and not move.actor_is_reviewer:
        raise WorkflowError("not_reviewer", f"only reviewers may {move.action} questions")
    if move.action == Action.APPROVE:
        if move.author_id is not None and move.actor_id == move.author_id:
            raise WorkflowError("own_question", "someone other than the author must approve it")
        if not move.has_source:
            raise WorkflowError("source_required", "a question needs a source before it is approved")
    if move.action == Action.RETURN and not move.reason.strip():
        raise WorkflowError("reason_required", "say why the question goes back to draft")
    return _TO[move.action]
