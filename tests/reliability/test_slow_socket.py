"""A contestant whose phone stops reading cannot grow the server's memory or slow the others.

A real daphne process; ten raw clients that join and then never read again (a small receive buffer);
three normal phones beside them; a host playing four questions with 200 KB stems, pausing and resuming
each sixteen times, so every stalled phone misses about 26 MB. The kernel takes the first few MB of that
(the socket's send buffer grows up to ``net.ipv4.tcp_wmem``, 4 MB by default), and the stalled sockets
share the frames' bytes, so without the cap the server grows by one copy of everything they missed:
measured from the second question, 23 MB on SQLite and 33 MB on PostgreSQL; with the cap 3-7 MB.
"""

import asyncio
import json
import socket
import time
from pathlib import Path

import pytest
import websockets
from asgiref.sync import sync_to_async
from websockets.client import ClientProtocol
from websockets.frames import Frame
from websockets.uri import parse_uri

from quiz.services.rounds import round_create
from tests.factories import HostRoleFactory, QuestionFactory
from tests.live import session_cookie_for
from tests.servers import daphne_fleet

pytestmark = [pytest.mark.django_db(transaction=True)]

QUESTIONS = 4
PAUSES = 16
STEM = "一道很长的题目，" * 8300  # ~200 KB of UTF-8 in every state frame (the host frame has all four)
STALLED = 10
CAP_BYTES = 512 * 1024  # over one frame: a phone that reads never has more unsent than that
ORIGIN = {"Origin": "http://localhost"}
UNTHROTTLED = {"QUIZ_FRAME_RATE": "1000", "QUIZ_FRAME_BURST": "1000"}
RSS_GROWTH_LIMIT_KB = 16 * 1024


class StalledPhone:
    """A WebSocket client on a plain socket: it reads only when told to, through websockets' sans-I/O."""

    def __init__(self, port: int, path: str = "/ws/play/", cookie: str | None = None) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: a small window
        self.sock.connect(("127.0.0.1", port))
        self.sock.settimeout(5)
        self.protocol = ClientProtocol(parse_uri(f"ws://127.0.0.1:{port}{path}"), origin="http://localhost")
        request = self.protocol.connect()
        if cookie:
            request.headers["Cookie"] = cookie
        self.protocol.send_request(request)
        self._flush()
        while self.protocol.handshake_exc is None and not self._handshaken():
            self._read()
        assert self.protocol.handshake_exc is None

    def _handshaken(self) -> bool:
        return self.protocol.state.name == "OPEN"

    def _flush(self) -> None:
        for data in self.protocol.data_to_send():
            if data:
                self.sock.sendall(data)

    def _read(self) -> bool:
        data = self.sock.recv(65536)
        if data:
            self.protocol.receive_data(data)
        else:
            self.protocol.receive_eof()
        return bool(data)

    def send(self, frame: dict) -> None:
        self.protocol.send_text(json.dumps(frame).encode())
        self._flush()

    def until(self, kind: str) -> dict:
        while True:
            for event in self.protocol.events_received():
                if isinstance(event, Frame) and event.opcode.name == "TEXT":
                    frame = json.loads(event.data)
                    if frame["type"] == kind:
                        return frame
            self._read()

    def read_until_dropped(self, timeout: float) -> bool:
        """Read everything that was buffered; True once the server has closed or reset the connection."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                if not self._read():
                    return True
            except (ConnectionResetError, BrokenPipeError):
                return True
            except TimeoutError:
                continue
        return False


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@sync_to_async
def long_round():
    role = HostRoleFactory()
    questions = [QuestionFactory(stem=f"{i}. {STEM}", correct=[0], time_limit=60) for i in range(QUESTIONS)]
    return round_create(competition=role.competition, title="Slow phone", questions=questions), role.user


async def next_frame(ws, kind: str, timeout: float = 10, **match) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == kind and all(frame.get(k) == v for k, v in match.items()):
                return frame


async def test_a_phone_that_stops_reading_is_dropped_past_the_cap_and_resumes_while_others_keep_up():
    round_, user = await long_round()
    cookie = await session_cookie_for(user)

    # The console sends its commands back to back, faster than any host would: lift the frame rate limit.
    limits = {"QUIZ_SEND_BUFFER_BYTES": str(CAP_BYTES), **UNTHROTTLED}
    with daphne_fleet(1, env=limits) as fleet:
        (port,) = fleet.ports
        pid = fleet.procs[0].pid
        try:
            url = f"ws://127.0.0.1:{port}"
            console = await websockets.connect(
                f"{url}/ws/host/{round_.id}/", additional_headers={**ORIGIN, "Cookie": cookie}, max_size=None
            )
            await next_frame(console, "snapshot")
            phones = []
            for i in range(3):
                ws = await websockets.connect(f"{url}/ws/play/", additional_headers=ORIGIN, max_size=None)
                await ws.send(json.dumps({"type": "join", "pin": round_.pin, "nickname": f"Reader {i}"}))
                await next_frame(ws, "welcome")
                phones.append(ws)
            stalled = []
            for i in range(STALLED):
                phone = await asyncio.to_thread(StalledPhone, port)
                phone.send({"type": "join", "pin": round_.pin, "nickname": f"Stalled {i}"})
                phone.token = (await asyncio.to_thread(phone.until, "welcome"))["token"]
                stalled.append(phone)

            rss_before = None
            slowest_ms = 0.0
            for index in range(QUESTIONS):
                if index == 1:
                    # measured from here: every code path and cache has been through one question
                    rss_before = rss_kb(pid)
                for command, event in (
                    ("open", "question.opened"),
                    *[("pause", "round.paused"), ("resume", "round.resumed")] * PAUSES,
                    ("reveal", "answer.revealed"),
                    ("leaderboard", "leaderboard.shown"),
                ):
                    sent = time.monotonic()
                    await console.send(json.dumps({"type": command, "question": index}))
                    await next_frame(console, "command", command=command)
                    for ws in phones:
                        await next_frame(ws, "state", event=event, index=index)
                    slowest_ms = max(slowest_ms, (time.monotonic() - sent) * 1000)
                    if (index, command) == (0, "open"):
                        # one stalled phone answers the first question; after its ack none of them reads again
                        stalled[0].send({"type": "answer", "question": 0, "choices": [0]})
                        await asyncio.to_thread(stalled[0].until, "ack")
            rss_after = rss_kb(pid)
            print(f"server RSS grew {rss_after - rss_before} kB; slowest broadcast {slowest_ms:.0f} ms")

            # every reader got every broadcast, each within a few seconds even on a busy machine
            assert slowest_ms < 5000
            # the server held at most about the cap per stalled phone, not the ~9 MB each missed since
            assert rss_after - rss_before < RSS_GROWTH_LIMIT_KB
            # and cut every stalled phone off
            for phone in stalled:
                assert await asyncio.to_thread(phone.read_until_dropped, 10)

            # a stalled phone resumes with everything it missed: the last question, its answer scored
            again = await websockets.connect(f"{url}/ws/play/", additional_headers=ORIGIN, max_size=None)
            await again.send(json.dumps({"type": "resume", "token": stalled[0].token}))
            welcome = await next_frame(again, "welcome")
            assert welcome["round"]["current"] == QUESTIONS - 1
            assert welcome["round"]["phase"] == "leaderboard"
            assert welcome["me"]["nickname"] == "Stalled 0"
            assert welcome["me"]["score"] > 0 and welcome["me"]["correct"] == 1

            for ws in [*phones, again, console]:
                await ws.close()
            for phone in stalled:
                phone.sock.close()
        finally:
            print(fleet.log(port))  # shown when the test fails
