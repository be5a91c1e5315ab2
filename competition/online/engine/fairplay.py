"""Signs of scripted play. Pure: the services feed in the figures and store what comes out as flags
with their evidence; an organiser decides."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from competition.online.engine.rules import FairPlayRules


def reading_ms(stem_chars: int, rules: FairPlayRules) -> int:
    """The least time a person needs to read a stem of this length and tap an answer."""
    return max(rules.read_ms_floor, rules.read_ms_base + rules.read_ms_per_char * stem_chars)


class FastAnswers(NamedTuple):
    answers: int
    fast: int
    flagged: bool


def fast_answers(timings: Iterable[tuple[int, int]], rules: FairPlayRules) -> FastAnswers:
    """(stem length, answer time in ms) pairs: flagged when at least ``fast_min_answers`` were given and
    the share under human reading time reaches ``fast_share``."""
    n = fast = 0
    for chars, elapsed in timings:
        n += 1
        if elapsed < reading_ms(chars, rules):
            fast += 1
    return FastAnswers(n, fast, n >= rules.fast_min_answers and fast >= rules.fast_share * n)


def fingerprint(answers: Sequence[tuple[int, Sequence[int], int]], *, bucket_ms: int = 500) -> str:
    """A digest of an attempt's (question, choices, answer time) sequence with times rounded to
    ``bucket_ms``: two accounts whose attempts share it answered the same questions the same way at the
    same pace."""
    text = ";".join(f"{q}:{','.join(map(str, sorted(c)))}:{t // bucket_ms}" for q, c, t in answers)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def too_many_accounts(accounts: int, rules: FairPlayRules) -> bool:
    return accounts > rules.max_accounts_per_device
