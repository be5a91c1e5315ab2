"""Two daphne processes on PostgreSQL + Redis, contestants split across both."""

import asyncio
import json

import pytest
import websockets
from asgiref.sync import sync_to_async

from quiz.models import RoundLog
from tests.live import session_cookie_for
from tests.servers import daphne_servers

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


async def frames_until(ws, predicate, timeout: float = 8) -> list[dict]:
    """Read frames until one satisfies ``predicate``; returns all read."""
    seen = []
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            seen.append(frame)
            if predicate(frame):
                return seen


def is_event(name):
    return lambda f: f["type"] == "state" and f["event"] == name


async def test_every_contestant_on_either_process_gets_every_broadcast_and_the_deadline_closes_once(
    make_round,
):
    round_, user = await make_round(questions=2, time_limit=2)
    cookie = await session_cookie_for(user)

    with daphne_servers(2) as ports:
        origin = {"Origin": "http://localhost"}
        phones = []
        for i in range(8):
            port = ports[i % 2]
            ws = await websockets.connect(f"ws://127.0.0.1:{port}/ws/play/", additional_headers=origin)
            await ws.send(json.dumps({"type": "join", "pin": round_.pin, "nickname": f"P{i}"}))
            await frames_until(ws, lambda f: f["type"] == "welcome")
            phones.append(ws)
        console = await websockets.connect(
            f"ws://127.0.0.1:{ports[0]}/ws/host/{round_.id}/", additional_headers={**origin, "Cookie": cookie}
        )
        await frames_until(console, lambda f: f["type"] == "snapshot")

        await console.send(json.dumps({"type": "open", "question": 0}))
        await frames_until(console, lambda f: f["type"] == "command")
        await console.close()  # the host is gone before the deadline

        for i, ws in enumerate(phones):
            opened = await frames_until(ws, is_event("question.opened"))
            assert opened[-1]["round"]["question"]["index"] == 0, f"phone {i}"
            if i % 3 == 0:
                await ws.send(json.dumps({"type": "answer", "question": 0, "choices": [0]}))
                await frames_until(ws, lambda f: f["type"] == "ack")
        closes = []
        for ws in phones:
            seen = await frames_until(ws, is_event("question.closed"))
            closes.append(seen[-1])
        assert {c["reason"] for c in closes} == {"deadline"}
        assert len({c["version"] for c in closes}) == 1

        # nobody receives a second close
        for ws in phones:
            with pytest.raises(TimeoutError):
                await frames_until(ws, is_event("question.closed"), timeout=1)
            await ws.close()

    assert await sync_to_async(RoundLog.objects.filter(action="close.deadline").count)() == 1
