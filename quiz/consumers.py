"""WebSocket consumers: parse a frame, call one service, forward the reply. They hold only identity.

Round events do not pass through here: the per-process hub (``quiz.hub``) writes them to the socket.
These consumers never touch the ORM themselves, so they skip Channels' per-message database hop in
``dispatch()`` and ``websocket_disconnect()`` (22% of broadcast CPU when measured); every
service they call hops to a thread once and cleans up connections there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import timezone

from quiz import batching, frames, metrics, protocol, transport
from quiz.engine.clock import from_epoch_ms
from quiz.engine.rounds import IllegalTransition
from quiz.engine.throttle import FrameBucket, Verdict
from quiz.hub import Sink, get_hub
from quiz.protocol import ProtocolError
from quiz.services.answers import PendingAnswer
from quiz.services.contestants import JoinRequest, token_identity
from quiz.services.errors import QuizError
from quiz.services.rounds import around_command, around_id_for_pin
from quiz.services.snapshots import adisplay_snapshot, ahost_snapshot

logger = logging.getLogger(__name__)

CLOSE_FLUSH_SECONDS = 1.0
REFUSALS = (ProtocolError, QuizError, IllegalTransition)
CLOSE_FOR = {
    "unauthenticated": protocol.CLOSE_UNAUTHENTICATED,
    "forbidden": protocol.CLOSE_FORBIDDEN,
    "kicked": protocol.CLOSE_FORBIDDEN,
    "round_not_found": protocol.CLOSE_NOT_FOUND,
    "final_not_found": protocol.CLOSE_NOT_FOUND,
    "wrong_pin": protocol.CLOSE_NOT_FOUND,
}


class QuizConsumer(AsyncWebsocketConsumer):
    # No channel-layer channel per socket: broadcasts reach sockets through the hub.
    channel_layer_alias = "no-layer-per-socket"
    audience = ""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.sink: Sink | None = None  # subscribed to a round
        self.outlet: Sink | None = None  # where every frame to this socket goes, under the send cap
        self.round_id: int | None = None
        limits = settings.QUIZ
        self.bucket = FrameBucket.full(
            rate=limits["FRAME_RATE"],
            burst=limits["FRAME_BURST"],
            close_after=limits["FLOOD_CLOSE_AFTER"],
            now=time.monotonic(),
        )
        self.closing = False
        self.closed_by_server = False

    async def __call__(self, scope: dict[str, Any], receive, send) -> None:
        """The ASGI application: each message from the server is handled before the next is read.

        Channels' loop (``await_many_dispatch``) wraps every ``receive()`` in a task of its own and waits
        on it with ``asyncio.wait``, so that it can listen to a channel-layer channel too; these sockets
        have none (broadcasts come through the hub), so the one source is awaited directly: no task and
        no wait per frame, and no pending task per socket."""
        self.scope = scope
        self.channel_layer = None
        self.base_send = send
        with contextlib.suppress(StopConsumer):
            while True:
                await self.dispatch(await receive())

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels would run close_old_connections() in a thread before every message; see module docstring.
        handler = getattr(self, message["type"].replace(".", "_"), None)
        if handler is None:
            raise ValueError(f"no handler for {message['type']}")
        await handler(message)

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        # A client that breaks the rules (a frame over the server's message size) gets a close code.
        transport.close_on_failure(self.base_send)
        await super().websocket_connect(message)

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        if not self.closed_by_server and not (self.outlet is not None and self.outlet.dropped):
            metrics.socket_closed(message.get("code"), by="client")
        await self.disconnect(message.get("code"))
        raise StopConsumer()

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        # Frames that arrive while the close is under way are not read: there is nobody to answer.
        self.closing = True
        if not self.closed_by_server:
            self.closed_by_server = True
            metrics.socket_closed(code if type(code) is int else 1000, by="server")
        if self.outlet is not None and not self.outlet.dropped:
            # The error frame saying why goes out before the close; a client that reads nothing does not
            # hold the close up for long.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.outlet.flushed(), CLOSE_FLUSH_SECONDS)
        await super().close(code=code, reason=reason)

    async def disconnect(self, code: int | None) -> None:
        if self.sink is not None and self.round_id is not None:
            await get_hub().detach(self.round_id, self.sink)
            self.sink = None

    @property
    def version(self) -> int | None:
        return self.sink.version if self.sink is not None else None

    def _outlet(self) -> Sink:
        if self.outlet is None:
            self.outlet = Sink(self.base_send, self.audience, on_close=self.kicked, on_overflow=self.too_slow)
        return self.outlet

    async def send_frame(self, frame: dict[str, Any], text: str | None = None) -> None:
        """Reply on this socket (``text``: the frame's JSON, when already built), under the send cap."""
        if self.closing:
            return
        self._outlet().reply(text if text is not None else frames.dumps(frame))

    async def refuse(self, exc: Any, ref: str | None = None) -> None:
        await self.send_frame(frames.error_frame(exc, version=self.version, ref=ref))

    async def close_with(self, exc: Any) -> None:
        """Say why, then close with the documented close code (authorisation failures only)."""
        await self.refuse(exc)
        await self.close(code=CLOSE_FOR.get(exc.code, protocol.CLOSE_FORBIDDEN))

    async def subscribe(self, round_id: int, contestant_id: int | None = None) -> None:
        """Attach this socket's outlet to the round's broadcasts (one writer per socket keeps the order)."""
        self.round_id = round_id
        self.sink = self._outlet()
        self.sink.contestant_id = contestant_id
        self.sink.backlog.clear()  # of an attempt that failed after subscribing
        await get_hub().attach(round_id, self.sink)

    async def go_live(self, snapshot: dict[str, Any], text: str | None = None) -> None:
        """Send the snapshot (or ``text``, its JSON), then the events that arrived while it was read."""
        assert self.sink is not None
        await self.send_frame(snapshot, text)
        await self.sink.go_live(snapshot["version"])
        round_ = snapshot["round"]
        question = round_.get("question")
        deadline = question.get("deadline") if question and round_["phase"] == "open" else None
        if deadline is not None:
            deadline += question.get("extra_ms", 0)  # the question closes at the last contestant's deadline
        get_hub().watch_deadline(self.round_id, deadline, snapshot["version"])

    async def kicked(self) -> None:
        await self.close(code=protocol.CLOSE_FORBIDDEN)

    async def too_slow(self) -> None:
        await self.close(code=protocol.CLOSE_TOO_SLOW)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closing:
            return  # closing (flooding, or refused); frames still queued behind the close are not read
        verdict = self.bucket.take(time.monotonic())
        if verdict is not Verdict.ACCEPT:
            await self.refuse(
                ProtocolError(
                    "rate_limited",
                    "too many frames; wait before sending again",
                    retry_after_ms=self.bucket.retry_after_ms(),
                )
            )
            if verdict is Verdict.CLOSE:
                logger.info("closing a %s socket that kept flooding", self.audience)
                await self.close(code=protocol.CLOSE_FLOODING)
            return
        kind = None
        try:
            content = protocol.decode(text_data, max_bytes=settings.QUIZ["MAX_FRAME_BYTES"])
            kind = content["type"]
            await self.handle(content)
        except REFUSALS as exc:
            await self.refuse(exc, ref=kind)

    async def handle(self, content: dict[str, Any]) -> None:
        raise NotImplementedError

    async def pong(self, command: protocol.Ping) -> None:
        await self.send_frame(
            frames.pong_frame(command.t, server_time=int(time.time() * 1000), version=self.version)
        )


class ContestantConsumer(QuizConsumer):
    """A phone: join or resume, then answer. Everything else it sees comes from the hub."""

    audience = "contestant"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.contestant_id: int | None = None

    async def handle(self, content: dict[str, Any]) -> None:
        command = protocol.parse_contestant(content)
        if isinstance(command, protocol.Ping):
            await self.pong(command)
        elif isinstance(command, protocol.Join | protocol.Resume):
            if self.contestant_id is not None:
                raise ProtocolError("already_joined", "this socket has already joined a round")
            counter = metrics.JOINS if isinstance(command, protocol.Join) else metrics.RESUMES
            try:
                if isinstance(command, protocol.Join):
                    joined = await batching.ajoin(
                        JoinRequest(
                            pin=command.pin, nickname=command.nickname, code=command.code, key=command.key
                        )
                    )
                    token = joined.token
                else:
                    token = command.token
                outcome = await self.start(token)
            except REFUSALS as exc:
                metrics.count(counter, exc.code)
                raise
            metrics.count(counter, outcome)
        else:
            if self.contestant_id is None or self.round_id is None:
                raise ProtocolError("not_joined", "join the round first")
            answer = PendingAnswer(
                contestant_id=self.contestant_id,
                round_id=self.round_id,
                question=command.question,
                choices=command.choices,
                text=command.text,
                received_at=timezone.now(),
                client_elapsed_ms=command.client_elapsed_ms,
                rtt_ms=command.rtt_ms,
                tapped_at=None if command.tapped_at is None else from_epoch_ms(command.tapped_at),
            )
            try:
                outcome = await batching.aanswer_submit(answer)
            except Exception as exc:  # the batch was not written: nothing was acked, the phone resends
                logger.warning("answer from contestant %s not stored: %r", self.contestant_id, exc)
                raise ProtocolError("server_error", "the answer was not stored; send it again") from exc
            await self.send_frame(outcome.frame)

    async def start(self, token: str) -> str:
        """Subscribe to the token's round first, then read the snapshot: no event falls in between.

        Returns "welcomed", or "kicked" for a contestant the host removed (their socket is closed)."""
        contestant_id, round_id = token_identity(token)
        await self.subscribe(round_id, contestant_id)
        try:
            welcome = await batching.aresume(token)
        except QuizError as exc:
            await self.disconnect(None)
            if exc.code == "kicked":
                await self.close_with(exc)
                return "kicked"
            raise
        self.contestant_id = welcome.contestant_id
        await self.go_live(welcome.frame, welcome.text)
        return "welcomed"


class HostConsumer(QuizConsumer):
    """The host console: commands for one round; needs a logged-in user with host rights."""

    audience = "host"

    async def connect(self) -> None:
        await self.accept()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close_with(QuizError("unauthenticated", "log in to host a round"))
            return
        round_id = self.scope["url_route"]["kwargs"]["round_id"]
        await self.subscribe(round_id)
        try:
            snapshot = await ahost_snapshot(user=user, round_id=round_id)
        except QuizError as exc:
            await self.disconnect(None)
            await self.close_with(exc)
            return
        await self.go_live(snapshot)

    async def handle(self, content: dict[str, Any]) -> None:
        command = protocol.parse_host(content)
        if isinstance(command, protocol.Ping):
            await self.pong(command)
            return
        reply = await around_command(user=self.scope["user"], round_id=self.round_id, command=command)
        await self.send_frame(reply)


class DisplayConsumer(QuizConsumer):
    """The big screen: read-only, public information only (the key only after reveal)."""

    audience = "display"

    async def connect(self) -> None:
        await self.accept()
        try:
            round_id = await around_id_for_pin(pin=self.scope["url_route"]["kwargs"]["pin"])
        except QuizError as exc:
            await self.close_with(exc)
            return
        await self.subscribe(round_id)
        await self.go_live(await adisplay_snapshot(round_id=round_id))

    async def handle(self, content: dict[str, Any]) -> None:
        await self.pong(protocol.parse_display(content))
