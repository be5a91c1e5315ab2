"""A socket flooding frames is throttled, then closed, and never slows the other sockets."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from quiz import protocol
from quiz.engine.throttle import FrameBucket, Verdict
from quiz.protocol import HostCommand
from quiz.services.rounds import round_command
from tests.live import contestant

A, R, C = Verdict.ACCEPT, Verdict.REFUSE, Verdict.CLOSE


def verdicts(times: list[float], *, rate=10.0, burst=3.0, close_after=4.0) -> list[Verdict]:
    bucket = FrameBucket.full(rate=rate, burst=burst, close_after=close_after, now=0.0)
    return [bucket.take(t) for t in times]


@pytest.mark.parametrize(
    ("times", "expected"),
    [
        # the burst passes back to back, the next frame is refused
        ([0, 0, 0, 0], [A, A, A, R]),
        # at the rate (10/s) every frame passes, forever
        ([i / 10 for i in range(1, 30)], [A] * 29),
        # after the burst, one token every 0.1 s
        ([0, 0, 0, 0.05, 0.1, 0.1], [A, A, A, R, A, R]),
        # a pause refills to the burst, never beyond it
        ([0, 0, 0, 10, 10, 10, 10], [A, A, A, A, A, A, R]),
        # flooding: the fifth refusal in a row passes close_after and closes
        ([0] * 8, [A, A, A, R, R, R, R, C]),
        # refusals fade at the rate: a client that backs off is not closed
        ([0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1], [A, A, A, R, R, R, R, A, A, A, R, R]),
        # a clock that steps back refills nothing
        ([5, 5, 5, 4, 4.5], [A, A, A, R, R]),
    ],
    ids=["burst", "steady", "refill", "cap", "flood", "back-off", "clock-back"],
)
def test_the_frame_bucket_accepts_a_burst_then_the_rate_and_closes_a_flood(times, expected):
    assert verdicts(times) == expected


@pytest.mark.parametrize(
    ("spent_at", "now", "retry_ms"),
    [(0.0, 0.0, 100), (0.0, 0.05, 50), (0.0, 0.0995, 1)],
)
def test_the_retry_hint_is_the_time_until_the_next_token(spent_at, now, retry_ms):
    bucket = FrameBucket.full(rate=10, burst=1, close_after=5, now=0.0)
    assert bucket.take(spent_at) is Verdict.ACCEPT
    assert bucket.take(now) is Verdict.REFUSE
    assert bucket.retry_after_ms() == retry_ms


@pytest.mark.parametrize("bad", [{"rate": 0}, {"burst": 0.5}, {"close_after": 0}])
def test_a_bucket_without_room_for_one_frame_is_refused(bad):
    limits = {"rate": 1.0, "burst": 1.0, "close_after": 1.0, **bad}
    with pytest.raises(ValueError):
        FrameBucket.full(now=0.0, **limits)


@pytest.mark.django_db(transaction=True)
async def test_a_flooding_contestant_is_refused_then_closed_while_another_is_acked_normally(
    make_round, settings
):
    settings.QUIZ = {**settings.QUIZ, "FRAME_RATE": 5.0, "FRAME_BURST": 5.0, "FLOOD_CLOSE_AFTER": 20.0}
    round_, user = await make_round()
    flooder, _ = await contestant(round_.pin, "Flood")
    calm, _ = await contestant(round_.pin, "Calm")
    await sync_to_async(round_command)(user=user, round_id=round_.id, command=HostCommand("open", question=0))
    await calm.expect("state", event="question.opened")

    # the flood: far more frames than burst + close_after, all at once
    for _ in range(60):
        await flooder.send({"type": "answer", "question": 0, "choices": [1]})
    ack = await calm.request({"type": "answer", "question": 0, "choices": [0]}, "ack", timeout=2)

    assert ack["duplicate"] is False
    frames = []
    while (frame := await flooder.next(timeout=3))["type"] != "_closed":
        frames.append(frame)
    limited = [f for f in frames if f["type"] == "error" and f["code"] == "rate_limited"]
    assert limited and all(f["retry_after_ms"] >= 1 for f in limited)
    assert frame["code"] == protocol.CLOSE_FLOODING
    # only frames inside the budget were processed (the answer counts once); after the close none was read
    acks = [f for f in frames if f["type"] == "ack"]
    assert 1 <= len(acks) <= 15  # the burst of 5, plus 5 a second while the others were refused
    assert sum(not f["duplicate"] for f in acks) == 1
    assert len(acks) + len(limited) < 60
    await calm.close()


@pytest.mark.django_db(transaction=True)
async def test_a_contestant_answering_at_a_human_pace_is_never_limited(make_round):
    round_, _ = await make_round()
    sock, _ = await contestant(round_.pin, "Steady")
    for t in range(30):  # well inside the default burst
        pong = await sock.request({"type": "ping", "t": t}, "pong")
        assert pong["t"] == t
    await asyncio.sleep(0)
    assert not [f for f in sock.frames if f["type"] == "error"]
    await sock.close()
