"""What every segment kind shares: the error with its stable code, points, marks and a step's output."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

TeamId = Any  # whatever the caller uses to name a team (a primary key, a slug)
CENT = Decimal("0.01")


class FinalsError(Exception):
    """A command that is not allowed now. ``code`` is the stable error code sent to the client."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Mark(enum.StrEnum):
    """The host's (or a judge's) verdict on a spoken or submitted answer."""

    RIGHT = "right"
    WRONG = "wrong"
    INCOMPLETE = "incomplete"


def points(value: Any) -> Decimal:
    """``value`` as points: a Decimal with two places (10 -> 10.00, 8.666 -> 8.67, half up)."""
    try:
        d = Decimal(str(value))
    except ArithmeticError as exc:
        raise FinalsError("points_invalid", f"{value!r} is not a number of points.") from exc
    if not d.is_finite():
        raise FinalsError("points_invalid", f"{value!r} is not a number of points.")
    return d.quantize(CENT, rounding="ROUND_HALF_UP")


@dataclass(frozen=True, slots=True)
class Award:
    """Points a step gives (or takes from) a team; the service logs each as a score event."""

    team: TeamId
    points: Decimal
    reason: str  # a short machine reason: "right", "wrong", "early_buzz", "wager_right", "judged"


@dataclass(frozen=True, slots=True)
class Step:
    """What a command did: the new state, the points it gives, and the names of what happened (published
    as events). A command whose effect already holds returns the same state, no awards, no events."""

    state: Any
    awards: tuple[Award, ...] = ()
    events: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.events)
