"""Group commit for answers: collect them for a few milliseconds, write them in one transaction, ack each.

Joins and resumes are served the same way (``Batcher``): a join storm at the start of an event, or every
phone of a venue coming back at once after its Wi-Fi dropped, costs a few queries per batch, not per phone.

A transaction per answer would cap a burst at the database's commit rate; here 5,000 answers arriving
together cost a handful of commits. Nothing waiting here has been acked, so nothing acked is ever only in
memory: a phone whose answer was in a batch that failed gets an error and sends it again.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from django.conf import settings

from quiz import broadcast, metrics
from quiz.counts import CountGate, Counts
from quiz.services import answers
from quiz.services.answers import AnswerOutcome, PendingAnswer, answered_message
from quiz.services.contestants import Joined, JoinRequest, acontestants_join
from quiz.services.errors import QuizError
from quiz.services.rounds import around_close_when_all_answered
from quiz.services.snapshots import Welcome, acontestants_resume

logger = logging.getLogger(__name__)

Request = TypeVar("Request")
Outcome = TypeVar("Outcome")


class AnswerBatcher:
    def __init__(self, *, delay: float, max_size: int, count_throttle: float) -> None:
        self.delay = delay
        self.max_size = max_size
        self.count_throttle = count_throttle
        # (answer, its future, when it arrived on the monotonic clock: for the ack latency metric)
        self._pending: list[tuple[PendingAnswer, asyncio.Future[AnswerOutcome], float]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._flushing = asyncio.Lock()
        self._tasks: set[asyncio.Task] = set()
        self._gate = CountGate(count_throttle)
        self._count_retry: dict[int, Counts] = {}  # round -> the counts to offer again when the gate opens

    async def submit(self, answer: PendingAnswer) -> AnswerOutcome:
        future: asyncio.Future[AnswerOutcome] = asyncio.get_running_loop().create_future()
        self._pending.append((answer, future, time.monotonic()))
        if len(self._pending) >= self.max_size:
            self._schedule(0)
        elif self._timer is None:
            self._schedule(self.delay)
        return await future

    def _schedule(self, delay: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(delay, self._spawn_flush)

    def _spawn_flush(self) -> None:
        self._timer = None
        task = asyncio.get_running_loop().create_task(self._flush())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _flush(self) -> None:
        async with self._flushing:
            batch, self._pending = self._pending[: self.max_size], self._pending[self.max_size :]
            if self._pending:
                self._schedule(0)
            if not batch:
                return
            try:
                result = await answers.aanswers_record([answer for answer, _, _ in batch])
            except Exception as exc:
                logger.exception("writing %d answers failed", len(batch))
                for _, future, _ in batch:
                    if not future.done():
                        future.set_exception(exc)
                metrics.count(metrics.ANSWERS, "not_stored", len(batch))
                return
            for (_, future, _), outcome in zip(batch, result.outcomes, strict=True):
                if not future.done():
                    future.set_result(outcome)
            _count(batch, result.outcomes)
        for round_id, counts in result.answered.items():
            self._publish_count(round_id, counts)
            if counts[2] >= counts[3]:
                self._spawn(self._close_if_all_answered(round_id, counts[1]))

    async def _close_if_all_answered(self, round_id: int, question: int) -> None:
        try:
            await around_close_when_all_answered(round_id=round_id, question=question)
        except Exception:
            logger.exception("round %s: closing when all answered failed", round_id)

    def _publish_count(self, round_id: int, counts: Counts) -> None:
        """Tell hosts and displays the answered count, at most once per throttle window per round across
        every process (``quiz.counts``); the highest count offered is published, never a lower one."""
        waiting = round_id in self._count_retry
        self._count_retry[round_id] = counts  # batches are written in turn: the later count is the newer
        if not waiting:
            self._spawn(self._offer_count(round_id))

    async def _offer_count(self, round_id: int) -> None:
        """Offer the round's newest count to the gate until it is published or shown already."""
        while True:
            counts = self._count_retry[round_id]
            try:
                decision = await self._gate.offer(round_id, counts)
            except Exception:
                logger.exception("round %s: the answered count was not published", round_id)
                self._count_retry.pop(round_id, None)
                return
            if decision.action == "retry":
                await asyncio.sleep(decision.delay)
                continue
            if decision.counts is not None:
                await broadcast.apublish(round_id, answered_message(*decision.counts))
            if self._count_retry.get(round_id) == counts:
                del self._count_retry[round_id]
                return
            # a newer count arrived while this one was offered: offer that one too

    def _spawn(self, coro) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _count(batch: list[tuple[PendingAnswer, asyncio.Future, float]], outcomes: list[AnswerOutcome]) -> None:
    """Answers by outcome and their ack latency, for /metrics."""
    now = time.monotonic()
    accepted = duplicates = 0
    refused: dict[str, int] = {}
    for (_, _, arrived), outcome in zip(batch, outcomes, strict=True):
        metrics.ACK_SECONDS.observe(now - arrived)
        if outcome.accepted:
            if outcome.frame.get("duplicate"):
                duplicates += 1
            else:
                accepted += 1
        else:
            code = outcome.frame.get("code", "refused")
            refused[code] = refused.get(code, 0) + 1
    metrics.ANSWER_BATCHES.inc()
    if accepted:
        metrics.count(metrics.ANSWERS, "accepted", accepted)
    if duplicates:
        metrics.count(metrics.ANSWERS, "duplicate", duplicates)
    for code, number in refused.items():
        metrics.count(metrics.ANSWERS, code, number)


class Batcher(Generic[Request, Outcome]):
    """Requests collected for a few milliseconds and served together by ``serve`` (one thread hop).

    ``serve`` returns one outcome per request, in order: the value, or the ``QuizError`` to raise for that
    request alone. If ``serve`` itself fails, every request of the batch gets its exception.
    """

    def __init__(
        self,
        serve: Callable[[list[Request]], Awaitable[list[Outcome | QuizError]]],
        *,
        delay: float,
        max_size: int,
    ) -> None:
        self.serve = serve
        self.delay = delay
        self.max_size = max_size
        self._pending: list[tuple[Request, asyncio.Future[Outcome]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._flushing = asyncio.Lock()
        self._tasks: set[asyncio.Task] = set()

    async def submit(self, request: Request) -> Outcome:
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._pending.append((request, future))
        if len(self._pending) >= self.max_size:
            self._schedule(0)
        elif self._timer is None:
            self._schedule(self.delay)
        return await future

    def _schedule(self, delay: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = asyncio.get_running_loop().call_later(delay, self._spawn_flush)

    def _spawn_flush(self) -> None:
        self._timer = None
        task = asyncio.get_running_loop().create_task(self._flush())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _flush(self) -> None:
        async with self._flushing:
            batch, self._pending = self._pending[: self.max_size], self._pending[self.max_size :]
            if self._pending:
                self._schedule(0)
            if not batch:
                return
            try:
                outcomes = await self.serve([request for request, _ in batch])
            except Exception as exc:
                logger.exception("serving %d requests together failed", len(batch))
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                return
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if isinstance(outcome, QuizError):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)


_batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AnswerBatcher] = weakref.WeakKeyDictionary()
_joins: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Batcher] = weakref.WeakKeyDictionary()
_resumes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Batcher] = weakref.WeakKeyDictionary()


def _batcher(registry: weakref.WeakKeyDictionary, serve) -> Batcher:
    loop = asyncio.get_running_loop()
    batcher = registry.get(loop)
    if batcher is None:
        quiz = settings.QUIZ
        batcher = registry[loop] = Batcher(
            serve, delay=quiz["JOIN_BATCH_SECONDS"], max_size=quiz["JOIN_BATCH_MAX"]
        )
    return batcher


async def ajoin(request: JoinRequest) -> Joined:
    """Join with the next batch of joins (``contestants_join``); raises the QuizError that refuses it."""
    return await _batcher(_joins, acontestants_join).submit(request)


async def aresume(token: str) -> Welcome:
    """The ``welcome`` for a reconnect token, with the next batch (``contestants_resume``)."""
    return await _batcher(_resumes, acontestants_resume).submit(token)


def get_batcher() -> AnswerBatcher:
    """This process's batcher for the running event loop."""
    loop = asyncio.get_running_loop()
    batcher = _batchers.get(loop)
    if batcher is None:
        quiz = settings.QUIZ
        batcher = _batchers[loop] = AnswerBatcher(
            delay=quiz["ANSWER_BATCH_SECONDS"],
            max_size=quiz["ANSWER_BATCH_MAX"],
            count_throttle=quiz["COUNT_THROTTLE_SECONDS"],
        )
    return batcher


async def aanswer_submit(answer: PendingAnswer) -> AnswerOutcome:
    """Store one answer with the next group commit; returns the ack (or refusal) once it is durable."""
    return await get_batcher().submit(answer)
