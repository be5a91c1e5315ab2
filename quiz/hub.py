"""Per-process fan-out: one channel-layer subscription per round, frames written to local sockets.

Why not a layer group per socket: a broadcast would then cost one layer message and one serialisation
per contestant (measured at 4-19x the time a raw WebSocket server takes). Here a broadcast is one
publish; each process receives it once and writes the already-serialised text to each of its sockets, by
the path ``quiz.transport`` chose for that socket when it subscribed.

The hub also watches deadlines: every process serving a round schedules a close at the deadline it last
heard of. All of them may fire; the conditional update in ``quiz.services`` lets exactly one win. Nothing
here is the source of truth: a restarted process resubscribes when its sockets come back.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings

from quiz import metrics, transport
from quiz.broadcast import group_name

logger = logging.getLogger(__name__)

BACKLOG_LIMIT = 200  # frames held for a socket that is still being sent its snapshot
RECENT_IDS = 256  # message ids a round channel remembers, to deliver a message sent twice once


class Frame:
    """One outbound text frame, shared by every socket it goes to; its wire bytes are built once."""

    __slots__ = ("_wire", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._wire: bytes | None = None

    @property
    def wire(self) -> bytes:
        """The whole WebSocket text frame, for sockets the hub writes to directly."""
        if self._wire is None:
            self._wire = transport.text_frame(self.text)
        return self._wire


class Sink:
    """One socket as the hub sees it: where to write, who is behind it, and whether it is live yet.

    Writes never wait for a client. On daphne a frame goes straight into the connection's Twisted
    transport (``quiz.transport.DaphneWriter``, the fast path); on servers whose transport reports its
    buffer (uvicorn) through the ASGI ``send``, which does not wait there. Anything else is sent through an
    outbox drained by one task, so a ``send`` that blocks holds up only its own socket. In every case a
    socket whose unsent output passes the cap (``QUIZ_SEND_BUFFER_BYTES``, or ``QUIZ_SEND_BUFFER_FRAMES``
    where bytes cannot be read) has stopped reading: it is dropped, and the phone resumes with a fresh
    ``welcome`` that carries everything it missed.
    """

    __slots__ = (
        "_buffered",
        "_direct",
        "_drainer",
        "_outbox",
        "_send",
        "audience",
        "backlog",
        "cap_bytes",
        "cap_frames",
        "contestant_id",
        "dropped",
        "live",
        "on_close",
        "on_overflow",
        "version",
    )

    def __init__(
        self,
        send: Callable[[dict[str, Any]], Awaitable[None]],
        audience: str,
        contestant_id: int | None = None,
        on_close: Callable[[], Awaitable[None]] | None = None,
        on_overflow: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._send = send
        self.audience = audience
        self.contestant_id = contestant_id
        self.live = False
        self.backlog: list[tuple[int, Frame]] = []
        self.on_close = on_close
        self.on_overflow = on_overflow  # closes the socket where the hub cannot drop the connection itself
        self.version = 0  # the newest round version this socket has been sent
        self.dropped = False
        limits = settings.QUIZ
        self.cap_bytes: int = limits["SEND_BUFFER_BYTES"]
        self.cap_frames: int = limits["SEND_BUFFER_FRAMES"]
        self._direct = transport.daphne_writer(send, self.cap_bytes, audience)
        self._buffered = None if self._direct is not None else transport.asyncio_transport(send)
        # Made on first use: most sockets never need one, and an empty deque is ~600 bytes per socket.
        self._outbox: deque[Frame] | None = None
        self._drainer: asyncio.Task | None = None

    @property
    def direct(self) -> bool:
        """Whether frames go straight into the server's transport (daphne's fast path)."""
        return self._direct is not None

    def write(self, version: int, frame: Frame | str) -> None:
        """Send ``frame`` to this socket without waiting for it (held until the socket is live)."""
        if isinstance(frame, str):
            frame = Frame(frame)
        if self.dropped:
            return
        if not self.live:
            if len(self.backlog) < BACKLOG_LIMIT:
                self.backlog.append((version, frame))
            return
        self.version = max(self.version, version)
        self._put(frame)

    def reply(self, text: str) -> None:
        """Send the socket's own reply (a snapshot, an ack, a pong, an error) now, live or not, under the
        same cap as broadcasts: a client that sends and never reads cannot grow the server either."""
        if not self.dropped:
            self._put(Frame(text))

    def _put(self, frame: Frame) -> None:
        if self._direct is not None:
            outcome = self._direct.write(frame.wire)
            if not outcome:  # transport.SENT, the usual case, tested first and cheaply
                return
            if outcome == transport.OVER_CAP:
                self._overflow()
                return
            # USE_ASGI_SEND: autobahn is sending or compressing on its own; its path keeps the order
        if self._buffered is not None and self._buffered.get_write_buffer_size() > self.cap_bytes:
            self._overflow()
            return
        if self._drainer is not None or self._outbox:
            # A send of ours is still under way: queue behind it, so this socket's order holds.
            if self._outbox is None:
                self._outbox = deque()
            if len(self._outbox) >= self.cap_frames:
                self._overflow()
                return
            self._outbox.append(frame)
            return
        self._start_send(frame)

    def _start_send(self, frame: Frame) -> None:
        """Run the ASGI send up to its first wait; only a send that really waits gets a task."""
        coro = self._send({"type": "websocket.send", "text": frame.text})
        try:
            waiting_on = coro.send(None)
        except StopIteration:
            return
        except Exception:  # a socket that went away mid-write must not stop the others
            logger.debug("write to a closed socket dropped", exc_info=True)
            return
        self._drainer = asyncio.get_running_loop().create_task(self._drain(_Resumed(coro, waiting_on)))

    async def _drain(self, first: Awaitable[None]) -> None:
        try:
            await first
            while self._outbox and not self.dropped:
                frame = self._outbox.popleft()
                await self._send({"type": "websocket.send", "text": frame.text})
        except Exception:
            logger.debug("write to a closed socket dropped", exc_info=True)
        finally:
            self._drainer = None

    async def flushed(self) -> None:
        """Wait until every frame written so far has been handed to the server."""
        while self._drainer is not None:
            await asyncio.shield(self._drainer)

    def _overflow(self) -> None:
        """The client stopped reading: drop the connection so its buffer is freed at once."""
        if self.dropped:
            return
        self.dropped = True
        if self._outbox is not None:
            self._outbox.clear()
        logger.info("%s socket stopped reading: unsent output over the cap; dropped", self.audience)
        if self._direct is not None:
            metrics.socket_closed("aborted", by="server")
            self._direct.abort()
        elif self._buffered is not None:
            metrics.socket_closed("aborted", by="server")
            self._buffered.abort()
        elif self.on_overflow is not None:
            asyncio.get_running_loop().create_task(self.on_overflow())

    async def go_live(self, snapshot_version: int) -> None:
        """Start writing; first send held frames newer than the snapshot the socket was just sent."""
        backlog, self.backlog = self.backlog, []
        self.live = True
        self.version = max(self.version, snapshot_version)
        for version, frame in backlog:
            # Same-version frames too: joins and answered counts do not bump the round's version.
            if version >= snapshot_version:
                self.write(version, frame)


class _Resumed:
    """Awaits the rest of a coroutine that has already run up to ``waiting_on``, its first wait."""

    __slots__ = ("coro", "waiting_on")

    def __init__(self, coro, waiting_on) -> None:
        self.coro = coro
        self.waiting_on = waiting_on

    def __await__(self):
        pending = self.waiting_on
        while True:
            try:
                sent = yield pending
            except BaseException as exc:
                try:
                    pending = self.coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    pending = self.coro.send(sent)
                except StopIteration as stop:
                    return stop.value


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
        # Ids of the messages delivered lately, and the newest version delivered: a message sent again
        # after a Redis outage (quiz.broadcast.Outbox) reaches each socket once, and never after a newer one.
        self.recent_ids: deque[str] = deque(maxlen=RECENT_IDS)
        self.delivered_version = 0
        self.answered_shown: tuple[int, int] = (-1, -1)  # (question, count) of the last answered count

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
        message_id = message.get("id")
        if message_id is not None:
            if message_id in self.recent_ids:
                return
            if message.get("echo") and version < self.delivered_version:
                return
            self.recent_ids.append(message_id)
        answered = message.get("answered")
        if answered is not None:
            question, count = answered
            shown_question, shown = self.answered_shown
            if question == shown_question and count < shown:
                return  # overtaken by a higher count for the same question: screens never count down
            self.answered_shown = (question, count)
        self.delivered_version = max(self.delivered_version, version)
        frames: dict[str, str | list[str]] = message.get("frames") or {}
        personal: dict[str, str] = message.get("personal") or {}
        started = time.perf_counter()
        written = 0
        for audience, texts in frames.items():
            sinks = list(self.by_audience.get(audience, ()))
            for text in [texts] if isinstance(texts, str) else texts:
                frame = Frame(text)  # serialised and framed once for every socket of the audience
                written += len(sinks)
                for sink in sinks:
                    sink.write(version, frame)
        for contestant_id, text in personal.items():
            frame = Frame(text)
            for sink in list(self.by_contestant.get(int(contestant_id), ())):
                written += 1
                sink.write(version, frame)
        if written:
            metrics.FANOUT_SECONDS.observe(time.perf_counter() - started)
            metrics.FANOUT_SOCKETS.observe(written)
        for contestant_id in message.get("close") or ():
            for sink in list(self.by_contestant.get(contestant_id, ())):
                if sink.on_close is not None:
                    await sink.flushed()  # the "kicked" frame goes out before the close
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
        from quiz.services.rounds import around_close_if_due

        try:
            closed = await around_close_if_due(round_id=self.round_id)
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
            metrics.socket_opened(round_id, sink.audience)
            try:
                await channel.subscribe()
            except BaseException:
                self.rounds.pop(round_id, None)
                metrics.socket_gone(round_id, sink.audience)
                raise
        else:
            channel.add(sink)
            metrics.socket_opened(round_id, sink.audience)
            await channel.ready.wait()

    async def detach(self, round_id: int, sink: Sink) -> None:
        channel = self.rounds.get(round_id)
        if channel is None:
            return
        if sink not in channel.sinks:
            return
        channel.remove(sink)
        metrics.socket_gone(round_id, sink.audience)
        if not channel.sinks:
            del self.rounds[round_id]
            metrics.round_left(round_id, {"contestant", "host", "display"})
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
