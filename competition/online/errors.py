"""The online stage's refusals: a stable ``code`` (docs/protocol.md, section 8, and docs/online-stage.md)
and a message for logs. Pages show the translated message for the code (frontend/ui_strings.py)."""

from __future__ import annotations

from quiz.services.errors import QuizError


class OnlineError(QuizError):
    """A refused request of the online stage; nothing was changed by it."""

    def __init__(self, code: str, message: str, *, retry_after_s: int | None = None) -> None:
        super().__init__(code, message)
        self.retry_after_s = retry_after_s
