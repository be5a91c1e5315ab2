"""What editors and reviewers read when the review workflow refuses a move, in their language.

The engine (``questionbank.engine.workflow``) refuses with a stable code and an English message; people
see the text for the code here (the English text is the engine's).
"""

from django.utils.translation import gettext_lazy as _

WORKFLOW_MESSAGES = {
    "own_question": _("someone other than the author must approve it"),
    "source_required": _("a question needs a source before it is approved"),
    "reason_required": _("say why the question goes back to draft"),
    "illegal_transition": _("that move is not possible from the question's current status"),
}
NOT_REVIEWER = {
    "approve": _("only reviewers may approve questions"),
    "retire": _("only reviewers may retire questions"),
    "return": _("only reviewers may return questions"),
}


def workflow_message(exc, action: str = "") -> str:
    """The reader's text for a WorkflowError refusing ``action`` (the engine's message if the code is new)."""
    if exc.code == "not_reviewer" and str(action) in NOT_REVIEWER:
        return str(NOT_REVIEWER[str(action)])
    return str(WORKFLOW_MESSAGES.get(exc.code, exc.message))


ACTION_WORDS = {
    "submit": _("submit"),
    "approve": _("approve"),
    "retire": _("retire"),
    "return": _("return to draft"),
}


def action_word(action) -> str:
    """A workflow move as a word in a sentence ("2 question(s): approve done.")."""
    return str(ACTION_WORDS.get(str(action), str(action)))
