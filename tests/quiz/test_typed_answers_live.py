"""Typed answers (short answer, numerical) in a live round, over real sockets: what is accepted and refused,
what each audience is shown before and after the reveal, how answers are scored, and that every frame
still matches its schema (quiz.schemas.SERVER_FRAME_SCHEMAS)."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from jsonschema import Draft202012Validator

from quiz.models import Answer
from quiz.schemas import SERVER_FRAME_SCHEMAS
from quiz.services.rounds import round_create
from tests.factories import HostRoleFactory, QuestionFactory
from tests.live import Socket, contestant, display, host

pytestmark = pytest.mark.django_db(transaction=True)

VALIDATORS = {kind: Draft202012Validator(schema) for kind, schema in SERVER_FRAME_SCHEMAS.items()}
SECRET_TEXT = "长城密钥"
SECRET_VALUE = 8848.86


@sync_to_async
def make_round():
    role = HostRoleFactory()
    questions = [
        QuestionFactory(
            kind="short",
            stem="世界上最长的人造建筑是什么？",
            choices=[],
            correct=[],
            accepted_answers=[SECRET_TEXT, "萬里長城"],
            explanation="解析：长城。",
        ),
        QuestionFactory(
            kind="numerical",
            stem="珠穆朗玛峰的高程是多少米？",
            choices=[],
            correct=[],
            numeric_value=SECRET_VALUE,
            tolerance=0.5,
            unit="m",
            explanation="解析：8848.86 米。",
        ),
        QuestionFactory(correct=[1]),
    ]
    round_ = round_create(
        competition=role.competition, title="填空", questions=questions, scoring={"speed": "off"}
    )
    return round_, role.user


def stored_text(nickname: str, position: int) -> str:
    return Answer.objects.get(contestant__nickname=nickname, question__position=position).text


@pytest.mark.parametrize(
    ("answer", "code", "field"),
    [
        ({"question": 0, "text": ""}, "empty_answer", "text"),
        ({"question": 0, "text": " \u3000 "}, "empty_answer", "text"),
        ({"question": 0, "text": "长" * 201}, "answer_too_long", "text"),
        ({"question": 0, "text": 42}, "invalid_field", "text"),
        ({"question": 0, "text": None}, "invalid_field", "text"),
        ({"question": 0, "text": "长城", "choices": [0]}, "invalid_field", "text"),
        ({"question": 0, "choices": [0]}, "wrong_answer_type", None),
    ],
    ids=["empty", "only-spaces", "too-long", "number", "null", "both", "choices-to-typed"],
)
async def test_a_malformed_typed_answer_is_refused_and_nothing_is_stored(answer, code, field):
    # given a short-answer question open
    round_, user = await make_round()
    console, _ = await host(round_.id, user)
    phone, _ = await contestant(round_.pin, "Ann")
    await console.request({"type": "open", "question": 0}, "command")

    # when the phone sends a malformed typed answer
    error = await phone.request({"type": "answer", **answer}, "error")

    # then it is refused with its code, the socket stays open and nothing is stored
    assert (error["code"], error.get("field"), error["ref"]) == (code, field, "answer")
    assert await sync_to_async(Answer.objects.count)() == 0
    assert (await phone.request({"type": "answer", "question": 0, "text": "长城"}, "ack"))["text"] == "长城"
    await phone.close()
    await console.close()


async def test_text_sent_to_a_choice_question_is_refused():
    round_, user = await make_round()
    console, _ = await host(round_.id, user)
    phone, _ = await contestant(round_.pin, "Ann")
    for index in (0, 1):
        await console.request({"type": "open", "question": index}, "command")
        await phone.request({"type": "answer", "question": index, "text": "8848.86"}, "ack")
        await console.request({"type": "reveal", "question": index}, "command")
    await console.request({"type": "open", "question": 2}, "command")

    error = await phone.request({"type": "answer", "question": 2, "text": "B"}, "error")

    assert error["code"] == "wrong_answer_type"
    assert await sync_to_async(Answer.objects.filter(question__position=2).count)() == 0
    await phone.close()
    await console.close()


async def test_typed_answers_are_scored_counted_and_keep_their_key_secret_until_the_reveal():
    # given a host, a big screen and three phones on a round with a short-answer and a numerical question
    round_, user = await make_round()
    console, snapshot = await host(round_.id, user)
    screen, _ = await display(round_.pin)
    ann, _ = await contestant(round_.pin, "Ann")
    bob, _ = await contestant(round_.pin, "Bob")
    cat, _ = await contestant(round_.pin, "Cat")
    phones = [ann, bob, cat]
    host_questions = snapshot["round"]["questions"]
    assert host_questions[0]["key"] == {"accepted": [SECRET_TEXT, "萬里長城"]}
    assert host_questions[1]["key"] == {"value": SECRET_VALUE, "tolerance": 0.5, "unit": "m"}

    # when the short-answer question is answered: a traditional spelling, the same text twice, a wrong one
    opened = await console.request({"type": "open", "question": 0}, "command")
    assert opened["round"]["question"]["key"] == {"accepted": [SECRET_TEXT, "萬里長城"]}
    state = await ann.expect("state", event="question.opened", index=0)
    assert state["round"]["question"]["kind"] == "short" and state["round"]["question"]["choices"] == []
    first = await ann.request({"type": "answer", "question": 0, "text": "  万里长城 "}, "ack")
    assert (first["text"], first["choices"], first["duplicate"]) == ("万里长城", [], False)
    again = await ann.request({"type": "answer", "question": 0, "text": "别的"}, "ack")
    assert (again["text"], again["duplicate"]) == ("万里长城", True)
    await bob.request({"type": "answer", "question": 0, "text": "萬里長城！"}, "ack")
    await cat.request({"type": "answer", "question": 0, "text": "故宫"}, "ack")
    answered = await console.expect("answered", question=0, answered=3)
    assert answered["participants"] == 3
    assert await sync_to_async(stored_text)("Bob", 0) == "萬里長城！"

    # then the host sees the most common answers live; a reconnecting phone gets its own text back
    closed = await console.request({"type": "close", "question": 0}, "command")
    assert closed["round"]["question"]["answers"] == [
        {"answer": "万里长城", "count": 2, "correct": True},
        {"answer": "故宫", "count": 1, "correct": False},
    ]
    shown = await screen.expect("state", event="question.closed", index=0)
    assert "answers" not in shown["round"]["question"] and "key" not in shown["round"]["question"]
    token = ann.frames[0]["token"]
    await ann.close()
    ann = Socket("/ws/play/")
    assert await ann.connect()
    welcome = await ann.request({"type": "resume", "token": token}, "welcome")
    assert welcome["me"]["answer"] == {
        "question": 0,
        "choices": [],
        "text": "万里长城",
        "received_at": first["received_at"],
    }
    phones[0] = ann

    # and at the reveal everyone sees the accepted answers and the common answers; each phone its result
    await console.request({"type": "reveal", "question": 0}, "command")
    for sock in [*phones, screen]:
        revealed = (await sock.expect("state", event="answer.revealed", index=0))["round"]["question"]
        assert revealed["key"] == {"accepted": [SECRET_TEXT, "萬里長城"]}
        assert revealed["answers"][0] == {"answer": "万里长城", "count": 2, "correct": True}
    results = [await sock.expect("result", question=0) for sock in phones]
    assert [(r["correct"], r["points"]) for r in results] == [(True, 1000), (True, 1000), (False, 0)]

    # the numerical question: the unit is shown, full-width digits and the unit count, the value stays secret
    await console.request({"type": "open", "question": 1}, "command")
    question = (await bob.expect("state", event="question.opened", index=1))["round"]["question"]
    assert (question["kind"], question["unit"], question["choices"]) == ("numerical", "m", [])
    await ann.request({"type": "answer", "question": 1, "text": "８８４８．９ m"}, "ack")
    await bob.request({"type": "answer", "question": 1, "text": "8844.43"}, "ack")
    await cat.request({"type": "answer", "question": 1, "text": "8,848.86"}, "ack")
    await console.expect("answered", question=1, answered=3)
    await console.request({"type": "reveal", "question": 1}, "command")
    revealed = (await screen.expect("state", event="answer.revealed", index=1))["round"]["question"]
    assert revealed["key"] == {"value": SECRET_VALUE, "tolerance": 0.5, "unit": "m"}
    assert revealed["answers"] == [
        {"answer": "8848.86", "count": 1, "correct": True},
        {"answer": "8848.9", "count": 1, "correct": True},
        {"answer": "8844.43", "count": 1, "correct": False},
    ]
    results = [await sock.expect("result", question=1) for sock in phones]
    assert [r["correct"] for r in results] == [True, False, True]
    assert [r["score"] for r in results] == [2000, 1000, 1000]

    # nothing a phone or the screen got before a reveal carried a key or the explanation
    for sock in [*phones, screen, console]:
        while not await sock.quiet(0.3):
            sock.unread.clear()
            await sock.next()
    for sock in [*phones, screen]:
        for frame in sock.frames:
            round_ = frame.get("round") or {}
            question = round_.get("question") or {}
            secret = round_.get("phase") not in ("revealed", "leaderboard", "finished")
            if question.get("kind") in ("short", "numerical") and secret:
                text = json.dumps(frame, ensure_ascii=False)
                assert SECRET_TEXT not in text and "8848.86" not in text and "解析" not in text, frame
                assert not {"key", "answers", "correct", "explanation"} & set(question), frame

    # and every frame matches its schema
    problems = [
        f"{frame['type']}: {error.message} at {list(error.absolute_path)}"
        for sock in [*phones, screen, console]
        for frame in sock.frames
        for error in VALIDATORS[frame["type"]].iter_errors(frame)
    ]
    assert problems == []
    for sock in [*phones, screen, console]:
        await sock.close()
