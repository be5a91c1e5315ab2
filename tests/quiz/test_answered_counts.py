"""The ``answered`` count: one per throttle window per round across processes, never a lower one after a
higher one (quiz.counts, quiz.hub), in memory, through a shared Redis, and on two daphne processes."""

from __future__ import annotations

import asyncio
import itertools
import json

import pytest
import websockets

from quiz.counts import Decision, LocalGate, RedisGate
from quiz.hub import Hub, RoundChannel
from quiz.services.answers import answered_message
from tests.live import session_cookie_for
from tests.servers import daphne_servers, private_redis

W = 0.3  # the window


def counts(answered: int, question: int = 0) -> tuple[int, int, int, int]:
    return (5, question, answered, 10)


# (time offered, answered, question, what the gate says)
LOCAL = [
    (0.00, 1, 0, Decision("publish", counts(1))),
    (0.10, 2, 0, Decision("retry", delay=0.2)),
    (0.20, 1, 0, Decision("retry", delay=0.1)),  # a lower count from a slow batch: the highest waits
    (0.30, 2, 0, Decision("publish", counts(2))),
    (0.35, 2, 0, Decision("none")),  # the same count again: shown already
    (0.40, 1, 0, Decision("none")),  # lower than shown: never published
    (0.65, 3, 0, Decision("publish", counts(3))),
    (0.70, 1, 1, Decision("retry", delay=0.25)),  # the next question: its own count, the round's window
    (0.95, 1, 1, Decision("publish", counts(1, question=1))),
    (1.30, 9, 0, Decision("none")),  # a late count of the previous question: screens have moved on
]


def test_the_local_gate_publishes_the_highest_count_at_most_once_per_window():
    gate = LocalGate(W)

    said = [gate.offer(7, counts(n, q), at) for at, n, q, _ in LOCAL]

    for (at, n, q, expected), decision in zip(LOCAL, said, strict=True):
        assert decision.action == expected.action, (at, n, q, decision)
        assert decision.counts == expected.counts, (at, n, q, decision)
        assert decision.delay == pytest.approx(expected.delay), (at, n, q, decision)


def test_rounds_have_windows_of_their_own():
    gate = LocalGate(W)

    assert gate.offer(1, counts(1), 0.0).action == "publish"
    assert gate.offer(2, counts(1), 0.0).action == "publish"


async def test_two_processes_sharing_redis_publish_once_per_window_and_never_lower():
    with private_redis() as redis:
        # given two processes' gates on one Redis
        first, second = RedisGate(redis.url, "test", W), RedisGate(redis.url, "test", W)

        # when both offer counts of one burst at once
        a = await first.offer(9, counts(4))
        b = await second.offer(9, counts(6))
        c = await first.offer(9, counts(5))

        # then one publishes, the others wait for the window, and the highest is what comes next
        assert (a.action, a.counts) == ("publish", counts(4))
        assert b.action == c.action == "retry" and 0 < b.delay <= W
        await asyncio.sleep(b.delay + 0.01)
        late = await first.offer(9, counts(5))  # the lower count's retry publishes the highest offered
        assert (late.action, late.counts) == ("publish", counts(6))
        again = await second.offer(9, counts(6))
        assert again.action == "none"
        # and once the next question has a count, a late one of the previous question is never shown
        assert (await second.offer(9, counts(1, question=1))).action in {"publish", "retry"}
        assert (await first.offer(9, counts(9))).action == "none"
        for gate in (first, second):
            await gate.client.aclose()


async def test_a_hub_never_delivers_a_lower_count_after_a_higher_one_for_the_same_question():
    # given a round channel with a host socket
    channel = RoundChannel(Hub(), 3)
    written = []

    class Host:
        audience, contestant_id, live = "host", None, True

        def write(self, version, frame):
            written.append(json.loads(frame.text)["answered"])

    channel.by_audience = {"host": [Host()]}

    # when counts arrive out of order (two processes published them)
    for question, answered in ((0, 5), (0, 7), (0, 6), (0, 7), (1, 1)):
        await channel.deliver(answered_message(4, question, answered, 10))

    # then the host never saw the count go down, and the next question starts again
    assert written == [5, 7, 7, 1]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
async def test_two_processes_send_hosts_at_most_one_count_per_window(make_round):
    round_, user = await make_round(questions=1)
    cookie = await session_cookie_for(user)
    origin = {"Origin": "http://localhost"}
    with daphne_servers(2) as ports:
        console = await websockets.connect(
            f"ws://127.0.0.1:{ports[0]}/ws/host/{round_.id}/", additional_headers={**origin, "Cookie": cookie}
        )
        await console.recv()
        phones = []
        for i in range(24):
            ws = await websockets.connect(
                f"ws://127.0.0.1:{ports[i % 2]}/ws/play/", additional_headers=origin
            )
            await ws.send(json.dumps({"type": "join", "pin": round_.pin, "nickname": f"P{i}"}))
            while json.loads(await ws.recv())["type"] != "welcome":
                pass
            phones.append(ws)
        await console.send(json.dumps({"type": "open", "question": 0}))
        for ws in phones:
            while json.loads(await ws.recv()).get("event") != "question.opened":
                pass

        # when everyone answers at once, on both processes
        await asyncio.gather(
            *(ws.send(json.dumps({"type": "answer", "question": 0, "choices": [0]})) for ws in phones)
        )
        seen = []
        loop = asyncio.get_running_loop()
        end = loop.time() + 3
        while loop.time() < end:
            try:
                frame = json.loads(await asyncio.wait_for(console.recv(), end - loop.time()))
            except TimeoutError:
                break
            if frame["type"] == "answered":
                seen.append((loop.time(), frame["answered"]))

        # then counts came at most once per window (a little slack for the network), never went down,
        # and the last one is everybody
        print(f"{len(seen)} answered frames for 24 answers on two processes: {[n for _, n in seen]}")
        times = [t for t, _ in seen]
        assert all(later - earlier >= W * 0.8 for earlier, later in itertools.pairwise(times)), seen
        shown = [n for _, n in seen]
        assert shown == sorted(shown) and shown[-1] == 24, seen
        for ws in [*phones, console]:
            await ws.close()
