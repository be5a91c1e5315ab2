"""力挽狂澜 cut, 加赛 order, final ranking (finals.comeback, finals.sudden_death, finals.ranking)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from quiz.engine.finals import comeback, sudden_death
from quiz.engine.finals.common import FinalsError, Mark
from quiz.engine.finals.ranking import final_ranking, level_groups
from quiz.engine.finals.script import ComebackRules, SuddenDeathRules

SEEDING = ["a", "b", "c", "d", "e", "f"]
BOARD = {t: Decimal(v) for t, v in zip(SEEDING, [150, 120, 90, 90, 110, 80], strict=True)}


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        (ComebackRules(last_n=3), ("c", "d", "f")),
        (ComebackRules(last_n=2), ("c", "d", "f")),  # d is level with c at the cut: both play
        (ComebackRules(last_n=1), ("f",)),
        (ComebackRules(cut="below", below=100), ("c", "d", "f")),
        (ComebackRules(cut="below", below=80), ()),
        (ComebackRules(last_n=17), tuple(SEEDING)),
    ],
)
def test_only_the_teams_below_the_cut_take_part(rules, expected):
    assert comeback.participants(SEEDING, BOARD, rules) == expected


def test_the_comeback_plays_with_its_own_values():
    rules = comeback.buzzer_rules(ComebackRules(right=30, wrong=-30, questions=4))
    assert (rules.right, rules.wrong, rules.questions) == (30, -30, 4)
    c = comeback.compulsory_rules(ComebackRules(right=20, wrong=-5, questions=2))
    assert (c.right, c.wrong, c.rounds) == (20, -5, 2)


@pytest.mark.parametrize(
    ("teams", "results", "order"),
    [
        (["a", "b"], [("a", Mark.RIGHT)], ("a", "b")),
        (["a", "b"], [("a", Mark.WRONG)], ("b", "a")),
        (["a", "b"], [(None, None), ("b", Mark.INCOMPLETE)], ("a", "b")),
        (["a", "b", "c"], [("c", Mark.RIGHT), ("a", Mark.WRONG)], ("c", "b", "a")),
        (["a", "b", "c"], [("b", Mark.WRONG), ("c", Mark.WRONG)], ("a", "c", "b")),
        (
            ["a", "b", "c", "d"],
            [("d", Mark.RIGHT), ("a", Mark.RIGHT), ("b", Mark.WRONG)],
            ("d", "a", "c", "b"),
        ),
    ],
)
def test_sudden_death_places_right_answers_at_the_top_and_wrong_ones_at_the_bottom(teams, results, order):
    state = sudden_death.start(teams)
    for team, mark in results:
        state = sudden_death.result(state, team=team, mark=mark).state
    assert state.finished
    assert state.order() == order


def test_sudden_death_needs_two_teams_and_places_each_team_once():
    with pytest.raises(FinalsError) as info:
        sudden_death.start(["a"])
    assert info.value.code == "sudden_death_needs_two"
    state = sudden_death.result(sudden_death.start(["a", "b", "c"]), team="a", mark=Mark.RIGHT).state
    with pytest.raises(FinalsError) as info:
        sudden_death.result(state, team="a", mark=Mark.RIGHT)
    assert info.value.code == "sudden_death_team_placed"


def test_sudden_death_questions_are_buzzer_questions_without_points_or_pass_on():
    rules = sudden_death.buzzer_rules(SuddenDeathRules(window_ms=200))
    assert (rules.right, rules.wrong, rules.pass_on, rules.max_attempts, rules.early) == (
        0,
        0,
        False,
        1,
        "out",
    )
    assert rules.window_ms == 200


@pytest.mark.parametrize(
    ("board", "sd", "expected"),
    [
        ({"a": 100, "b": 130, "c": 90}, [], [(1, "b"), (2, "a"), (3, "c")]),
        ({"a": 100, "b": 100, "c": 90}, [], [(1, "a"), (1, "b"), (3, "c")]),
        ({"a": 100, "b": 100, "c": 90}, ["b", "a"], [(1, "b"), (2, "a"), (3, "c")]),
        ({"a": 90, "b": 100, "c": 100, "d": 100}, ["d", "b", "c"], [(1, "d"), (2, "b"), (3, "c"), (4, "a")]),
    ],
)
def test_the_ranking_orders_level_teams_by_the_sudden_death(board, sd, expected):
    board = {t: Decimal(v) for t, v in board.items()}
    assert [(p, t) for p, t, _ in final_ranking(board, sd)] == expected


def test_level_groups_list_the_teams_that_need_a_sudden_death_best_first():
    board = {t: Decimal(v) for t, v in {"a": 90, "b": 100, "c": 100, "d": 90, "e": 70}.items()}
    assert level_groups(board) == [("b", "c"), ("a", "d")]
