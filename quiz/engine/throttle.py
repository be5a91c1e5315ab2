"""Per-socket flood control: a token bucket that also tells a burst from a flood.

Pure: the caller passes ``now`` (monotonic seconds). A socket may send ``burst`` frames at once and
``rate`` frames per second after that. A frame over the rate is refused and earns a strike; strikes
fade at the same ``rate``, so a client that only briefly overshoots never collects many, while one
that keeps sending far faster than the rate piles them up and is cut off at ``close_after``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum


class Verdict(Enum):
    ACCEPT = "accept"
    REFUSE = "refuse"  # over the rate: answer with rate_limited, do not process the frame
    CLOSE = "close"  # flooding well past the rate: close the socket


@dataclass(slots=True)
class FrameBucket:
    rate: float  # frames per second, long term
    burst: float  # frames that may arrive back to back
    close_after: float  # strikes (refused frames, fading at ``rate``) before the socket is closed
    tokens: float
    strikes: float
    updated: float

    @classmethod
    def full(cls, *, rate: float, burst: float, close_after: float, now: float) -> FrameBucket:
        if rate <= 0 or burst < 1 or close_after < 1:
            raise ValueError("rate must be positive, burst and close_after at least 1")
        return cls(rate=rate, burst=burst, close_after=close_after, tokens=burst, strikes=0.0, updated=now)

    def take(self, now: float) -> Verdict:
        """Spend a token for one frame arriving at ``now``."""
        elapsed = max(now - self.updated, 0.0)  # a clock that steps back refills nothing
        self.updated = max(now, self.updated)
        self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
        self.strikes = max(0.0, self.strikes - elapsed * self.rate)
        if self.tokens >= 1:
            self.tokens -= 1
            return Verdict.ACCEPT
        self.strikes += 1
        return Verdict.CLOSE if self.strikes > self.close_after else Verdict.REFUSE

    def retry_after_ms(self) -> int:
        """How long until the next frame would be accepted (at the last ``take``'s time)."""
        return max(1, math.ceil((1 - self.tokens) / self.rate * 1000))
