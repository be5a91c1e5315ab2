"""A final's script as data: defaults, checking, round trips and pinning (quiz.engine.finals.script)."""

from __future__ import annotations

import pytest

from quiz.engine.finals.common import FinalsError
from quiz.engine.finals.script import (
    BuzzerRules,
    Kind,
    default_script,
    rules_from_data,
    script_edit,
    script_from_data,
    script_pin,
)


def test_default_script_is_the_five_segment_final_in_order():
    script = default_script("district")
    assert [s.kind for s in script.segments] == [
        Kind.COMPULSORY,
        Kind.BUZZER,
        Kind.WAGER,
        Kind.JUDGED,
        Kind.COMEBACK,
    ]
    assert [s.title for s in script.segments] == ["限时必答", "团队抢答", "风险题", "科普讲解", "力挽狂澜"]
    assert script.base_score == 100
    assert not script.pinned


@pytest.mark.parametrize(
    ("stage", "buzzer_questions", "exclusive_wagers"),
    [("district", 5, False), ("provincial", 6, False), ("grand", 8, True)],
)
def test_each_stage_has_its_default_values(stage, buzzer_questions, exclusive_wagers):
    script = default_script(stage)
    assert script.segments[1].rules.questions == buzzer_questions
    assert script.segments[2].rules.exclusive is exclusive_wagers


def test_default_buzzer_rules_are_the_contest_values():
    rules = BuzzerRules()
    assert (rules.right, rules.wrong, rules.early, rules.lockout_ms) == (10, -10, "lockout", 250)
    assert (rules.open_seconds, rules.max_attempts, rules.window_ms, rules.pass_on) == (15, 2, 150, True)


def test_a_script_round_trips_through_its_data():
    script = default_script("grand")
    assert script_from_data(script.to_data()) == script


def test_missing_rules_take_the_defaults_and_given_ones_override():
    script = script_from_data({"segments": [{"kind": "buzzer", "rules": {"right": 20, "wrong": -20}}]})
    rules = script.segments[0].rules
    assert (rules.right, rules.wrong, rules.window_ms) == (20, -20, 150)
    assert script.segments[0].title == "团队抢答"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "at least one segment"),
        ({"segments": []}, "at least one segment"),
        ({"segments": [{"kind": "karaoke"}]}, "unknown segment kind"),
        ({"segments": [{"kind": "buzzer", "rules": {"colour": 1}}]}, "unknown rule"),
        ({"segments": [{"kind": "buzzer", "rules": {"right": "ten"}}]}, "whole number"),
        ({"segments": [{"kind": "buzzer", "rules": {"pass_on": 1}}]}, "true or false"),
        ({"segments": [{"kind": "buzzer", "rules": {"early": "fine"}}]}, "early must be one of"),
        (
            {"segments": [{"kind": "buzzer", "rules": {"window_ms": 500, "window_max_ms": 200}}]},
            "window_max_ms",
        ),
        ({"segments": [{"kind": "compulsory", "rules": {"answer_seconds": 5}}]}, "between 10 and 60"),
        ({"segments": [{"kind": "compulsory", "rules": {"mode": "solo"}}]}, "mode must be one of"),
        ({"segments": [{"kind": "wager", "rules": {"tiers": [10, 10]}}]}, "distinct"),
        ({"segments": [{"kind": "wager", "rules": {"tiers": [0, 10]}}]}, "positive"),
        ({"segments": [{"kind": "wager", "rules": {"tiers": 10}}]}, "must be a list"),
        ({"segments": [{"kind": "judged", "rules": {"low": 10, "high": 10}}]}, "low must be below high"),
        ({"segments": [{"kind": "judged", "rules": {"recuse_by": ["family"]}}]}, "recuse_by"),
        ({"segments": [{"kind": "comeback", "rules": {"cut": "top"}}]}, "cut must be one of"),
        ({"segments": [{"kind": "buzzer"}], "base_score": -1}, "base_score"),
        ({"segments": [{"kind": "buzzer", "title": "x" * 41}]}, "title"),
        ({"segments": [{"kind": "compulsory", "rules": {"right_by_kind": [10]}}]}, "must be an object"),
        ({"segments": [{"kind": "compulsory", "rules": {"right_by_kind": {"essay": 10}}}]}, "right_by_kind"),
        (
            {"segments": [{"kind": "compulsory", "rules": {"right_by_kind": {"single": "ten"}}}]},
            "whole number",
        ),
        (
            {"segments": [{"kind": "compulsory", "rules": {"right_by_kind": {"single": 5000}}}]},
            "right_by_kind.single must be between 0 and 1000",
        ),
    ],
)
def test_a_bad_script_is_refused_with_script_invalid(data, message):
    with pytest.raises(FinalsError) as info:
        script_from_data(data)
    assert info.value.code == "script_invalid"
    assert message in info.value.message


def test_points_by_question_kind_round_trip_as_an_object():
    data = {"segments": [{"kind": "compulsory", "rules": {"right_by_kind": {"single": 20, "truefalse": 10}}}]}
    script = script_from_data(data)
    rules = script.segments[0].rules
    assert rules.right_by_kind == (("single", 20), ("truefalse", 10))
    assert script.to_data()["segments"][0]["rules"]["right_by_kind"] == {"single": 20, "truefalse": 10}
    assert script_from_data(script.to_data()) == script


def test_editing_bumps_the_rule_version_before_the_match_starts():
    script = default_script()
    edited = script_edit(script, {"segments": [{"kind": "buzzer"}], "base_score": 50})
    assert edited.rule_version == script.rule_version + 1
    assert edited.base_score == 50


def test_a_pinned_script_cannot_be_edited_and_pinning_twice_is_the_same():
    pinned = script_pin(default_script())
    assert script_pin(pinned) is pinned
    with pytest.raises(FinalsError) as info:
        script_edit(pinned, {"segments": [{"kind": "buzzer"}]})
    assert info.value.code == "script_pinned"


def test_rules_from_data_of_none_are_the_defaults():
    assert rules_from_data(Kind.BUZZER, None) == BuzzerRules()


def test_an_unknown_stage_is_refused():
    with pytest.raises(FinalsError):
        default_script("olympic")
