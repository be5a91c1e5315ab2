"""The quiz sockets read their frames in one plain loop: no task per frame and none waiting per socket."""

import asyncio

import pytest

from tests.live import contestant, display

pytestmark = [pytest.mark.django_db(transaction=True)]


def reading_tasks() -> list[asyncio.Task]:
    """Tasks whose whole work is reading a socket's next message (Channels' loop makes one per frame)."""
    return [
        task for task in asyncio.all_tasks() if getattr(task.get_coro(), "__qualname__", "") == "Queue.get"
    ]


async def test_phones_and_screens_wait_for_their_next_frame_without_a_task_of_their_own(make_round):
    round_, _ = await make_round()
    phone, _ = await contestant(round_.pin, "Ann")
    screen, _ = await display(round_.pin)
    for t in range(3):
        await phone.request({"type": "ping", "t": t}, "pong")
        await screen.request({"type": "ping", "t": t}, "pong")

    assert reading_tasks() == []
    await phone.close()
    await screen.close()


async def test_a_socket_handles_its_frames_one_after_another_in_the_order_sent(make_round):
    round_, _ = await make_round()
    phone, _ = await contestant(round_.pin, "Ann")

    for t in range(20):
        await phone.send({"type": "ping", "t": t})
    pongs = [await phone.expect("pong") for _ in range(20)]

    assert [p["t"] for p in pongs] == list(range(20))
    await phone.close()
