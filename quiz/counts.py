"""The ``answered`` count for hosts and displays: at most one per throttle window per round, across every
server process, and never lower than one already published for the same question.

Every process that stores answers offers its count (version, question, answered, participants) to the
round's gate. The gate keeps the highest count offered for each question and opens at most once per
window (``QUIZ_COUNT_THROTTLE_SECONDS``): whoever finds it open publishes that highest count; whoever
finds it shut tries again when it opens, unless a count at least as high has been published by then.
So the last count of a burst is always published, within one window, by one process.

With ``REDIS_URL`` set the gate is a Lua script over two Redis keys (a ``SET NX PX`` window and a hash
of the highest and the published count), so all processes share it; without it (the embedded default,
one process) it is the same rule in memory. If Redis does not answer, the process falls back to its own
gate for that count: hosts then may see more counts than one per window, never a lower one (the hubs
drop a count lower than one they delivered, ``quiz.hub``).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Literal

from django.conf import settings

logger = logging.getLogger(__name__)

Counts = tuple[int, int, int, int]  # (round version, question index, answered, participants)
KEY_TTL_MS = 12 * 3600 * 1000  # a day of rounds; the keys of a finished round go on their own


@dataclass(frozen=True, slots=True)
class Decision:
    """``publish`` these counts now; ``retry`` after ``delay`` seconds; or ``none``: already shown."""

    action: Literal["publish", "retry", "none"]
    counts: Counts | None = None
    delay: float = 0.0


@dataclass(slots=True)
class LocalGate:
    """The gate in one process's memory (the embedded default). ``now`` is a monotonic time in seconds.

    It keeps three small entries per round: when its window opens again, the highest count offered for
    its newest question and the count published for it (a round's questions only move forward)."""

    window: float
    _open_at: dict[int, float] = field(default_factory=dict)  # round -> when the gate opens again
    _best: dict[int, Counts] = field(default_factory=dict)  # round -> highest of its newest question
    _published: dict[int, tuple[int, int]] = field(default_factory=dict)  # round -> (question, count)

    def offer(self, round_id: int, counts: Counts, now: float) -> Decision:
        best = self._best.get(round_id)
        if best is not None and counts[1] < best[1]:
            return Decision("none")  # a late count of an earlier question: the screens have moved on
        if best is None or counts[1] > best[1] or counts[2] > best[2]:
            best = self._best[round_id] = counts
        if self._published.get(round_id, (-1, -1)) >= (best[1], best[2]):
            return Decision("none")
        opens = self._open_at.get(round_id, 0.0)
        if now < opens:
            return Decision("retry", delay=opens - now)
        self._open_at[round_id] = now + self.window
        self._published[round_id] = (best[1], best[2])
        return Decision("publish", best)


# KEYS: the round's gate, the question's hash, the round's newest question. ARGV: version, question,
# answered, participants, window ms, ttl ms. Returns {1, version, question, answered, participants} to
# publish, {2, ms} to retry, {0}: shown already (or a late count of an earlier question).
_OFFER = """
local newest = tonumber(redis.call('GET', KEYS[3]) or '-1')
if tonumber(ARGV[2]) < newest then
  return {0}
end
redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[6])
local best = tonumber(redis.call('HGET', KEYS[2], 'answered') or '-1')
if tonumber(ARGV[3]) > best then
  redis.call('HSET', KEYS[2], 'version', ARGV[1], 'question', ARGV[2], 'answered', ARGV[3],
             'participants', ARGV[4])
  best = tonumber(ARGV[3])
end
redis.call('PEXPIRE', KEYS[2], ARGV[6])
local published = tonumber(redis.call('HGET', KEYS[2], 'published') or '-1')
if published >= best then
  return {0}
end
if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[5]) then
  redis.call('HSET', KEYS[2], 'published', best)
  local row = redis.call('HMGET', KEYS[2], 'version', 'question', 'answered', 'participants')
  return {1, tonumber(row[1]), tonumber(row[2]), tonumber(row[3]), tonumber(row[4])}
end
return {2, redis.call('PTTL', KEYS[1])}
"""


class RedisGate:
    """The gate shared by every process through Redis (``REDIS_URL``)."""

    def __init__(self, url: str, prefix: str, window: float) -> None:
        import redis.asyncio

        self.client = redis.asyncio.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.prefix = prefix
        self.window_ms = max(int(window * 1000), 1)
        self.script = self.client.register_script(_OFFER)

    def keys(self, round_id: int, question: int) -> list[str]:
        base = f"{self.prefix}:answered:{{round:{round_id}}}"  # one cluster slot per round
        return [f"{base}:gate", f"{base}:q{question}", f"{base}:newest"]

    async def offer(self, round_id: int, counts: Counts) -> Decision:
        version, question, answered, participants = counts
        reply = await self.script(
            keys=self.keys(round_id, question),
            args=[version, question, answered, participants, self.window_ms, KEY_TTL_MS],
        )
        if reply[0] == 1:
            return Decision("publish", (int(reply[1]), int(reply[2]), int(reply[3]), int(reply[4])))
        if reply[0] == 2:
            return Decision("retry", delay=max(int(reply[1]), 1) / 1000)
        return Decision("none")


class CountGate:
    """This process's gate: Redis when ``REDIS_URL`` is set, with its own memory as the fallback."""

    def __init__(self, window: float) -> None:
        self.local = LocalGate(window)
        url = getattr(settings, "REDIS_URL", "")
        prefix = settings.CACHES["default"].get("KEY_PREFIX") or "jjjquiz"
        self.shared = RedisGate(url, prefix, window) if url else None

    async def offer(self, round_id: int, counts: Counts) -> Decision:
        if self.shared is not None:
            try:
                return await self.shared.offer(round_id, counts)
            except Exception as exc:  # Redis down: one process's throttle is better than none
                logger.warning("round %s: answered count gated in this process (Redis: %r)", round_id, exc)
        return self.local.offer(round_id, counts, time.monotonic())
