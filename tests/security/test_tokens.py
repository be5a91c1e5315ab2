"""A reconnect token works only for the contestant and the round it was issued for, and only while the
contestant is in the round. A refused token stores nothing, subscribes the socket to nothing, and leaves
the socket free to join properly (docs/protocol.md, "Errors").

tests/quiz/test_bad_input.py refuses a token that is not a token at all; tests/quiz/test_live_rules.py
closes a removed contestant's resume with 4003. These cover the tokens an attacker would try.
"""

import json

import pytest
from asgiref.sync import sync_to_async
from django.core import signing

from quiz import protocol
from quiz.models import Answer, Contestant
from quiz.services.contestants import TOKEN_SALT
from tests.factories import RegistrationFactory, TeamFactory
from tests.live import Socket, contestant, host

pytestmark = [pytest.mark.django_db(transaction=True)]


@sync_to_async
def contestants_of(round_id: int) -> list[str]:
    return sorted(Contestant.objects.filter(round_id=round_id).values_list("nickname", flat=True))


stored_answers = sync_to_async(Answer.objects.count)


def with_payload(token: str, **changes) -> str:
    """The token with fields of its signed payload edited and its signature kept: what a tamperer sends."""
    payload, *signature = token.split(":")
    data = json.loads(signing.b64_decode(payload.encode()))
    edited = signing.b64_encode(json.dumps({**data, **changes}, separators=(",", ":")).encode()).decode()
    return ":".join([edited, *signature])


FORGERIES = [
    "round-id-edited",
    "contestant-id-edited",
    "signature-cut",
    "signed-with-another-key",
    "signed-for-another-purpose",
    "signed-but-contestant-of-another-round",
    "signed-with-an-old-nonce",
]


def forge(forgery: str, token: str, *, other_round: int, other_contestant: int) -> str:
    """A token made from a genuine ``token``, as someone without the site's key (or with it) would."""
    data = json.loads(signing.b64_decode(token.split(":")[0].encode()))
    match forgery:
        case "round-id-edited":
            return with_payload(token, r=other_round)
        case "contestant-id-edited":
            return with_payload(token, c=other_contestant)
        case "signature-cut":
            return token.rsplit(":", 1)[0]
        case "signed-with-another-key":
            return signing.dumps(data, key="another-site-" + "k" * 50, salt=TOKEN_SALT)
        case "signed-for-another-purpose":
            return signing.dumps(data, salt="django.contrib.sessions")
        case "signed-but-contestant-of-another-round":
            # even a correctly signed token must name a contestant of the round it names
            return signing.dumps({**data, "r": other_round}, salt=TOKEN_SALT)
        case "signed-with-an-old-nonce":
            # a token from before the contestant's token was renewed (removing a contestant renews it)
            return signing.dumps({**data, "n": "renewed"}, salt=TOKEN_SALT)
    raise AssertionError(forgery)


@pytest.mark.parametrize("forgery", FORGERIES)
async def test_a_forged_reconnect_token_is_refused_and_the_socket_hears_nothing_of_either_round(
    make_round, forgery
):
    # given: Ann plays round A; round B is live with a host console and a question about to open
    round_a, _ = await make_round()
    round_b, host_b = await make_round()
    ann, welcome = await contestant(round_a.pin, "Ann")
    bob, bob_welcome = await contestant(round_b.pin, "Bob")
    console, _ = await host(round_b.id, host_b)
    token = forge(forgery, welcome["token"], other_round=round_b.id, other_contestant=bob_welcome["me"]["id"])

    # when: a stranger's socket resumes with the forged token
    stranger = Socket("/ws/play/")
    assert await stranger.connect()
    error = await stranger.request({"type": "resume", "token": token}, "error")

    # then: refused; it is nobody, so a question opening in round B reaches Bob but not the stranger
    assert error["code"] == "invalid_token"
    await console.request({"type": "open", "question": 0}, "command")
    await bob.expect("state", event="question.opened")
    assert await stranger.quiet(0.5)
    answer = await stranger.request({"type": "answer", "question": 0, "choices": [0]}, "error")
    assert answer["code"] == "not_joined"
    assert await stored_answers() == 0
    assert await contestants_of(round_a.id) == ["Ann"] and await contestants_of(round_b.id) == ["Bob"]

    # and the socket is still usable: it joins round B under its own name
    joined = await stranger.request({"type": "join", "pin": round_b.pin, "nickname": "Cai"}, "welcome")
    assert joined["me"]["nickname"] == "Cai" and joined["round"]["current"] == 0
    assert await contestants_of(round_b.id) == ["Bob", "Cai"]

    # and Ann's genuine token still works
    ann_again = Socket("/ws/play/")
    assert await ann_again.connect()
    resumed = await ann_again.request({"type": "resume", "token": welcome["token"]}, "welcome")
    assert resumed["me"]["id"] == welcome["me"]["id"]
    for sock in (ann, ann_again, bob, stranger, console):
        await sock.close()


async def test_a_removed_contestant_can_neither_resume_nor_come_back_by_code_and_nothing_is_stored(
    make_round,
):
    # given: a round for registered contestants; two teammates joined with their codes; question 0 is open
    round_, user = await make_round(join_mode="registered")
    team = await sync_to_async(TeamFactory)(competition=round_.competition)
    troll_code, mate_code = "TROLL1", "MATE01"
    for name, code in (("Troll", troll_code), ("Mate", mate_code)):
        await sync_to_async(RegistrationFactory)(
            competition=round_.competition, team=team, name=name, code=code
        )
    console, _ = await host(round_.id, user)
    troll, welcome = await contestant_by_code(round_.pin, troll_code)
    mate, _ = await contestant_by_code(round_.pin, mate_code)
    await console.request({"type": "open", "question": 0}, "command")
    await mate.expect("state", event="question.opened")

    # when: the host removes Troll
    await console.request({"type": "kick", "contestant": welcome["me"]["id"]}, "command")
    await troll.expect("kicked")

    # then: Troll's token is refused and the socket closed before any answer can be read
    again = Socket("/ws/play/")
    assert await again.connect()
    assert (await again.request({"type": "resume", "token": welcome["token"]}, "error"))["code"] == "kicked"
    await again.send({"type": "answer", "question": 0, "choices": [0]})
    assert (await again.next())["type"] == "_closed" and again.closed_with == protocol.CLOSE_FORBIDDEN

    # and the code does not bring Troll back: refused, no second contestant row, the socket stays open
    by_code = Socket("/ws/play/")
    assert await by_code.connect()
    refused = await by_code.request({"type": "join", "pin": round_.pin, "code": troll_code}, "error")
    assert refused["code"] == "kicked"
    assert (await by_code.request({"type": "ping", "t": 7}, "pong"))["t"] == 7
    assert await contestants_of(round_.id) == ["Mate", "Troll"]
    assert await stored_answers() == 0

    # and the teammate plays on
    assert (await mate.request({"type": "answer", "question": 0, "choices": [0]}, "ack"))[
        "duplicate"
    ] is False
    assert await stored_answers() == 1
    for sock in (mate, by_code, console):
        await sock.close()


async def contestant_by_code(pin: str, code: str) -> tuple[Socket, dict]:
    sock = Socket("/ws/play/")
    assert await sock.connect()
    return sock, await sock.request({"type": "join", "pin": pin, "code": code}, "welcome")
