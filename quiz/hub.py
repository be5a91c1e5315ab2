"""Per-process fan-out: one channel-layer subscription per round, frames written to local sockets.

Why not a layer group per socket: a broadcast would then cost one layer message and one serialisation
per contestant (research/measurements.md: 4-19x the raw baseline). Here a broadcast is one publish; each
process receives it once and writes the already-serialised text to each of its sockets.

The hub also watches deadlines: every process serving a round schedules a close at the deadline it last
heard of. All of them may fire; the conditional update in ``quiz.services`` lets exactly one win. Nothing
here is the source of truth: a restarted process resubscribes when its sockets come back.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from channels.layers import get_channel_layer

from quiz.broadcast import group_name

logger = logging.getLogger(__name__)

BACKLOG_LIMIT = 200  # frames held for a socket that is still being sent its snapshot


class Sink:
    """One socket as the hub sees it: where to write, who is behind it, and whether it is live yet."""

    __slots__ = ("_send", "audience", "backlog", "contestant_id", "live", "on_close", "version")

    def __init__(
        self,
        send: Callable[[dict[str, Any]], Awaitable[None]],
        audience: str,
        contestant_id: int | None = None,
        on_close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._send = send
        self.audience = audience
        self.contestant_id = contestant_id
        self.live = False
        self.backlog: list[tuple[int, str]] = []
        self.on_close = on_close
        self.version = 0  # the newest round version this socket has been sent

    async def write(self, version: int, text: str) -> None:
        if not self.live:
            if len(self.backlog) < BACKLOG_LIMIT:
                self.backlog.append((version, text))
            return
        self.version = max(self.version, version)
        try:
            await self._send({"type": "websocket.send", "text": text})
        except Exception:  # a socket that went away mid-write must not stop the others
            logger.debug("write to a closed socket dropped", exc_info=True)

    async def go_live(self, snapshot_version: int) -> None:
        """Start writing; first send held frames newer than the snapshot the socket was just sent."""
        backlog, self.backlog = self.backlog, []
        self.live = True
        self.version = max(self.version, snapshot_version)
        for version, text in backlog:
            # Same-version frames too: joins and answered counts do not bump the round's version.
            if version >= snapshot_version:
                await self.write(version, text)


class RoundChannel:
    def __init__(self, hub: Hub, round_id: int) -> None:
        self.hub = hub
        self.round_id = round_id
        self.sinks: set[Sink] = set()
        # Indexes so a message for hosts, or one contestant, never walks every socket of the round.
        self.by_audience: dict[str, set[Sink]] = {}
        self.by_contestant: dict[int, set[Sink]] = {}
        self.layer_channel: str | None = None
        self.listener: asyncio.Task | None = None
        self.deadline_timer: asyncio.TimerHandle | None = None
        self.deadline_ms: int | None = None
        self.clock_version = 0  # the round version the scheduled deadline came from
        self.ready = asyncio.Event()

    def add(self, sink: Sink) -> None:
        self.sinks.add(sink)
        self.by_audience.setdefault(sink.audience, set()).add(sink)
        if sink.contestant_id is not None:
            self.by_contestant.setdefault(sink.contestant_id, set()).add(sink)

    def remove(self, sink: Sink) -> None:
        self.sinks.discard(sink)
        for index, key in ((self.by_audience, sink.audience), (self.by_contestant, sink.contestant_id)):
            group = index.get(key)  # type: ignore[arg-type]
            if group is not None:
                group.discard(sink)
                if not group:
                    del index[key]  # type: ignore[arg-type]

    async def subscribe(self) -> None:
        layer = get_channel_layer()
        assert layer is not None, "CHANNEL_LAYERS must be configured"
        self.layer_channel = await layer.new_channel("hub.")
        await layer.group_add(group_name(self.round_id), self.layer_channel)
        self.listener = asyncio.create_task(self._listen(layer), name=f"hub-round-{self.round_id}")
        self.ready.set()

    async def _listen(self, layer) -> None:
        while True:
            try:
                message = await layer.receive(self.layer_channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                # A Redis hiccup: keep listening; clients resync from the snapshot on reconnect.
                logger.warning("round %s: layer receive failed; retrying", self.round_id, exc_info=True)
                await asyncio.sleep(0.5)
                continue
            try:
                await self.deliver(message)
            except Exception:
                logger.exception("round %s: delivering a message failed", self.round_id)

    async def deliver(self, message: dict[str, Any]) -> None:
        version = message["version"]
        frames: dict[str, str] = message.get("frames") or {}
        personal: dict[str, str] = message.get("personal") or {}
        for audience, text in frames.items():
            for sink in list(self.by_audience.get(audience, ())):
                await sink.write(version, text)
        for contestant_id, text in personal.items():
            for sink in list(self.by_contestant.get(int(contestant_id), ())):
                await sink.write(version, text)
        for contestant_id in message.get("close") or ():
            for sink in list(self.by_contestant.get(contestant_id, ())):
                if sink.on_close is not None:
                    await sink.on_close()
        if "deadline" in message:
            self.watch_deadline(message["deadline"], version)

    def watch_deadline(self, deadline_ms: int | None, version: int) -> None:
        """Schedule the close of the open question at ``deadline_ms`` (epoch ms); None cancels.

        ``version`` is the round version the deadline was read at: an older snapshot (read before a
        question opened or was extended) must not cancel or move a newer clock.
        """
        if version < self.clock_version:
            return
        self.clock_version = version
        if deadline_ms == self.deadline_ms:
            return
        self.deadline_ms = deadline_ms
        if self.deadline_timer is not None:
            self.deadline_timer.cancel()
            self.deadline_timer = None
        if deadline_ms is None:
            return
        loop = asyncio.get_running_loop()
        delay = max(deadline_ms / 1000 - time.time(), 0) + 0.01
        self.deadline_timer = loop.call_later(delay, self._deadline_due, deadline_ms)

    def _deadline_due(self, deadline_ms: int) -> None:
        self.deadline_timer = None
        self.hub.spawn(self._close_due(deadline_ms))

    async def _close_due(self, deadline_ms: int) -> None:
        from quiz import services

        try:
            closed = await services.around_close_if_due(round_id=self.round_id)
        except Exception:
            logger.exception("round %s: closing at the deadline failed; retrying", self.round_id)
            closed = False
            await asyncio.sleep(0.2)
        if not closed and self.deadline_ms == deadline_ms and time.time() * 1000 < deadline_ms + 5000:
            # Fired a hair early or lost a race; look again shortly unless someone else moved on.
            self.deadline_ms = None
            self.watch_deadline(deadline_ms, self.clock_version)

    async def close(self) -> None:
        if self.deadline_timer is not None:
            self.deadline_timer.cancel()
        if self.listener is not None:
            self.listener.cancel()
        layer = get_channel_layer()
        if layer is not None and self.layer_channel is not None:
            try:
                await layer.group_discard(group_name(self.round_id), self.layer_channel)
            except Exception:
                logger.debug("group_discard failed", exc_info=True)


class Hub:
    """The registry of this process's sockets, by round. One per event loop."""

    def __init__(self) -> None:
        self.rounds: dict[int, RoundChannel] = {}
        self._tasks: set[asyncio.Task] = set()

    def spawn(self, coro) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def attach(self, round_id: int, sink: Sink) -> None:
        """Register ``sink``; when this returns the round's events are being received (held until live)."""
        channel = self.rounds.get(round_id)
        if channel is None:
            channel = self.rounds[round_id] = RoundChannel(self, round_id)
            channel.add(sink)
            try:
                await channel.subscribe()
            except BaseException:
                self.rounds.pop(round_id, None)
                raise
        else:
            channel.add(sink)
            await channel.ready.wait()

    async def detach(self, round_id: int, sink: Sink) -> None:
        channel = self.rounds.get(round_id)
        if channel is None:
            return
        channel.remove(sink)
        if not channel.sinks:
            del self.rounds[round_id]
            await channel.close()

    def watch_deadline(self, round_id: int, deadline_ms: int | None, version: int) -> None:
        channel = self.rounds.get(round_id)
        if channel is not None:
            channel.watch_deadline(deadline_ms, version)


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


def get_hub() -> Hub:
    """This process's hub for the running event loop (tests run many loops in one process)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        hub = _hubs[loop] = Hub()
    return hub
