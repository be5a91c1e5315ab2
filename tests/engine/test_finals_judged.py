"""科普讲解: judges' scores, recusal, hidden until complete, drop high and low (finals.judged)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from quiz.engine.finals import judged
from quiz.engine.finals.common import FinalsError
from quiz.engine.finals.judged import Affiliation
from quiz.engine.finals.script import JudgedRules

RULES = JudgedRules()
JUDGES = {
    "j1": Affiliation("海淀区", "北京科技馆"),
    "j2": Affiliation("和平区", ""),
    "j3": Affiliation("", "河北科技大学"),
    "j4": Affiliation("", ""),
}
TEAMS = {
    "a": Affiliation("海淀区", "海淀一中"),  # j1 shares the district
    "b": Affiliation("石家庄市", "河北科技大学"),  # j3 shares the unit
    "c": Affiliation("朝阳区", "朝阳社区"),
}


def fresh(rules=RULES):
    return judged.start(list(TEAMS), JUDGES, TEAMS, rules)


@pytest.mark.parametrize(
    ("judge", "team", "recused_by"),
    [
        (Affiliation("海淀区", ""), Affiliation("海淀区", "x"), ("district", "unit")),
        (Affiliation("", "北京科技馆"), Affiliation("", " 北京科技馆 "), ("district", "unit")),
        (Affiliation("海淀区", ""), Affiliation("海淀区", ""), ("unit",)),
        (Affiliation("", ""), Affiliation("", ""), ("district", "unit")),
    ],
)
def test_a_judge_is_recused_by_a_shared_district_or_unit(judge, team, recused_by):
    expected = recused_by == ("district", "unit") and bool(judge.district or judge.unit)
    assert judged.recused(judge, team, JudgedRules(recuse_by=recused_by)) is expected


def test_the_panels_leave_out_recused_judges():
    state = fresh()
    assert state.panel("a") == ("j2", "j3", "j4")
    assert state.panel("b") == ("j1", "j2", "j4")
    assert state.panel("c") == ("j1", "j2", "j3", "j4")


@pytest.mark.parametrize(
    ("judge", "team", "value", "code"),
    [
        ("j1", "a", 8, "judge_recused"),
        ("j3", "b", 8, "judge_recused"),
        ("j9", "a", 8, "judge_not_on_panel"),
        ("j2", "z", 8, "judge_team_unknown"),
        ("j2", "a", 10.5, "judge_score_invalid"),
        ("j2", "a", -1, "judge_score_invalid"),
        ("j2", "a", "8.25", "judge_score_invalid"),
        ("j2", "a", "eight", "judge_score_invalid"),
        ("j2", "a", True, "judge_score_invalid"),
        ("j2", "a", "NaN", "judge_score_invalid"),
    ],
)
def test_a_refused_score_has_its_code_and_changes_nothing(judge, team, value, code):
    state = fresh()
    with pytest.raises(FinalsError) as info:
        judged.score_submit(state, RULES, judge=judge, team=team, value=value)
    assert info.value.code == code


def test_scores_stay_hidden_until_the_whole_panel_has_scored_then_award_once():
    state = fresh()
    for judge, value in [("j1", 9), ("j2", "7.5"), ("j3", 8.1)]:
        step = judged.score_submit(state, RULES, judge=judge, team="c", value=value)
        assert step.awards == () and "c" not in step.state.revealed
        state = step.state
    step = judged.score_submit(state, RULES, judge="j4", team="c", value=10)
    # 7.5 and 10 dropped: (8.1 + 9) / 2 = 8.55
    assert [(a.team, a.points, a.reason) for a in step.awards] == [("c", Decimal("8.55"), "judged")]
    assert step.state.revealed == ("c",)
    assert judged.score_submit(step.state, RULES, judge="j4", team="c", value=10).awards == ()
    with pytest.raises(FinalsError) as info:
        judged.score_submit(step.state, RULES, judge="j4", team="c", value=9)
    assert info.value.code == "judge_scores_revealed"


def test_a_judge_may_correct_a_score_before_the_reveal():
    state = judged.score_submit(fresh(), RULES, judge="j2", team="c", value=6).state
    state = judged.score_submit(state, RULES, judge="j2", team="c", value=7).state
    assert state.scores_of("c") == {"j2": Decimal("7.0")}


@pytest.mark.parametrize(
    ("values", "rules", "expected"),
    [
        (["8", "9", "7.5", "10"], RULES, "8.50"),
        (["8", "9", "7"], RULES, "8.00"),
        (["8", "9"], RULES, "8.50"),  # fewer than three: nothing dropped
        (["8", "9", "7"], JudgedRules(drop_high_low=False), "8.00"),
        (["8.1", "8.2", "8.3", "9.9", "1"], RULES, "8.20"),
        (["7", "8", "8"], RULES, "8.00"),
        (["7", "8", "8.5"], JudgedRules(weight=2), "16.00"),
        (["6.6", "6.7", "6.7", "6.8", "9"], RULES, "6.73"),  # 20.2 / 3 = 6.7333 -> 6.73
        ([], RULES, "0.00"),
    ],
)
def test_judged_points_drop_the_highest_and_lowest_and_average_the_rest(values, rules, expected):
    assert judged.judged_points([Decimal(v) for v in values], rules) == Decimal(expected)
