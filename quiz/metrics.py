"""Prometheus metrics for operators (prometheus-client): what each process is doing during an event.

Every daphne process counts in its own registry and answers ``GET /metrics`` with it; Prometheus scrapes
each process on its own port (docs/operations.md). With ``PROMETHEUS_MULTIPROC_DIR`` set before the
processes start, prometheus-client keeps the values in files in that directory instead, and any process's
``/metrics`` reports all of them (gauges per process, with a ``pid`` label).

Recording costs a lock and an addition: a counter moves once per batch or per socket, never per frame
written, so the metrics cost nothing measurable in ``make bench`` (docs/performance.md).
"""

from __future__ import annotations

import atexit
import contextlib
import os

from prometheus_client import Counter, Gauge, Histogram
from redis.asyncio.connection import Connection, SSLConnection

MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
# QUIZ_METRICS=off records nothing (every metric below is a no-op): only for measuring what recording
# costs (``make bench METRICS=off``); /metrics then reports the process metrics alone.
ENABLED = os.environ.get("QUIZ_METRICS", "on").lower() not in ("off", "false", "0")


class _Off:
    """A metric that records nothing, for QUIZ_METRICS=off."""

    def labels(self, *args: str) -> _Off:
        return self

    def inc(self, amount: float = 1) -> None:
        pass

    dec = set = observe = inc

    def remove(self, *args: str) -> None:
        pass


if not ENABLED:  # the constructors below then make no-op metrics, registered nowhere
    Counter = Gauge = Histogram = lambda *args, **kwargs: _Off()  # type: ignore[assignment,misc]

SOCKETS = Gauge(
    "quiz_sockets",
    "Open quiz WebSockets in this process, by round and audience (contestant, host, display)",
    ["round", "audience"],
    multiprocess_mode="liveall",
)
JOINS = Counter("quiz_joins", "Joins by PIN answered, by outcome (welcomed, or the error code)", ["outcome"])
RESUMES = Counter(
    "quiz_resumes",
    "Resumes with a reconnect token answered, by outcome (welcomed, or the error code)",
    ["outcome"],
)
ANSWERS = Counter(
    "quiz_answers",
    "Answers written by the group commit, by outcome (accepted, duplicate, or the error code)",
    ["outcome"],
)
ANSWER_BATCHES = Counter("quiz_answer_batches", "Group commits of answers (one transaction each)")
ACK_SECONDS = Histogram(
    "quiz_answer_ack_seconds",
    "From an answer's arrival in the process to its ack or refusal (after the commit)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
FANOUT_SECONDS = Histogram(
    "quiz_broadcast_fanout_seconds",
    "Time this process took to write one round message to all its sockets of that round",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)
FANOUT_SOCKETS = Histogram(
    "quiz_broadcast_recipients",
    "Sockets of this process one round message was written to",
    buckets=(1, 10, 100, 500, 1000, 2500, 5000, 10000, 25000),
)
OUTBOX = Gauge(
    "quiz_outbox_messages",
    "Round messages waiting in this process for the channel layer (Redis) to take them, echoes included",
    multiprocess_mode="liveall",
)
REDIS_CONNECTIONS = Counter(
    "quiz_redis_connections", "Connections the channel layer opened to Redis (new connections)"
)
REDIS_RECONNECTS = Counter(
    "quiz_redis_reconnects", "Channel-layer connections to Redis made again after they had dropped"
)
CLOSES = Counter(
    "quiz_socket_closes",
    "Quiz WebSockets closed, by close code and side (server: we closed it; client: the phone or network)",
    ["code", "by"],
)


# Each labelled series once looked up: ``labels()`` validates and locks, about twice the cost of the
# increment itself, and it would run for every join, close and batch.
_series: dict[tuple[int, tuple[str, ...]], object] = {}


def series(metric, *labels: str):
    """``metric.labels(*labels)``, looked up once per process."""
    key = (id(metric), labels)
    child = _series.get(key)
    if child is None:
        child = _series[key] = metric.labels(*labels)
    return child


def count(metric, label: str, amount: float = 1) -> None:
    series(metric, label).inc(amount)


def socket_closed(code: int | str | None, *, by: str) -> None:
    """A socket closed: ``code`` is the close code, or "aborted" for one dropped without a handshake."""
    series(CLOSES, str(code) if code is not None else "none", by).inc()


def socket_opened(round_id: int, audience: str) -> None:
    series(SOCKETS, str(round_id), audience).inc()


def socket_gone(round_id: int, audience: str) -> None:
    series(SOCKETS, str(round_id), audience).dec()


def round_left(round_id: int, audiences: set[str]) -> None:
    """The process has no socket of the round left: drop its series (kept at 0 in multiprocess mode)."""
    if MULTIPROCESS:
        return
    for audience in audiences:
        _series.pop((id(SOCKETS), (str(round_id), audience)), None)
        with contextlib.suppress(KeyError):
            SOCKETS.remove(str(round_id), audience)


class _Counting:
    """Counts the channel layer's connections to Redis: a connection object that connects a second time
    has dropped and reconnected (redis-py reuses the object, and a pub-sub connection resubscribes)."""

    _connected_before = False

    async def on_connect_check_health(self, check_health: bool = True) -> None:
        await super().on_connect_check_health(check_health=check_health)  # type: ignore[misc]
        if self._connected_before:
            REDIS_RECONNECTS.inc()
        else:
            self._connected_before = True
            REDIS_CONNECTIONS.inc()


class CountingConnection(_Counting, Connection):
    pass


class CountingSSLConnection(_Counting, SSLConnection):
    pass


def redis_connection_class(url: str) -> type[Connection]:
    """The connection class for the channel layer's ``hosts`` entry (settings.CHANNEL_LAYERS)."""
    return CountingSSLConnection if url.startswith("rediss://") else CountingConnection


if MULTIPROCESS:  # a gauge of a process that ended must not be reported as live

    def _mark_dead() -> None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid())

    atexit.register(_mark_dead)
