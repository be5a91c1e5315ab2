"""A whole round over real WebSockets: host, display and contestants on the in-process stack."""

import pytest
from asgiref.sync import sync_to_async

from quiz.models import Answer
from quiz.services.rounds import round_create
from tests.factories import HostRoleFactory, QuestionFactory
from tests.live import contestant, display, host

pytestmark = [pytest.mark.django_db(transaction=True)]


@sync_to_async
def make_round(questions=3, **options):
    role = HostRoleFactory()
    qs = [QuestionFactory(correct=[i % 4]) for i in range(questions)]
    round_ = round_create(competition=role.competition, title="Flow", questions=qs, **options)
    return round_, role.user


async def test_a_round_runs_from_lobby_to_finish_for_host_display_and_contestants():
    # given
    round_, user = await make_round(questions=2)
    console, snapshot = await host(round_.id, user)
    screen, _ = await display(round_.pin)
    alice, welcome = await contestant(round_.pin, "Alice")
    bob, _ = await contestant(round_.pin, "Bob")
    assert snapshot["round"]["phase"] == "lobby"
    assert welcome["round"]["phase"] == "lobby" and welcome["me"]["nickname"] == "Alice"

    # when the host opens the first question
    reply = await console.request({"type": "open", "question": 0}, "command")
    assert reply["changed"] is True

    # then everyone sees it; contestants do not see the key
    opened = await alice.expect("state", event="question.opened")
    assert "correct" not in opened["round"]["question"]
    await bob.expect("state", event="question.opened")
    shown = await screen.expect("state", event="question.opened")
    assert "correct" not in shown["round"]["question"]

    # when both answer, Alice right and Bob wrong
    ack = await alice.request({"type": "answer", "question": 0, "choices": [0]}, "ack")
    assert ack["duplicate"] is False
    await bob.request({"type": "answer", "question": 0, "choices": [3]}, "ack")
    count = await screen.expect("answered", answered=2)
    assert count["participants"] == 2

    # and the host reveals
    await console.request({"type": "reveal", "question": 0}, "command")
    revealed = await alice.expect("state", event="answer.revealed")
    assert revealed["round"]["question"]["correct"] == [0]
    mine = await alice.expect("result")
    assert mine["correct"] is True and mine["rank"] == 1 and mine["score"] > 0
    theirs = await bob.expect("result")
    assert theirs["correct"] is False and theirs["rank"] == 2
    board = await screen.expect("state", event="answer.revealed")
    assert [row["nickname"] for row in board["round"]["leaderboard"]] == ["Alice", "Bob"]

    # and runs the second question to the end
    await console.request({"type": "leaderboard", "question": 0}, "command")
    await console.request({"type": "open", "question": 1}, "command")
    await alice.expect("state", event="question.opened")
    await console.request({"type": "end"}, "command")
    finished = await screen.expect("state", event="round.finished")
    assert finished["round"]["phase"] == "finished"

    for sock in (console, screen, alice, bob):
        await sock.close()
    assert await sync_to_async(Answer.objects.count)() == 2
