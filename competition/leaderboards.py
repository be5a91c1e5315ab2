"""Leaderboards beyond one round: per stage and cumulative, for contestants, teams and divisions.

Round scores are the cached standings on each contestant (rewritten at every reveal from the answer
log). A registered contestant is the same person across rounds; an open-round nickname is not, so
stage and cumulative boards count registered contestants only.

Every board ranks by the chain a round uses by default, summed over the rounds: more points, then more
correct answers, then less correct time (the total elapsed ms of the correct answers, cached on each
contestant at every reveal). Rows equal on all three share a rank (1, 2, 2, 4). A team's points,
correct answers and correct time are each the sum over the members who played for it; a division's
(district's) are those sums over its teams, divided by its number of teams.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from typing import NamedTuple

from django.db.models import Count, F, Sum, Value
from django.db.models.functions import Coalesce

from competition.models import Competition, Registration, Stage, Team


class Row(NamedTuple):
    """One line of a board. A named tuple: a board of a stage has 100,000 of them."""

    rank: int
    id: int
    name: str
    points: float
    correct: int = 0
    correct_time_ms: int = 0
    detail: str = ""


def _ranked(totals: Iterable[tuple[int, str, float, int, int, str]]) -> list[Row]:
    """Rank ``(id, name, points, correct, correct time, detail)`` rows that come ordered by the chain:
    points and correct answers descending, correct time ascending (the database sorts them).

    Rows equal on all three share a rank (1, 2, 2, 4) and are listed by name, then id, sorted here so
    that every database gives the same order whatever its collation.
    """
    rows: list[Row] = []
    for _, tied in groupby(totals, key=itemgetter(2, 3, 4)):
        rank = len(rows) + 1
        rows.extend([Row(rank, *row) for row in sorted(tied, key=itemgetter(1, 0))])
    return rows


def _contestants(competition: Competition, stage: Stage | None):
    from quiz.models import Contestant

    qs = Contestant.objects.filter(
        round__competition=competition, registration__isnull=False, kicked_at__isnull=True
    ).order_by()
    if stage is not None:
        qs = qs.filter(round__stage=stage.name)
    return qs


def _totals(contestants, key: str, name: str, detail: str):
    """(key, name, points, correct, correct time, detail) per ``key``, summed and ordered in the database."""
    return (
        contestants.values(key, name)
        .annotate(
            points=Coalesce(Sum("score"), 0),
            correct=Coalesce(Sum("correct_count"), 0),
            correct_time=Coalesce(Sum("correct_time_ms"), 0),
            detail_=Coalesce(F(detail), Value("")),
        )
        .values_list(key, name, "points", "correct", "correct_time", "detail_")
        .order_by("-points", "-correct", "correct_time")
    )


def individual_board(competition: Competition, stage: Stage | None = None) -> list[Row]:
    """Registered contestants by the chain summed over the stage's rounds (or all rounds)."""
    return _ranked(
        _totals(
            _contestants(competition, stage),
            "registration_id",
            "registration__name",
            detail="registration__team__name",
        )
    )


def team_board(competition: Competition, stage: Stage | None = None) -> list[Row]:
    """Teams by the chain summed over their members and the stage's rounds (or all rounds).

    A team's points are the sum of its members' (a round's team aggregate is for that round's own team
    table), so its correct answers and correct time are sums too, as a match's team correct time is
    (``competition.matches.team_results``).
    """
    return _ranked(
        _totals(
            _contestants(competition, stage).filter(team__isnull=False),
            "team_id",
            "team__name",
            detail="team__division__name",
        )
    )


@dataclass(frozen=True, slots=True)
class DivisionRow:
    rank: int
    name: str
    mean_team_points: float
    teams: int
    registered: int
    played: int
    mean_team_correct: float = 0.0
    mean_team_correct_time_ms: float = 0.0

    @property
    def participation(self) -> float:
        """Share of registered contestants who played at least one round."""
        return round(self.played / self.registered, 3) if self.registered else 0.0


def division_board(
    competition: Competition, stage: Stage | None = None, *, by: str = "division"
) -> list[DivisionRow]:
    """Divisions (or districts, ``by="district"``) by the chain of mean team figures, with participation.

    A group's mean team points are the points of its teams' members over the stage's rounds (or all
    rounds), summed, over the number of its teams, played or not; its mean team correct answers and
    correct time likewise. Ranked by mean points, then mean correct answers (both descending), then mean
    correct time (ascending), each rounded to 2 places; groups equal on all three share a rank.
    Participation is the share of the registered members of its teams who played at least one of those
    rounds. Four grouped counts in the database, so the cost does not grow with the number of teams in
    Python.
    """
    key = "division" if by == "division" else "district"
    teams = {
        group: (name, count)
        for group, name, count in Team.objects.filter(competition=competition, **{f"{key}__isnull": False})
        .order_by()
        .values_list(f"{key}_id", f"{key}__name")
        .annotate(count=Count("id"))
    }
    played = _contestants(competition, stage)
    totals = {
        group: (points, correct, correct_time)
        for group, points, correct, correct_time in played.filter(team__competition=competition)
        .values_list(f"team__{key}_id")
        .annotate(points=Sum("score"), correct=Sum("correct_count"), correct_time=Sum("correct_time_ms"))
    }
    members = Registration.objects.filter(competition=competition, team__isnull=False).order_by()
    registered = dict(members.values_list(f"team__{key}_id").annotate(count=Count("id")))
    played_members = dict(
        played.filter(registration__competition=competition, registration__team__isnull=False)
        .values_list(f"registration__team__{key}_id")
        .annotate(count=Count("registration_id", distinct=True))
    )
    rows = []
    for group, (name, count) in teams.items():
        points, correct, correct_time = (
            round((total or 0) / count, 2) for total in totals.get(group, (0,) * 3)
        )
        chain = (-points, -correct, correct_time)
        rows.append((chain, name, group, count, registered.get(group, 0), played_members.get(group, 0)))
    rows.sort(key=itemgetter(0, 1, 2))
    ranked, previous, current = [], None, 0
    for position, (chain, name, _, count, total, played_count) in enumerate(rows, start=1):
        if chain != previous:
            current, previous = position, chain
        points, correct, correct_time = -chain[0], -chain[1], chain[2]
        ranked.append(DivisionRow(current, name, points, count, total, played_count, correct, correct_time))
    return ranked
