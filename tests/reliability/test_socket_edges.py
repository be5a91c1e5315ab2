"""The edges of a socket on a real daphne process: a host that never reads its replies, frames from
strangers on a socket being refused, and frames too large for the quiz or for the server."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets
from asgiref.sync import sync_to_async

from quiz.services.rounds import round_create
from tests.factories import HostRoleFactory, QuestionFactory, UserFactory
from tests.live import session_cookie_for
from tests.reliability.test_slow_socket import StalledPhone, rss_kb
from tests.servers import daphne_fleet

pytestmark = [pytest.mark.django_db(transaction=True)]

ORIGIN = {"Origin": "http://localhost"}
STEM = "一道很长的题目，" * 8300  # ~200 KB of UTF-8: every host payload carries all four
CAP_BYTES = 512 * 1024
UNTHROTTLED = {"QUIZ_FRAME_RATE": "1000", "QUIZ_FRAME_BURST": "1000"}
TRACEBACKS = ("Exception inside application", "Traceback")


@sync_to_async
def a_round(questions: int = 1, stem: str | None = None):
    role = HostRoleFactory()
    made = [
        QuestionFactory(**({"stem": f"{i}. {stem}"} if stem else {}), correct=[0]) for i in range(questions)
    ]
    return round_create(competition=role.competition, title="Edges", questions=made), role.user


async def next_frame(ws, kind: str, timeout: float = 10) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == kind:
                return frame


# --- a host that never reads -------------------------------------------------------------------------


async def test_a_host_socket_that_never_reads_its_replies_is_dropped_and_the_server_stays_small():
    # given a console whose every reply is the host payload of four 200 KB questions, about 800 KB
    round_, user = await a_round(questions=4, stem=STEM)
    cookie = await session_cookie_for(user)
    env = {"QUIZ_SEND_BUFFER_BYTES": str(CAP_BYTES), **UNTHROTTLED}
    with daphne_fleet(1, env=env) as fleet:
        (port,) = fleet.ports
        pid = fleet.procs[0].pid
        try:
            console = await asyncio.to_thread(StalledPhone, port, f"/ws/host/{round_.id}/", cookie)
            await asyncio.to_thread(console.until, "snapshot")
            rss_before = rss_kb(pid)

            # when it sends 80 commands (64 MB of replies) and never reads one
            sent = 0
            for _ in range(80):
                try:
                    console.send({"type": "open", "question": 0})
                except OSError:
                    break  # the server has dropped it
                sent += 1
                await asyncio.sleep(0.02)
            await asyncio.sleep(1)
            rss_after = rss_kb(pid)
            print(f"{sent} commands sent; server RSS grew {rss_after - rss_before} kB")

            # then the server cut it off, having held about the cap, not the replies it never read
            assert await asyncio.to_thread(console.read_until_dropped, 10)
            assert rss_after - rss_before < 16 * 1024
            assert not any(marker in fleet.log(port) for marker in TRACEBACKS)
        finally:
            print(fleet.log(port)[-3000:])


# --- strangers on a socket being refused -------------------------------------------------------------


@sync_to_async
def outsider_cookie():
    from django.test import Client

    client = Client()
    client.force_login(UserFactory())
    return "; ".join(f"{k}={v.value}" for k, v in client.cookies.items())


async def test_frames_sent_while_a_refused_socket_closes_log_no_traceback():
    round_, _ = await a_round()
    stranger = await outsider_cookie()
    with daphne_fleet(1) as fleet:
        (port,) = fleet.ports
        url = f"ws://127.0.0.1:{port}"
        refused = [
            (f"/ws/host/{round_.id}/", {}, 4001, "unauthenticated"),
            (f"/ws/host/{round_.id}/", {"Cookie": stranger}, 4003, "forbidden"),
            ("/ws/display/000000/", {}, 4004, "wrong_pin"),
        ]
        for path, headers, code, error in refused:
            for _ in range(5):
                # given a client that sends frames at once, without waiting for the server's first frame
                ws = await websockets.connect(url + path, additional_headers={**ORIGIN, **headers})
                for n in range(10):
                    try:
                        await ws.send(json.dumps({"type": "ping", "t": n}))
                    except websockets.ConnectionClosed:
                        break
                # then it is told why and closed with the documented code
                assert (await next_frame(ws, "error"))["code"] == error
                with pytest.raises(websockets.ConnectionClosed):
                    await asyncio.wait_for(ws.recv(), 5)
                assert ws.close_code == code
        await asyncio.sleep(0.5)
        # and the server logged no traceback for any of them
        log = fleet.log(port)
        assert not any(marker in log for marker in TRACEBACKS), log[-3000:]


# --- big frames --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "size", [4097, 100_000, 1024 * 1024 - 64], ids=["4 KiB", "100 KB", "just under 1 MiB"]
)
async def test_a_frame_over_the_quiz_limit_gets_frame_too_large_and_the_socket_stays_open(size):
    with daphne_fleet(1) as fleet:
        (port,) = fleet.ports
        ws = await websockets.connect(f"ws://127.0.0.1:{port}/ws/play/", additional_headers=ORIGIN)

        await ws.send(json.dumps({"type": "ping", "pad": "x" * size}))

        assert (await next_frame(ws, "error"))["code"] == "frame_too_large"
        await ws.send(json.dumps({"type": "ping", "t": 1}))
        assert (await next_frame(ws, "pong"))["t"] == 1
        await ws.close()


async def test_a_frame_over_the_servers_message_limit_closes_the_socket_with_1009_and_no_traceback():
    with daphne_fleet(1) as fleet:
        (port,) = fleet.ports
        ws = await websockets.connect(
            f"ws://127.0.0.1:{port}/ws/play/", additional_headers=ORIGIN, max_size=None
        )

        await ws.send("x" * (2 * 1024 * 1024))

        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
        assert ws.close_code == 1009  # Message Too Big (RFC 6455), not a dropped connection (1006)
        await asyncio.sleep(0.3)
        assert not any(marker in fleet.log(port) for marker in TRACEBACKS)
