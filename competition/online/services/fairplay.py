"""Fair play: flags for scripted play, with their evidence, and the organiser's decision.

Signs (thresholds are the stage's ``fairplay`` rules, the judgement is ``engine.fairplay``):

- ``too_fast``: of the contestant's last answers, the share given faster than a person can read the
  stem (a floor plus time per character) reaches ``fast_share``.
- ``same_answers``: another account finished an attempt with the same questions, the same choices and
  the same timings (rounded to half a second): the attempt's fingerprint.
- ``shared_device``: more than ``max_accounts_per_device`` accounts signed in from one browser.

A flag holds the contestant out of qualification (``Contestant.held``) until an organiser clears it;
upholding it keeps them out. Each decision records who, when and why.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Length
from django.utils import timezone

from competition.online.engine import fairplay as rules_engine
from competition.online.engine.rules import parse_rules
from competition.online.errors import OnlineError
from competition.online.models import Answer, Attempt, Contestant, Device, Flag

RECENT_ANSWERS = 50


def attempt_fingerprint(attempt: Attempt) -> str:
    answers = list(attempt.answers.order_by("position").values_list("question_id", "choices", "elapsed_ms"))
    if len(answers) < 2:
        return ""
    return rules_engine.fingerprint(answers)


def flag_raise(*, contestant_id: int, kind: str, evidence: dict, now: datetime | None = None) -> bool:
    """Open a flag (one open flag per kind and contestant) and hold the contestant. True if new."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            Flag.objects.create(contestant_id=contestant_id, kind=kind, evidence=evidence, created_at=now)
            Contestant.objects.filter(pk=contestant_id).update(held=True)
    except IntegrityError:
        return False
    return True


def check_fast(contestant: Contestant) -> bool:
    rules = parse_rules(contestant.stage.rules).fairplay
    rows = list(
        Answer.objects.filter(attempt__contestant=contestant)
        .order_by("-received_at")
        .annotate(chars=Length("question__stem"))
        .values_list("chars", "elapsed_ms", "question_id")[:RECENT_ANSWERS]
    )
    verdict = rules_engine.fast_answers(((c, e) for c, e, _ in rows), rules)
    if not verdict.flagged:
        return False
    evidence = {
        "answers": verdict.answers,
        "fast": verdict.fast,
        "samples": [
            {"question": q, "stem_chars": c, "elapsed_ms": e, "reading_ms": rules_engine.reading_ms(c, rules)}
            for c, e, q in rows[:10]
        ],
    }
    return flag_raise(contestant_id=contestant.pk, kind=Flag.Kind.TOO_FAST, evidence=evidence)


def check_same_answers(attempt: Attempt) -> bool:
    if not attempt.fingerprint:
        return False
    contestant = attempt.contestant
    rules = parse_rules(contestant.stage.rules).fairplay
    if attempt.answered < rules.same_answers_min:
        return False
    twins = list(
        Attempt.objects.filter(fingerprint=attempt.fingerprint, contestant__stage_id=contestant.stage_id)
        .exclude(contestant=contestant)
        .values_list("pk", "contestant_id")[:20]
    )
    if not twins:
        return False
    accounts = sorted({contestant.pk, *(c for _, c in twins)})
    evidence = {
        "fingerprint": attempt.fingerprint,
        "attempts": sorted({attempt.pk, *(a for a, _ in twins)}),
        "accounts": accounts,
        "answers": attempt.answered,
    }
    raised = False
    for contestant_id in accounts:
        raised |= flag_raise(contestant_id=contestant_id, kind=Flag.Kind.SAME_ANSWERS, evidence=evidence)
    return raised


def check_device(*, contestant: Contestant, device: str) -> bool:
    rules = parse_rules(contestant.stage.rules).fairplay
    accounts = list(
        Device.objects.filter(device=device, contestant__stage_id=contestant.stage_id)
        .order_by("contestant_id")
        .values_list("contestant_id", flat=True)
    )
    if not rules_engine.too_many_accounts(len(accounts), rules):
        return False
    evidence = {"device": device[:8] + "…", "accounts": accounts, "limit": rules.max_accounts_per_device}
    raised = False
    for contestant_id in accounts:
        raised |= flag_raise(contestant_id=contestant_id, kind=Flag.Kind.SHARED_DEVICE, evidence=evidence)
    return raised


def after_attempt(*, attempt_id: int) -> None:
    """Run after a finished attempt commits: the speed and same-answers checks."""
    attempt = Attempt.objects.select_related("contestant__stage").filter(pk=attempt_id).first()
    if attempt is None:
        return
    check_fast(attempt.contestant)
    check_same_answers(attempt)


@transaction.atomic
def flag_decide(*, flag: Flag, actor, decision: str, reason: str, now: datetime | None = None) -> Flag:
    """Clear or uphold an open flag, with the reason. The contestant is held while any flag is open or
    upheld."""
    now = now or timezone.now()
    if decision not in (Flag.Status.CLEARED, Flag.Status.UPHELD):
        raise OnlineError("invalid_field", "decision must be cleared or upheld")
    if not reason.strip():
        raise OnlineError("invalid_field", "a reason is required")
    locked = Flag.objects.select_for_update().get(pk=flag.pk)
    if locked.status != Flag.Status.OPEN:
        raise OnlineError("flag_decided", "this flag has already been decided")
    locked.status, locked.decided_by, locked.decided_at, locked.reason = decision, actor, now, reason.strip()
    locked.save(update_fields=["status", "decided_by", "decided_at", "reason"])
    still = Flag.objects.filter(contestant_id=locked.contestant_id).filter(
        Q(status=Flag.Status.OPEN) | Q(status=Flag.Status.UPHELD)
    )
    Contestant.objects.filter(pk=locked.contestant_id).update(held=still.exists())
    return locked
