"""A demo season for the literacy report: many contestants written in bulk, with patterns to find.

Contestants register over the stage's weeks (more each week), across every district of the three
divisions and the six key groups, and answer daily sets of the bank's benchmark-tagged questions. The
chance of a right answer is a logistic function of the contestant's ability, a district effect, a key
group effect and the question's difficulty, so districts, groups and benchmarks differ; a wrong answer
goes to one "popular" distractor per question most of the time, so misconceptions show. About 40% take
the self-test; about four in five give a year of birth (ages by key group; past 45, a little behind).
Written with bulk inserts (not through the services: no points, boards or fair-play checks are kept for
these contestants); the mobile numbers start with 199 (a range the demo keeps for itself) and running the
command again replaces them.

The same generator builds the full-size season of the benchmark (``bench/report.py``).
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import connection, transaction
from django.utils import timezone

from competition.models import District
from competition.online.models import Answer, Attempt, Contestant, Mode, OnlineStage
from questionbank.models import Question, Tag

PREFIX = "199"
GROUP_EFFECT = {
    "youth": 0.35,
    "farmer": -0.55,
    "worker": -0.15,
    "senior": -0.45,
    "official": 0.45,
    "other": 0.0,
}
GROUP_SHARE = {"youth": 0.30, "farmer": 0.15, "worker": 0.18, "senior": 0.12, "official": 0.10, "other": 0.15}
DIMENSIONS = (("knowledge", 40, 8), ("method", 20, 4), ("spirit", 20, 4), ("application", 20, 4))
# Ages by key group (youngest, oldest); about one in five gives no year of birth.
GROUP_AGES = {
    "youth": (12, 28),
    "farmer": (25, 70),
    "worker": (20, 60),
    "senior": (60, 85),
    "official": (25, 60),
    "other": (16, 75),
}
NO_BIRTH_YEAR = 0.2


def _birth_year(rng: random.Random, group: str, year: int) -> int | None:
    if rng.random() < NO_BIRTH_YEAR:
        return None
    youngest, oldest = GROUP_AGES[group]
    return year - rng.randint(youngest, oldest)


def _age_effect(birth_year: int | None, year: int) -> float:
    """Older contestants a little behind, past 45: a pattern for the age bands to show."""
    if birth_year is None:
        return 0.0
    return -0.015 * max(0, year - birth_year - 45)


@dataclass(frozen=True)
class Made:
    contestants: int
    attempts: int
    answers: int


def _logistic(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def demo_season(
    *,
    stage: OnlineStage,
    citizens: int,
    answers_each: int = 10,
    seed: int = 2026,
    batch: int = 5000,
    progress: Callable[[str], None] | None = None,
) -> Made:
    """Replace the stage's demo contestants (mobile 199...) with ``citizens`` new ones who answered about
    ``answers_each`` questions each in daily sets of 5."""
    rng = random.Random(seed)
    districts = list(
        District.objects.filter(division__competition=stage.competition).select_related("division")
    )
    if not districts:
        raise ValueError("the stage's competition has no districts: seed the divisions first")
    benchmark_ids = set(Tag.objects.filter(kind="benchmark").values_list("pk", flat=True))
    questions = [
        q
        for q in Question.objects.filter(status="approved", tags__in=benchmark_ids)
        .distinct()
        .only("id", "choices", "correct", "difficulty")
        if q.choices and q.correct and len(set(q.correct)) < len(q.choices)
    ]
    if not questions:
        raise ValueError("no approved benchmark-tagged questions: load the demo bank first")
    district_effect = {d.pk: rng.gauss(0, 0.35) for d in districts}
    # A few districts clearly behind, so "furthest below the average" has something to name.
    for d in rng.sample(districts, k=max(1, len(districts) // 8)):
        district_effect[d.pk] -= 0.6
    difficulty = {q.pk: rng.gauss(0, 0.8) + 0.25 * ((q.difficulty or 3) - 3) for q in questions}
    lure = {q.pk: rng.choice([i for i in range(len(q.choices)) if i not in q.correct]) for q in questions}
    groups = list(GROUP_SHARE)
    weights = [GROUP_SHARE[g] for g in groups]
    opens = datetime.combine(stage.opens_on, time(8), tzinfo=timezone.get_current_timezone())
    days = max((min(stage.closes_on, timezone.localdate()) - stage.opens_on).days, 1)

    say = progress or (lambda _m: None)
    with transaction.atomic():
        old = Contestant.objects.filter(stage=stage, mobile__startswith=PREFIX)
        Answer.objects.filter(attempt__contestant__in=old).delete()
        Attempt.objects.filter(contestant__in=old).delete()
        old.delete()
    made_attempts = made_answers = 0
    for start in range(0, citizens, batch):
        count = min(batch, citizens - start)
        rows = []
        for n in range(start, start + count):
            district = districts[rng.randrange(len(districts))]
            group = rng.choices(groups, weights)[0]
            # registrations grow over the weeks: later days more likely
            day = min(int(days * math.sqrt(rng.random())), days - 1)
            rows.append(
                Contestant(
                    stage=stage,
                    name=f"演示{n}",
                    display_name=f"演示{n}",
                    mobile=f"{PREFIX}{n:08d}",
                    division=district.division,
                    district=district,
                    key_group=group,
                    birth_year=_birth_year(rng, group, stage.opens_on.year),
                    consent_at=opens + timedelta(days=day),
                    privacy_version=stage.privacy_version,
                    registered_at=opens + timedelta(days=day, minutes=rng.randrange(600)),
                )
            )
        with transaction.atomic():
            contestants = Contestant.objects.bulk_create(rows, batch_size=2000)
            if connection.vendor != "postgresql":  # SQLite returns no ids from bulk_create on old versions
                contestants = list(
                    Contestant.objects.filter(stage=stage, mobile__in=[c.mobile for c in rows]).order_by("id")
                )
            attempts, answers = _play(
                rng, stage, contestants, questions, difficulty, lure, district_effect, answers_each, days
            )
            made_attempts += attempts
            made_answers += answers
        say(f"{start + count} contestants, {made_answers} answers")
    if (
        connection.vendor == "postgresql"
    ):  # fresh statistics, or the planner still thinks the tables are empty
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE online_contestant, online_attempt, online_answer")
    return Made(citizens, made_attempts, made_answers)


def _play(rng, stage, contestants, questions, difficulty, lure, district_effect, answers_each, days):
    attempts: list[Attempt] = []
    plans: list[list[tuple[Question, bool, int]]] = []
    touched = []
    today = timezone.localdate()
    for c in contestants:
        ability = (
            rng.gauss(0.4, 0.8)
            + district_effect[c.district_id]
            + GROUP_EFFECT[c.key_group]
            + _age_effect(c.birth_year, stage.opens_on.year)
        )
        registered_day = timezone.localdate(c.registered_at)
        remaining = max((min(stage.closes_on, today) - registered_day).days, 1)
        sets = max(0, round(rng.gauss(answers_each / 5, 0.8)))
        if rng.random() < 0.12:
            sets = 0  # registered, never played
        right_total = answered_total = daily_days = 0
        played = sorted({min(k * max(remaining // max(sets, 1), 1), remaining - 1) for k in range(sets)})
        for offset in played:  # one daily set a day
            day = registered_day + timedelta(days=offset)
            drawn = rng.sample(questions, 5)
            plan = []
            for q in drawn:
                right = rng.random() < _logistic(ability - difficulty[q.pk])
                pick = list(q.correct) if right else [lure[q.pk] if rng.random() < 0.7 else _other(rng, q)]
                plan.append((q, right, pick))
            started = datetime.combine(day, time(12), tzinfo=timezone.get_current_timezone())
            attempts.append(
                Attempt(
                    contestant=c,
                    mode=Mode.DAILY,
                    day=day,
                    question_ids=[q.pk for q, _r, _p in plan],
                    position=5,
                    started_at=started,
                    finished_at=started + timedelta(minutes=2),
                    outcome="done",
                    correct=sum(r for _q, r, _p in plan),
                    answered=5,
                )
            )
            plans.append(plan)
            right_total += attempts[-1].correct
            answered_total += 5
            daily_days += 1
        if sets and rng.random() < 0.4:
            attempts.append(_selftest(rng, c, ability, registered_day + timedelta(days=remaining - 1)))
            plans.append([])
        c.correct, c.answered, c.daily_days = right_total, answered_total, daily_days
        c.points = 10 * right_total
        c.last_active_on = registered_day if sets else None
        touched.append(c)
    Contestant.objects.bulk_update(
        touched, ["correct", "answered", "daily_days", "points", "last_active_on"], batch_size=2000
    )
    created = Attempt.objects.bulk_create(attempts, batch_size=2000)
    answers = []
    for attempt, plan in zip(created, plans, strict=True):
        for position, (q, right, pick) in enumerate(plan):
            answers.append(
                Answer(
                    attempt_id=attempt.pk,
                    position=position,
                    question_id=q.pk,
                    choices=pick,
                    correct=right,
                    received_at=attempt.started_at + timedelta(seconds=10 * (position + 1)),
                    elapsed_ms=rng.randint(3500, 15000),
                    submission=uuid.uuid4(),
                )
            )
    Answer.objects.bulk_create(answers, batch_size=5000)
    return len(created), len(answers)


def _other(rng, q) -> int:
    return rng.choice([i for i in range(len(q.choices)) if i not in q.correct])


def _selftest(rng, contestant, ability, day) -> Attempt:
    dims = []
    for name, weight, count in DIMENSIONS:
        shift = {"knowledge": 0.2, "method": -0.3, "spirit": 0.1, "application": 0.0}[name]
        right = sum(rng.random() < _logistic(ability + shift) for _ in range(count))
        dims.append(
            {
                "name": name,
                "weight": weight,
                "asked": count,
                "correct": right,
                "score": round(weight * right / count, 1),
            }
        )
    total = round(sum(d["score"] for d in dims), 1)
    started = datetime.combine(day, time(20), tzinfo=timezone.get_current_timezone())
    return Attempt(
        contestant=contestant,
        mode=Mode.SELFTEST,
        day=day,
        question_ids=[],
        started_at=started,
        finished_at=started + timedelta(minutes=6),
        outcome="done",
        result={"total": total, "dimensions": dims},
    )
