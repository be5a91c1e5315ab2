"""Leaderboards beyond one round: per stage and cumulative, for contestants, teams and divisions.

Round scores are the cached standings on each contestant (rewritten at every reveal from the answer
log). A registered contestant is the same person across rounds; an open-round nickname is not, so
stage and cumulative boards count registered contestants only. Ties share a rank (1, 2, 2, 4) after
the chain: points, then correct answers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Q, Sum

from competition.models import Competition, Registration, Stage, Team


@dataclass(frozen=True, slots=True)
class Row:
    rank: int
    id: int
    name: str
    points: float
    correct: int = 0
    detail: str = ""


def _ranked(items: Iterable[tuple[int, str, float, int, str]]) -> list[Row]:
    ordered = sorted(items, key=lambda i: (-i[2], -i[3], i[1], i[0]))
    rows: list[Row] = []
    previous, current = None, 0
    for position, (pk, name, points, correct, detail) in enumerate(ordered, start=1):
        if (points, correct) != previous:
            current, previous = position, (points, correct)
        rows.append(Row(current, pk, name, points, correct, detail))
    return rows


def _contestants(competition: Competition, stage: Stage | None):
    from quiz.models import Contestant

    qs = Contestant.objects.filter(
        round__competition=competition, registration__isnull=False, kicked_at__isnull=True
    )
    if stage is not None:
        qs = qs.filter(round__stage=stage.name)
    return qs


def individual_board(competition: Competition, stage: Stage | None = None) -> list[Row]:
    """Registered contestants by total points over the stage's rounds (or all rounds)."""
    totals = (
        _contestants(competition, stage)
        .values("registration_id", "registration__name", "registration__team__name")
        .annotate(points=Sum("score"), correct=Sum("correct_count"))
    )
    return _ranked(
        (
            t["registration_id"],
            t["registration__name"],
            t["points"] or 0,
            t["correct"] or 0,
            t["registration__team__name"] or "",
        )
        for t in totals
    )


def team_board(competition: Competition, stage: Stage | None = None) -> list[Row]:
    """Teams by the sum of their members' points over the stage's rounds (or all rounds)."""
    totals = (
        _contestants(competition, stage)
        .filter(team__isnull=False)
        .values("team_id", "team__name", "team__division__name")
        .annotate(points=Sum("score"), correct=Sum("correct_count"))
    )
    return _ranked(
        (t["team_id"], t["team__name"], t["points"] or 0, t["correct"] or 0, t["team__division__name"])
        for t in totals
    )


@dataclass(frozen=True, slots=True)
class DivisionRow:
    rank: int
    name: str
    mean_team_points: float
    teams: int
    registered: int
    played: int

    @property
    def participation(self) -> float:
        """Share of registered contestants who played at least one round."""
        return round(self.played / self.registered, 3) if self.registered else 0.0


def division_board(
    competition: Competition, stage: Stage | None = None, *, by: str = "division"
) -> list[DivisionRow]:
    """Divisions (or districts, ``by="district"``) by mean team points, with participation."""
    key = "division" if by == "division" else "district"
    team_points = {row.id: row.points for row in team_board(competition, stage)}
    groups: dict[str, list[int]] = defaultdict(list)
    for team in Team.objects.filter(competition=competition).select_related(key):
        group = getattr(team, key)
        if group is not None:
            groups[group.name].append(team.id)
    played_ids = set(_contestants(competition, stage).values_list("registration_id", flat=True))
    registered = (
        Registration.objects.filter(competition=competition, team__isnull=False)
        .values(f"team__{key}__name")
        .annotate(total=Count("id"), played=Count("id", filter=Q(id__in=played_ids)))
    )
    counts = {r[f"team__{key}__name"]: (r["total"], r["played"]) for r in registered}
    rows = []
    for name, team_ids in groups.items():
        mean = round(sum(team_points.get(t, 0) for t in team_ids) / len(team_ids), 2)
        total, played = counts.get(name, (0, 0))
        rows.append((name, mean, len(team_ids), total, played))
    rows.sort(key=lambda r: (-r[1], r[0]))
    ranked, previous, current = [], None, 0
    for position, (name, mean, teams, total, played) in enumerate(rows, start=1):
        if mean != previous:
            current, previous = position, mean
        ranked.append(DivisionRow(current, name, mean, teams, total, played))
    return ranked
