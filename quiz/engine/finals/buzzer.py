"""The fair buzzer: clock offsets and round trips per socket, press times mapped to the server clock,
the collection window, and the buzz order.

All times are milliseconds: ``server`` times on the server's clock (epoch ms), ``client`` times on the
phone's own clock, whatever it says. The exact rule (docs/contest-formats.md, "The fair buzzer"):

1. The server probes each captain's socket with a ``sync`` frame stamped with its clock ``s`` and a nonce;
   the phone answers with its clock ``c``; the reply arrives at ``r``. One sample: ``rtt = r - s``,
   ``offset = (s + r) / 2 - c`` (server = phone + offset).
2. Per socket the last ``KEEP`` samples are kept. The offset is taken from the sample with the smallest
   round trip (the least queueing, so the best estimate); the one-way delay bound is the largest round
   trip kept, capped at ``BOUND_CAP_MS`` (one way of a trip never takes longer than the whole trip).
3. A press stamped ``p`` on the phone and received at ``r`` maps to ``clamp(p + offset, r - bound, r)``:
   never before its receipt minus its one-way bound (a forged early stamp gains at most the phone's own
   measured latency), never after its receipt. A phone with no sample maps to its receipt.
4. Buzzes are ordered by mapped time (then receipt, then arrival sequence). The order is decided when
   the window after the first arrival has passed: ``window_ms`` at least, and longer while a team that has
   not buzzed could still map before the leader (until ``leader + that team's bound``), never longer than
   ``window_max_ms``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

KEEP = 8
BOUND_CAP_MS = 1_000.0
MAX_SAMPLE_RTT_MS = 5_000.0  # a reply later than this is not a clock sample (a stalled phone)


@dataclass(frozen=True, slots=True)
class ClockSample:
    sent: float  # server clock when the probe left
    received: float  # server clock when the reply arrived
    client: float  # the phone's clock in the reply

    @property
    def rtt(self) -> float:
        return self.received - self.sent

    @property
    def offset(self) -> float:
        return (self.sent + self.received) / 2 - self.client


@dataclass(frozen=True, slots=True)
class ClockEstimate:
    offset: float = 0.0
    rtt: float = 0.0  # smallest round trip kept
    bound: float = 0.0  # one-way delay bound: largest round trip kept, capped
    samples: int = 0


def samples_add(samples: Sequence[ClockSample], sample: ClockSample) -> tuple[ClockSample, ...]:
    """The kept samples after ``sample``: the last ``KEEP`` usable ones (a negative or huge round trip is
    dropped)."""
    if not 0 <= sample.rtt <= MAX_SAMPLE_RTT_MS:
        return tuple(samples)
    return (*samples, sample)[-KEEP:]


def estimate(samples: Iterable[ClockSample]) -> ClockEstimate:
    kept = list(samples)[-KEEP:]
    if not kept:
        return ClockEstimate()
    best = min(kept, key=lambda s: s.rtt)
    bound = min(max(s.rtt for s in kept), BOUND_CAP_MS)
    return ClockEstimate(offset=best.offset, rtt=best.rtt, bound=bound, samples=len(kept))


@dataclass(frozen=True, slots=True)
class MappedPress:
    mapped: float  # server clock
    clamped: bool  # the phone's stamp fell outside [receipt - bound, receipt]


def map_press(*, press: float, received: float, clock: ClockEstimate) -> MappedPress:
    """The press time on the server clock, bounded by what the socket's measured latency allows."""
    if clock.samples == 0:
        return MappedPress(mapped=received, clamped=False)
    raw = press + clock.offset
    low = received - clock.bound
    mapped = min(max(raw, low), received)
    return MappedPress(mapped=mapped, clamped=mapped != raw)


@dataclass(frozen=True, slots=True)
class Buzz:
    """One accepted press with its evidence."""

    team: object
    seq: int  # arrival sequence on this question
    received: float
    mapped: float
    press: float | None = None  # the phone's stamp, its own clock
    offset: float = 0.0
    rtt: float = 0.0
    bound: float = 0.0
    clamped: bool = False
    early: bool = False


def fair_order(buzzes: Iterable[Buzz]) -> list[Buzz]:
    """Valid buzzes best first: by mapped time, then receipt, then arrival."""
    return sorted((b for b in buzzes if not b.early), key=lambda b: (b.mapped, b.received, b.seq))


def arrival_order(buzzes: Iterable[Buzz]) -> list[Buzz]:
    """Valid buzzes in the order they reached the server (what a naive buzzer would use)."""
    return sorted((b for b in buzzes if not b.early), key=lambda b: (b.received, b.seq))


def decide_at(
    *,
    first_received: float,
    leader_mapped: float,
    pending_bounds: Iterable[float],
    window_ms: float,
    window_max_ms: float,
) -> float:
    """When the order can be decided: ``window_ms`` after the first arrival, extended while a team that has
    not buzzed could still map before the leader, capped at ``window_max_ms`` after the first arrival."""
    end = first_received + window_ms
    for bound in pending_bounds:
        end = max(end, leader_mapped + bound)
    return min(end, first_received + window_max_ms)
