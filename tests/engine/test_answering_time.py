"""The two numbers speed points use, t (answering time, pauses left out) and T (the contestant's own time
limit), and extended time: pure transitions of quiz.engine.rounds and quiz.engine.scoring, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from quiz.engine import rounds
from quiz.engine.rounds import Phase, QuestionState, RoundState
from quiz.engine.scoring import AnswerRecord, ScoredQuestion, ScoringRule, base_points, score_round

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
LIMIT = timedelta(seconds=20)
ALICE, BOB, CAROL = 1, 2, 3  # Bob has time x1.5, Carol x2
FACTORS = ((BOB, 150), (CAROL, 200))


def at(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


def opened(factors=()) -> RoundState:
    lobby = RoundState(Phase.LOBBY, 0, None, (QuestionState(0, LIMIT), QuestionState(1, LIMIT)))
    return rounds.open_question(lobby, index=0, now=NOW, time_factors=factors).state


def run(state: RoundState, *steps) -> QuestionState:
    for step in steps:
        state = step(state).state
    assert state.question is not None
    return state.question


def pause(s: float):
    return lambda st: rounds.pause(st, now=at(s))


def resume(s: float):
    return lambda st: rounds.resume(st, now=at(s))


def extend(s: float, seconds: int):
    return lambda st: rounds.extend(st, index=0, seconds=seconds, expected_version=st.version, now=at(s))


# --- t: the answering time, paused time left out ---------------------------------------------------------

ANSWERING = [
    # (steps before the answer, received at (s), t in ms)
    ((), 1, 1_000, "no pause"),
    ((), 1.0004, 1_000, "whole ms, rounded down"),
    ((pause(5), resume(305)), 306, 6_000, "a 5 minute pause before the answer is left out"),
    (
        (pause(5), resume(305)),
        4,
        4_000,
        "received before a pause, written after it",
    ),
    ((pause(5), resume(15), pause(16), resume(26)), 27, 7_000, "two pauses are both left out"),
    ((extend(5, 10),), 25, 25_000, "an extension does not change t"),
    ((pause(5), extend(6, 10), resume(65)), 70, 10_000, "extended while paused"),
]


@pytest.mark.parametrize(
    ("steps", "received", "t"), [c[:3] for c in ANSWERING], ids=[c[3] for c in ANSWERING]
)
def test_answering_time_leaves_out_the_pauses_before_the_answer(steps, received, t):
    q = run(opened(), *steps)

    assert q.accepts_answer_at(at(received))
    assert q.answering_ms(at(received)) == t


def test_t_of_an_answer_is_fixed_at_receipt_whatever_happens_afterwards():
    # given an answer received 1 s after opening, its t and T taken then
    before = opened()
    q = before.question
    t, limit = q.answering_ms(at(1)), q.time_limit_ms(ALICE)

    # when the host pauses for 5 minutes and extends by 10 s afterwards
    after = run(before, pause(2), resume(302), extend(303, 10))

    # then the points the answer earns are those it earned before: t and T are stored with it
    rule = ScoringRule()
    questions = [ScoredQuestion(0, frozenset({0}), LIMIT // timedelta(milliseconds=1))]
    answers = [AnswerRecord(ALICE, 0, frozenset({0}), t, limit)]
    assert after.paused_ms == 300_000 and after.answering_ms(at(1)) == t
    assert score_round(questions, answers, rule)[ALICE].points == 975  # (1000 × 39,000 + 20,000) // 40,000


SPEED_AFTER_PAUSE = [
    # (received (s) after a pause from 5 s to 305 s, points on the half curve with T = 20 s)
    (1, 975, "1 s in, before the pause"),
    (306, 850, "1 s after resuming: t = 6 s, not 306 s"),
    (320, 500, "after the question's own limit (extended): the fewest speed points"),
]


@pytest.mark.parametrize(
    ("received", "points"), [c[:2] for c in SPEED_AFTER_PAUSE], ids=[c[2] for c in SPEED_AFTER_PAUSE]
)
def test_speed_points_after_a_pause_pay_only_for_time_when_answering_was_possible(received, points):
    q = run(opened(), pause(5), resume(305), extend(306, 60)) if received > 5 else opened().question

    t = q.answering_ms(at(received))

    assert (
        base_points(ScoringRule(), elapsed_ms=t, time_allowed_ms=q.time_limit_ms(ALICE), weight=1) == points
    )


@pytest.mark.parametrize(
    "closing",
    [
        lambda s: rounds.close_question(s, index=0, now=at(65)),
        lambda s: rounds.void(s, index=0, now=at(65)),
        lambda s: rounds.finish(s, now=at(65)),
    ],
    ids=["host close", "void", "finish"],
)
def test_a_question_closed_while_paused_closed_when_the_pause_began(closing):
    q = run(opened(), pause(5), closing)

    assert q.closed_at == at(5) and not q.paused
    assert not q.accepts_answer_at(at(6))  # received during the pause, written after the close


# --- T and extended time ---------------------------------------------------------------------------------

LIMITS = [
    (ALICE, 20_000, timedelta(0), "standard time"),
    (BOB, 30_000, timedelta(seconds=10), "time x1.5"),
    (CAROL, 40_000, timedelta(seconds=20), "time x2"),
    (None, 20_000, timedelta(0), "nobody in particular"),
]


@pytest.mark.parametrize(("who", "limit", "extra"), [c[:3] for c in LIMITS], ids=[c[3] for c in LIMITS])
def test_a_contestants_time_limit_is_the_questions_times_their_factor(who, limit, extra):
    q = opened(FACTORS).question

    assert q.time_limit_ms(who) == limit
    assert q.extra(who) == extra


ACCEPTS = [
    # (contestant, received (s), steps, accepted)
    (ALICE, 19.999, (), True, "standard: just before the deadline"),
    (ALICE, 20, (), False, "standard: at the deadline"),
    (BOB, 29.999, (), True, "x1.5: just before their own deadline"),
    (BOB, 30, (), False, "x1.5: at their own deadline"),
    (CAROL, 39.999, (), True, "x2: just before their own deadline"),
    (CAROL, 40, (), False, "x2: at their own deadline"),
    (CAROL, 44.999, (pause(10), resume(15)), True, "x2: a pause moves their deadline too"),
    (CAROL, 45, (pause(10), resume(15)), False, "x2: at their deadline moved by a pause"),
    (BOB, 39.999, (extend(5, 10),), True, "x1.5: an extension moves their deadline too"),
    (CAROL, 24.999, (pause(25),), True, "x2: received before a pause, written during it"),
    (CAROL, 25, (pause(25),), False, "x2: received during a pause"),
]


@pytest.mark.parametrize(
    ("who", "received", "steps", "accepted"), [c[:4] for c in ACCEPTS], ids=[c[4] for c in ACCEPTS]
)
def test_each_contestant_answers_until_their_own_deadline(who, received, steps, accepted):
    q = run(opened(FACTORS), *steps)

    assert q.accepts_answer_at(at(received), who) is accepted


def test_the_question_closes_at_the_last_contestants_deadline():
    state = opened(FACTORS)

    assert not rounds.close_if_due(state, now=at(39.999)).changed
    closed = rounds.close_if_due(state, now=at(40))
    assert closed.changed and closed.state.question.closed_at == at(40)


def test_a_pause_in_someones_extended_time_keeps_the_clock_for_them():
    # given the standard deadline passed, Carol (x2) still answering
    state = rounds.pause(opened(FACTORS), now=at(30)).state
    q = state.question

    # then the frozen standard time is negative, Carol's own is 10 s, and resuming gives it back
    assert q.paused_remaining == timedelta(seconds=-10)
    assert q.remaining(at(100)) == timedelta(0) and q.remaining(at(100), CAROL) == timedelta(seconds=10)
    resumed = rounds.resume(state, now=at(100)).state.question
    assert resumed.accepts_answer_at(at(109.9), CAROL) and not resumed.accepts_answer_at(at(100), ALICE)
    assert resumed.closes_at == at(110)


def test_factors_of_standard_time_are_not_kept_on_the_question():
    q = opened(((ALICE, 100), (CAROL, 200))).question

    assert q.time_factors == ((CAROL, 200),)
    assert q.longest_extra == timedelta(seconds=20)


def test_nobody_with_extended_time_leaves_the_question_as_it_was():
    q = opened().question

    assert q.closes_at == q.deadline == at(20)
    assert q.longest_extra == timedelta(0)
