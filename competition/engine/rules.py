"""The rules every format applies to its inputs: checking teams, options and results, and the
finishing order of a played match (with its tie-breaks and sudden-death order).

Pure Python, no Django.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import Any

from competition.engine.model import (
    DuplicateTeam,
    InvalidOption,
    Match,
    MatchResult,
    ResultMismatch,
    SuddenDeathRequired,
    TeamId,
    TooFewTeams,
)
from quiz.engine.ranking import ranked


def validate_teams(teams: Sequence[TeamId]) -> tuple[TeamId, ...]:
    teams = tuple(teams)
    if any(t is None or isinstance(t, bool) for t in teams):
        raise InvalidOption("A team id may not be None or a boolean.")
    if len(teams) < 2:
        raise TooFewTeams(f"A bracket needs at least 2 teams, got {len(teams)}.", count=len(teams))
    seen: set = set()
    for t in teams:
        if t in seen:
            raise DuplicateTeam(f"Team {t!r} is listed twice.", team=t)
        seen.add(t)
    return teams


MATCH_TIE_BREAKS = ("correct_time",)


def check_match_tie_breaks(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or any(v not in MATCH_TIE_BREAKS for v in value):
        raise InvalidOption(
            f"match_tie_breaks must be a list drawn from {list(MATCH_TIE_BREAKS)}.", value=value
        )
    return tuple(value)


def check_int(options: Mapping, key: str, low: int, high: int | None = None) -> int:
    value = options[key]
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or value < low
        or (high is not None and value > high)
    ):
        bound = f"{low}..{high}" if high is not None else f">= {low}"
        raise InvalidOption(f"{key} must be an integer {bound}, got {value!r}.", option=key, value=value)
    return value


def check_bool(options: Mapping, key: str) -> bool:
    value = options[key]
    if not isinstance(value, bool):
        raise InvalidOption(f"{key} must be true or false, got {value!r}.", option=key, value=value)
    return value


def merge_options(fmt: str, given: Mapping | None, defaults: Mapping[str, Any]) -> dict[str, Any]:
    given = dict(given or {})
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise InvalidOption(
            f"Unknown option(s) for {fmt}: {', '.join(unknown)}.", options=unknown, allowed=sorted(defaults)
        )
    return {**defaults, **given}


def validate_result(match: Match, result: MatchResult) -> None:
    teams = set(match.participants)
    if not isinstance(result, MatchResult):
        raise ResultMismatch("A result must be a MatchResult.", match_id=match.id)
    got = set(result.scores)
    if got != teams:
        raise ResultMismatch(
            f"Match {match.id} is between {sorted(map(str, teams))}, "
            f"the result names {sorted(map(str, got))}.",
            match_id=match.id,
            missing=sorted(map(str, teams - got)),
            unexpected=sorted(map(str, got - teams)),
        )
    for team, s in result.scores.items():
        if not isinstance(s.score, int | float) or isinstance(s.score, bool):
            raise ResultMismatch(f"Score of {team!r} is not a number: {s.score!r}.", match_id=match.id)
        if (
            not isinstance(s.correct_time_ms, int)
            or isinstance(s.correct_time_ms, bool)
            or s.correct_time_ms < 0
        ):
            raise ResultMismatch(
                f"correct_time_ms of {team!r} must be an integer >= 0: {s.correct_time_ms!r}.",
                match_id=match.id,
            )
    sd = result.sudden_death
    if len(set(sd)) != len(sd) or not set(sd) <= teams:
        raise ResultMismatch(
            "The sudden-death order must name distinct teams of this match.", match_id=match.id
        )


def match_order(
    participants: Sequence[TeamId], result: MatchResult, tie_breaks: Sequence[str]
) -> list[list[TeamId]]:
    """The teams of a played match in finishing order, as tiers of teams still level (best first)."""

    def key(team: TeamId) -> tuple:
        s = result.scores[team]
        k: tuple = (-s.score,)
        if "correct_time" in tie_breaks:
            k += (s.correct_time_ms,)
        return k

    tiers: list[list[TeamId]] = []
    ordered = sorted(participants, key=key)  # stable: seed/slot order among equals, for display only
    for team in ordered:
        if tiers and key(tiers[-1][0]) == key(team):
            tiers[-1].append(team)
        else:
            tiers.append([team])
    if result.sudden_death:
        sd = {t: i for i, t in enumerate(result.sudden_death)}
        split: list[list[TeamId]] = []
        for tier in tiers:
            if len(tier) == 1:
                split.append(tier)
                continue
            settled = sorted((t for t in tier if t in sd), key=sd.__getitem__)
            split.extend([t] for t in settled)
            rest = [t for t in tier if t not in sd]
            if rest:
                split.append(rest)
        tiers = split
    return tiers


def places(tiers: Sequence[Sequence[TeamId]]) -> dict[TeamId, int]:
    """Competition ranking ("1, 2, 2, 4") from tiers: the teams of a tier share a place."""
    in_order = ((index, team) for index, tier in enumerate(tiers) for team in tier)
    return {team: rank for rank, (_, team) in ranked(in_order, key=itemgetter(0))}


def check_decisive(match: Match, tiers: Sequence[Sequence[TeamId]]) -> None:
    position = 1
    for tier in tiers:
        if len(tier) > 1 and position <= match.decisive:
            raise SuddenDeathRequired(
                f"Match {match.id}: {', '.join(map(str, tier))} are level at place {position}; "
                "play a sudden-death round and record its order.",
                match_id=match.id,
                teams=list(tier),
                place=position,
            )
        position += len(tier)
