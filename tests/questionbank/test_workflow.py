"""The review workflow as a pure function: every move from every status, and each rule with its code."""

from __future__ import annotations

import pytest

from questionbank.engine.workflow import (
    Action,
    Move,
    Status,
    WorkflowError,
    actions_open,
    needs_reason,
    next_status,
)

AUTHOR, REVIEWER = 1, 2
LEGAL = {
    (Status.DRAFT, Action.SUBMIT): Status.REVIEW,
    (Status.REVIEW, Action.APPROVE): Status.APPROVED,
    (Status.APPROVED, Action.RETIRE): Status.RETIRED,
    (Status.REVIEW, Action.RETURN): Status.DRAFT,
    (Status.APPROVED, Action.RETURN): Status.DRAFT,
    (Status.RETIRED, Action.RETURN): Status.DRAFT,
}
ILLEGAL = [(s, a) for s in Status for a in Action if (s, a) not in LEGAL]


def good_move(action: Action, **changes) -> Move:
    """A move that passes every rule except the status check: by a reviewer who is not the author."""
    fields = {
        "action": action,
        "actor_id": REVIEWER,
        "author_id": AUTHOR,
        "has_source": True,
        "reason": "the source was outdated",
        "actor_is_reviewer": True,
    }
    return Move(**{**fields, **changes})


def refusal(status: Status, move: Move) -> str:
    with pytest.raises(WorkflowError) as caught:
        next_status(status, move)
    return caught.value.code


@pytest.mark.parametrize(("status", "action"), list(LEGAL), ids=lambda v: str(v))
def test_every_legal_move_leads_to_its_status(status, action):
    assert next_status(status, good_move(action)) == LEGAL[(status, action)]


@pytest.mark.parametrize(("status", "action"), ILLEGAL, ids=lambda v: str(v))
def test_every_other_move_is_an_illegal_transition(status, action):
    assert refusal(status, good_move(action)) == "illegal_transition"


def test_there_are_six_legal_and_ten_illegal_moves():
    assert (len(LEGAL), len(ILLEGAL)) == (6, 10)


def test_the_author_may_submit_their_own_question_without_being_a_reviewer():
    move = good_move(Action.SUBMIT, actor_id=AUTHOR, actor_is_reviewer=False, has_source=False, reason="")
    assert next_status(Status.DRAFT, move) == Status.REVIEW


def test_the_author_may_not_approve_their_own_question():
    assert refusal(Status.REVIEW, good_move(Action.APPROVE, actor_id=AUTHOR)) == "own_question"


def test_a_question_without_an_author_can_be_approved_by_any_reviewer():
    assert next_status(Status.REVIEW, good_move(Action.APPROVE, author_id=None)) == Status.APPROVED


def test_a_question_needs_a_source_to_be_approved():
    assert refusal(Status.REVIEW, good_move(Action.APPROVE, has_source=False)) == "source_required"


@pytest.mark.parametrize("status", [Status.REVIEW, Status.APPROVED, Status.RETIRED])
@pytest.mark.parametrize("reason", ["", "   \n"])
def test_returning_to_draft_needs_a_reason(status, reason):
    assert refusal(status, good_move(Action.RETURN, reason=reason)) == "reason_required"


@pytest.mark.parametrize(
    ("status", "action"),
    [(Status.REVIEW, Action.APPROVE), (Status.APPROVED, Action.RETIRE), (Status.REVIEW, Action.RETURN)],
)
def test_only_reviewers_may_approve_retire_or_return(status, action):
    assert refusal(status, good_move(action, actor_is_reviewer=False)) == "not_reviewer"


def test_the_status_is_checked_before_the_actor():
    move = good_move(Action.APPROVE, actor_is_reviewer=False, actor_id=AUTHOR, has_source=False)
    assert refusal(Status.DRAFT, move) == "illegal_transition"


def test_the_reviewer_check_comes_before_the_own_question_check():
    move = good_move(Action.APPROVE, actor_is_reviewer=False, actor_id=AUTHOR)
    assert refusal(Status.REVIEW, move) == "not_reviewer"


def test_a_workflow_error_carries_a_readable_message():
    with pytest.raises(WorkflowError, match="someone other than the author"):
        next_status(Status.REVIEW, good_move(Action.APPROVE, actor_id=AUTHOR))


# --- what the engine opens to each role (the admin offers exactly this) ---------------------------------

ROLES = {"neither": (False, False), "editor": (True, False), "reviewer": (False, True), "both": (True, True)}
OPEN = {
    # status: {role: actions}
    Status.DRAFT: {"neither": [], "editor": [Action.SUBMIT], "reviewer": [], "both": [Action.SUBMIT]},
    Status.REVIEW: {
        "neither": [],
        "editor": [],
        "reviewer": [Action.APPROVE, Action.RETURN],
        "both": [Action.APPROVE, Action.RETURN],
    },
    Status.APPROVED: {
        "neither": [],
        "editor": [],
        "reviewer": [Action.RETIRE, Action.RETURN],
        "both": [Action.RETIRE, Action.RETURN],
    },
    Status.RETIRED: {"neither": [], "editor": [], "reviewer": [Action.RETURN], "both": [Action.RETURN]},
}


@pytest.mark.parametrize("status", list(Status), ids=str)
@pytest.mark.parametrize("role", list(ROLES))
def test_the_moves_open_to_each_role_in_each_status(status, role):
    editor, reviewer = ROLES[role]
    assert actions_open(status, editor=editor, reviewer=reviewer) == OPEN[status][role]


@pytest.mark.parametrize("status", list(Status), ids=str)
def test_a_move_is_open_to_a_reviewer_exactly_when_the_workflow_lets_a_reviewer_make_it(status):
    legal = [a for a in Action if (status, a) in LEGAL]
    assert actions_open(status, editor=True, reviewer=True) == legal
    for action in legal:
        next_status(status, good_move(action))  # the rest of the rules pass for a good move


def test_only_returning_to_draft_asks_for_a_reason():
    assert [a for a in Action if needs_reason(a)] == [Action.RETURN]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (Status.DRAFT, [Action.SUBMIT]),
        (Status.REVIEW, [Action.RETURN]),
        (Status.APPROVED, [Action.RETIRE, Action.RETURN]),
        (Status.RETIRED, [Action.RETURN]),
    ],
    ids=str,
)
def test_approving_is_never_opened_to_the_author_of_the_question(status, expected):
    assert actions_open(status, editor=True, reviewer=True, author=True) == expected
