"""The refusal every quiz service raises."""

from __future__ import annotations


class QuizError(Exception):
    """A refused request. ``code`` is stable and documented in docs/protocol.md."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
