"""必答: every team answers its own questions in turn after the host's "请回答" cue.

A segment is a list of turns (team, and in "member" mode the member in rotation). For each turn the host
cues (the answer clock starts), the team answers (on the phone, or aloud) and the host marks it. An answer
before the cue, out of turn, or after the answer time is refused and changes nothing. Times are epoch ms.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from quiz.engine.finals.common import Award, FinalsError, Mark, Step, TeamId, points
from quiz.engine.finals.script import CompulsoryRules


class TurnPhase(enum.StrEnum):
    WAITING = "waiting"  # the host reads the question; no answer yet
    CUED = "cued"  # "请回答": the answer clock runs
    ANSWERED = "answered"  # the phone's answer is in; the host marks it
    MARKED = "marked"


@dataclass(frozen=True, slots=True)
class Turn:
    team: TeamId
    member: Any = None  # the member who answers in "member" mode


@dataclass(frozen=True, slots=True)
class TurnState:
    turns: tuple[Turn, ...]
    index: int = 0
    phase: TurnPhase = TurnPhase.WAITING
    cued_at: float | None = None
    deadline: float | None = None
    answer: Any = None  # what the phone sent (a choice), or None for a spoken answer
    marks: tuple[str, ...] = ()  # the mark of each finished turn, in order

    @property
    def turn(self) -> Turn | None:
        return self.turns[self.index] if self.index < len(self.turns) else None

    @property
    def finished(self) -> bool:
        return self.index >= len(self.turns)


def turn_order(
    teams: Sequence[TeamId], rules: CompulsoryRules, *, members: Mapping[TeamId, Sequence[Any]] | None = None
) -> tuple[Turn, ...]:
    """Turns round by round, teams in their order; in "member" mode round r is answered by member r."""
    members = members or {}
    turns = []
    for r in range(rules.rounds):
        for team in teams:
            member = None
            if rules.mode == "member":
                roster = list(members.get(team) or ())
                member = roster[r % len(roster)] if roster else None
            turns.append(Turn(team, member))
    return tuple(turns)


def start(turns: Sequence[Turn]) -> TurnState:
    return TurnState(turns=tuple(turns))


def cue(state: TurnState, *, index: int, seconds: int, now: float) -> Step:
    """The host's "请回答" for turn ``index``: the answer clock starts. Cueing a cued turn changes nothing."""
    _check_index(state, index)
    if state.phase is not TurnPhase.WAITING:
        return Step(state)
    return Step(
        replace(state, phase=TurnPhase.CUED, cued_at=now, deadline=now + seconds * 1000),
        events=("answer.cued",),
    )


def answer(state: TurnState, *, team: TeamId, choice: Any, received: float) -> Step:
    """The phone's answer for the current turn, counted iff received after the cue and before its end."""
    turn = state.turn
    if turn is None or turn.team != team:
        raise FinalsError("answer_not_your_turn", "It is not your team's turn to answer.")
    if state.phase is TurnPhase.WAITING:
        raise FinalsError("answer_before_cue", "Wait for the host's cue before answering.")
    if state.phase is not TurnPhase.CUED:
        raise FinalsError("answer_duplicate", "Your team has already answered this question.")
    assert state.deadline is not None
    if received >= state.deadline:
        raise FinalsError("answer_too_late", "The answer time is over.")
    return Step(replace(state, phase=TurnPhase.ANSWERED, answer=choice), events=("answer.received",))


def mark(state: TurnState, *, index: int, result: Mark, values: tuple[Any, Any, Any]) -> Step:
    """The host marks turn ``index``; ``values`` are the points for (right, wrong, incomplete). Marking a
    marked turn changes nothing; marking before the cue is refused."""
    if index < state.index or (index == state.index and state.phase is TurnPhase.MARKED):
        return Step(state)
    _check_index(state, index)
    if state.phase is TurnPhase.WAITING:
        raise FinalsError("mark_before_cue", "Cue the answer (请回答) before marking it.")
    right, wrong, incomplete = values
    value = {Mark.RIGHT: right, Mark.WRONG: wrong, Mark.INCOMPLETE: incomplete}[result]
    award = Award(state.turns[index].team, points(value), result.value)
    new = replace(state, phase=TurnPhase.MARKED, marks=(*state.marks, result.value))
    return Step(new, awards=(award,) if award.points else (), events=("answer.marked",))


def next_turn(state: TurnState, *, index: int) -> Step:
    """Move to turn ``index`` (the one after the marked turn). Moving twice moves once."""
    if index <= state.index:
        return Step(state)
    if index != state.index + 1 or state.phase is not TurnPhase.MARKED:
        raise FinalsError("turn_not_finished", "Mark the current answer before moving on.")
    new = replace(state, index=index, phase=TurnPhase.WAITING, cued_at=None, deadline=None, answer=None)
    return Step(new, events=("turn.next" if index < len(state.turns) else "segment.done",))


def _check_index(state: TurnState, index: int) -> None:
    if index != state.index or state.finished:
        raise FinalsError("turn_not_current", f"Turn {index} is not the current turn.")


def values_of(rules: CompulsoryRules) -> tuple[int, int, int]:
    return rules.right, rules.wrong, rules.incomplete
