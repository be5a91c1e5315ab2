"""A stage final survives its server processes: killed mid-segment, restarted, the same segment, buzz
order, answering team, scores and question clock come back from the database."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
import websockets

from tests.finals.conftest import make_final  # noqa: F401  (the finals' factory)
from tests.live import session_cookie_for
from tests.servers import daphne_fleet

pytestmark = pytest.mark.django_db(transaction=True)

SCRIPT = {"segments": [{"kind": "buzzer", "rules": {"questions": 3, "open_seconds": 3}}]}


class Client:
    def __init__(self, path: str, cookie: str | None = None) -> None:
        self.path, self.cookie = path, cookie
        self.frames: asyncio.Queue = asyncio.Queue()
        self.unread: list[dict] = []

    async def connect(self, port: int) -> dict:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        self.ws = await websockets.connect(
            f"ws://127.0.0.1:{port}{self.path}", origin="http://127.0.0.1", additional_headers=headers
        )
        self.reader = asyncio.get_running_loop().create_task(self._read())
        return await self.expect("final")

    async def _read(self) -> None:
        try:
            async for text in self.ws:
                await self.frames.put(json.loads(text))
        except websockets.ConnectionClosed:
            pass

    async def expect(self, kind: str, within: float = 10, event: str | None = None) -> dict:
        """The first frame of ``kind`` (with ``event``); frames passed over stay for a later expect."""

        def wanted(frame: dict) -> bool:
            return frame["type"] == kind and (event is None or event in frame.get("events", []))

        for i, frame in enumerate(self.unread):
            if wanted(frame):
                return self.unread.pop(i)
        async with asyncio.timeout(within):
            while True:
                frame = await self.frames.get()
                if frame["type"] == "error":
                    raise AssertionError(f"waiting for {kind}: {frame}")
                if wanted(frame):
                    return frame
                self.unread.append(frame)

    async def send(self, frame: dict) -> None:
        await self.ws.send(json.dumps(frame))

    async def command(self, action: str, **fields) -> dict:
        await self.send({"type": "command", "action": action, **fields})
        return await self.expect("final.reply")


@pytest.mark.parametrize("how", ["stopped", "killed"])
async def test_every_server_restarted_mid_segment_the_final_resumes_where_it_was(make_final, how):  # noqa: F811
    made = await make_final(script=SCRIPT)
    cookie = await session_cookie_for(made["user"])
    with daphne_fleet(1) as fleet:
        host = Client(f"/ws/final/host/{made['final'].id}/", cookie)
        captain = Client(f"/ws/final/team/{made['captains'][1]}/")
        await host.connect(fleet.ports[0])
        await captain.connect(fleet.ports[0])
        await host.command("start")
        await host.command("cue")
        await captain.send({"type": "buzz", "t": time.time() * 1000})
        await captain.expect("buzz.ack")
        won = await host.expect("final", event="buzz.winner")
        await host.command("mark", result="right", index=1)
        marked = await host.expect("final", event="answer.marked")
        await host.command("next_question", index=1)
        await host.command("cue")  # question 1 is open: nobody buzzes within its 3 s

        # when: the server goes away and comes back on the same port
        if how == "killed":
            fleet.kill(fleet.ports[0])
        else:
            fleet.stop_all()
        fleet.start_again()
        await asyncio.sleep(3.2)

        # then: the same segment and scores; the open question's clock ran out meanwhile and is applied
        host = Client(f"/ws/final/host/{made['final'].id}/", cookie)
        snapshot = (await host.connect(fleet.ports[0]))["final"]
        assert snapshot["segment"]["kind"] == "buzzer" and snapshot["question_index"] == 1
        assert snapshot["play"]["phase"] == "closed" and snapshot["play"]["closed_reason"] == "no_buzz"
        assert snapshot["teams"] == marked["final"]["teams"]
        assert snapshot["score_events"] == marked["final"]["score_events"]
        assert [e["reason"] for e in snapshot["score_events"]] == ["right"]
        assert won["final"]["play"]["answerer"] == made["teams"][1]
        # and the buzz of question 0 is still on record with its evidence
        await host.command("next_question", index=2)
        await host.command("cue")
        captain = Client(f"/ws/final/team/{made['captains'][2]}/")
        await captain.connect(fleet.ports[0])
        await captain.send({"type": "buzz"})
        assert (await captain.expect("buzz.ack"))["status"] == "accepted"
        decided = await host.expect("final", event="buzz.winner")
        assert decided["final"]["play"]["answerer"] == made["teams"][2]
