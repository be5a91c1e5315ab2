"""Every bad input gets an error frame with a stable code, nothing is stored, and the socket stays open.

Authorisation failures are the exception: they close with a documented close code (docs/protocol.md).
"""

import json

import pytest
from asgiref.sync import sync_to_async

from quiz.models import Answer, Contestant
from tests.factories import UserFactory
from tests.live import Socket, contestant, display, host, session_cookie_for

pytestmark = [pytest.mark.django_db(transaction=True)]

stored_answers = sync_to_async(Answer.objects.count)
stored_contestants = sync_to_async(Contestant.objects.count)


async def still_open(sock: Socket) -> None:
    pong = await sock.request({"type": "ping", "t": 1}, "pong")
    assert pong["t"] == 1


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{not json", "malformed_json"),
        ("[1, 2]", "malformed_json"),
        (json.dumps({"no": "type"}), "invalid_field"),
        (json.dumps({"type": 7}), "invalid_field"),
        (json.dumps({"type": "dance"}), "unknown_type"),
        (json.dumps({"type": "join", "pin": "12ab56", "nickname": "x"}), "invalid_field"),
        (json.dumps({"type": "join", "pin": "123456"}), "invalid_field"),
        (json.dumps({"type": "answer", "question": 0, "choices": [1]}), "not_joined"),
        (json.dumps({"type": "resume", "token": "forged.token"}), "invalid_token"),
        (json.dumps({"type": "open", "question": 0}), "not_allowed"),
        (json.dumps({"type": "ping", "pad": "x" * 5000}), "frame_too_large"),
    ],
    ids=[
        "broken-json",
        "array",
        "no-type",
        "numeric-type",
        "unknown-type",
        "bad-pin",
        "join-without-name",
        "answer-before-join",
        "forged-token",
        "host-command",
        "oversized",
    ],
)
async def test_a_bad_contestant_frame_gets_an_error_and_the_socket_stays_open(make_round, frame, code):
    await make_round()
    sock = Socket("/ws/play/")
    assert await sock.connect()

    await sock.send(frame)
    error = await sock.expect("error")

    assert error["code"] == code
    await still_open(sock)
    assert await stored_contestants() == 0
    await sock.close()


async def test_binary_frames_are_refused_as_malformed():
    sock = Socket("/ws/play/")
    assert await sock.connect()
    await sock.comm.send_to(bytes_data=b"\x00\x01")
    assert (await sock.expect("error"))["code"] == "malformed_json"
    await still_open(sock)
    await sock.close()


@pytest.mark.parametrize(
    ("nickname", "code"),
    [
        ("", "nickname_invalid"),
        ("   ", "nickname_invalid"),
        ("x" * 21, "nickname_invalid"),
        ("傻 逼", "nickname_offensive"),
        ("F.u.c.k", "nickname_offensive"),
    ],
    ids=["empty", "blank", "too-long", "offensive-zh", "offensive-en"],
)
async def test_a_bad_nickname_is_refused_and_nobody_joins(make_round, nickname, code):
    round_, _ = await make_round()
    sock = Socket("/ws/play/")
    assert await sock.connect()
    error = await sock.request({"type": "join", "pin": round_.pin, "nickname": nickname}, "error")
    assert error["code"] == code
    await still_open(sock)
    assert await stored_contestants() == 0
    await sock.close()


async def test_a_wrong_pin_is_refused(make_round):
    round_, _ = await make_round()
    wrong = "100000" if round_.pin != "100000" else "100001"
    sock = Socket("/ws/play/")
    assert await sock.connect()
    assert (await sock.request({"type": "join", "pin": wrong, "nickname": "A"}, "error"))[
        "code"
    ] == "wrong_pin"
    await still_open(sock)
    await sock.close()


async def test_a_taken_nickname_is_refused(make_round):
    round_, _ = await make_round()
    first, _ = await contestant(round_.pin, "小明")
    second = Socket("/ws/play/")
    assert await second.connect()
    error = await second.request({"type": "join", "pin": round_.pin, "nickname": "小明"}, "error")
    assert error["code"] == "nickname_taken"
    assert await stored_contestants() == 1
    await first.close()
    await second.close()


async def test_joining_twice_on_one_socket_is_refused(make_round):
    round_, _ = await make_round()
    sock, _ = await contestant(round_.pin, "Ann")
    error = await sock.request({"type": "join", "pin": round_.pin, "nickname": "Ann2"}, "error")
    assert error["code"] == "already_joined"
    assert await stored_contestants() == 1
    await sock.close()


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        ({"question": 1, "choices": [0]}, "wrong_question"),
        ({"question": 9, "choices": [0]}, "unknown_question"),
        ({"question": 0, "choices": [5]}, "invalid_choice"),
        ({"question": 0, "choices": [0, 1]}, "invalid_choice"),
        ({"question": 0, "choices": []}, "invalid_field"),
        ({"question": "0", "choices": [0]}, "invalid_field"),
    ],
    ids=[
        "other-question",
        "no-such-question",
        "choice-out-of-range",
        "two-choices-on-single",
        "no-choice",
        "question-as-text",
    ],
)
async def test_an_invalid_answer_is_refused_and_not_stored(make_round, answer, code):
    round_, user = await make_round()
    console, _ = await host(round_.id, user)
    sock, _ = await contestant(round_.pin, "Ann")
    await console.request({"type": "open", "question": 0}, "command")
    await sock.expect("state", event="question.opened")

    error = await sock.request({"type": "answer", **answer}, "error")

    assert error["code"] == code
    assert await stored_answers() == 0
    await still_open(sock)
    await sock.close()
    await console.close()


async def test_an_answer_to_a_closed_question_is_refused_as_too_late(make_round):
    round_, user = await make_round()
    console, _ = await host(round_.id, user)
    sock, _ = await contestant(round_.pin, "Ann")
    await console.request({"type": "open", "question": 0}, "command")
    await console.request({"type": "close", "question": 0}, "command")
    await sock.expect("state", event="question.closed")

    error = await sock.request({"type": "answer", "question": 0, "choices": [0]}, "error")

    assert error["code"] == "too_late"
    assert await stored_answers() == 0
    await sock.close()
    await console.close()


async def test_a_host_command_error_keeps_the_host_socket_open(make_round):
    round_, user = await make_round()
    console, _ = await host(round_.id, user)
    for frame, code in [
        ({"type": "open", "question": 2}, "wrong_question"),
        ({"type": "reveal", "question": 0}, "question_not_played"),
        ({"type": "extend", "question": 0, "seconds": 10}, "invalid_field"),
        ({"type": "kick", "contestant": 999999}, "unknown_contestant"),
        ({"type": "answer", "question": 0, "choices": [0]}, "unknown_type"),
    ]:
        assert (await console.request(frame, "error"))["code"] == code
    await still_open(console)
    await console.close()


async def test_the_display_cannot_answer(make_round):
    round_, _ = await make_round()
    screen, _ = await display(round_.pin)
    error = await screen.request({"type": "answer", "question": 0, "choices": [0]}, "error")
    assert error["code"] == "not_allowed"
    await still_open(screen)
    await screen.close()


async def test_a_logged_out_user_cannot_open_the_host_socket(make_round):
    round_, _ = await make_round()
    sock = Socket(f"/ws/host/{round_.id}/")
    assert await sock.connect()
    assert (await sock.expect("error"))["code"] == "unauthenticated"
    assert (await sock.next())["type"] == "_closed"
    assert sock.closed_with == 4001


async def test_a_user_without_host_rights_is_closed_with_forbidden(make_round):
    round_, _ = await make_round()
    stranger = await sync_to_async(UserFactory)()
    sock = Socket(f"/ws/host/{round_.id}/", cookie=await session_cookie_for(stranger))
    assert await sock.connect()
    assert (await sock.expect("error"))["code"] == "forbidden"
    assert (await sock.next())["type"] == "_closed"
    assert sock.closed_with == 4003


async def test_an_unknown_round_closes_the_host_socket_with_not_found(make_round):
    _, user = await make_round()
    sock = Socket("/ws/host/999999/", cookie=await session_cookie_for(user))
    assert await sock.connect()
    assert (await sock.expect("error"))["code"] == "round_not_found"
    assert (await sock.next())["type"] == "_closed"
    assert sock.closed_with == 4004


async def test_a_display_with_an_unknown_pin_is_closed_with_not_found():
    sock = Socket("/ws/display/000000/")
    assert await sock.connect()
    assert (await sock.expect("error"))["code"] == "wrong_pin"
    assert (await sock.next())["type"] == "_closed"
    assert sock.closed_with == 4004


async def test_a_cross_site_handshake_is_refused():
    from channels.testing import WebsocketCommunicator

    from config.asgi import application

    comm = WebsocketCommunicator(application, "/ws/play/", headers=[(b"origin", b"https://evil.example")])
    connected, _ = await comm.connect()
    assert connected is False
