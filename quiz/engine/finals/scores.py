"""The scoreboard as the sum of an append-only log of score events, undo, and the arbitration hold.

Nothing is ever edited: an undo is a new event with the opposite points that names the event it undoes
and why; a correction after an arbitration is a new event too. ``scoreboard`` is a pure function of the
base score and the log, so any screen can rebuild it and a result sheet can list every event.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from quiz.engine.finals.common import FinalsError, TeamId, points


@dataclass(frozen=True, slots=True)
class ScoreEvent:
    seq: int  # 1, 2, ... in the order they were logged
    team: TeamId
    points: Decimal
    reason: str  # "right", "wrong", "early_buzz", "wager_right", "judged", "undo", "ruling", ...
    rule_version: int
    actor: str = ""  # who caused it: "host:alice", "judge:3", "buzzer"
    segment: int | None = None
    question: int | None = None
    undoes: int | None = None  # seq of the event this one reverses
    note: str = ""  # free text: the host's reason for an undo or a ruling


def scoreboard(teams: Iterable[TeamId], base: int, events: Iterable[ScoreEvent]) -> dict[TeamId, Decimal]:
    """Each team's score: the base plus the sum of its events (events of unknown teams are ignored)."""
    board = {team: points(base) for team in teams}
    for event in events:
        if event.team in board:
            board[event.team] += event.points
    return board


def next_seq(events: Sequence[ScoreEvent]) -> int:
    return events[-1].seq + 1 if events else 1


def undo(events: Sequence[ScoreEvent], *, seq: int, note: str, actor: str, rule_version: int) -> ScoreEvent:
    """The event that reverses event ``seq``; the host must say why. An event is undone at most once and
    an undo is not itself undone (log a new event instead)."""
    note = (note or "").strip()
    if not note:
        raise FinalsError("undo_reason_required", "Say why the score event is undone.")
    target = next((e for e in events if e.seq == seq), None)
    if target is None:
        raise FinalsError("score_event_unknown", f"There is no score event {seq}.")
    if target.undoes is not None:
        raise FinalsError(
            "score_event_not_undoable", "An undo cannot be undone; log a new score event instead."
        )
    if any(e.undoes == seq for e in events):
        raise FinalsError("score_event_already_undone", f"Score event {seq} is already undone.")
    return ScoreEvent(
        seq=next_seq(events),
        team=target.team,
        points=-target.points,
        reason="undo",
        rule_version=rule_version,
        actor=actor,
        segment=target.segment,
        question=target.question,
        undoes=seq,
        note=note[:200],
    )


@dataclass(frozen=True, slots=True)
class Hold:
    """An arbitration hold (仲裁): while ``held``, every screen shows the board as of event ``at_seq``."""

    held: bool = False
    at_seq: int = 0
    reason: str = ""
    ruling: str = ""


def hold_start(hold: Hold, *, last_seq: int, reason: str) -> Hold:
    """Freeze the board at the last logged event. Holding while held changes nothing."""
    if hold.held:
        return hold
    return Hold(held=True, at_seq=last_seq, reason=(reason or "").strip()[:200])


def hold_release(hold: Hold, *, ruling: str) -> Hold:
    """Release the hold with the host's ruling (required). Releasing while not held changes nothing."""
    if not hold.held:
        return hold
    ruling = (ruling or "").strip()
    if not ruling:
        raise FinalsError("ruling_required", "Say the ruling that releases the hold.")
    return Hold(held=False, at_seq=0, reason=hold.reason, ruling=ruling[:200])


def scoreboard_shown(
    teams: Iterable[TeamId], base: int, events: Sequence[ScoreEvent], hold: Hold
) -> dict[TeamId, Decimal]:
    """The board the screens show: frozen at the hold's event while a hold is on."""
    if hold.held:
        events = [e for e in events if e.seq <= hold.at_seq]
    return scoreboard(teams, base, events)
