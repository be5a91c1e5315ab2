"""Mobile numbers and one-time codes. Pure."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

MOBILE = re.compile(r"^1[3-9]\d{9}$")
CODE_TTL = timedelta(minutes=5)
CODE_TRIES = 5


def normalise_mobile(text: str) -> str | None:
    """A mainland mobile number (11 digits, 13x-19x) from what was typed: spaces, dashes and a +86 or
    0086 prefix are dropped. None if it is not one."""
    digits = re.sub(r"[\s\-()]", "", text or "")
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
    return digits if MOBILE.match(digits) else None


def mask_mobile(mobile: str) -> str:
    """138****1234: the first three and last four digits."""
    if len(mobile) < 8:
        return "*" * len(mobile)
    return f"{mobile[:3]}****{mobile[-4:]}"


def code_state(*, expires_at: datetime, used_at: datetime | None, tries: int, now: datetime) -> str:
    """Why a stored code can no longer be used ("used", "expired", "too_many_tries"), or "usable"."""
    if used_at is not None:
        return "used"
    if now >= expires_at:
        return "expired"
    if tries >= CODE_TRIES:
        return "too_many_tries"
    return "usable"
