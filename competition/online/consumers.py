"""The duel socket: parse a frame, call one service, forward. Identity is the signed-in contestant's
session and the duel's code; state lives in the database, so any process can serve either player.

Each socket keeps one timer to the duel's next clock change (a question's deadline, the next question,
the partner's join-by time) and asks the service then; the service moves the duel on exactly once
(conditional update) and publishes ``duel.changed`` to the duel's group; every socket in the group then
sends its own player their own frame.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from competition.online.errors import OnlineError
from competition.online.protocol import DuelAnswerCommand, parse_duel
from competition.online.services.duels import aduel_answer, aduel_frame, asession_contestant, group_name
from quiz import protocol
from quiz.engine.throttle import FrameBucket, Verdict
from quiz.protocol import ProtocolError

logger = logging.getLogger(__name__)


class DuelConsumer(AsyncWebsocketConsumer):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.contestant_id: int | None = None
        self.code = ""
        self.group = ""
        self.timer: asyncio.Task | None = None
        self.version = -1  # of the last frame sent
        limits = settings.QUIZ
        self.bucket = FrameBucket.full(
            rate=limits["FRAME_RATE"],
            burst=limits["FRAME_BURST"],
            close_after=limits["FLOOD_CLOSE_AFTER"],
            now=time.monotonic(),
        )

    async def connect(self) -> None:
        self.contestant_id = await asession_contestant(self.scope.get("session"))
        self.code = self.scope["url_route"]["kwargs"]["code"]
        await self.accept()
        if not self.contestant_id:
            await self.send_json({"type": "error", "code": "not_signed_in", "message": "sign in first"})
            await self.close(code=protocol.CLOSE_UNAUTHENTICATED)
            return
        try:
            frame = await aduel_frame(contestant_id=self.contestant_id, code=self.code)
        except OnlineError as exc:
            await self.send_json({"type": "error", "code": exc.code, "message": exc.message})
            await self.close(code=protocol.CLOSE_NOT_FOUND)
            return
        self.group = group_name(self.code)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.forward(frame)

    async def disconnect(self, code: int | None) -> None:
        if self.timer is not None:
            self.timer.cancel()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def send_json(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(frame, ensure_ascii=False))

    async def forward(self, frame: dict[str, Any]) -> None:
        self.version = max(self.version, frame["version"])
        await self.send_json(frame)
        self.schedule(frame)

    def schedule(self, frame: dict[str, Any]) -> None:
        """Wake at the duel's next clock change and fetch the frame then (which applies the change)."""
        if self.timer is not None:
            self.timer.cancel()
        wake = (
            frame.get("deadline")
            or frame.get("next_at")
            or (frame.get("join_by") if frame["phase"] == "waiting" else None)
        )
        if wake is None:
            return
        delay = max(0.0, (wake - frame["server_time"]) / 1000) + 0.05
        self.timer = asyncio.ensure_future(self._wake(delay, frame["version"]))

    async def _wake(self, delay: float, version: int) -> None:
        await asyncio.sleep(delay)
        frame = await aduel_frame(contestant_id=self.contestant_id, code=self.code)
        if frame["version"] != version:
            await self.forward(frame)

    async def duel_changed(self, message: dict[str, Any]) -> None:
        if not message.get("answered") and message.get("version", self.version + 1) <= self.version:
            return  # this socket's own timer already sent that version (it made the change, or saw it)
        frame = await aduel_frame(contestant_id=self.contestant_id, code=self.code)
        await self.forward(frame)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.bucket.take(time.monotonic()) is not Verdict.ACCEPT:
            await self.send_json({"type": "error", "code": "rate_limited", "message": "too many frames"})
            return
        try:
            content = protocol.decode(text_data, max_bytes=settings.QUIZ["MAX_FRAME_BYTES"])
            command = parse_duel(content)
            if isinstance(command, DuelAnswerCommand):
                reply = await aduel_answer(
                    contestant_id=self.contestant_id,
                    code=self.code,
                    position=command.position,
                    choices=command.choices,
                    submission=command.submission,
                )
            else:
                reply = {"type": "pong", "t": command.t, "server_time": int(time.time() * 1000)}
        except (ProtocolError, OnlineError) as exc:
            reply = {"type": "error", "code": exc.code, "message": str(exc)}
        await self.send_json(reply)
