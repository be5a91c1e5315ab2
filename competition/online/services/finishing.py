"""An attempt that ends: scored by the mode's rules, and the contestant's running figures updated with it.

Every way an attempt ends (its last answer, the challenge's wrong answer or deadline, a daily set left
from an earlier day) comes here, inside the transaction that locked the attempt, so the figures move
once per attempt.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from competition.online.engine import scoring
from competition.online.engine.rules import Rules, parse_rules
from competition.online.models import Attempt, Contestant, Mode, OnlineStage
from competition.online.services import fairplay


def local_day(now: datetime):
    """The contestant's calendar day of ``now`` (the competition's time zone): daily sets and streaks."""
    return timezone.localdate(now)


def rules_of(stage: OnlineStage) -> Rules:
    return parse_rules(stage.rules)


def attempt_finish(attempt: Attempt, *, outcome: str, now: datetime) -> None:
    """Call inside transaction.atomic() with the attempt locked: score it, update the contestant."""
    contestant = Contestant.objects.select_for_update().get(pk=attempt.contestant_id)
    rules = rules_of(contestant.stage)
    points = rules.points
    attempt.outcome = outcome
    attempt.finished_at = now
    if attempt.mode == Mode.DAILY:
        if attempt.answered:
            contestant.streak = scoring.streak_after(
                last_day=contestant.last_daily_on, streak=contestant.streak, today=attempt.day
            )
            contestant.best_streak = max(contestant.best_streak, contestant.streak)
            contestant.last_daily_on = attempt.day
        if outcome == "completed":
            contestant.daily_days += 1
        attempt.points = scoring.daily_points(
            correct=attempt.correct,
            count=len(attempt.question_ids),
            answered=attempt.answered,
            streak=contestant.streak,
            points=points,
        )
    elif attempt.mode == Mode.CHALLENGE:
        used = int(
            ((min(now, attempt.deadline) if attempt.deadline else now) - attempt.started_at).total_seconds()
            * 1000
        )
        success = scoring.challenge_success(attempt.correct, rules.challenge.success_at)
        attempt.result = {"success": success, "used_ms": used}
        attempt.points = points["challenge_success"] if success else 0
        contestant.challenge_successes += 1 if success else 0
        best = (
            (contestant.challenge_best, contestant.challenge_best_ms) if contestant.challenge_best else None
        )
        if attempt.correct and scoring.challenge_better(best=best, result=(attempt.correct, used)):
            contestant.challenge_best, contestant.challenge_best_ms = attempt.correct, used
    elif attempt.mode == Mode.THEMED:
        attempt.points = attempt.correct * points["themed_correct"]
    elif attempt.mode == Mode.SELFTEST:
        right = dict(attempt.answers.values_list("position", "correct"))
        profile = scoring.selftest_profile(
            rules.selftest.dimensions,
            [(name, right.get(i, False)) for i, name in enumerate(attempt.dimensions)],
        )
        attempt.result = profile.as_dict()
        attempt.points = scoring.selftest_points(profile.total, points)
        contestant.selftest_score = profile.total
    attempt.fingerprint = fairplay.attempt_fingerprint(attempt)
    attempt.save()
    contestant.points += attempt.points
    contestant.correct += attempt.correct
    contestant.answered += attempt.answered
    contestant.answer_ms += attempt.answer_ms
    contestant.last_active_on = local_day(now)
    contestant.save()
    transaction.on_commit(lambda: fairplay.after_attempt(attempt_id=attempt.pk))
