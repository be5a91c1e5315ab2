"""Nothing sent to a contestant or a display gives away a key or an explanation before its reveal.

A whole round is played: a single-choice question, a question voided while open (never revealed), a
multiple-choice question revealed straight from open, and a true/false question. Contestants join late
and reconnect, and a second display connects between close and reveal, so welcome and snapshot frames are
inspected too. Every frame every contestant socket and display received is then checked, both as
structured fields and as raw JSON text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from quiz.services.rounds import round_create
from tests.factories import HostRoleFactory, QuestionFactory
from tests.live import Socket, contestant, display, host

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass(frozen=True)
class Secret:
    index: int
    correct: list[int]
    explanation: str


SECRETS = [
    Secret(0, [1], "解析零：北京是首都，所以选 B（保密-0）"),
    Secret(1, [3], "解析一：题干有误，本题作废（保密-1）"),
    Secret(2, [0, 2], "解析二：A 与 C 都对（保密-2）"),
    Secret(3, [0], "解析三：说法正确（保密-3）"),
]
REVEALED = {0, 2, 3}  # question 1 is voided while open and never revealed


@dataclass
class Audience:
    host: Socket
    contestants: list[Socket]
    displays: list[Socket]


@sync_to_async
def make_round():
    role = HostRoleFactory()
    kinds = [("single", None), ("single", None), ("multiple", None), ("truefalse", ["正确", "错误"])]
    questions = [
        QuestionFactory(
            kind=kind,
            correct=secret.correct,
            explanation=secret.explanation,
            **({"choices": choices} if choices else {}),
        )
        for (kind, choices), secret in zip(kinds, SECRETS, strict=True)
    ]
    return round_create(competition=role.competition, title="No leaks", questions=questions), role.user


async def drain(sock: Socket) -> None:
    """Read whatever is still on its way, so ``sock.frames`` holds everything the socket was sent."""
    while not await sock.quiet(0.3):
        sock.unread.clear()  # frames passed over by expect() are already in sock.frames
        if (await sock.next())["type"] == "_closed":
            return


async def play_round() -> Audience:
    round_, user = await make_round()
    console, _ = await host(round_.id, user)
    screen, _ = await display(round_.pin)
    alice, _ = await contestant(round_.pin, "Alice")
    bob, _ = await contestant(round_.pin, "Bob")
    carol, _ = await contestant(round_.pin, "Carol")
    players = [alice, bob, carol]
    seen = Audience(host=console, contestants=list(players), displays=[screen])

    async def command(kind: str, question: int | None = None) -> dict[str, Any]:
        frame: dict[str, Any] = {"type": kind} if question is None else {"type": kind, "question": question}
        reply = await console.request(frame, "command")
        assert reply["changed"] is True
        return reply

    async def all_see(event: str, index: int) -> None:
        for sock in [*players, *seen.displays]:
            await sock.expect("state", event=event, index=index)

    # Question 0 (single choice): answered, closed by the host; a second display connects before reveal.
    await command("open", 0)
    await all_see("question.opened", 0)
    await alice.request({"type": "answer", "question": 0, "choices": [1]}, "ack")
    await bob.request({"type": "answer", "question": 0, "choices": [2]}, "ack")
    await command("close", 0)
    await all_see("question.closed", 0)
    wall, _ = await display(round_.pin)
    seen.displays.append(wall)
    await command("reveal", 0)
    await all_see("answer.revealed", 0)
    await command("leaderboard", 0)
    await all_see("leaderboard.shown", 0)

    # Question 1: answered, then voided while open; the round moves on without revealing it.
    await command("open", 1)
    await all_see("question.opened", 1)
    await carol.request({"type": "answer", "question": 1, "choices": [3]}, "ack")
    await command("void", 1)
    await all_see("question.voided", 1)

    # Question 2 (multiple choice): Dave joins late, Alice answers and reconnects, then a reveal from open.
    await command("open", 2)
    await all_see("question.opened", 2)
    dave, _ = await contestant(round_.pin, "Dave")
    seen.contestants.append(dave)
    await alice.request({"type": "answer", "question": 2, "choices": [0, 2]}, "ack")
    token = alice.frames[0]["token"]
    await drain(alice)
    await alice.close()
    alice = Socket("/ws/play/")
    assert await alice.connect()
    welcome = await alice.request({"type": "resume", "token": token}, "welcome")
    assert welcome["me"]["answer"]["choices"] == [0, 2]
    players = [alice, bob, carol, dave]
    seen.contestants.append(alice)
    await dave.request({"type": "answer", "question": 2, "choices": [0]}, "ack")
    await command("pause")
    await all_see("round.paused", 2)
    await command("resume")
    await all_see("round.resumed", 2)
    await command("reveal", 2)
    await all_see("answer.revealed", 2)

    # Question 3 (true/false): closed by the host, revealed, and the round ends.
    await command("open", 3)
    await all_see("question.opened", 3)
    await bob.request({"type": "answer", "question": 3, "choices": [0]}, "ack")
    await command("close", 3)
    await all_see("question.closed", 3)
    await command("reveal", 3)
    await all_see("answer.revealed", 3)
    await command("end")
    await all_see("round.finished", 3)

    for sock in [*players, *seen.displays, console]:
        await drain(sock)
        await sock.close()
    return seen


def reveal_versions(host_frames: list[dict[str, Any]]) -> dict[int, int]:
    """Question index -> the round version at which it was revealed, as the host saw it."""
    return {
        frame["index"]: frame["version"]
        for frame in host_frames
        if frame["type"] == "state" and frame["event"] == "answer.revealed"
    }


def shown_question(frame: dict[str, Any]) -> dict[str, Any]:
    return (frame.get("round") or {}).get("question") or {}


def leaks(frame: dict[str, Any], secret: Secret) -> list[str]:
    """What in ``frame`` gives away ``secret``, as readable reasons."""
    found = []
    if secret.explanation in json.dumps(frame, ensure_ascii=False):
        found.append("the explanation text")
    question = shown_question(frame)
    if question.get("index") == secret.index:
        found += [f"question.{key}" for key in ("correct", "explanation") if key in question]
    if "questions" in (frame.get("round") or {}):
        found.append("the host's question list")
    return found


async def test_contestants_and_displays_never_see_a_key_or_explanation_before_its_reveal_and_see_both_after():
    # given a whole round watched by contestants (some late, one reconnecting) and two displays
    seen = await play_round()
    revealed = reveal_versions(seen.host.frames)
    assert set(revealed) == REVEALED
    watchers = [("contestant", sock) for sock in seen.contestants] + [
        ("display", sock) for sock in seen.displays
    ]

    for secret in SECRETS:
        # then no frame from before the reveal carries the key or the explanation, in any field or as text
        secret_until = revealed.get(secret.index, float("inf"))
        problems = [
            (audience, frame["type"], frame.get("event"), frame["version"], reason)
            for audience, sock in watchers
            for frame in sock.frames
            if (frame["version"] or 0) < secret_until
            for reason in leaks(frame, secret)
        ]
        assert problems == [], f"question {secret.index} leaked before its reveal"

        # and from the reveal on, every round payload showing that question carries both
        if secret.index not in REVEALED:
            continue
        shown_after = {audience: 0 for audience, _ in watchers}
        for audience, sock in watchers:
            for frame in sock.frames:
                question = shown_question(frame)
                after = frame["version"] is not None and frame["version"] >= secret_until
                if after and question.get("index") == secret.index:
                    assert question["correct"] == secret.correct, (audience, frame)
                    assert question["explanation"] == secret.explanation, (audience, frame)
                    shown_after[audience] += 1
        assert shown_after["contestant"] > 0 and shown_after["display"] > 0


async def test_contestants_see_distribution_and_count_only_after_reveal_displays_only_after_close():
    # given a whole round watched by contestants and displays
    seen = await play_round()

    # then contestants get the answer distribution, and how many answered, only with the key
    for sock in seen.contestants:
        for frame in sock.frames:
            question = shown_question(frame)
            if "answered" in question or "distribution" in question:
                assert "correct" in question and "distribution" in question and "answered" in question, frame

    # and displays get it only once the question has closed, never while it is open
    shown = 0
    for sock in seen.displays:
        for frame in sock.frames:
            question = shown_question(frame)
            if not question:
                continue
            if frame["round"]["phase"] == "open":
                assert "distribution" not in question, frame
            else:
                assert "distribution" in question, frame
                shown += 1
    assert shown > 0
