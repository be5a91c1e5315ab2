"""Helpers for talking to the real ASGI application over in-process WebSockets."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from config.asgi import application

ORIGIN = (b"origin", b"http://localhost")


class Socket:
    """A WebSocket client that keeps every frame it received, for assertions over a whole round."""

    def __init__(self, path: str, cookie: str | None = None) -> None:
        headers = [ORIGIN]
        if cookie:
            headers.append((b"cookie", cookie.encode()))
        self.comm = WebsocketCommunicator(application, path, headers=headers)
        self.frames: list[dict[str, Any]] = []  # everything received, in order
        self.unread: list[dict[str, Any]] = []  # received but not yet taken by next() or expect()
        self.closed_with: int | None = None

    async def connect(self) -> bool:
        connected, _ = await self.comm.connect()
        return connected

    async def send(self, frame: dict[str, Any] | str) -> None:
        await self.comm.send_to(text_data=frame if isinstance(frame, str) else json.dumps(frame))

    async def next(self, timeout: float = 3) -> dict[str, Any]:
        if self.unread:
            return self.unread.pop(0)
        return await self._receive(timeout)

    async def _receive(self, timeout: float) -> dict[str, Any]:
        message = await self.comm.receive_output(timeout)
        if message["type"] == "websocket.close":
            self.closed_with = message.get("code")
            return {"type": "_closed", "code": self.closed_with}
        frame = json.loads(message["text"])
        self.frames.append(frame)
        return frame

    async def expect(self, kind: str, timeout: float = 3, **match: Any) -> dict[str, Any]:
        """The first frame of ``kind`` (whose fields equal ``match``); frames passed over stay unread."""

        def wanted(frame: dict[str, Any]) -> bool:
            return frame["type"] == kind and all(frame.get(k) == v for k, v in match.items())

        for position, frame in enumerate(self.unread):
            if wanted(frame):
                return self.unread.pop(position)
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            frame = await self._receive(max(end - loop.time(), 0.01))
            if wanted(frame):
                return frame
            if frame["type"] == "_closed":
                raise AssertionError(
                    f"socket closed ({frame['code']}) while waiting for {kind}: {self.unread}"
                )
            self.unread.append(frame)

    async def request(self, frame: dict[str, Any], kind: str, **match: Any) -> dict[str, Any]:
        await self.send(frame)
        return await self.expect(kind, **match)

    async def quiet(self, timeout: float = 0.2) -> bool:
        return await self.comm.receive_nothing(timeout)

    async def close(self) -> None:
        await self.comm.disconnect()


@sync_to_async
def session_cookie_for(user) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


async def contestant(pin: str, nickname: str) -> tuple[Socket, dict[str, Any]]:
    sock = Socket("/ws/play/")
    assert await sock.connect()
    welcome = await sock.request({"type": "join", "pin": pin, "nickname": nickname}, "welcome")
    return sock, welcome


async def host(round_id: int, user) -> tuple[Socket, dict[str, Any]]:
    sock = Socket(f"/ws/host/{round_id}/", cookie=await session_cookie_for(user))
    assert await sock.connect()
    snapshot = await sock.expect("snapshot")
    return sock, snapshot


async def display(pin: str) -> tuple[Socket, dict[str, Any]]:
    sock = Socket(f"/ws/display/{pin}/")
    assert await sock.connect()
    return sock, await sock.expect("snapshot")
