"""A phone whose connection dropped before its welcome sends the same join again: with its join key it
is the same contestant, not a "nickname taken" clash and not a second entry in the round."""

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from quiz import protocol
from quiz.models import Contestant
from quiz.protocol import ProtocolError
from quiz.services.contestants import contestant_join, contestant_kick
from quiz.services.errors import QuizError
from quiz.services.rounds import round_create
from tests.factories import HostRoleFactory, QuestionFactory
from tests.live import Socket, host

pytestmark = [pytest.mark.django_db(transaction=True)]

KEY = "3f2a9c41d07b4e5f8a6b1c2d3e4f5a6b"
OTHER_KEY = "0123456789abcdef0123456789abcdef"

stored_contestants = sync_to_async(Contestant.objects.count)


async def join(pin: str, nickname: str, key: str | None) -> dict:
    sock = Socket("/ws/play/")
    assert await sock.connect()
    frame = {"type": "join", "pin": pin, "nickname": nickname}
    if key is not None:
        frame["key"] = key
    await sock.send(frame)
    reply = await sock.expect("welcome") if key is not None else await sock.next()
    await sock.close()
    return reply


async def test_the_same_join_sent_again_with_its_key_is_the_same_contestant(make_round):
    round_, user = await make_round()
    console, _ = await host(round_.id, user)

    first = await join(round_.pin, "小明", KEY)  # its welcome never reached the phone
    again = await join(round_.pin, "小明", KEY)

    assert again["me"]["id"] == first["me"]["id"]
    assert again["round"]["participants"] == 1
    assert await stored_contestants() == 1
    # the host heard of one contestant joining, once
    assert (await console.expect("contestant"))["contestant"]["nickname"] == "小明"
    assert await console.quiet()
    await console.close()


@pytest.mark.parametrize(
    ("first_key", "second_key"),
    [(KEY, OTHER_KEY), (KEY, None), (None, KEY), (None, None)],
    ids=["another phone's key", "no key the second time", "no key the first time", "no keys (older clients)"],
)
async def test_the_same_nickname_from_another_phone_is_still_taken(make_round, first_key, second_key):
    round_, _ = await make_round()
    await join(round_.pin, "小明", first_key)

    sock = Socket("/ws/play/")
    assert await sock.connect()
    frame = {"type": "join", "pin": round_.pin, "nickname": "小明"}
    if second_key is not None:
        frame["key"] = second_key
    error = await sock.request(frame, "error")

    assert error["code"] == "nickname_taken"
    assert await stored_contestants() == 1
    await sock.close()


def test_a_kicked_contestant_joining_again_with_its_key_is_told_it_was_removed():
    role = HostRoleFactory()
    round_ = round_create(competition=role.competition, title="Kick", questions=[QuestionFactory()])
    joined = contestant_join(pin=round_.pin, nickname="Ann", key=KEY)
    contestant_kick(
        round_id=round_.id, contestant_id=joined.contestant_id, actor=role.user, now=timezone.now()
    )

    with pytest.raises(QuizError) as refused:
        contestant_join(pin=round_.pin, nickname="Ann", key=KEY)

    assert refused.value.code == "kicked"
    assert Contestant.objects.count() == 1


@pytest.mark.parametrize(
    "key",
    [
        "short",
        "x" * 65,
        "has spaces in it here!!",
        "汉字汉字汉字汉字汉字汉字汉字汉字",
        12345678901234567890,
        ["3f2a9c41d07b4e5f8a6b1c2d3e4f5a6b"],
    ],
    ids=["too short", "too long", "spaces", "not ASCII", "a number", "a list"],
)
def test_a_malformed_join_key_is_refused_naming_the_field(key):
    with pytest.raises(ProtocolError) as refused:
        protocol.parse_contestant({"type": "join", "pin": "123456", "nickname": "Ann", "key": key})

    assert (refused.value.code, refused.value.field) == ("invalid_field", "key")


@pytest.mark.parametrize("key", [KEY, "A" * 16, "a-b_c" * 12 + "abcd"])
def test_a_well_formed_join_key_is_kept(key):
    parsed = protocol.parse_contestant({"type": "join", "pin": "123456", "nickname": "Ann", "key": key})
    assert parsed.key == key
