"""Keeping the report's summary tables (``competition.report.models``) up to date.

``report_refresh`` is the one door: the ``report_refresh`` management command calls it on a schedule
(every few minutes), and ``full=True`` (hourly or nightly) also recounts the people behind each
benchmark. What it does, in one transaction per stage:

- answers: the days from the earliest day with an answer newer than the last refresh (at the latest,
  yesterday: a challenge begun before midnight is the day it began) are deleted and recomputed with
  one ``INSERT ... SELECT ... GROUP BY`` per table; earlier days are kept, since answers are append-only;
- contestants: the participation, self-test and weekly tables are recomputed whole (one GROUP BY over
  the stage's contestants, one over the attempts per week, one pass over the finished self-tests);
- people per benchmark (full refresh only): one ``COUNT(DISTINCT)``. People only grow, so a stale count
  can only keep a figure hidden as "too few to read" a little longer, never show one too early.

Contestants held for fair play are left out of the literacy and question figures (their answers may
not be their own), and counted in participation; a full refresh picks up an organiser's later decision.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count, Max, Min, Q
from django.db.models.functions import TruncDate, TruncWeek
from django.utils import timezone

from competition.online.engine.rules import parse_rules
from competition.online.models import Answer, Attempt, Contestant, Mode, OnlineStage, Qualifier
from competition.report.engine import (
    AGE_STARTS,
    DIMENSIONS,
    UNKNOWN_AGE,
    SelftestRule,
    age_bands,
    profile_over,
    score_bin,
    week_of,
)
from competition.report.models import (
    GroupCell,
    ItemCell,
    LiteracyCell,
    LiteracyPeople,
    RefreshState,
    WeekCell,
)

SELFTEST_RULE = SelftestRule()

# Right answers and answers per day, district, key group and benchmark (or the benchmark's domain).
# A question tagged with two benchmarks of one domain counts once in the domain (the DISTINCT subquery).
_LITERACY_SQL = """
INSERT INTO report_literacycell (stage_id, day, district_id, key_group, kind, code, correct, answered)
SELECT stage_id, day, district_id, key_group, %(kind)s, code,
       SUM(CASE WHEN correct THEN 1 ELSE 0 END), COUNT(*)
FROM (
    SELECT DISTINCT ans.id AS answer_id, c.stage_id, a.day, c.district_id, c.key_group,
           {code} AS code, ans.correct
    FROM online_answer ans
    JOIN online_attempt a ON a.id = ans.attempt_id
    JOIN online_contestant c ON c.id = a.contestant_id
    JOIN questionbank_taggedquestion tq ON tq.content_object_id = ans.question_id
    JOIN questionbank_tag t ON t.id = tq.tag_id AND t.kind = 'benchmark'
    {join}
    WHERE c.stage_id = %(stage)s AND a.day >= %(since)s AND c.held = %(false)s
) tagged
GROUP BY stage_id, day, district_id, key_group, code
"""

_PEOPLE_SQL = """
INSERT INTO report_literacypeople (stage_id, district_id, key_group, kind, code, people)
SELECT c.stage_id, c.district_id, c.key_group, %(kind)s, {code}, COUNT(DISTINCT c.id)
FROM online_answer ans
JOIN online_attempt a ON a.id = ans.attempt_id
JOIN online_contestant c ON c.id = a.contestant_id
JOIN questionbank_taggedquestion tq ON tq.content_object_id = ans.question_id
JOIN questionbank_tag t ON t.id = tq.tag_id AND t.kind = 'benchmark'
{join}
WHERE c.stage_id = %(stage)s AND c.held = %(false)s
GROUP BY c.stage_id, c.district_id, c.key_group, {code}
"""

# Everyone who answered anything: the people behind a district's or a group's pooled share.
_PEOPLE_ALL_SQL = """
INSERT INTO report_literacypeople (stage_id, district_id, key_group, kind, code, people)
SELECT c.stage_id, c.district_id, c.key_group, 'all', '', COUNT(DISTINCT c.id)
FROM online_answer ans
JOIN online_attempt a ON a.id = ans.attempt_id
JOIN online_contestant c ON c.id = a.contestant_id
WHERE c.stage_id = %(stage)s AND c.held = %(false)s
GROUP BY c.stage_id, c.district_id, c.key_group
"""

_DOMAIN_JOIN = "JOIN questionbank_tag d ON d.id = t.parent_id AND d.kind = 'domain'"


def _age_band_sql(year: int) -> str:
    """``engine.age_band`` as SQL over ``c.birth_year``, for the stage's ``year`` (an int from the row)."""
    bands = age_bands()
    whens = [f"WHEN c.birth_year IS NULL OR c.birth_year > {int(year)} THEN '{UNKNOWN_AGE}'"]
    whens += [
        f"WHEN {int(year)} - c.birth_year < {start} THEN '{bands[i]}'" for i, start in enumerate(AGE_STARTS)
    ]
    return f"(CASE {' '.join(whens)} ELSE '{bands[len(AGE_STARTS)]}' END)"


def _kinds(stage: OnlineStage) -> dict[str, tuple[str, str]]:
    """Each kind of literacy row: the SQL of its code, and the join that code needs."""
    return {
        LiteracyCell.Kind.BENCHMARK: ("t.code", ""),
        LiteracyCell.Kind.DOMAIN: ("d.code", _DOMAIN_JOIN),
        LiteracyCell.Kind.AGE: (f"{_age_band_sql(stage.opens_on.year)} || '/' || d.code", _DOMAIN_JOIN),
    }


EPOCH = date(2000, 1, 1)


@dataclass(frozen=True, slots=True)
class Refreshed:
    stage_id: int
    since: date  # the first day recomputed
    full: bool
    took_ms: int


def report_refresh(*, stage: OnlineStage, full: bool = False, now: datetime | None = None) -> Refreshed:
    """Bring one stage's summaries up to date (see the module's docstring). Safe to run at any time and
    in several processes: the stage's refresh row is locked for the transaction."""
    now = now or timezone.now()
    started = time.perf_counter()
    with transaction.atomic():
        state, _ = RefreshState.objects.get_or_create(stage=stage)
        state = RefreshState.objects.select_for_update().get(pk=state.pk)
        full = full or state.full_at is None
        newest = Answer.objects.aggregate(top=Max("id"))["top"] or 0
        since = _since(stage, state, full=full, today=timezone.localdate(now))
        _answers(stage, since)
        if full:
            _people(stage)
        _groups(stage)
        _weeks(stage)
        took = round((time.perf_counter() - started) * 1000)
        state.answer_id = newest
        state.refreshed_at = now
        if full:
            state.full_at = now
        state.took_ms = took
        state.save()
    return Refreshed(stage.pk, since, full, took)


def _since(stage: OnlineStage, state: RefreshState, *, full: bool, today: date) -> date:
    if full:
        return EPOCH
    earliest = Answer.objects.filter(id__gt=state.answer_id, attempt__contestant__stage=stage).aggregate(
        day=Min("attempt__day")
    )["day"]
    yesterday = today - timedelta(days=1)
    return min(earliest, yesterday) if earliest else yesterday


def _answers(stage: OnlineStage, since: date) -> None:
    LiteracyCell.objects.filter(stage=stage, day__gte=since).delete()
    ItemCell.objects.filter(stage=stage, day__gte=since).delete()
    with connection.cursor() as cursor:
        for kind, (code, join) in _kinds(stage).items():
            cursor.execute(
                _LITERACY_SQL.format(code=code, join=join),
                {"kind": str(kind), "stage": stage.pk, "since": since, "false": False},
            )
    # Items: one row per day, division, question and set of options picked, folded into the option counts.
    rows = (
        Answer.objects.filter(attempt__contestant__stage=stage, attempt__day__gte=since)
        .filter(attempt__contestant__held=False)
        .values("attempt__day", "attempt__contestant__division", "question", "choices")
        .annotate(n=Count("id"), right=Count("id", filter=Q(correct=True)))
        .order_by()
    )
    cells: dict[tuple, dict] = {}
    for row in rows.iterator(chunk_size=5000):
        key = (row["attempt__day"], row["attempt__contestant__division"], row["question"])
        cell = cells.setdefault(key, {"correct": 0, "answered": 0, "picks": defaultdict(int)})
        cell["answered"] += row["n"]
        cell["correct"] += int(row["right"] or 0)
        for option in row["choices"] or []:
            cell["picks"][str(option)] += row["n"]
    ItemCell.objects.bulk_create(
        [
            ItemCell(
                stage=stage,
                day=day,
                division_id=division,
                question_id=question,
                correct=c["correct"],
                answered=c["answered"],
                picks=dict(c["picks"]),
            )
            for (day, division, question), c in cells.items()
        ],
        batch_size=2000,
    )


def _people(stage: OnlineStage) -> None:
    LiteracyPeople.objects.filter(stage=stage).delete()
    with connection.cursor() as cursor:
        for kind, (code, join) in _kinds(stage).items():
            cursor.execute(
                _PEOPLE_SQL.format(code=code, join=join),
                {"kind": str(kind), "stage": stage.pk, "false": False},
            )
        cursor.execute(_PEOPLE_ALL_SQL, {"stage": stage.pk, "false": False})


def _groups(stage: OnlineStage) -> None:
    completed_days = parse_rules(stage.rules).completed_days
    cells: dict[tuple[int, str], GroupCell] = {}

    def cell(district: int, group: str) -> GroupCell:
        key = (district, group)
        if key not in cells:
            cells[key] = GroupCell(stage=stage, district_id=district, key_group=group, bins={})
        return cells[key]

    counts = (
        Contestant.objects.filter(stage=stage)
        .values("district", "key_group")
        .annotate(
            registered=Count("id"),
            active=Count("id", filter=Q(answered__gt=0)),
            completed=Count("id", filter=Q(daily_days__gte=completed_days)),
        )
        .order_by()
    )
    for row in counts:
        c = cell(row["district"], row["key_group"])
        c.registered, c.active, c.completed = row["registered"], row["active"], row["completed"]
    qualifiers = (
        Qualifier.objects.filter(run__stage=stage)
        .values("contestant__district", "contestant__key_group")
        .annotate(
            qualified=Count("contestant", distinct=True),
            finalists=Count("contestant", distinct=True, filter=Q(status=Qualifier.Status.ACCEPTED)),
        )
        .order_by()
    )
    for row in qualifiers:
        c = cell(row["contestant__district"], row["contestant__key_group"])
        c.qualified, c.finalists = row["qualified"], row["finalists"]
    # Each contestant's latest finished self-test.
    latest: dict[int, tuple] = {}
    tests = (
        Attempt.objects.filter(contestant__stage=stage, mode=Mode.SELFTEST, finished_at__isnull=False)
        .values_list(
            "contestant_id", "finished_at", "contestant__district", "contestant__key_group", "result"
        )
        .order_by()
    )
    for contestant, finished, district, group, result in tests.iterator(chunk_size=5000):
        if contestant not in latest or finished > latest[contestant][0]:
            latest[contestant] = (finished, district, group, result)
    for _finished, district, group, result in latest.values():
        total, dims = _profile(result)
        if total is None:
            continue
        c = cell(district, group)
        c.selftests += 1
        over_total, composite = profile_over(total, dims, SELFTEST_RULE)
        c.over_total += over_total
        c.over_composite += composite
        _count_bin(c.bins, "total", total, 100.0)
        for name, (score, weight) in dims.items():
            if weight:
                _count_bin(c.bins, name, 100.0 * score / weight, 100.0)
    GroupCell.objects.filter(stage=stage).delete()
    GroupCell.objects.bulk_create(cells.values(), batch_size=2000)


def _profile(result) -> tuple[float | None, dict[str, tuple[float, float]]]:
    """The total and (score, weight) per dimension of a stored self-test result; None if unreadable."""
    try:
        total = float(result["total"])
        dims = {d["name"]: (float(d["score"]), float(d["weight"])) for d in result["dimensions"]}
    except (KeyError, TypeError, ValueError):
        return None, {}
    if not 0 <= total <= 100 or not set(dims) <= set(DIMENSIONS):
        return None, {}
    return total, dims


def _count_bin(bins: dict, name: str, score: float, top: float) -> None:
    index = str(score_bin(min(max(score, 0.0), top), top=top))
    counts = bins.setdefault(name, {})
    counts[index] = counts.get(index, 0) + 1


def _weeks(stage: OnlineStage) -> None:
    cells: dict[tuple, WeekCell] = {}

    def cell(week: date, district: int, group: str) -> WeekCell:
        key = (week, district, group)
        if key not in cells:
            cells[key] = WeekCell(stage=stage, week=week, district_id=district, key_group=group)
        return cells[key]

    registered = (
        Contestant.objects.filter(stage=stage)
        .annotate(on=TruncDate("registered_at"))
        .values("on", "district", "key_group")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in registered:
        cell(week_of(row["on"]), row["district"], row["key_group"]).registered += row["n"]
    active = (
        Attempt.objects.filter(contestant__stage=stage)
        .annotate(week=TruncWeek("day"))
        .values("week", "contestant__district", "contestant__key_group")
        .annotate(n=Count("contestant", distinct=True))
        .order_by()
    )
    for row in active:
        week = row["week"].date() if isinstance(row["week"], datetime) else row["week"]
        cell(week, row["contestant__district"], row["contestant__key_group"]).active = row["n"]
    WeekCell.objects.filter(stage=stage).delete()
    WeekCell.objects.bulk_create(cells.values(), batch_size=2000)
