"""The protocol contract: every frame the server sends matches its schema in ``quiz.protocol``.

One round is played over real WebSockets with a host, a display and three contestants, touching every
outbound frame type and every round event. Each frame any socket received is then checked against
``SERVER_FRAME_SCHEMAS[frame["type"]]``, and every schema must have been used. docs/protocol.md shows
an example of each frame.
"""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from jsonschema import Draft202012Validator

from quiz.models import Answer, Contestant, Round
from quiz.protocol import CLOSE_FORBIDDEN
from quiz.schemas import SERVER_FRAME_SCHEMAS
from quiz.services.rounds import round_create
from tests.factories import HostRoleFactory, QuestionFactory, RegistrationFactory
from tests.live import Socket, contestant, display, host

pytestmark = pytest.mark.django_db(transaction=True)

VALIDATORS = {kind: Draft202012Validator(schema) for kind, schema in SERVER_FRAME_SCHEMAS.items()}

ROUND_EVENTS = {
    "question.opened",
    "question.closed",
    "answer.revealed",
    "leaderboard.shown",
    "round.paused",
    "round.resumed",
    "time.extended",
    "question.skipped",
    "question.voided",
    "round.finished",
}


@sync_to_async
def make_round():
    role = HostRoleFactory()
    questions = [
        QuestionFactory(correct=[1]),  # 0: closed by the host, revealed, leaderboard
        QuestionFactory(correct=[2], time_limit=1),  # 1: closed by its deadline
        QuestionFactory(kind="multiple", correct=[0, 2]),  # 2: paused, resumed, extended
        QuestionFactory(),  # 3: skipped
        QuestionFactory(kind="truefalse", choices=["正确", "错误"], correct=[0]),  # 4: voided while open
    ]
    registration = RegistrationFactory(competition=role.competition, name="Carol")
    round_ = round_create(
        competition=role.competition, title="Contract", questions=questions, join_mode=Round.JoinMode.BOTH
    )
    return round_, role.user, registration.code


def answer_stored(contestant_id: int, position: int) -> bool:
    return Answer.objects.filter(contestant_id=contestant_id, question__position=position).exists()


async def drain(sock: Socket) -> None:
    """Read whatever is still on its way, so ``sock.frames`` holds everything the socket was sent."""
    while not await sock.quiet(0.3):
        sock.unread.clear()  # frames passed over by expect() are already in sock.frames
        if (await sock.next())["type"] == "_closed":
            return


async def everyone(socks: list[Socket], kind: str, wait: float = 3, **match) -> list[dict]:
    """The next frame of ``kind`` matching ``match`` on each socket, waiting up to ``wait`` seconds each."""
    return [await sock.expect(kind, wait, **match) for sock in socks]


async def play_round() -> list[Socket]:
    """Play one round that makes the server send every frame type; return every socket used, drained."""
    sockets: list[Socket] = []
    round_, user, code = await make_round()

    # Host and display connect and get a snapshot.
    console, host_snapshot = await host(round_.id, user)
    screen, display_snapshot = await display(round_.pin)
    assert host_snapshot["audience"] == "host" and display_snapshot["audience"] == "display"
    sockets += [console, screen]

    # Contestants join by nickname and by registration code; host and display hear of each.
    alice, _ = await contestant(round_.pin, "Alice")
    bob, _ = await contestant(round_.pin, "Bob")
    carol = Socket("/ws/play/")
    assert await carol.connect()
    carol_welcome = await carol.request({"type": "join", "pin": round_.pin, "code": code.lower()}, "welcome")
    assert carol_welcome["me"]["nickname"] == "Carol"
    sockets += [alice, bob, carol]
    for watcher in (console, screen):
        await watcher.expect("contestant", event="joined", participants=3)

    # Alice loses her connection and resumes with her token.
    token = alice.frames[0]["token"]
    await alice.close()
    alice = Socket("/ws/play/")
    assert await alice.connect()
    resumed = await alice.request({"type": "resume", "token": token}, "welcome")
    assert resumed["me"]["nickname"] == "Alice"
    sockets.append(alice)
    alice_id = resumed["me"]["id"]
    contestants = [alice, bob, carol]

    # Every socket can measure its clock offset; bad input gets an error and the socket stays open.
    for sock in (console, screen, alice):
        pong = await sock.request({"type": "ping", "t": 1234.5}, "pong")
        assert pong["t"] == 1234.5
    assert (await alice.request({"type": "dance"}, "error"))["code"] == "unknown_type"
    assert (await screen.request({"type": "open", "question": 0}, "error"))["code"] == "not_allowed"
    assert (await console.request({"type": "open", "question": 7}, "error"))["code"] == "unknown_question"

    # Question 0: opened (twice: the second press changes nothing), answered, closed by the host.
    assert (await console.request({"type": "open", "question": 0}, "command"))["changed"] is True
    assert (await console.request({"type": "open", "question": 0}, "command"))["changed"] is False
    await everyone([*contestants, screen], "state", event="question.opened", index=0)
    first = await alice.request({"type": "answer", "question": 0, "choices": [1], "rtt_ms": 40}, "ack")
    assert first["duplicate"] is False
    assert await sync_to_async(answer_stored)(alice_id, 0)
    again = await alice.request({"type": "answer", "question": 0, "choices": [2]}, "ack")
    assert (
        again["duplicate"] is True
        and again["choices"] == [1]
        and again["received_at"] == first["received_at"]
    )
    await bob.request({"type": "answer", "question": 0, "choices": [0], "client_elapsed_ms": 900}, "ack")
    await everyone([console, screen], "answered", question=0, answered=2)
    assert (await console.request({"type": "close", "question": 0}, "command"))["changed"] is True
    await everyone([*contestants, screen], "state", event="question.closed", reason="host")
    late = await carol.request({"type": "answer", "question": 0, "choices": [1]}, "error")
    assert late["code"] == "too_late" and late["ref"] == "answer"

    # Reveal sends the key and a personal result; then the leaderboard.
    await console.request({"type": "reveal", "question": 0}, "command")
    await everyone([*contestants, screen], "state", event="answer.revealed", index=0)
    assert (await alice.expect("result", question=0))["correct"] is True
    assert (await carol.expect("result", question=0))["answered"] is False
    await console.request({"type": "leaderboard", "question": 0}, "command")
    await everyone([*contestants, screen], "state", event="leaderboard.shown", index=0)

    # Question 1 closes at its deadline, by itself; closing it afterwards changes nothing.
    await console.request({"type": "open", "question": 1}, "command")
    await everyone([*contestants, screen], "state", event="question.opened", index=1)
    await everyone(
        [*contestants, screen, console], "state", event="question.closed", reason="deadline", wait=5
    )
    assert (await console.request({"type": "close", "question": 1}, "command"))["changed"] is False
    await console.request({"type": "reveal", "question": 1}, "command")
    await everyone(contestants, "result", question=1)

    # Bob gets double time from the next question on: he is told, the hosts hear of it.
    bob_id = bob.frames[0]["me"]["id"]
    double = {"type": "time_factor", "contestant": bob_id, "time_factor": 2}
    assert (await console.request(double, "command"))["changed"] is True
    assert (await bob.expect("time_factor"))["time_factor"] == 2
    await console.expect("contestant", event="time_factor")

    # Question 2 (multiple choice): paused, refused while paused, resumed, extended once, closed.
    opened = await console.request({"type": "open", "question": 2}, "command")
    question = opened["round"]["question"]
    assert question["extra_ms"] == question["duration_ms"]  # Bob's double time keeps it open longer
    tap = {"type": "answer", "question": 2, "choices": [2, 0], "tapped_at": 1795321321000}
    await alice.request(tap, "ack", choices=[0, 2])
    await console.request({"type": "pause"}, "command")
    await everyone([*contestants, screen], "state", event="round.paused", index=2)
    assert (await bob.request({"type": "answer", "question": 2, "choices": [0]}, "error"))["code"] == "paused"
    resumed_reply = await console.request({"type": "resume"}, "command")
    await everyone([*contestants, screen], "state", event="round.resumed", index=2)
    extend = {"type": "extend", "question": 2, "seconds": 10, "version": resumed_reply["version"]}
    assert (await console.request(extend, "command"))["changed"] is True
    await everyone([*contestants, screen], "state", event="time.extended", index=2)
    assert (await console.request(extend, "error"))["code"] == "stale_version"
    await console.request({"type": "close", "question": 2}, "command")
    await console.request({"type": "reveal", "question": 2}, "command")
    await everyone([*contestants, screen], "state", event="answer.revealed", index=2)

    # Question 3 is skipped; question 4 is opened and voided.
    assert (await console.request({"type": "skip", "question": 3}, "command"))["changed"] is True
    await everyone([*contestants, screen], "state", event="question.skipped", index=3)
    assert (await console.request({"type": "open", "question": 4}, "command"))["round"]["current"] == 4
    await everyone(contestants, "state", event="question.opened", index=4)
    assert (await console.request({"type": "void", "question": 4}, "command"))["changed"] is True
    await everyone([*contestants, screen], "state", event="question.voided", index=4)
    assert (await console.request({"type": "void", "question": 4}, "command"))["changed"] is False

    # Carol is kicked: she is told, then closed with 4003; host and display hear of it.
    carol_id = carol_welcome["me"]["id"]
    assert (await console.request({"type": "kick", "contestant": carol_id}, "command"))["changed"] is True
    await carol.expect("kicked")
    await carol.expect("_closed", code=CLOSE_FORBIDDEN)
    await everyone([console, screen], "contestant", event="kicked", participants=2)
    assert (await console.request({"type": "kick", "contestant": carol_id}, "command"))["changed"] is False

    # The host ends the round.
    await console.request({"type": "end"}, "command")
    await everyone([alice, bob, screen], "state", event="round.finished")
    await everyone([alice, bob], "result")

    for sock in sockets:
        await drain(sock)
    return sockets


async def test_every_frame_of_a_whole_round_matches_its_schema_and_every_schema_is_used():
    # given a round played to the end by a host, a display and three contestants
    sockets = await play_round()

    # then every frame every socket received is valid against the schema for its type
    frames = [frame for sock in sockets for frame in sock.frames]
    problems = [
        f"{frame['type']}: {error.message} at {list(error.absolute_path)}"
        for frame in frames
        for error in VALIDATORS[frame["type"]].iter_errors(frame)
    ]
    assert problems == []

    # and every frame type, snapshot audience, round event and close reason was exercised
    assert {frame["type"] for frame in frames} == set(SERVER_FRAME_SCHEMAS)
    assert {f["audience"] for f in frames if f["type"] == "snapshot"} == {"host", "display"}
    assert {f["event"] for f in frames if f["type"] == "state"} == ROUND_EVENTS
    assert {f["reason"] for f in frames if f.get("event") == "question.closed"} >= {"host", "deadline"}
    assert {f["event"] for f in frames if f["type"] == "contestant"} == {"joined", "kicked", "time_factor"}
    assert {f["duplicate"] for f in frames if f["type"] == "ack"} == {True, False}

    # and every round a host is sent says which commands apply now; nobody else is sent that
    host_rounds = [f["round"] for f in sockets[0].frames if "round" in f]
    assert host_rounds and all("commands" in r for r in host_rounds)
    others = [f["round"] for sock in sockets[1:] for f in sock.frames if "round" in f]
    assert others and not any("commands" in r for r in others)

    for sock in sockets:
        await sock.close()
    assert await sync_to_async(Contestant.objects.filter(kicked_at__isnull=False).count)() == 1


def test_every_server_frame_schema_is_a_valid_json_schema_that_forbids_unknown_fields():
    for kind, schema in SERVER_FRAME_SCHEMAS.items():
        Draft202012Validator.check_schema(schema)
        assert schema["properties"]["type"] == {"const": kind}
        assert schema["additionalProperties"] is False
        assert {"type", "version"} <= set(schema["required"])
