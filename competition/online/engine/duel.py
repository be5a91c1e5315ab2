"""A duel's phases: pure transitions on a small state, time passed in.

    waiting --(second player joins)--> revealed(position -1, next_at = now + pause)
    revealed --(now >= next_at)--> open(position + 1, deadline = now + seconds)
    open --(both answered, or now >= deadline)--> revealed (or finished after the last question)
    waiting --(now >= join_by)--> expired

The services store the state with a version and apply ``advance`` under a conditional update, so any
process (either player's socket, or a page load) can move a duel on, exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

WAITING, OPEN, REVEALED, FINISHED, EXPIRED = "waiting", "open", "revealed", "finished", "expired"


@dataclass(frozen=True, slots=True)
class DuelState:
    phase: str
    position: int
    count: int
    seconds: int
    pause_seconds: int
    join_by: datetime
    opened_at: datetime | None = None
    deadline: datetime | None = None
    next_at: datetime | None = None


def start(state: DuelState, *, now: datetime) -> DuelState:
    """The partner has joined: the first question opens after the pause."""
    if state.phase != WAITING:
        return state
    return replace(state, phase=REVEALED, position=-1, next_at=now + timedelta(seconds=state.pause_seconds))


def advance(state: DuelState, *, now: datetime, answered: int) -> DuelState:
    """Every transition due at ``now`` (``answered``: how many players answered the open question)."""
    while True:
        new = _step(state, now=now, answered=answered)
        if new == state:
            return state
        if new.phase == OPEN and new.position != state.position:
            answered = 0
        state = new


def _step(state: DuelState, *, now: datetime, answered: int) -> DuelState:
    if state.phase == WAITING and now >= state.join_by:
        return replace(state, phase=EXPIRED)
    if state.phase == OPEN and state.deadline is not None and (answered >= 2 or now >= state.deadline):
        if state.position >= state.count - 1:
            return replace(state, phase=FINISHED, next_at=None)
        return replace(state, phase=REVEALED, next_at=now + timedelta(seconds=state.pause_seconds))
    if state.phase == REVEALED and state.next_at is not None and now >= state.next_at:
        return replace(
            state,
            phase=OPEN,
            position=state.position + 1,
            opened_at=now,
            deadline=now + timedelta(seconds=state.seconds),
            next_at=None,
        )
    return state


def next_wake(state: DuelState) -> datetime | None:
    """When the state will next change by the clock alone."""
    if state.phase == WAITING:
        return state.join_by
    if state.phase == OPEN:
        return state.deadline
    if state.phase == REVEALED:
        return state.next_at
    return None
