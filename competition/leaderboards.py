"""Leaderboards beyond one round: per stage and cumulative, for contestants, teams and divisions.

Round scores are the cached standings on each contestant (rewritten at every reveal from the answer
log). A registered contestant is the same person across rounds; an open-round nickname is not, so
stage and cumulative boards count registered contestants only.

Every board ranks by the chain a round uses by default, summed over the rounds: more points, then more
correct answers, then less correct time (the total elapsed ms of the correct answers, cached on each
contestant at every reveal). Rows equal on all three share a rank (1, 2, 2, 4). A team's points,
correct answers and correct time are each the sum over the members who played for it; a division's
(district's) are those sums over its teams, divided by its number of teams.

The individual and team boards are summed, ranked, searched, counted and cut to a page in the
database: a board of a stage has 100,000 rows, and a page shows 100. The rank is a window function
(``RANK() OVER``) over the whole board, computed before the search, so a row found by name keeps its
rank on the whole board.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import itemgetter
from typing import NamedTuple

from django.db import connections
from django.db.models import Count, F, Sum, Value, Window
from django.db.models.functions import Coalesce, Rank

from competition.models import Competition, Registration, Stage, Team
from quiz.engine.ranking import ranked
from quiz.models import Contestant


class Row(NamedTuple):
    """One line of a board. A named tuple: a board of a stage has 100,000 of them."""

    rank: int
    id: int
    name: str
    points: float
    correct: int = 0
    correct_time_ms: int = 0
    detail: str = ""


class BoardPage(NamedTuple):
    """Some rows of a board (each with its rank on the whole board), how many rows the board has and
    how many of them match the search."""

    rows: list[Row]
    total: int
    matching: int


def _contestants(competition: Competition, stage: Stage | None):
    qs = Contestant.objects.filter(
        round__competition=competition, registration__isnull=False, kicked_at__isnull=True
    ).order_by()
    if stage is not None:
        qs = qs.filter(round__stage=stage.name)
    return qs


def _ranked_totals(contestants, key: str, name: str, detail: str):
    """(key, name, points, correct, correct time, detail, rank) per ``key``, summed and ranked by the
    chain in the database; not ordered (the page orders)."""
    return (
        contestants.values(key, name)
        .annotate(
            points=Coalesce(Sum("score"), 0),
            correct=Coalesce(Sum("correct_count"), 0),
            correct_time=Coalesce(Sum("correct_time_ms"), 0),
            detail_=Coalesce(F(detail), Value("")),
        )
        .annotate(
            rank=Window(Rank(), order_by=[F("points").desc(), F("correct").desc(), F("correct_time").asc()])
        )
        .values_list(key, name, "points", "correct", "correct_time", "detail_", "rank")
    )


def _like(search: str) -> str:
    """A LIKE pattern for "contains ``search``", its wildcards escaped with a backslash."""
    escaped = search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _page(totals, search: str, offset: int, limit: int | None) -> BoardPage:
    """Rows of a ranked board whose name or detail contains ``search`` (case aside), best first; rows
    sharing a rank are listed by name (in code point order, whatever the database's collation), then
    id. One query, plus a count when the page is empty."""
    db = totals.db
    connection = connections[db]
    q = connection.ops.quote_name
    key, name, points, correct, correct_time, detail, rank = (
        q(column) for column in (totals.query.values_select + tuple(totals.query.annotation_select))[:7]
    )
    inner, params = totals.query.sql_with_params()
    # The rank window runs inside, over the whole board; the search filters outside it.
    where, where_params = "", []
    if search:
        pattern = _like(search)
        where = f"WHERE LOWER(b.{name}) LIKE %s ESCAPE '\\' OR LOWER(b.{detail}) LIKE %s ESCAPE '\\'"
        where_params = [pattern, pattern]
    collate = ' COLLATE "C"' if connection.vendor == "postgresql" else ""
    window = f"LIMIT {int(limit)} OFFSET {int(offset)}" if limit is not None else ""
    sql = (
        f"SELECT b.{key}, b.{name}, b.{points}, b.{correct}, b.{correct_time}, b.{detail}, b.{rank}, "
        f"b.total, COUNT(*) OVER () FROM (SELECT t.*, COUNT(*) OVER () AS total FROM ({inner}) t) b "
        f"{where} ORDER BY b.{rank}, b.{name}{collate}, b.{key} {window}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *where_params])
        fetched = cursor.fetchall()
        if fetched:
            total, matching = fetched[0][7], fetched[0][8]
        else:
            matched = f"SUM(CASE WHEN {where[6:]} THEN 1 ELSE 0 END)" if where else "COUNT(*)"
            # the search's parameters come first here: its CASE is in the SELECT list, before the board
            cursor.execute(f"SELECT COUNT(*), {matched} FROM ({inner}) b", [*where_params, *params])
            total, matching = (value or 0 for value in cursor.fetchone())
    rows = [Row(r[6], r[0], r[1], r[2], r[3], r[4], r[5]) for r in fetched]
    return BoardPage(rows, total, matching)


def _individual_totals(competition: Competition, stage: Stage | None):
    return _ranked_totals(
        _contestants(competition, stage),
        "registration_id",
        "registration__name",
        detail="registration__team__name",
    )


def _team_totals(competition: Competition, stage: Stage | None):
    return _ranked_totals(
        _contestants(competition, stage).filter(team__isnull=False),
        "team_id",
        "team__name",
        detail="team__division__name",
    )


def individual_page(
    competition: Competition,
    stage: Stage | None = None,
    *,
    search: str = "",
    offset: int = 0,
    limit: int | None = None,
) -> BoardPage:
    """Registered contestants by the chain summed over the stage's rounds (or all rounds): the rows
    whose name or team contains ``search``, ``limit`` of them from ``offset``."""
    return _page(_individual_totals(competition, stage), search, offset, limit)


def team_page(
    competition: Competition,
    stage: Stage | None = None,
    *,
    search: str = "",
    offset: int = 0,
    limit: int | None = None,
) -> BoardPage:
    """Teams by the chain summed over their members and the stage's rounds (or all rounds): the rows
    whose name or division contains ``search``, ``limit`` of them from ``offset``.

    A team's points are the sum of its members' (a round's team aggregate is for that round's own team
    table), so its correct answers and correct time are sums too, as a match's team correct time is
    (``competition.matches.team_results``).
    """
    return _page(_team_totals(competition, stage), search, offset, limit)


def individual_board(competition: Competition, stage: Stage | None = None) -> list[Row]:
    """The whole individual board (``individual_page`` without a search or a limit)."""
    return individual_page(competition, stage).rows


def team_board(competition: Competition, stage: Stage | None = None) -> list[Row]:
    """The whole team board (``team_page`` without a search or a limit)."""
    return team_page(competition, stage).rows


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
    return [
        DivisionRow(rank, name, -chain[0], count, total, played_count, -chain[1], chain[2])
        for rank, (chain, name, _, count, total, played_count) in ranked(rows, key=itemgetter(0))
    ]
