"""Registration, one-time codes, sign-in, and a contestant's own data (download, deletion)."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from competition.models import District
from competition.online.engine import identity
from competition.online.engine.rules import parse_rules
from competition.online.errors import OnlineError
from competition.online.models import Contestant, Device, OnlineStage, SignInCode
from competition.online.sms import SmsError, sms_backend

RESEND_AFTER = timedelta(seconds=60)


def _digest(stage: OnlineStage, mobile: str, code: str) -> str:
    return salted_hmac("online.signin-code", f"{stage.pk}:{mobile}:{code}", algorithm="sha256").hexdigest()


def mobile_valid(text: str) -> str:
    mobile = identity.normalise_mobile(text)
    if mobile is None:
        raise OnlineError("mobile_invalid", "not a mainland mobile number")
    return mobile


def code_send(*, stage: OnlineStage, mobile: str, address: str | None, now: datetime | None = None) -> None:
    """Send a new one-time code to ``mobile``. Refused (``code_rate_limited`` with ``retry_after_s``)
    within a minute of the last one, or past the hourly limits per number and per address."""
    now = now or timezone.now()
    limits = parse_rules(stage.rules).limits
    hour = now - timedelta(hours=1)
    recent = SignInCode.objects.filter(stage=stage, mobile=mobile, created_at__gte=hour)
    last = recent.order_by("-created_at").values_list("created_at", flat=True).first()
    if last is not None and now - last < RESEND_AFTER:
        wait = int((RESEND_AFTER - (now - last)).total_seconds()) + 1
        raise OnlineError("code_rate_limited", "a code was sent less than a minute ago", retry_after_s=wait)
    if recent.count() >= limits["codes_per_hour_per_mobile"] or (
        address
        and SignInCode.objects.filter(address=address, created_at__gte=hour).count()
        >= limits["codes_per_hour_per_address"]
    ):
        raise OnlineError("code_rate_limited", "too many codes this hour", retry_after_s=3600)
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        row = SignInCode.objects.create(
            stage=stage,
            mobile=mobile,
            digest=_digest(stage, mobile, code),
            created_at=now,
            expires_at=now + identity.CODE_TTL,
            address=address,
        )
    text = _("Your Jingjinji Quiz sign-in code is %(code)s. It expires in 5 minutes.") % {"code": code}
    try:
        sms_backend().send(mobile, text)
    except SmsError:
        row.delete()
        raise OnlineError("sms_failed", "the SMS provider did not take the message") from None


def code_check(*, stage: OnlineStage, mobile: str, code: str, now: datetime | None = None) -> None:
    """Use up the latest code sent to ``mobile`` if ``code`` is it. Refusals: ``code_invalid`` (wrong, or
    none sent), ``code_expired``, ``code_used``, ``code_tries`` (five wrong tries)."""
    now = now or timezone.now()
    row = SignInCode.objects.filter(stage=stage, mobile=mobile).order_by("-created_at").first()
    if row is None:
        raise OnlineError("code_invalid", "no code was sent to this number")
    state = identity.code_state(expires_at=row.expires_at, used_at=row.used_at, tries=row.tries, now=now)
    if state == "used":
        raise OnlineError("code_used", "this code has been used; ask for a new one")
    if state == "expired":
        raise OnlineError("code_expired", "this code has expired; ask for a new one")
    if state == "too_many_tries":
        raise OnlineError("code_tries", "too many wrong codes; ask for a new one")
    if not hmac.compare_digest(row.digest, _digest(stage, mobile, code.strip())):
        SignInCode.objects.filter(pk=row.pk).update(tries=F("tries") + 1)
        raise OnlineError("code_invalid", "wrong code")
    # Single use even when two requests race: only one update finds it unused.
    if not SignInCode.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now):
        raise OnlineError("code_used", "this code has been used; ask for a new one")


def display_name_default(name: str) -> str:
    """张** for 张小明: the public name when the contestant chooses none."""
    name = name.strip()
    return (name[:1] + "*" * max(len(name) - 1, 1))[:20]


@dataclass(frozen=True)
class NewContestant:
    name: str
    mobile: str
    district_id: int
    key_group: str
    unit: str = ""
    display_name: str = ""
    birth_year: int | None = None

    def as_session(self) -> dict[str, Any]:
        return dict(self.__dict__)


def contestant_register(
    *, stage: OnlineStage, data: NewContestant, now: datetime | None = None
) -> Contestant:
    """Create the contestant (after their code was checked). ``already_registered`` if the number is."""
    now = now or timezone.now()
    district = District.objects.select_related("division").get(
        pk=data.district_id, division__competition_id=stage.competition_id
    )
    try:
        with transaction.atomic():
            return Contestant.objects.create(
                stage=stage,
                name=data.name.strip(),
                display_name=(data.display_name.strip() or display_name_default(data.name))[:20],
                mobile=data.mobile,
                division=district.division,
                district=district,
                unit=" ".join(data.unit.split())[:100],
                key_group=data.key_group,
                birth_year=data.birth_year,
                consent_at=now,
                privacy_version=stage.privacy_version,
                registered_at=now,
            )
    except IntegrityError:
        raise OnlineError("already_registered", "this number is registered; sign in instead") from None


def contestant_for_mobile(stage: OnlineStage, mobile: str) -> Contestant | None:
    return Contestant.objects.filter(stage=stage, mobile=mobile).first()


def device_seen(*, contestant: Contestant, device: str, now: datetime | None = None) -> int:
    """Record that ``device`` signed in to ``contestant``; the number of accounts seen on it."""
    now = now or timezone.now()
    updated = Device.objects.filter(device=device, contestant=contestant).update(last_seen=now)
    if not updated:
        try:
            with transaction.atomic():
                Device.objects.create(device=device, contestant=contestant, first_seen=now, last_seen=now)
        except IntegrityError:
            pass
    return Device.objects.filter(device=device, contestant__stage_id=contestant.stage_id).count()


def contestant_data(contestant: Contestant) -> dict[str, Any]:
    """Everything stored about the contestant, for their own download (the one place the full number
    appears)."""
    attempts = []
    for attempt in contestant.attempts.prefetch_related("answers").order_by("started_at"):
        attempts.append(
            {
                "mode": attempt.mode,
                "theme": attempt.theme,
                "day": attempt.day.isoformat(),
                "started_at": attempt.started_at.isoformat(),
                "finished_at": attempt.finished_at.isoformat() if attempt.finished_at else None,
                "outcome": attempt.outcome,
                "correct": attempt.correct,
                "points": attempt.points,
                "result": attempt.result,
                "answers": [
                    {
                        "question": a.question_id,
                        "choices": a.choices,
                        "correct": a.correct,
                        "received_at": a.received_at.isoformat(),
                        "elapsed_ms": a.elapsed_ms,
                    }
                    for a in attempt.answers.all()
                ],
            }
        )
    return {
        "stage": contestant.stage.name,
        "name": contestant.name,
        "display_name": contestant.display_name,
        "mobile": contestant.mobile,
        "division": contestant.division.name,
        "district": contestant.district.name,
        "unit": contestant.unit,
        "key_group": contestant.key_group,
        "birth_year": contestant.birth_year,
        "consent_at": contestant.consent_at.isoformat(),
        "privacy_version": contestant.privacy_version,
        "registered_at": contestant.registered_at.isoformat(),
        "points": contestant.points,
        "streak": contestant.streak,
        "attempts": attempts,
        "duels": [
            {"code": s.duel.code, "score": s.score, "outcome": s.outcome, "points": s.points}
            for s in contestant.duel_seats.select_related("duel")
        ],
        "devices": list(contestant.devices.values("device", "first_seen", "last_seen")),
        "invitations": [
            {"district": q.district.name, "rank": q.rank, "figures": q.figures, "status": q.status}
            for q in contestant.qualifications.select_related("district")
        ],
    }


@transaction.atomic
def contestant_delete(contestant: Contestant) -> None:
    """Delete the contestant and everything stored about them (attempts, answers, duels, flags, codes).
    A district team registration made from an accepted invitation stays with the competition."""
    SignInCode.objects.filter(stage_id=contestant.stage_id, mobile=contestant.mobile).delete()
    contestant.delete()
