"""Reads for the online pages: the contestant's dashboard, results, and the boards.

Boards sort by the tie chain (``engine.scoring.season_order``: points, correct answers, time, earlier
registration, id) on the contestant's running figures, with an index per board (models.py); the
aggregate tables (per district, unit, key group) are one GROUP BY each.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from competition.models import District, Division
from competition.online.engine.rules import parse_rules
from competition.online.models import Attempt, Contestant, KeyGroup, Mode, OnlineStage, Qualifier
from competition.online.services.attempts import Served, local_day, rules_of
from competition.online.svg import profile_chart

ORDER = ("-points", "-correct", "answer_ms", "registered_at", "id")
BOARD_SIZE = 100


def rank_of(contestant: Contestant) -> int:
    """1 + how many are ahead in the tie chain."""
    c = contestant
    ahead = Contestant.objects.filter(stage_id=c.stage_id).filter(
        Q(points__gt=c.points)
        | Q(points=c.points, correct__gt=c.correct)
        | Q(points=c.points, correct=c.correct, answer_ms__lt=c.answer_ms)
        | Q(points=c.points, correct=c.correct, answer_ms=c.answer_ms, registered_at__lt=c.registered_at)
        | Q(
            points=c.points,
            correct=c.correct,
            answer_ms=c.answer_ms,
            registered_at=c.registered_at,
            id__lt=c.id,
        )
    )
    return ahead.count() + 1


def dashboard(contestant: Contestant) -> dict[str, Any]:
    rules = rules_of(contestant.stage)
    today = local_day(timezone.now())
    mine = contestant.attempts.all()
    daily = mine.filter(mode=Mode.DAILY, day=today).first()
    challenges_today = mine.filter(mode=Mode.CHALLENGE, day=today).count()
    running_challenge = mine.filter(mode=Mode.CHALLENGE, finished_at__isnull=True).first()
    selftest = mine.filter(mode=Mode.SELFTEST).order_by("-started_at").first()
    return {
        "rules": rules,
        "today": today,
        "daily": daily,
        "challenges_left": max(rules.challenge.daily_attempts - challenges_today, 0),
        "running_challenge": running_challenge,
        "selftest": selftest,
        "selftests_left": max(rules.selftest.attempts - mine.filter(mode=Mode.SELFTEST).count(), 0),
        "rank": rank_of(contestant),
        "invitations": list(
            Qualifier.objects.filter(contestant=contestant, status=Qualifier.Status.INVITED).select_related(
                "district"
            )
        ),
    }


def attempt_summary(attempt: Attempt) -> dict[str, Any]:
    rules = rules_of(attempt.contestant.stage)
    missed = []
    if attempt.mode == Mode.SELFTEST:
        for answer in attempt.answers.select_related("question").filter(correct=False).order_by("position"):
            missed.append(answer)
    context: dict[str, Any] = {"attempt": attempt, "rules": rules, "missed": missed}
    if attempt.mode == Mode.SELFTEST and attempt.result:
        context["chart"] = profile_chart(attempt.result)
    return context


def served_json(served: Served) -> dict[str, Any]:
    """A served question for a script: never the key or the explanation."""
    q = served.question
    return {
        "attempt": served.attempt.pk,
        "position": served.position,
        "count": len(served.attempt.question_ids),
        "submission": served.submission,
        "question": {"id": q.pk, "kind": q.kind, "stem": q.stem, "choices": q.choices},
        "remaining_ms": served.remaining_ms,
    }


def _public(rows: QuerySet[Contestant]) -> list[dict[str, Any]]:
    """Only what a public board may show: display name, district, figures."""
    return [
        {
            "rank": n,
            "name": r["display_name"],
            "district": r["district__name"],
            "points": r["points"],
            "correct": r["correct"],
        }
        for n, r in enumerate(
            rows.order_by(*ORDER).values("display_name", "district__name", "points", "correct")[:BOARD_SIZE],
            start=1,
        )
    ]


def board(stage: OnlineStage, *, by: str = "all", key: str = "") -> list[dict[str, Any]]:
    """The top of the individual board, overall or within a division, district, unit or key group."""
    rows = Contestant.objects.filter(stage=stage)
    if by == "division" and key.isdigit():
        rows = rows.filter(division_id=int(key))
    elif by == "district" and key.isdigit():
        rows = rows.filter(district_id=int(key))
    elif by == "group" and key in KeyGroup.values:
        rows = rows.filter(key_group=key)
    elif by == "unit" and key:
        rows = rows.filter(unit=key)
    return _public(rows)


def participation(stage: OnlineStage, *, by: str) -> list[dict[str, Any]]:
    """Registered, active (answered at least once) and completed (``participation.completed_days``
    daily sets done) contestants and their points, per district, division, key group or unit."""
    completed_days = parse_rules(stage.rules).completed_days
    field = {"district": "district", "division": "division", "group": "key_group", "unit": "unit"}[by]
    rows = (
        Contestant.objects.filter(stage=stage)
        .order_by()
        .values(field)
        .annotate(
            registered=Count("id"),
            active=Count("id", filter=Q(answered__gt=0)),
            completed=Count("id", filter=Q(daily_days__gte=completed_days)),
            points=Sum("points"),
        )
    )
    if by == "unit":
        rows = rows.exclude(unit="").order_by("-completed", "-active", "-registered")[:BOARD_SIZE]
    names: dict[Any, str] = {}
    if by == "district":
        names = {d.pk: f"{d.division.name} · {d.name}" for d in District.objects.select_related("division")}
    elif by == "division":
        names = dict(Division.objects.filter(competition_id=stage.competition_id).values_list("pk", "name"))
    elif by == "group":
        names = {k: str(v) for k, v in KeyGroup.choices}
    out = []
    for row in rows:
        value = row[field]
        registered = row["registered"]
        out.append(
            {
                "key": value,
                "name": names.get(value, value),
                "registered": registered,
                "active": row["active"],
                "completed": row["completed"],
                "points": row["points"] or 0,
                "active_rate": round(100 * row["active"] / registered, 1) if registered else 0.0,
                "completed_rate": round(100 * row["completed"] / registered, 1) if registered else 0.0,
            }
        )
    if by != "unit":
        out.sort(key=lambda r: (-r["completed_rate"], -r["active_rate"], -r["registered"]))
    return out


def board_page(stage: OnlineStage, *, by: str, key: str) -> dict[str, Any]:
    by = by if by in ("all", "division", "district", "group", "unit") else "all"
    divisions = Division.objects.filter(competition_id=stage.competition_id).prefetch_related("districts")
    return {
        "by": by,
        "key": key,
        "rows": board(stage, by=by, key=key),
        "divisions": divisions,
        "groups": KeyGroup.choices,
        "districts_table": participation(stage, by="district") if by == "all" else [],
    }
