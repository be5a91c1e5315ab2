"""A lean WebSocket client for thousands of sockets: websockets' sans-I/O protocol on an asyncio Protocol.

The load client must not be the bottleneck it measures. ``websockets``' asyncio client wakes one reader
task per socket per frame (~50 µs of client CPU per received frame here), which made the *client* the
limit when the raw baseline fans out to 5,000 sockets. Here frames are parsed by the same ``websockets``
protocol code but handled in ``data_received``: no task, no queue, no per-frame wake-up. Pings are
answered and close frames echoed by the protocol object itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.protocol import State
from websockets.typing import Origin
from websockets.uri import parse_uri


class WSClient(asyncio.Protocol):
    def __init__(
        self,
        url: str,
        *,
        origin: str,
        headers: dict[str, str] | None,
        on_text: Callable[[str], None],
        on_lost: Callable[[int | None, str], None],
        max_size: int = 2**22,
    ) -> None:
        self.protocol = ClientProtocol(parse_uri(url), origin=Origin(origin), max_size=max_size)
        self.request = self.protocol.connect()
        for name, value in (headers or {}).items():
            self.request.headers[name] = value
        self.on_text = on_text
        self.on_lost = on_lost
        self.transport: asyncio.Transport | None = None
        self.opened: asyncio.Future = asyncio.get_running_loop().create_future()
        self._fragments: list[bytes] = []

    @classmethod
    async def connect(cls, host: str, port: int, path: str, **kwargs) -> WSClient:
        loop = asyncio.get_running_loop()
        _, client = await loop.create_connection(
            lambda: cls(f"ws://{host}:{port}{path}", **kwargs), host, port
        )
        await client.opened
        return client

    # --- asyncio.Protocol ----------------------------------------------------------------------------------

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.protocol.send_request(self.request)
        self._flush()

    def data_received(self, data: bytes) -> None:
        self.protocol.receive_data(data)
        for event in self.protocol.events_received():
            if isinstance(event, Response):
                if not self.opened.done():
                    if self.protocol.handshake_exc is not None:
                        self.opened.set_exception(self.protocol.handshake_exc)
                    else:
                        self.opened.set_result(None)
            elif isinstance(event, Frame):
                self._frame(event)
        self._flush()

    def eof_received(self) -> bool | None:
        self.protocol.receive_eof()
        self._flush()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionError("connection closed during the handshake"))
        self.on_lost(self.protocol.close_code, self.protocol.close_reason or (str(exc) if exc else ""))

    # --- frames --------------------------------------------------------------------------------------------

    def _frame(self, frame: Frame) -> None:
        if frame.opcode is Opcode.TEXT:
            if frame.fin:
                self.on_text(frame.data.decode())
            else:
                self._fragments = [frame.data]
        elif frame.opcode is Opcode.CONT and self._fragments:
            self._fragments.append(frame.data)
            if frame.fin:
                data, self._fragments = b"".join(self._fragments), []
                self.on_text(data.decode())

    def _flush(self) -> None:
        if self.transport is None:
            return
        for data in self.protocol.data_to_send():
            if data:
                self.transport.write(data)
            elif self.transport.can_write_eof():
                self.transport.write_eof()
        if self.protocol.close_expected() and self.protocol.state is State.CLOSED:
            self.transport.close()

    # --- the API the load client uses ----------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.protocol.state is State.OPEN

    @property
    def close_code(self) -> int | None:
        return self.protocol.close_code

    def send(self, text: str) -> bool:
        """Queue a text frame; False if the socket is no longer open."""
        if self.protocol.state is not State.OPEN:
            return False
        self.protocol.send_text(text.encode())
        self._flush()
        return True

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()
