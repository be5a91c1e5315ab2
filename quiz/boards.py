"""The live leaderboard of a round, behind one small interface with two backends.

The ranks themselves come from the pure engine (``quiz.engine.scoring.rank`` with the round's tie-break
chain), computed at every reveal by ``quiz.services.standings`` and cached on each contestant.
A board only stores and serves that ranking:

- ``DatabaseBoard`` reads the cached ``rank`` / ``score`` columns (the embedded default).
- ``RedisBoard`` (when ``REDIS_URL`` is set) keeps a sorted set per round whose score *is* the engine's
  rank: contestants equal on every key of the chain (points, correct answers, correct time, ...) share a
  rank and therefore a score, and the chain is never re-implemented here, so both boards give the same
  ranks by construction. Members are zero-padded contestant ids, so within a shared rank Redis orders
  them by id exactly like the database query. A hash beside it holds each row (nickname, team, points,
  rank, correct) and the round version it was written at, so a read touches Redis only.

Writes happen after the standings' transaction commits; a write carrying an older round version than the
stored one is dropped (two processes may commit reveals in one order and run their hooks in the other).
A missing board (expired, Redis flushed or restarted) is rebuilt from the cached standings on the next
read. If Redis does not answer, reads fall back to the database and the failure is logged.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from quiz.models import Contestant, Round

logger = logging.getLogger(__name__)

# Long enough for any round of the day; a finished round's board then disappears on its own.
BOARD_TTL_SECONDS = 12 * 3600
_MEMBER_DIGITS = 12
_VERSION_FIELD = "_version"

# Replace the live keys with freshly written ones unless the live board is newer; one atomic step.
_SWAP_IF_NOT_OLDER = """
local stored = tonumber(redis.call('HGET', KEYS[2], ARGV[3]) or '-1')
if stored > tonumber(ARGV[1]) then
  redis.call('DEL', KEYS[3], KEYS[4])
  return 0
end
if redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('RENAME', KEYS[3], KEYS[1])
  redis.call('EXPIRE', KEYS[1], ARGV[2])
else
  redis.call('DEL', KEYS[1])
end
redis.call('RENAME', KEYS[4], KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return 1
"""

# Members 0..ARGV[1] (-1: all) in rank order, each followed by its row; false when the board is missing.
_READ_TOP = """
if redis.call('EXISTS', KEYS[2]) == 0 then
  return false
end
local members = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[1]))
local result = {}
for first = 1, #members, 1000 do
  local chunk = {}
  for i = first, math.min(first + 999, #members) do
    chunk[#chunk + 1] = members[i]
  end
  local rows = redis.call('HMGET', KEYS[2], unpack(chunk))
  for i = 1, #chunk do
    result[#result + 1] = chunk[i]
    result[#result + 1] = rows[i]
  end
end
return result
"""


@dataclass(slots=True)
class Standing:
    contestant_id: int
    nickname: str
    team: str | None
    score: int
    rank: int | None
    correct: int


# --- encoding (pure) -------------------------------------------------------------------------------------


def member_of(contestant_id: int) -> str:
    """Zero-padded so that Redis's order of equal scores (by member bytes) is the order of ids."""
    return f"{contestant_id:0{_MEMBER_DIGITS}d}"


def row_of(standing: Standing) -> str:
    return json.dumps(
        [standing.nickname, standing.team, standing.score, standing.rank, standing.correct],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def standing_of(member: str | bytes, row: str | bytes) -> Standing:
    nickname, team, score, rank, correct = json.loads(row)
    return Standing(int(member), nickname, team, score, rank, correct)


# --- backends --------------------------------------------------------------------------------------------


class DatabaseBoard:
    """The cached standings on the contestant rows; always current inside the transaction that wrote them."""

    def top(self, round_id: int, size: int) -> list[Standing]:
        # Plain rows: a rebuild of the Redis board reads every contestant of the round.
        rows = (
            Contestant.objects.filter(round_id=round_id, kicked_at__isnull=True, rank__isnull=False)
            .order_by("rank", "id")
            .values_list("id", "nickname", "team__name", "score", "rank", "correct_count")
        )
        if size:
            rows = rows[:size]
        return [Standing(*row) for row in rows]

    def publish_on_commit(self, round_id: int, version: int, standings: Sequence[Standing]) -> None:
        """Nothing to do: ``standings_refresh`` has written the rows this board reads."""

    def forget_on_commit(self, round_id: int) -> None:
        """Nothing to do: the rows are the board."""


class RedisBoard:
    """A sorted set per round (score = engine rank, member = padded contestant id) and a hash of rows."""

    def __init__(self, url: str, prefix: str, ttl: int = BOARD_TTL_SECONDS) -> None:
        self.url = url
        self.prefix = prefix
        self.ttl = ttl

    @property
    def client(self):
        return _client(self.url)

    def keys(self, round_id: int) -> tuple[str, str]:
        # The {braces} keep a round's keys in one cluster slot, which the swap script needs.
        base = f"{self.prefix}:board:{{round:{round_id}}}"
        return f"{base}:ranks", f"{base}:rows"

    def top(self, round_id: int, size: int) -> list[Standing]:
        import redis

        try:
            found = self._read(round_id, size)
            if found is None:
                self.rebuild(round_id)
                found = self._read(round_id, size) or []
            return found
        except redis.RedisError as exc:
            logger.warning("live board of round %s read from the database: Redis failed (%s)", round_id, exc)
            return DatabaseBoard().top(round_id, size)

    def _read(self, round_id: int, size: int) -> list[Standing] | None:
        """The top ``size`` (0: all) in rank order, or None when the board is missing; one atomic script."""
        found = self.client.eval(_READ_TOP, 2, *self.keys(round_id), size - 1 if size else -1)
        if found is None:
            return None
        return [standing_of(found[i], found[i + 1]) for i in range(0, len(found), 2)]

    def rebuild(self, round_id: int) -> None:
        """Write the board from the cached standings in the database."""
        # The version first: the standings read after it are at least that new, so a concurrent
        # publish of the next reveal still wins over this rebuild.
        version = Round.objects.values_list("version", flat=True).get(pk=round_id)
        self.write(round_id, version, DatabaseBoard().top(round_id, 0))

    def write(self, round_id: int, version: int, standings: Sequence[Standing]) -> bool:
        """Replace the board in one pipeline unless a newer version is stored; True if written."""
        ranks, rows = self.keys(round_id)
        fresh_ranks, fresh_rows = f"{ranks}:v{version}:new", f"{rows}:v{version}:new"
        pipe = self.client.pipeline(transaction=True)
        pipe.delete(fresh_ranks, fresh_rows)
        if standings:
            pipe.zadd(fresh_ranks, {member_of(s.contestant_id): s.rank for s in standings})
        pipe.hset(
            fresh_rows,
            mapping={_VERSION_FIELD: version, **{member_of(s.contestant_id): row_of(s) for s in standings}},
        )
        pipe.eval(
            _SWAP_IF_NOT_OLDER, 4, ranks, rows, fresh_ranks, fresh_rows, version, self.ttl, _VERSION_FIELD
        )
        return bool(pipe.execute()[-1])

    def forget(self, round_id: int) -> None:
        self.client.delete(*self.keys(round_id))

    def publish_on_commit(self, round_id: int, version: int, standings: Sequence[Standing]) -> None:
        rows = list(standings)
        # robust: a Redis failure is logged and the next read rebuilds; the committed round stands.
        transaction.on_commit(lambda: self.write(round_id, version, rows), robust=True)

    def forget_on_commit(self, round_id: int) -> None:
        transaction.on_commit(lambda: self.forget(round_id), robust=True)


Board = DatabaseBoard | RedisBoard


@functools.cache
def _client(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def live_board() -> Board:
    """Redis when ``REDIS_URL`` is set (keys under the cache prefix: CHANNEL_PREFIX), else the database."""
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return DatabaseBoard()
    prefix = settings.CACHES["default"].get("KEY_PREFIX") or "jjjquiz"
    return RedisBoard(url, prefix)
