"""A host command given while Redis is down still reaches every phone once Redis is back.

The command commits to PostgreSQL; its broadcast waits in the serving process's outbox
(``quiz.broadcast.Outbox``) and goes out when Redis answers again, then once more for the hubs that
re-subscribe later. Phones that stayed connected on either process see the question open, with its
deadline, exactly once.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.live import session_cookie_for
from tests.reliability.test_faults import (
    Console,
    deadline_closes,
    event,
    everyone_sees,
    join_all,
    on_all,
    reveal_and_open_the_next,
)
from tests.servers import daphne_fleet, private_redis

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]


async def test_a_question_opened_while_redis_is_down_reaches_every_phone_when_it_is_back(make_round):
    round_, user = await make_round(questions=2, time_limit=15)
    console = Console(round_.id, await session_cookie_for(user))

    with private_redis() as redis, daphne_fleet(2, env={"REDIS_URL": redis.url}) as fleet:
        await console.connect(fleet.ports[0])
        phones = await join_all(20, round_.pin, fleet.ports)

        # when: Redis is down while the host opens the question
        redis.stop()
        reply = await console.command({"type": "open", "question": 0})
        await asyncio.sleep(1)
        redis.start()

        # then: every phone, on both processes, hears of it once Redis is back
        opened = await everyone_sees(phones, event("question.opened", 0))
        assert {frame["version"] for frame in opened} == {reply["version"]}
        assert len({frame["round"]["question"]["deadline"] for frame in opened}) == 1
        assert all(sum(event("question.opened", 0)(f) for f in p.frames) == 1 for p in phones)

        replies = await on_all(phones, lambda p: p.answer(0, 0))
        assert all(r["type"] == "ack" for r in replies), replies
        # the deadline reached both processes with the delayed message: it closes once, for everyone
        closes = await everyone_sees(phones, event("question.closed", 0))
        assert {c["reason"] for c in closes} == {"deadline"}
        await reveal_and_open_the_next(console, phones)

    assert await deadline_closes(round_.id) == 1
