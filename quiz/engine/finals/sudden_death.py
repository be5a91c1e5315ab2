"""加赛: buzzer questions among level teams until their order is decided.

On each question the first fair buzz answers (no pass-on, an early buzz puts the team out of that
question, no points change). Right: the team takes the best place left. Wrong or incomplete: the team is
eliminated and takes the worst place left. When one team is left it takes the last place left. The order,
best first, is the sudden-death order that standings and brackets accept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from quiz.engine.finals.common import FinalsError, Mark, Step, TeamId
from quiz.engine.finals.script import BuzzerRules, SuddenDeathRules


@dataclass(frozen=True, slots=True)
class SuddenDeathState:
    remaining: tuple[TeamId, ...]
    top: tuple[TeamId, ...] = ()  # placed from the top, best first
    bottom: tuple[TeamId, ...] = ()  # placed from the bottom, best first
    questions: int = 0

    @property
    def finished(self) -> bool:
        return not self.remaining

    def order(self) -> tuple[TeamId, ...]:
        return (*self.top, *self.remaining, *self.bottom)


def start(teams: Sequence[TeamId]) -> SuddenDeathState:
    teams = tuple(teams)
    if len(teams) < 2:
        raise FinalsError("sudden_death_needs_two", "A sudden death needs at least two level teams.")
    return SuddenDeathState(remaining=teams)


def buzzer_rules(rules: SuddenDeathRules) -> BuzzerRules:
    return replace(
        BuzzerRules(),
        open_seconds=rules.open_seconds,
        answer_seconds=rules.answer_seconds,
        right=0,
        wrong=0,
        early="out",
        pass_on=False,
        max_attempts=1,
        window_ms=rules.window_ms,
        window_max_ms=rules.window_max_ms,
    )


def result(state: SuddenDeathState, *, team: TeamId | None, mark: Mark | None) -> Step:
    """The outcome of one question: ``team`` answered with ``mark`` (None, None: nobody buzzed)."""
    if state.finished:
        return Step(state)
    if team is None or mark is None:
        return Step(replace(state, questions=state.questions + 1), events=("sudden_death.no_result",))
    if team not in state.remaining:
        raise FinalsError("sudden_death_team_placed", "This team is already placed.")
    left = tuple(t for t in state.remaining if t != team)
    if mark is Mark.RIGHT:
        new = replace(state, remaining=left, top=(*state.top, team))
    else:
        new = replace(state, remaining=left, bottom=(team, *state.bottom))
    if len(new.remaining) == 1:
        new = replace(new, remaining=(), top=(*new.top, new.remaining[0]))
    new = replace(new, questions=state.questions + 1)
    return Step(new, events=("sudden_death.placed", *(("sudden_death.decided",) if new.finished else ())))
