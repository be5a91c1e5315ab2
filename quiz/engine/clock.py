"""Whole milliseconds, the unit of every time the protocol publishes and every score is computed from.

Times are truncated to the millisecond with integer arithmetic (never through a float), so a client
that is sent the same integers can recompute a score to the point.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def epoch_ms(moment: datetime) -> int:
    """Epoch milliseconds of an aware datetime, rounded down."""
    return (moment - EPOCH) // _MS


def whole_ms(span: timedelta) -> int:
    """A duration in whole milliseconds, rounded down."""
    return span // _MS


def from_epoch_ms(value: int) -> datetime:
    return EPOCH + timedelta(milliseconds=value)
