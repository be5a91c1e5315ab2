"""必答 turns and 风险 wagers as pure steps (finals.compulsory, finals.wager)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from quiz.engine.finals import compulsory, wager
from quiz.engine.finals.common import FinalsError, Mark
from quiz.engine.finals.compulsory import Turn, TurnPhase
from quiz.engine.finals.script import CompulsoryRules, WagerRules

T0 = 1_800_000_000_000.0
VALUES = (10, 0, 0)


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        (CompulsoryRules(), [("a", None), ("b", None)]),
        (CompulsoryRules(rounds=2), [("a", None), ("b", None), ("a", None), ("b", None)]),
        (
            CompulsoryRules(mode="member", rounds=3),
            [("a", "a1"), ("b", "b1"), ("a", "a2"), ("b", "b2"), ("a", "a3"), ("b", "b1")],
        ),
        (CompulsoryRules(mode="chosen"), [("a", None), ("b", None)]),
    ],
    ids=["team", "two-rounds", "member-rotation", "team-chosen"],
)
def test_turns_go_round_by_round_and_members_rotate(rules, expected):
    members = {"a": ["a1", "a2", "a3"], "b": ["b1", "b2"]}
    turns = compulsory.turn_order(["a", "b"], rules, members=members)
    assert [(t.team, t.member) for t in turns] == expected


def fresh():
    return compulsory.start([Turn("a"), Turn("b")])


def cued(now=T0):
    return compulsory.cue(fresh(), index=0, seconds=20, now=now).state


@pytest.mark.parametrize(
    ("state", "team", "received", "code"),
    [
        (fresh(), "a", T0, "answer_before_cue"),
        (cued(), "b", T0 + 1, "answer_not_your_turn"),
        (cued(), "a", T0 + 20_000, "answer_too_late"),
        (
            compulsory.answer(cued(), team="a", choice=1, received=T0 + 5).state,
            "a",
            T0 + 6,
            "answer_duplicate",
        ),
    ],
    ids=["before-cue", "out-of-turn", "too-late", "second-answer"],
)
def test_a_refused_answer_has_its_code(state, team, received, code):
    with pytest.raises(FinalsError) as info:
        compulsory.answer(state, team=team, choice=2, received=received)
    assert info.value.code == code


def test_an_answer_after_the_cue_is_recorded_for_the_host_to_mark():
    step = compulsory.answer(cued(), team="a", choice=2, received=T0 + 19_999)
    assert step.state.phase is TurnPhase.ANSWERED and step.state.answer == 2


def test_cueing_twice_starts_the_clock_once():
    state = cued(T0)
    assert compulsory.cue(state, index=0, seconds=20, now=T0 + 5_000).state is state
    assert state.deadline == T0 + 20_000


@pytest.mark.parametrize(
    ("mark", "values", "points"),
    [
        (Mark.RIGHT, (10, 0, 0), "10.00"),
        (Mark.RIGHT, (30, 0, 0), "30.00"),
        (Mark.WRONG, (10, 0, 0), None),
        (Mark.INCOMPLETE, (10, -5, 5), "5.00"),
    ],
)
def test_a_mark_scores_by_the_values(mark, values, points):
    step = compulsory.mark(cued(), index=0, result=mark, values=values)
    assert [str(a.points) for a in step.awards] == ([points] if points else [])
    assert step.state.phase is TurnPhase.MARKED and step.state.marks == (mark.value,)


def test_marking_before_the_cue_is_refused_and_marking_twice_acts_once():
    with pytest.raises(FinalsError) as info:
        compulsory.mark(fresh(), index=0, result=Mark.RIGHT, values=VALUES)
    assert info.value.code == "mark_before_cue"
    marked = compulsory.mark(cued(), index=0, result=Mark.RIGHT, values=VALUES)
    again = compulsory.mark(marked.state, index=0, result=Mark.RIGHT, values=VALUES)
    assert again.state is marked.state and again.awards == ()


def test_next_turn_needs_a_mark_moves_once_and_ends_the_segment():
    with pytest.raises(FinalsError) as info:
        compulsory.next_turn(cued(), index=1)
    assert info.value.code == "turn_not_finished"
    state = compulsory.mark(cued(), index=0, result=Mark.RIGHT, values=VALUES).state
    step = compulsory.next_turn(state, index=1)
    assert step.state.turn == Turn("b") and step.events == ("turn.next",)
    assert compulsory.next_turn(step.state, index=1).state is step.state
    last = compulsory.cue(step.state, index=1, seconds=20, now=T0).state
    last = compulsory.mark(last, index=1, result=Mark.WRONG, values=VALUES).state
    done = compulsory.next_turn(last, index=2)
    assert done.events == ("segment.done",) and done.state.finished


# ---- 风险 -------------------------------------------------------------------------------------------

BOARD = {"a": Decimal(120), "b": Decimal(100), "c": Decimal(120), "d": Decimal(90)}


@pytest.mark.parametrize(
    ("order", "expected"),
    [("high_to_low", ("a", "c", "b", "d")), ("low_to_high", ("d", "b", "a", "c"))],
)
def test_wager_pick_order_follows_the_scores_and_level_teams_keep_their_seeding(order, expected):
    assert wager.pick_order(["a", "b", "c", "d"], BOARD, WagerRules(order=order)) == expected


def picks(rules, *pairs):
    state = wager.start(("a", "b", "c"))
    for team, tier in pairs:
        state = wager.pick(state, rules, team=team, tier=tier).state
    return state


@pytest.mark.parametrize(
    ("rules", "done", "team", "tier", "code"),
    [
        (WagerRules(), [], "a", 25, "wager_not_a_tier"),
        (WagerRules(), [], "a", True, "wager_not_a_tier"),
        (WagerRules(), [], "b", 10, "wager_not_your_turn"),
        (WagerRules(), [("a", 10)], "a", 20, "wager_already_placed"),
        (WagerRules(exclusive=True), [("a", 30)], "b", 30, "wager_tier_taken"),
        (WagerRules(), [], "zz", 10, "wager_not_eligible"),
    ],
    ids=["not-a-tier", "boolean", "out-of-order", "second-pick", "exclusive-taken", "not-eligible"],
)
def test_a_refused_wager_has_its_code_and_changes_nothing(rules, done, team, tier, code):
    state = picks(rules, *done)
    with pytest.raises(FinalsError) as info:
        wager.pick(state, rules, team=team, tier=tier)
    assert info.value.code == code


def test_non_exclusive_tiers_may_be_picked_twice_and_the_same_pick_again_acts_once():
    state = picks(WagerRules(), ("a", 30), ("b", 30))
    assert wager.pick(state, WagerRules(), team="b", tier=30).state is state
    assert state.tiers_left(WagerRules()) == (10, 20, 30)
    assert picks(WagerRules(exclusive=True), ("a", 30)).tiers_left(WagerRules(exclusive=True)) == (10, 20)


def test_answers_wait_for_every_pick_then_right_adds_and_wrong_deducts_the_tier():
    rules = WagerRules()
    with pytest.raises(FinalsError) as info:
        wager.cue(picks(rules, ("a", 10)), rules, index=0, now=T0)
    assert info.value.code == "wager_picks_open"
    state = picks(rules, ("a", 10), ("b", 20), ("c", 30))
    awards = []
    for i, m in enumerate([Mark.RIGHT, Mark.WRONG, Mark.INCOMPLETE]):
        state = wager.cue(state, rules, index=i, now=T0).state
        step = wager.mark(state, index=i, result=m)
        awards += [(a.team, str(a.points), a.reason) for a in step.awards]
        state = wager.next_turn(step.state, index=i + 1).state
    assert awards == [
        ("a", "10.00", "wager_right"),
        ("b", "-20.00", "wager_wrong"),
        ("c", "-30.00", "wager_incomplete"),
    ]
    assert state.answers.finished


def test_a_wager_answer_before_the_cue_is_refused():
    rules = replace(WagerRules(), tiers=(10, 20))
    state = picks(rules, ("a", 10), ("b", 20), ("c", 10))
    with pytest.raises(FinalsError) as info:
        wager.answer(state, team="a", choice=1, received=T0)
    assert info.value.code == "answer_before_cue"
