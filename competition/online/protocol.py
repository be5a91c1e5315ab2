"""The duel socket's inbound frames (docs/online-stage.md, "Duel protocol"), parsed into commands."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from quiz.protocol import ProtocolError


@dataclass(frozen=True)
class DuelAnswerCommand:
    position: int
    choices: list[int]
    submission: uuid.UUID


@dataclass(frozen=True)
class PingCommand:
    t: float | None


def parse_duel(content: dict[str, Any]) -> DuelAnswerCommand | PingCommand:
    kind = content.get("type")
    if kind == "ping":
        t = content.get("t")
        return PingCommand(t if isinstance(t, int | float) and not isinstance(t, bool) else None)
    if kind != "answer":
        raise ProtocolError("unknown_type", f"no frame type {kind!r} on the duel socket")
    position = content.get("position")
    if not isinstance(position, int) or isinstance(position, bool) or not 0 <= position < 100:
        raise ProtocolError("invalid_field", "position must be a whole number", field="position")
    choices = content.get("choices")
    if (
        not isinstance(choices, list)
        or not 1 <= len(choices) <= 6
        or not all(isinstance(c, int) and not isinstance(c, bool) for c in choices)
    ):
        raise ProtocolError("invalid_field", "choices must be a list of 1-6 choice indexes", field="choices")
    try:
        submission = uuid.UUID(str(content.get("id")))
    except ValueError:
        raise ProtocolError("invalid_field", "id must be a UUID", field="id") from None
    return DuelAnswerCommand(position, choices, submission)
