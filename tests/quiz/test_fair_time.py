"""Fair time: speed points after pauses and extensions, extended time per contestant, and the phone's tap
time kept as evidence, through the services and sockets a round runs on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from quiz.engine.clock import epoch_ms
from quiz.models import Answer, Contestant, Round
from quiz.protocol import HostCommand
from quiz.services.answers import PendingAnswer, answers_record
from quiz.services.contestants import contestant_join
from quiz.services.errors import QuizError
from quiz.services.rounds import round_close_if_due, round_command
from quiz.services.snapshots import contestant_resume
from tests.factories import RegistrationFactory
from tests.live import contestant, host

pytestmark = [pytest.mark.django_db(transaction=True)]


class Clock:
    """Commands and answers at chosen seconds after the clock's start."""

    def __init__(self, round_, user) -> None:
        self.round, self.user = round_, user
        self.start = timezone.now()

    def at(self, seconds: float):
        return self.start + timedelta(seconds=seconds)

    def command(self, when: float, action: str, **fields):
        return round_command(
            user=self.user,
            round_id=self.round.id,
            command=HostCommand(action, **fields),
            now=self.at(when),
        )

    def answer(self, seconds: float, who: Contestant, choice: int = 0, question: int = 0, **evidence):
        pending = PendingAnswer(who.id, self.round.id, question, (choice,), self.at(seconds), **evidence)
        outcome = answers_record([pending]).outcomes[0]
        return outcome.frame


def joined(round_, *names: str) -> list[Contestant]:
    return [Contestant.objects.create(round=round_, nickname=name) for name in names]


def stored(who: Contestant, question: int = 0) -> Answer:
    return Answer.objects.get(contestant=who, question__position=question)


# --- fix: speed points after a pause or an extension ---------------------------------------------------


@sync_to_async
def play_a_question_paused_for_five_minutes(round_, user):
    clock = Clock(round_, user)
    alice, bob = joined(round_, "Alice", "Bob")
    clock.command(0, "open", question=0)  # question 0: 20 s, key [0]
    clock.answer(1, alice)
    clock.command(2, "pause")
    clock.command(302, "resume")
    clock.answer(303, bob)  # 1 s after resuming: 3 s of answering time
    clock.command(304, "extend", question=0, seconds=30, version=Round.objects.get(pk=round_.id).version)
    clock.command(305, "reveal", question=0)
    return [Contestant.objects.get(pk=c.pk) for c in (alice, bob)], [stored(alice), stored(bob)]


async def test_points_after_a_pause_count_only_the_time_when_answering_was_possible(make_round):
    round_, user = await make_round(questions=2)

    (alice, bob), (alice_answer, bob_answer) = await play_a_question_paused_for_five_minutes(round_, user)

    # t leaves the 300 s pause out; T is the question's own 20 s, whatever the pause and extension did
    assert (alice_answer.elapsed_ms, alice_answer.time_limit_ms) == (1_000, 20_000)
    assert (bob_answer.elapsed_ms, bob_answer.time_limit_ms) == (3_000, 20_000)
    # half curve: (P (2T - t) + T) // 2T
    assert alice.score == (1000 * (40_000 - 1_000) + 20_000) // 40_000 == 975
    assert bob.score == (1000 * (40_000 - 3_000) + 20_000) // 40_000 == 925


@sync_to_async
def answer_then_extend(round_, user):
    clock = Clock(round_, user)
    (alice,) = joined(round_, "Alice")
    clock.command(0, "open", question=0)
    clock.answer(5, alice)
    before = (stored(alice).elapsed_ms, stored(alice).time_limit_ms)
    clock.command(6, "extend", question=0, seconds=600, version=Round.objects.get(pk=round_.id).version)
    clock.command(7, "pause")
    clock.command(500, "resume")
    clock.command(501, "reveal", question=0)
    return before, Contestant.objects.get(pk=alice.pk).score


async def test_what_happens_after_an_answer_never_changes_its_points(make_round):
    round_, user = await make_round(questions=2)

    (t, limit), score = await answer_then_extend(round_, user)

    assert (t, limit) == (5_000, 20_000)
    assert score == 875  # 1000 x (40 - 5) / 40, as if nothing had happened after the answer


# --- extended time ---------------------------------------------------------------------------------------


@sync_to_async
def play_with_double_time(round_, user):
    clock = Clock(round_, user)
    alice, carol = joined(round_, "Alice", "Carol")
    reply = clock.command(-1, "time_factor", contestant=carol.id, time_factor=200)
    clock.command(0, "open", question=0)
    outcome = {
        "alice late": clock.answer(25, alice)["code"],
        "closed at 21 s": round_close_if_due(round_id=round_.id, now=clock.at(21)),
    }
    outcome["carol at 25 s"] = clock.answer(25, carol)["type"]
    outcome["closed at 39.9 s"] = round_close_if_due(round_id=round_.id, now=clock.at(39.9))
    outcome["closed at 40 s"] = round_close_if_due(round_id=round_.id, now=clock.at(40))
    clock.command(41, "reveal", question=0)
    return reply, outcome, stored(carol), Contestant.objects.get(pk=carol.pk)


async def test_a_contestant_with_double_time_answers_after_the_standard_deadline(make_round):
    round_, user = await make_round(questions=2)

    reply, outcome, answer, carol = await play_with_double_time(round_, user)

    assert reply["changed"] is True
    assert outcome == {
        "alice late": "too_late",
        "closed at 21 s": False,  # Carol's own deadline is 40 s
        "carol at 25 s": "ack",
        "closed at 39.9 s": False,
        "closed at 40 s": True,
    }
    assert (answer.elapsed_ms, answer.time_limit_ms) == (25_000, 40_000)
    assert carol.score == (1000 * (80_000 - 25_000) + 40_000) // 80_000 == 688


@sync_to_async
def resume_mid_question(round_, user, percent: int):
    clock = Clock(round_, user)
    joined_ = contestant_join(pin=round_.pin, nickname="Carol")
    if percent != 100:
        clock.command(-1, "time_factor", contestant=joined_.contestant_id, time_factor=percent)
    clock.command(0, "open", question=0)
    return contestant_resume(token=joined_.token, now=clock.at(5)).frame


@pytest.mark.parametrize(
    ("percent", "factor", "own_ms"), [(100, 1, 20_000), (150, 1.5, 30_000), (200, 2, 40_000)]
)
async def test_the_welcome_tells_the_phone_its_own_deadline(make_round, percent, factor, own_ms):
    round_, user = await make_round(questions=2)

    welcome = await resume_mid_question(round_, user, percent)

    question, me = welcome["round"]["question"], welcome["me"]
    assert me["time_factor"] == factor
    assert me["deadline"] == question["deadline"] + own_ms - 20_000
    assert me["remaining_ms"] == own_ms - 5_000
    assert question["extra_ms"] == own_ms - 20_000


@sync_to_async
def join_by_card(round_, percent: int):
    card = RegistrationFactory(competition=round_.competition, time_factor=percent)
    joined_ = contestant_join(pin=round_.pin, code=card.code)
    return contestant_resume(token=joined_.token).frame, Contestant.objects.get(pk=joined_.contestant_id)


async def test_the_code_card_gives_the_contestant_its_extended_time(make_round):
    round_, _ = await make_round(join_mode=Round.JoinMode.REGISTERED)

    welcome, stored_contestant = await join_by_card(round_, 150)

    assert welcome["me"]["time_factor"] == 1.5
    assert stored_contestant.time_factor == 150


@sync_to_async
def change_mid_question(round_, user):
    clock = Clock(round_, user)
    (carol,) = joined(round_, "Carol")
    clock.command(0, "open", question=0)
    clock.command(5, "time_factor", contestant=carol.id, time_factor=200)
    late_for_this_one = clock.answer(21, carol)["code"]
    clock.command(22, "reveal", question=0)
    clock.command(30, "open", question=1)
    in_time_for_the_next = clock.answer(30 + 35, carol, choice=1, question=1)["type"]
    return late_for_this_one, in_time_for_the_next


async def test_a_time_factor_changed_mid_question_applies_from_the_next_question(make_round):
    round_, user = await make_round(questions=2)

    assert await change_mid_question(round_, user) == ("too_late", "ack")


@sync_to_async
def time_factor_refusals(round_, user):
    clock = Clock(round_, user)
    alice, kicked = joined(round_, "Alice", "Kicked")
    codes = {}
    codes["same factor"] = clock.command(0, "time_factor", contestant=alice.id, time_factor=100)["changed"]
    for case, cid in (("unknown", 99_999), ("removed", kicked.id)):
        if case == "removed":
            clock.command(0, "kick", contestant=kicked.id)
        try:
            clock.command(0, "time_factor", contestant=cid, time_factor=150)
        except QuizError as exc:
            codes[case] = exc.code
    clock.command(1, "end")
    try:
        clock.command(2, "time_factor", contestant=alice.id, time_factor=150)
    except QuizError as exc:
        codes["finished"] = exc.code
    return codes


async def test_time_factor_refusals_are_the_documented_codes(make_round):
    round_, user = await make_round()

    assert await time_factor_refusals(round_, user) == {
        "same factor": False,
        "unknown": "unknown_contestant",
        "removed": "unknown_contestant",
        "finished": "round_finished",
    }


# --- the phone's tap time, kept as evidence ------------------------------------------------------------


async def test_the_phones_tap_time_is_stored_beside_the_receipt_time_and_changes_nothing(make_round):
    round_, user = await make_round()
    console, _ = await host(round_.id, user)
    sock, welcome = await contestant(round_.pin, "Ann")
    opened = await console.request({"type": "open", "question": 0}, "command")
    tapped = opened["round"]["question"]["deadline"] - 19_000  # tapped 1 s in, arrived later

    ack = await sock.request({"type": "answer", "question": 0, "choices": [0], "tapped_at": tapped}, "ack")

    answer = await sync_to_async(Answer.objects.get)(contestant_id=welcome["me"]["id"])
    assert epoch_ms(answer.tapped_at) == tapped
    assert epoch_ms(answer.received_at) == ack["received_at"]
    assert answer.elapsed_ms == ack["received_at"] - (opened["round"]["question"]["deadline"] - 20_000)
    await sock.close()
    await console.close()


# --- reconnect tokens ------------------------------------------------------------------------------------


@sync_to_async
def tokens_of_one_contestant(round_):
    joined_ = contestant_join(pin=round_.pin, nickname="Ann")
    newer = contestant_resume(token=joined_.token).frame["token"]
    return joined_.token, newer


async def test_an_older_token_still_resumes_after_a_newer_one_was_issued(make_round):
    round_, _ = await make_round()
    older, newer = await tokens_of_one_contestant(round_)

    again = await sync_to_async(contestant_resume)(token=older)

    assert again.frame["me"]["nickname"] == "Ann"
    assert (await sync_to_async(contestant_resume)(token=newer)).contestant_id == again.contestant_id


@sync_to_async
def snapshots_after_the_standard_deadline(round_, user):
    clock = Clock(round_, user)
    joined_ = contestant_join(pin=round_.pin, nickname="Carol")
    clock.command(-1, "time_factor", contestant=joined_.contestant_id, time_factor=200)
    clock.command(0, "open", question=0)
    during = contestant_resume(token=joined_.token, now=clock.at(30)).frame["round"]["phase"]
    after = contestant_resume(token=joined_.token, now=clock.at(41)).frame["round"]["phase"]
    return during, after


async def test_a_missed_deadline_is_applied_only_after_the_last_contestants_own(make_round):
    round_, user = await make_round(questions=2)

    # a reconnect 30 s in finds the question still open for Carol (x2); one at 41 s finds it closed
    assert await snapshots_after_the_standard_deadline(round_, user) == ("open", "closed")
