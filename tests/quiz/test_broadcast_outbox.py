"""A round event the channel layer refuses (Redis restarting) is sent again, in order, once it answers."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from channels_redis.pubsub import RedisPubSubChannelLayer

from quiz import broadcast
from quiz.broadcast import Outbox, group_name, round_message
from tests.servers import private_redis


class FlakyLayer:
    """Refuses the first ``failures`` sends, then records what it is given."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.sent: list[tuple[int, int]] = []
        self.echoes: list[tuple[int, int]] = []

    def send(self, round_id: int, message: dict) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("Redis is restarting")
        (self.echoes if message.get("echo") else self.sent).append((round_id, message["version"]))


def message(version: int) -> dict:
    return round_message(version=version, frames={"display": f'{{"version": {version}}}'})


def wait_until_drained(outbox: Outbox, timeout: float = 10) -> None:
    end = time.monotonic() + timeout
    while outbox.pending() and time.monotonic() < end:
        time.sleep(0.02)
    assert outbox.pending() == 0, "the outbox did not drain"


def test_a_message_the_layer_takes_is_sent_at_once_and_nothing_waits():
    layer = FlakyLayer(failures=0)
    outbox = Outbox(layer.send)

    outbox.send(1, message(3))

    assert layer.sent == [(1, 3)]
    assert outbox.pending() == 0


def test_a_refused_message_is_sent_again_once_the_layer_answers_then_echoed_for_late_subscribers(caplog):
    layer = FlakyLayer(failures=3)
    outbox = Outbox(layer.send)

    with caplog.at_level(logging.INFO, logger=broadcast.__name__):
        outbox.send(7, message(4))
        wait_until_drained(outbox)

    assert layer.sent == [(7, 4)]
    assert layer.echoes == [(7, 4)] * len(Outbox.ECHO_AFTER)
    assert "publishing failed" in caplog.text
    assert "published a delayed message" in caplog.text


def test_messages_after_a_refused_one_wait_behind_it_and_arrive_in_order():
    layer = FlakyLayer(failures=2)
    outbox = Outbox(layer.send)

    for version in (5, 6, 7):
        outbox.send(1, message(version))
    wait_until_drained(outbox)

    assert layer.sent == [(1, 5), (1, 6), (1, 7)]
    assert sorted(layer.echoes) == sorted([(1, 5), (1, 6), (1, 7)] * len(Outbox.ECHO_AFTER))


def test_a_message_still_refused_after_the_retry_window_is_given_up_with_an_error(settings, caplog):
    settings.QUIZ = {**settings.QUIZ, "PUBLISH_RETRY_SECONDS": 0.3}
    layer = FlakyLayer(failures=10**6)
    outbox = Outbox(layer.send)

    with caplog.at_level(logging.ERROR, logger=broadcast.__name__):
        outbox.send(2, message(9))
        wait_until_drained(outbox)

    assert layer.sent == layer.echoes == []
    assert "gave up publishing a message (version 9)" in caplog.text
    # the outbox is usable again: the next message goes straight out
    layer.failures = 0
    outbox.send(2, message(10))
    assert layer.sent == [(2, 10)]
    assert outbox.pending() == 0  # sent at once: no echo


async def test_a_round_event_published_while_redis_is_down_reaches_a_subscriber_after_it_restarts(settings):
    with private_redis() as redis:
        layer = RedisPubSubChannelLayer(hosts=[redis.url], prefix="outbox-test")
        channel = await layer.new_channel("hub.")
        await layer.group_add(group_name(11), channel)
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": layer_config(redis),
            }
        }
        from channels.layers import channel_layers

        channel_layers.backends.pop("default", None)  # read the settings above
        outbox = Outbox()
        try:
            redis.stop()
            # the host's command commits while Redis is down; its publish is refused and kept
            await asyncio.to_thread(outbox.send, 11, message(12))
            assert outbox.pending() == 1

            redis.start()
            received = await asyncio.wait_for(layer.receive(channel), timeout=20)

            assert received["version"] == 12
            assert received["frames"] == {"display": '{"version": 12}'}
            await asyncio.to_thread(wait_until_drained, outbox)
            echo = await asyncio.wait_for(layer.receive(channel), timeout=20)
            assert echo["echo"] is True
            assert echo["id"] == received["id"]
        finally:
            channel_layers.backends.pop("default", None)
            await layer.flush()


def layer_config(redis) -> dict:
    return {"hosts": [redis.url], "prefix": "outbox-test"}


@pytest.fixture(autouse=True)
def _no_leftover_waiting():
    yield
    assert broadcast.outbox.pending() == 0, "the process outbox kept a message from a test"


class Recorder:
    """A socket's send as the hub sees it: keeps the text of every frame."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    async def __call__(self, message: dict) -> None:
        self.texts.append(message["text"])


async def live_display(round_id: int):
    from quiz.hub import Sink, get_hub

    recorder = Recorder()
    sink = Sink(recorder, "display")
    await get_hub().attach(round_id, sink)
    await sink.go_live(0)
    return get_hub().rounds[round_id], sink, recorder


async def settle(sink) -> None:
    await sink.flushed()
    await asyncio.sleep(0)


async def test_a_hub_delivers_a_message_sent_twice_once():
    channel, sink, recorder = await live_display(901)
    first = message(3)
    try:
        await channel.deliver(first)
        await channel.deliver({**first, "echo": True})
        await channel.deliver(first)
        await settle(sink)
    finally:
        await channel.hub.detach(901, sink)

    assert recorder.texts == ['{"version": 3}']


async def test_a_hub_drops_an_echo_older_than_what_it_delivered_but_never_an_original():
    channel, sink, recorder = await live_display(902)
    try:
        await channel.deliver(message(5))
        await channel.deliver({**message(4), "echo": True})  # came back after a newer state: stale
        await channel.deliver(message(4))  # an original, from another process, arriving late
        await settle(sink)
    finally:
        await channel.hub.detach(902, sink)

    assert recorder.texts == ['{"version": 5}', '{"version": 4}']
