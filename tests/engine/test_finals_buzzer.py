"""The fair buzzer (finals.buzzer): clock mapping, clamping, window; and a buzzer question (finals.buzz)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from quiz.engine.finals import buzz as bq
from quiz.engine.finals.buzz import BuzzPhase
from quiz.engine.finals.buzzer import (
    BOUND_CAP_MS,
    Buzz,
    ClockEstimate,
    ClockSample,
    arrival_order,
    decide_at,
    estimate,
    fair_order,
    map_press,
    samples_add,
)
from quiz.engine.finals.common import Award, FinalsError, Mark
from quiz.engine.finals.script import BuzzerRules

T0 = 1_800_000_000_000.0  # server epoch ms


# ---- clock samples and estimates --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "received", "client", "rtt", "offset"),
    [
        (T0, T0 + 100, T0 - 5_000 + 50, 100, 5_000),  # phone 5 s behind, symmetric 50/50
        (T0, T0 + 20, T0 + 3_000 + 10, 20, -3_000),  # phone 3 s ahead
        (T0, T0 + 300, T0 + 250, 300, -100),  # asymmetric 250 up / 50 down: the error is half the asymmetry
    ],
)
def test_a_sample_gives_round_trip_and_offset(sent, received, client, rtt, offset):
    sample = ClockSample(sent=sent, received=received, client=client)
    assert sample.rtt == rtt
    assert sample.offset == offset


def test_the_estimate_takes_the_offset_of_the_fastest_sample_and_the_bound_of_the_slowest():
    samples = [
        ClockSample(T0, T0 + 120, T0 - 1000 + 80),  # queued on the way up: offset error 20
        ClockSample(T0 + 1000, T0 + 1060, T0 + 1030 - 1000),  # clean: offset exactly 1000
        ClockSample(T0 + 2000, T0 + 2200, T0 + 2100 - 1000),
    ]
    est = estimate(samples)
    assert (est.offset, est.rtt, est.bound, est.samples) == (1000, 60, 200, 3)


def test_the_bound_is_capped_and_only_the_last_samples_are_kept():
    samples: tuple[ClockSample, ...] = ()
    for i in range(12):
        samples = samples_add(samples, ClockSample(T0 + i * 1000, T0 + i * 1000 + 10 + i, T0 + i * 1000))
    assert len(samples) == 8 and samples[0].rtt == 14
    slow = samples_add(samples, ClockSample(T0, T0 + 4_000, T0))
    assert estimate(slow).bound == BOUND_CAP_MS


@pytest.mark.parametrize(
    "sample", [ClockSample(T0, T0 - 1, T0), ClockSample(T0, T0 + 6_000, T0)], ids=["negative", "stalled"]
)
def test_an_unusable_sample_is_dropped(sample):
    assert samples_add((), sample) == ()


# ---- mapping presses -------------------------------------------------------------------------------

CLOCK = ClockEstimate(offset=5_000, rtt=100, bound=120, samples=4)


@pytest.mark.parametrize(
    ("press", "received", "mapped", "clamped"),
    [
        (T0 - 5_000, T0 + 60, T0, False),  # honest: pressed at T0 server time, 60 ms on the way
        (T0 - 5_000 - 500, T0 + 60, T0 + 60 - 120, True),  # forged 500 ms early: clamped to receipt - bound
        (T0 - 5_000 + 200, T0 + 60, T0 + 60, True),  # stamped after its own receipt: clamped to receipt
        (T0 - 5_000 - 60, T0 + 60, T0 - 60, False),  # exactly the bound: allowed
    ],
    ids=["honest", "forged-early", "from-the-future", "at-the-bound"],
)
def test_a_press_maps_to_the_server_clock_within_its_bound(press, received, mapped, clamped):
    result = map_press(press=press, received=received, clock=CLOCK)
    assert (result.mapped, result.clamped) == (mapped, clamped)


def test_a_socket_without_clock_samples_maps_to_its_receipt():
    result = map_press(press=0.0, received=T0, clock=ClockEstimate())
    assert (result.mapped, result.clamped) == (T0, False)


def b(team, seq, received, mapped, early=False):
    return Buzz(team=team, seq=seq, received=received, mapped=mapped, early=early)


def test_fair_order_is_by_mapped_time_while_arrival_order_is_by_receipt():
    buzzes = [
        b("near", 1, T0 + 40, T0 + 35),
        b("far", 2, T0 + 230, T0 - 10),
        b("x", 3, T0 + 1, T0 - 99, early=True),
    ]
    assert [x.team for x in fair_order(buzzes)] == ["far", "near"]
    assert [x.team for x in arrival_order(buzzes)] == ["near", "far"]


def test_equal_mapped_times_fall_back_to_receipt_then_arrival():
    buzzes = [b("c", 3, T0 + 5, T0), b("a", 1, T0 + 9, T0), b("b", 2, T0 + 5, T0)]
    assert [x.team for x in fair_order(buzzes)] == ["b", "c", "a"]


@pytest.mark.parametrize(
    ("leader", "bounds", "expected"),
    [
        (T0 - 20, [], T0 + 150),  # nobody else could still beat the leader: the base window
        (T0 - 20, [50, 100], T0 + 150),  # their bounds end inside the window
        (T0 - 20, [300], T0 + 280),  # a far phone could still map before the leader: wait for it
        (T0 - 20, [1_000], T0 + 600),  # never past the cap
    ],
)
def test_the_window_lasts_until_no_waiting_team_could_map_before_the_leader(leader, bounds, expected):
    assert (
        decide_at(
            first_received=T0, leader_mapped=leader, pending_bounds=bounds, window_ms=150, window_max_ms=600
        )
        == expected
    )


# ---- a buzzer question ------------------------------------------------------------------------------

RULES = BuzzerRules()
TEAMS = ("a", "b", "c")


def opened(rules: BuzzerRules = RULES) -> bq.BuzzQuestion:
    return bq.buzzer_open(bq.question_start(TEAMS), now=T0).state


def press(q, team, mapped, received=None, rules=RULES):
    received = mapped + 30 if received is None else received
    return bq.press(q, rules, buzz=Buzz(team=team, seq=0, received=received, mapped=mapped), now=received)


def test_opening_twice_opens_once_and_a_closed_question_cannot_reopen():
    q = opened()
    assert bq.buzzer_open(q, now=T0 + 5).state is q
    with pytest.raises(FinalsError) as info:
        bq.buzzer_open(bq.close(q).state, now=T0)
    assert info.value.code == "question_closed"


def test_the_earliest_mapped_press_wins_after_the_window_even_if_it_arrived_later():
    q = press(opened(), "b", T0 + 100, received=T0 + 110).state
    q = press(q, "a", T0 + 60, received=T0 + 250).state  # pressed 40 ms earlier, 190 ms away
    bounds = {"a": 400.0, "b": 20.0, "c": 20.0}
    assert bq.settle_due_at(q, RULES, bounds=bounds) == T0 + 110 + 150
    assert bq.settle(q, RULES, now=T0 + 200, bounds=bounds).state is q  # window still open
    step = bq.settle(q, RULES, now=T0 + 260, bounds=bounds)
    assert step.state.phase is BuzzPhase.ANSWERING and step.state.answerer == "a"
    assert step.events == ("buzz.winner",) and step.state.attempts == 1


@pytest.mark.parametrize(
    ("early", "award", "out", "locked_until"),
    [
        ("points", (Award("a", Decimal("-10.00"), "early_buzz"),), (), None),
        ("lockout", (), (), T0 - 50 + 250),
        ("out", (), ("a",), None),
    ],
)
def test_an_early_buzz_is_penalised_by_the_rule(early, award, out, locked_until):
    rules = replace(RULES, early=early)
    step = press(opened(rules), "a", T0 - 50, rules=rules)  # mapped before the cue
    assert step.awards == award and step.events == ("buzz.early",)
    assert step.state.out == out and step.state.locked_until("a") == locked_until
    assert step.state.first_received is None  # an early buzz does not start the window


def test_a_press_during_reading_is_early():
    step = press(bq.question_start(TEAMS), "a", T0)
    assert step.events == ("buzz.early",)


def test_a_locked_out_team_may_buzz_again_once_its_lockout_has_passed():
    q = press(opened(), "a", T0 - 50).state  # locked until T0 + 200
    with pytest.raises(FinalsError) as info:
        press(q, "a", T0 + 100)
    assert info.value.code == "buzz_locked_out"
    assert press(q, "a", T0 + 201).events == ("buzz.received",)


@pytest.mark.parametrize(
    ("setup", "team", "code"),
    [
        (lambda: press(opened(), "a", T0 + 10).state, "a", "buzz_duplicate"),
        (
            lambda: (
                press(
                    opened(replace(RULES, early="out")), "a", T0 - 1, rules=replace(RULES, early="out")
                ).state
            ),
            "a",
            "buzz_locked_out",
        ),
        (lambda: bq.close(opened()).state, "a", "buzz_closed"),
        (lambda: opened(), "zz", "buzz_not_eligible"),
    ],
    ids=["second-buzz", "out-after-early", "closed", "not-eligible"],
)
def test_a_refused_buzz_has_its_code_and_changes_nothing(setup, team, code):
    q = setup()
    with pytest.raises(FinalsError) as info:
        press(q, team, T0 + 20)
    assert info.value.code == code


def test_a_second_early_buzz_under_the_points_rule_is_not_charged_twice():
    rules = replace(RULES, early="points")
    q = press(opened(rules), "a", T0 - 50, rules=rules).state
    with pytest.raises(FinalsError) as info:
        press(q, "a", T0 - 20, rules=rules)
    assert info.value.code == "buzz_duplicate"


def test_no_buzz_within_the_open_time_closes_the_question_once():
    q = opened()
    assert bq.close_if_due(q, RULES, now=T0 + 14_999).state is q
    step = bq.close_if_due(q, RULES, now=T0 + 15_000)
    assert step.state.phase is BuzzPhase.CLOSED and step.state.closed_reason == "no_buzz"
    assert bq.close_if_due(step.state, RULES, now=T0 + 20_000).events == ()
    with pytest.raises(FinalsError) as info:
        press(q, "a", T0 + 15_000, received=T0 + 15_001)
    assert info.value.code == "buzz_closed"


def answering(*teams_in_order, rules=RULES):
    q = opened(rules)
    for i, team in enumerate(teams_in_order):
        q = press(q, team, T0 + 10 * (i + 1), rules=rules).state
    return bq.settle(q, rules, now=T0 + 10_000, bounds={}).state


@pytest.mark.parametrize(
    ("marks", "answerer", "phase", "reason", "awards"),
    [
        ([Mark.RIGHT], None, BuzzPhase.CLOSED, "answered", [("a", "10.00")]),
        ([Mark.WRONG], "b", BuzzPhase.ANSWERING, "", [("a", "-10.00")]),
        (
            [Mark.INCOMPLETE, Mark.RIGHT],
            None,
            BuzzPhase.CLOSED,
            "answered",
            [("a", "-10.00"), ("b", "10.00")],
        ),
        (
            [Mark.WRONG, Mark.WRONG],
            None,
            BuzzPhase.CLOSED,
            "attempts_used",
            [("a", "-10.00"), ("b", "-10.00")],
        ),
    ],
)
def test_marks_score_and_pass_the_question_on_in_buzz_order(marks, answerer, phase, reason, awards):
    q = answering("a", "b", "c")
    got = []
    for attempt, m in enumerate(marks, start=1):
        step = bq.mark(q, RULES, result=m, attempt=attempt, now=T0 + 20_000)
        got += [(a.team, str(a.points)) for a in step.awards]
        q = step.state
    assert (q.answerer if q.phase is BuzzPhase.ANSWERING else None, q.phase, q.closed_reason) == (
        answerer,
        phase,
        reason,
    )
    assert got == awards


def test_without_pass_on_a_wrong_answer_closes_the_question():
    rules = replace(RULES, pass_on=False)
    q = bq.mark(answering("a", "b", rules=rules), rules, result=Mark.WRONG, attempt=1, now=T0).state
    assert (q.phase, q.closed_reason) == (BuzzPhase.CLOSED, "wrong")


def test_a_wrong_answer_with_nobody_else_buzzed_closes_the_question():
    q = bq.mark(answering("a"), RULES, result=Mark.WRONG, attempt=1, now=T0).state
    assert (q.phase, q.closed_reason) == (BuzzPhase.CLOSED, "no_one_left")


def test_marking_the_same_attempt_twice_acts_once():
    q = answering("a", "b")
    first = bq.mark(q, RULES, result=Mark.WRONG, attempt=1, now=T0)
    again = bq.mark(first.state, RULES, result=Mark.WRONG, attempt=1, now=T0)
    assert again.state is first.state and again.awards == () and again.events == ()
    right = bq.mark(answering("a"), RULES, result=Mark.RIGHT, attempt=1, now=T0)
    assert bq.mark(right.state, RULES, result=Mark.RIGHT, attempt=1, now=T0).awards == ()


def test_marking_with_nobody_answering_is_refused():
    with pytest.raises(FinalsError) as info:
        bq.mark(opened(), RULES, result=Mark.RIGHT, attempt=1, now=T0)
    assert info.value.code == "no_answer_to_mark"


def test_a_buzz_received_before_the_decision_but_handled_after_it_takes_the_answer_if_it_pressed_first():
    # given: b's buzz decided the order at T0 + 260; a's buzz had reached the server at T0 + 250 but its
    # handling was queued behind the decision
    q = press(opened(), "b", T0 + 100, received=T0 + 110).state
    q = bq.settle(q, RULES, now=T0 + 300, bounds={}).state
    assert (q.answerer, q.decided_at) == ("b", T0 + 260)
    # when
    step = press(q, "a", T0 + 60, received=T0 + 250)
    # then: a pressed first and was received in time, so a answers
    assert step.events == ("buzz.received", "buzz.corrected")
    assert step.state.answerer == "a" and step.state.attempts == 1


@pytest.mark.parametrize(
    ("mapped", "received"),
    [(T0 + 60, T0 + 261), (T0 + 120, T0 + 200)],
    ids=["received-after-the-decision", "pressed-later"],
)
def test_a_buzz_after_the_decision_or_pressed_later_joins_the_queue_without_changing_the_answerer(
    mapped, received
):
    q = press(opened(), "b", T0 + 100, received=T0 + 110).state
    q = bq.settle(q, RULES, now=T0 + 300, bounds={}).state
    step = press(q, "a", mapped, received=received)
    assert step.events == ("buzz.received",) and step.state.answerer == "b"


def test_a_decision_is_not_corrected_once_the_first_answer_is_marked():
    q = press(opened(), "b", T0 + 100, received=T0 + 110).state
    q = bq.settle(q, RULES, now=T0 + 300, bounds={}).state
    q = bq.mark(q, RULES, result=Mark.WRONG, attempt=1, now=T0 + 1000).state  # closed: nobody else buzzed
    with pytest.raises(FinalsError):
        press(q, "a", T0 + 60, received=T0 + 250)
