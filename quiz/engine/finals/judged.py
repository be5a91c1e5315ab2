"""科普讲解: a judges' panel scores each team's presentation on their own consoles.

A judge scores from ``low`` to ``high`` in steps of 0.1. A judge who shares a district or unit with a team
(per ``recuse_by``) is recused: their score for that team is refused. A team's scores stay hidden until
every judge on its panel (the judges not recused) has scored; then the highest and lowest are dropped
(with at least three scores) and the rest averaged, times ``weight``, rounded half up to 0.01.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from quiz.engine.finals.common import Award, FinalsError, Step, TeamId, points
from quiz.engine.finals.script import JudgedRules

TENTH = Decimal("0.1")


@dataclass(frozen=True, slots=True)
class Affiliation:
    district: str = ""
    unit: str = ""


def recused(judge: Affiliation, team: Affiliation, rules: JudgedRules) -> bool:
    """True iff the judge shares a (non-empty) district or unit with the team, as the rules list."""
    for key in rules.recuse_by:
        mine, theirs = getattr(judge, key), getattr(team, key)
        if mine and theirs and mine.strip().casefold() == theirs.strip().casefold():
            return True
    return False


@dataclass(frozen=True, slots=True)
class JudgedState:
    teams: tuple[TeamId, ...]
    judges: tuple[Any, ...]
    recusals: tuple[tuple[Any, TeamId], ...]  # (judge, team) pairs that may not score
    scores: tuple[tuple[Any, TeamId, Decimal], ...] = ()
    revealed: tuple[TeamId, ...] = ()  # teams whose panel has finished (their scores are shown)

    def panel(self, team: TeamId) -> tuple[Any, ...]:
        return tuple(j for j in self.judges if (j, team) not in self.recusals)

    def scores_of(self, team: TeamId) -> dict[Any, Decimal]:
        return {j: v for j, t, v in self.scores if t == team}


def start(
    teams: Sequence[TeamId],
    judges: Mapping[Any, Affiliation],
    affiliations: Mapping[TeamId, Affiliation],
    rules: JudgedRules,
) -> JudgedState:
    recusals = tuple(
        (j, t)
        for j, aff in judges.items()
        for t in teams
        if recused(aff, affiliations.get(t, Affiliation()), rules)
    )
    return JudgedState(teams=tuple(teams), judges=tuple(judges), recusals=recusals)


def parse_score(value: Any, rules: JudgedRules) -> Decimal:
    """A judge's score: a number from ``low`` to ``high`` with at most one decimal."""
    if isinstance(value, bool):
        raise FinalsError("judge_score_invalid", "A score is a number.")
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise FinalsError("judge_score_invalid", "A score is a number.") from None
    if not d.is_finite() or d != d.quantize(TENTH) or not rules.low <= d <= rules.high:
        raise FinalsError(
            "judge_score_invalid", f"A score is from {rules.low} to {rules.high} with at most one decimal."
        )
    return d.quantize(TENTH)


def score_submit(state: JudgedState, rules: JudgedRules, *, judge: Any, team: TeamId, value: Any) -> Step:
    """A judge's score for a team. The same score twice changes nothing; a different score replaces the
    judge's own until the team's scores are revealed. The last panel score reveals and awards."""
    if judge not in state.judges:
        raise FinalsError("judge_not_on_panel", "You are not a judge of this final.")
    if team not in state.teams:
        raise FinalsError("judge_team_unknown", "This team does not present in this segment.")
    if (judge, team) in state.recusals:
        raise FinalsError("judge_recused", "You are recused from scoring this team (same district or unit).")
    score = parse_score(value, rules)
    mine = state.scores_of(team).get(judge)
    if mine == score:
        return Step(state)
    if team in state.revealed:
        raise FinalsError(
            "judge_scores_revealed", "This team's scores are revealed and can no longer change."
        )
    scores = (*tuple(s for s in state.scores if not (s[0] == judge and s[1] == team)), (judge, team, score))
    new = replace(state, scores=scores)
    got = new.scores_of(team)
    if set(got) >= set(new.panel(team)):
        total = judged_points(list(got.values()), rules)
        new = replace(new, revealed=(*new.revealed, team))
        return Step(new, awards=(Award(team, total, "judged"),), events=("judge.scored", "judge.revealed"))
    return Step(new, events=("judge.scored",))


def judged_points(values: Sequence[Decimal], rules: JudgedRules) -> Decimal:
    """Drop the highest and lowest (with at least three scores), average the rest, times the weight."""
    kept = sorted(values)
    if rules.drop_high_low and len(kept) >= 3:
        kept = kept[1:-1]
    if not kept:
        return points(0)
    return points(sum(kept, Decimal(0)) / len(kept) * rules.weight)
