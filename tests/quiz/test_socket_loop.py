"""The quiz sockets read their frames in one plain loop: no task per frame and none waiting per socket;
phones' sockets skip the URL router but not the origin check."""

import asyncio

import pytest
from channels.testing import WebsocketCommunicator

from config.asgi import application
from quiz.routing import PhonesFirst
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


@pytest.fixture
def routed_paths(monkeypatch):
    """The paths that reach Channels' URL router, behind the origin check and PhonesFirst."""
    phones_first = application.application_mapping["websocket"].application
    assert isinstance(phones_first, PhonesFirst)
    paths: list[str] = []
    router = phones_first.routed

    async def spy(scope, receive, send):
        paths.append(scope["path"])
        return await router(scope, receive, send)

    monkeypatch.setattr(phones_first, "routed", spy)
    return paths


async def test_phones_reach_their_consumer_without_the_url_router_and_other_sockets_through_it(
    make_round, routed_paths
):
    round_, _ = await make_round()

    phone, welcome = await contestant(round_.pin, "Ann")
    screen, _ = await display(round_.pin)

    assert welcome["me"]["nickname"] == "Ann"
    assert routed_paths == [f"/ws/display/{round_.pin}/"]
    await phone.close()
    await screen.close()


async def test_a_phone_socket_from_another_site_is_still_refused(routed_paths):
    comm = WebsocketCommunicator(application, "/ws/play/", headers=[(b"origin", b"https://evil.example")])

    connected, _ = await comm.connect()

    assert connected is False
    assert routed_paths == []
    await comm.disconnect()
