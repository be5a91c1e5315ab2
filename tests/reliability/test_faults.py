"""Faults in the middle of a live round, on real daphne processes with real WebSocket clients.

Every client speaks the public protocol (docs/protocol.md): phones join with the PIN, keep the token from
their ``welcome`` and ``resume`` with it after a reconnect; the host console is a logged-in socket.
docs/reliability.md describes each fault and how the system recovers from it.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import pytest
import websockets
from asgiref.sync import sync_to_async

from quiz.engine.scoring import ScoringRule, base_points
from quiz.models import Answer, RoundLog
from tests.live import session_cookie_for
from tests.servers import daphne_fleet, private_redis

pytestmark = pytest.mark.django_db(transaction=True)

Frame = dict[str, Any]
Predicate = Callable[[Frame], bool]
WAIT = 90  # seconds: generous, for a loaded two-core machine; tests assert outcomes, never speed


class Disconnected(AssertionError):
    """The socket closed while a reply was awaited."""


class Client:
    """One real WebSocket at a time; keeps every frame the current socket received, in order."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.ws: websockets.ClientConnection | None = None
        self.frames: list[Frame] = []
        self._arrived = asyncio.Event()
        self._reader: asyncio.Task | None = None

    async def _open(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.frames = []
        self.ws = await websockets.connect(
            url,
            additional_headers={"Origin": "http://localhost", **(headers or {})},
            open_timeout=WAIT,
            ping_interval=None,
        )
        self._reader = asyncio.create_task(self._read(self.ws))

    async def _read(self, ws: websockets.ClientConnection) -> None:
        try:
            async for text in ws:
                self.frames.append(json.loads(text))
                self._arrived.set()
        except websockets.ConnectionClosed:
            pass
        finally:
            self._arrived.set()

    @property
    def connected(self) -> bool:
        return self._reader is not None and not self._reader.done()

    async def send(self, frame: Frame) -> None:
        assert self.ws is not None
        await self.ws.send(json.dumps(frame))

    async def wait_for(self, wanted: Predicate, *, since: int = 0, timeout: float = WAIT) -> Frame:
        """The first frame from position ``since`` on that is ``wanted``, waiting for it if need be."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    for frame in self.frames[since:]:
                        if wanted(frame):
                            return frame
                    if not self.connected:
                        raise Disconnected(f"{self.name}: socket closed; last frames {self.frames[-3:]}")
                    self._arrived.clear()
                    await self._arrived.wait()
        except TimeoutError:
            raise AssertionError(
                f"{self.name}: nothing wanted in {timeout} s; last {self.frames[-3:]}"
            ) from None

    async def disconnected(self, timeout: float = WAIT) -> None:
        """Wait until the server side is gone (a killed or stopped server)."""
        assert self._reader is not None
        await asyncio.wait_for(asyncio.shield(self._reader), timeout)

    def drop(self) -> None:
        """Lose the connection the way a phone does on a bad network: no close handshake."""
        assert self.ws is not None
        self.ws.transport.abort()

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


class Phone(Client):
    """A contestant: joins once, resumes with its token after every reconnect."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.token: str | None = None
        self.contestant_id: int | None = None

    async def join(self, port: int, pin: str) -> Frame:
        await self._open(f"ws://127.0.0.1:{port}/ws/play/")
        await self.send({"type": "join", "pin": pin, "nickname": self.name})
        welcome = await self.wait_for(lambda f: f["type"] in ("welcome", "error"))
        assert welcome["type"] == "welcome", f"{self.name}: {welcome}"
        self.token, self.contestant_id = welcome["token"], welcome["me"]["id"]
        return welcome

    async def resume(self, port: int) -> Frame:
        await self._open(f"ws://127.0.0.1:{port}/ws/play/")
        await self.send({"type": "resume", "token": self.token})
        welcome = await self.wait_for(lambda f: f["type"] in ("welcome", "error"))
        assert welcome["type"] == "welcome", f"{self.name}: {welcome}"
        assert welcome["me"]["id"] == self.contestant_id
        return welcome

    async def answer(self, question: int, choice: int) -> Frame:
        """Send an answer and return the reply to it: an ``ack`` or an ``error``."""
        since = len(self.frames)
        await self.send({"type": "answer", "question": question, "choices": [choice]})
        return await self.wait_for(
            lambda f: (
                (f["type"] == "ack" and f["question"] == question)
                or (f["type"] == "error" and f.get("ref") == "answer")
            ),
            since=since,
        )


class Console(Client):
    """The host console of one round, logged in as a host."""

    def __init__(self, round_id: int, cookie: str) -> None:
        super().__init__("host")
        self.round_id = round_id
        self.cookie = cookie

    async def connect(self, port: int) -> Frame:
        await self._open(f"ws://127.0.0.1:{port}/ws/host/{self.round_id}/", {"Cookie": self.cookie})
        return await self.wait_for(lambda f: f["type"] == "snapshot")

    async def command(self, frame: Frame) -> Frame:
        since = len(self.frames)
        await self.send(frame)
        reply = await self.wait_for(
            lambda f: f["type"] == "command" or (f["type"] == "error" and f.get("ref") == frame["type"]),
            since=since,
        )
        assert reply["type"] == "command" and reply["changed"], reply
        return reply


def event(name: str, index: int | None = None) -> Predicate:
    return lambda f: f["type"] == "state" and f["event"] == name and index in (None, f["index"])


def result_of(question: int) -> Predicate:
    return lambda f: f["type"] == "result" and f["question"] == question


async def on_all(items: Iterable[Any], work: Callable[[Any], Awaitable[Any]], limit: int = 50) -> list[Any]:
    """``work(item)`` for every item, at most ``limit`` at a time; results in order."""
    gate = asyncio.Semaphore(limit)

    async def one(item: Any) -> Any:
        async with gate:
            return await work(item)

    return await asyncio.gather(*(one(item) for item in items))


async def join_all(count: int, pin: str, ports: list[int]) -> list[Phone]:
    """``count`` phones joined, spread over ``ports`` in turn."""
    phones = [Phone(f"P{i:04d}") for i in range(count)]
    await on_all(enumerate(phones), lambda p: p[1].join(ports[p[0] % len(ports)], pin))
    return phones


async def everyone_sees(phones: list[Phone], wanted: Predicate) -> list[Frame]:
    return await on_all(phones, lambda phone: phone.wait_for(wanted), limit=len(phones))


async def reveal_and_open_the_next(console: Console, phones: list[Phone]) -> None:
    """The round goes on after question 0: every phone gets its result and question 1; then all leave."""
    await console.command({"type": "reveal", "question": 0})
    await everyone_sees(phones, result_of(0))
    await console.command({"type": "open", "question": 1})
    await everyone_sees(phones, event("question.opened", 1))
    await console.close()
    await on_all(phones, lambda p: p.close())


@sync_to_async
def stored_answers(round_id: int) -> dict[tuple[int, int], tuple[list[int], int]]:
    """(contestant id, question index) -> (choices, received_at in epoch ms), from the database."""
    rows = Answer.objects.filter(question__round_id=round_id).values_list(
        "contestant_id", "question__position", "choices", "received_at"
    )
    return {(c, q): (list(choices), int(at.timestamp() * 1000)) for c, q, choices, at in rows}


@sync_to_async
def deadline_closes(round_id: int) -> int:
    return RoundLog.objects.filter(round_id=round_id, action="close.deadline").count()


def assert_acks_stored(acks: dict[tuple[int, int], Frame], stored: dict[tuple[int, int], Any]) -> None:
    """Every acked answer is in the database exactly as its ack said."""
    missing = [key for key in acks if key not in stored]
    assert not missing, f"{len(missing)} acked answers are not stored: {missing[:5]}"
    for key, ack in acks.items():
        assert stored[key] == (ack["choices"], ack["received_at"]), key


async def test_reconnect_storm_every_contestant_resumes_with_its_answers_and_score(make_round, processes):
    round_, user = await make_round(questions=2, time_limit=600)
    console = Console(round_.id, await session_cookie_for(user))
    count = 500

    with daphne_fleet(processes) as fleet:
        await console.connect(fleet.ports[0])
        phones = await join_all(count, round_.pin, fleet.ports)

        # given: question 0 played and revealed, so everyone has a score; question 1 half answered
        await console.command({"type": "open", "question": 0})
        await everyone_sees(phones, event("question.opened", 0))
        await on_all(phones, lambda p: p.answer(0, int(p.name[1:]) % 4))
        await console.command({"type": "reveal", "question": 0})
        scores = {
            p.name: r["score"] for p, r in zip(phones, await everyone_sees(phones, result_of(0)), strict=True)
        }
        assert len(set(scores.values())) > 1, "some answers were right and some wrong"
        await console.command({"type": "open", "question": 1})
        opened = await everyone_sees(phones, event("question.opened", 1))
        deadline = opened[0]["round"]["question"]["deadline"]
        early = phones[::2]
        early_acks = dict(zip(early, await on_all(early, lambda p: p.answer(1, 1)), strict=True))
        assert all(ack["type"] == "ack" for ack in early_acks.values())

        # when: every phone loses its connection at once and comes back within two seconds
        for phone in phones:
            phone.drop()

        async def come_back(phone: Phone) -> Frame:
            await asyncio.sleep(random.uniform(0, 2))
            return await phone.resume(fleet.ports[int(phone.name[1:]) % len(fleet.ports)])

        welcomes = await on_all(phones, come_back, limit=count)

        # then: each is back at question 1 with its score and its stored answer (or none)
        for phone, welcome in zip(phones, welcomes, strict=True):
            assert welcome["round"]["phase"] == "open" and welcome["round"]["current"] == 1, phone.name
            assert welcome["round"]["question"]["deadline"] == deadline
            assert welcome["me"]["score"] == scores[phone.name], phone.name
            ack = early_acks.get(phone)
            expected = ack and {"question": 1, "choices": ack["choices"], "received_at": ack["received_at"]}
            assert welcome["me"]["answer"] == expected, phone.name

        # answers after the storm are acked; repeats get the stored answer back, never a second row
        replies = await on_all(phones, lambda p: p.answer(1, 2))
        for phone, reply in zip(phones, replies, strict=True):
            assert reply["type"] == "ack", reply
            assert reply["duplicate"] == (phone in early_acks), phone.name
            if phone in early_acks:
                assert (reply["choices"], reply["received_at"]) == (
                    early_acks[phone]["choices"],
                    early_acks[phone]["received_at"],
                )
        stored = await stored_answers(round_.id)
        assert len(stored) == 2 * count
        assert_acks_stored({(p.contestant_id, 1): r for p, r in zip(phones, replies, strict=True)}, stored)

        # and the resumed sockets are live: the close reaches every one of them, once
        await console.command({"type": "close", "question": 1})
        await everyone_sees(phones, event("question.closed", 1))
        await console.close()
        await on_all(phones, lambda p: p.close())
    assert all(sum(event("question.closed")(f) for f in p.frames) == 1 for p in phones)


@pytest.mark.services
async def test_kill_9_of_one_server_mid_question_loses_no_acked_answer_and_the_deadline_closes_once(
    make_round,
):
    round_, user = await make_round(questions=2, time_limit=20)
    console = Console(round_.id, await session_cookie_for(user))

    with daphne_fleet(2) as fleet:
        doomed, survivor = fleet.ports
        await console.connect(survivor)
        phones = await join_all(40, round_.pin, fleet.ports)
        on_doomed = phones[::2]
        await console.command({"type": "open", "question": 0})
        await everyone_sees(phones, event("question.opened", 0))
        acks: dict[tuple[int, int], Frame] = {}

        async def answer(phone: Phone, choice: int) -> None:
            try:
                reply = await phone.answer(0, choice)
            except Disconnected:
                return  # its server died first: no ack, so the phone sends it again after resuming
            assert reply["type"] == "ack", reply
            acks[(phone.contestant_id, 0)] = reply

        # given: a third of the phones have acked answers
        await on_all(phones[::3], lambda p: answer(p, 1))

        # when: the server of half the phones dies with answers from the others in flight
        in_flight = [asyncio.create_task(answer(p, 2)) for p in phones[1::3]]
        fleet.kill(doomed)
        await asyncio.gather(*in_flight)
        await on_all(on_doomed, lambda p: p.disconnected())

        # then: they resume on the survivor, see the open question and every answer acked to them
        welcomes = await on_all(on_doomed, lambda p: p.resume(survivor))
        for phone, welcome in zip(on_doomed, welcomes, strict=True):
            assert welcome["round"]["phase"] == "open" and welcome["round"]["current"] == 0
            ack = acks.get((phone.contestant_id, 0))
            if ack is not None:
                assert welcome["me"]["answer"] == {k: ack[k] for k in ("question", "choices", "received_at")}
        await on_all([p for p in phones if (p.contestant_id, 0) not in acks], lambda p: answer(p, 3))

        # the deadline still closes the question, once, for everyone; the round goes on
        closes = await everyone_sees(phones, event("question.closed", 0))
        assert {c["reason"] for c in closes} == {"deadline"} and len({c["version"] for c in closes}) == 1
        await reveal_and_open_the_next(console, phones)

    assert len(acks) == len(phones)
    assert_acks_stored(acks, await stored_answers(round_.id))
    assert await deadline_closes(round_.id) == 1
    assert all(sum(event("question.closed")(f) for f in p.frames) == 1 for p in phones)


@pytest.mark.services
async def test_redis_restarted_mid_question_every_process_hears_the_round_again(make_round):
    round_, user = await make_round(questions=2, time_limit=12)
    console = Console(round_.id, await session_cookie_for(user))

    with private_redis() as redis, daphne_fleet(2, env={"REDIS_URL": redis.url}) as fleet:
        await console.connect(fleet.ports[0])
        phones = await join_all(20, round_.pin, fleet.ports)
        await console.command({"type": "open", "question": 0})
        await everyone_sees(phones, event("question.opened", 0))

        # when: Redis dies and comes back empty, with question 0 still open
        redis.restart(down_for=2)

        # then: answers still go to PostgreSQL and are acked
        replies = await on_all(phones, lambda p: p.answer(0, 0))
        assert all(reply["type"] == "ack" for reply in replies), replies
        # the deadline's close reaches every phone on both processes, so both subscribed again
        closes = await everyone_sees(phones, event("question.closed", 0))
        assert {c["reason"] for c in closes} == {"deadline"}
        await reveal_and_open_the_next(console, phones)

    assert await deadline_closes(round_.id) == 1


@pytest.mark.parametrize("how", ["stopped", "killed"])
async def test_every_server_restarted_mid_question_the_round_resumes_at_the_same_question_and_deadline(
    make_round, processes, how
):
    """A deploy restarts every process (SIGTERM); a power cut kills them all (SIGKILL). Either way the
    round lives in the database: it comes back at the same question with the same deadline."""
    time_limit = 25
    round_, user = await make_round(questions=2, time_limit=time_limit)
    console = Console(round_.id, await session_cookie_for(user))

    with daphne_fleet(processes) as fleet:
        await console.connect(fleet.ports[0])
        phones = await join_all(30, round_.pin, fleet.ports)
        choice = {p: (int(p.name[1:]) // 2) % 2 for p in phones}  # choice 0 is the key of question 0
        await console.command({"type": "open", "question": 0})
        opened = await everyone_sees(phones, event("question.opened", 0))
        deadline = opened[0]["round"]["question"]["deadline"]
        early, late = phones[::2], phones[1::2]
        acks = {p: await p.answer(0, choice[p]) for p in early}
        assert all(ack["type"] == "ack" for ack in acks.values())

        # when: every server process goes away at once and comes back on the same ports
        if how == "killed":
            for port in fleet.live_ports:
                fleet.kill(port)
        else:
            fleet.stop_all()
        await on_all([*phones, console], lambda client: client.disconnected())
        fleet.start_again()

        # then: each phone resumes at question 0, still open, with the same deadline and its stored answer
        welcomes = await on_all(phones, lambda p: p.resume(fleet.ports[int(p.name[1:]) % len(fleet.ports)]))
        for phone, welcome in zip(phones, welcomes, strict=True):
            assert welcome["round"]["phase"] == "open" and welcome["round"]["current"] == 0, phone.name
            assert welcome["round"]["question"]["deadline"] == deadline, phone.name
            ack = acks.get(phone)
            expected = ack and {"question": 0, "choices": ack["choices"], "received_at": ack["received_at"]}
            assert welcome["me"]["answer"] == expected, phone.name
        await console.connect(fleet.ports[-1])

        # answers keep coming: the late half is acked, a repeat from the early half gets its first answer back
        for phone in late:
            acks[phone] = await phone.answer(0, choice[phone])
            assert acks[phone]["type"] == "ack" and acks[phone]["duplicate"] is False, acks[phone]
        repeat = await early[0].answer(0, 1 - choice[early[0]])
        assert repeat["duplicate"] is True and repeat["choices"] == acks[early[0]]["choices"]

        # the new processes close the question at the old deadline, once; the host reveals
        closes = await everyone_sees(phones, event("question.closed", 0))
        assert {c["reason"] for c in closes} == {"deadline"}
        await console.command({"type": "reveal", "question": 0})
        results = dict(zip(phones, await everyone_sees(phones, result_of(0)), strict=True))
        await console.close()
        await on_all(phones, lambda p: p.close())

    # the scores are those of the stored answers, timed from the question's opening before the restart
    opened_at = deadline - time_limit * 1000
    for phone, result in results.items():
        right = choice[phone] == 0
        assert result["correct"] is right and result["answered"] is True, phone.name
        # whole ms on both sides: the result says exactly which t and T its points used
        assert result["elapsed_ms"] == acks[phone]["received_at"] - opened_at, (phone.name, result)
        assert result["time_limit_ms"] == time_limit * 1000
        points = base_points(
            ScoringRule(), elapsed_ms=result["elapsed_ms"], time_allowed_ms=time_limit * 1000, weight=1
        )
        assert result["points"] == (points if right else 0), (phone.name, result, points)
        assert result["score"] == result["points"]
    assert min(results[p]["points"] for p in early if choice[p] == 0) > max(
        results[p]["points"] for p in late if choice[p] == 0
    ), "answers after the restart were later, so they earn less"
    assert_acks_stored(
        {(p.contestant_id, 0): ack for p, ack in acks.items()}, await stored_answers(round_.id)
    )
    assert await deadline_closes(round_.id) == 1
