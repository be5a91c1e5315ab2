"""Corrections (later matches flagged, never silently rewritten) and every kind of bad input."""

from __future__ import annotations

import pytest

from competition.engine import (
    AlreadyPlayed,
    BracketError,
    DuplicateTeam,
    InvalidOption,
    MatchNotReady,
    MatchResult,
    NotPlayed,
    ResultMismatch,
    StageNotFinished,
    TeamInTwoGroups,
    TooFewTeams,
    UnknownMatch,
    clear_result,
    correct_result,
    final_ranking,
    generate,
    is_finished,
    promote,
    record_result,
    record_sudden_death,
    review_needed,
    standings,
)


def win(first, second):
    return MatchResult.of({first: (30, 1_000), second: (10, 1_000)})


@pytest.fixture
def quarter_finals_played():
    bracket = generate("single_elimination", list(range(1, 9)))
    for mid, (a, b) in [("W1-1", (1, 8)), ("W1-2", (4, 5)), ("W1-3", (2, 7)), ("W1-4", (3, 6))]:
        bracket = record_result(bracket, mid, win(a, b))
    return bracket


def test_correcting_a_result_before_the_next_match_moves_the_right_team_on(quarter_finals_played):
    fixed, affected = correct_result(quarter_finals_played, "W1-1", win(8, 1))
    assert affected == ["W2-1"]
    assert fixed.matches["W2-1"].participants == (8, 4)
    assert quarter_finals_played.matches["W2-1"].participants == (1, 4)  # the old value is untouched


def test_correcting_a_result_after_the_next_match_flags_it_for_review_and_keeps_its_result(
    quarter_finals_played,
):
    bracket = record_result(quarter_finals_played, "W2-1", win(1, 4))
    fixed, affected = correct_result(bracket, "W1-1", win(8, 1))
    semi = fixed.matches["W2-1"]
    assert affected == ["W2-1"]
    assert semi.needs_review and semi.participants == (1, 4) and semi.result == bracket.matches["W2-1"].result
    assert [m.id for m in review_needed(fixed)] == ["W2-1"]
    assert not is_finished(fixed)
    # The review: the semi-final is corrected with the teams who should have played it.
    with pytest.raises(ResultMismatch):
        correct_result(fixed, "W2-1", win(1, 4))
    reviewed, later = correct_result(fixed, "W2-1", win(8, 4))
    assert not reviewed.matches["W2-1"].needs_review
    assert reviewed.matches["W2-1"].participants == (8, 4)
    assert later == ["W3-1"] and reviewed.matches["W3-1"].participants == (8, None)


def test_reverting_a_correction_clears_the_review_flag(quarter_finals_played):
    bracket = record_result(quarter_finals_played, "W2-1", win(1, 4))
    flagged, _ = correct_result(bracket, "W1-1", win(8, 1))
    back, affected = correct_result(flagged, "W1-1", win(1, 8))
    assert affected == ["W2-1"] and not back.matches["W2-1"].needs_review


def test_clearing_a_result_empties_the_slots_it_filled(quarter_finals_played):
    cleared, affected = clear_result(quarter_finals_played, "W1-2")
    assert affected == ["W2-1"]
    assert cleared.matches["W1-2"].result is None
    assert cleared.matches["W2-1"].participants == (1, None)


def test_correcting_the_grand_final_brings_back_the_reset_or_flags_it():
    bracket = generate("double_elimination", ["a", "b"])
    bracket = record_result(bracket, "W1-1", win("a", "b"))
    bracket = record_result(bracket, "GF", win("a", "b"))
    assert bracket.matches["GF2"].skipped and is_finished(bracket)
    reset, affected = correct_result(bracket, "GF", win("b", "a"))
    assert affected == ["GF2"] and reset.matches["GF2"].participants == ("a", "b")
    assert not is_finished(reset)
    played = record_result(reset, "GF2", win("b", "a"))
    assert [(p.team, p.place) for p in final_ranking(played)] == [("b", 1), ("a", 2)]
    undone, affected = correct_result(played, "GF", win("a", "b"))
    assert affected == ["GF2"] and undone.matches["GF2"].needs_review


@pytest.mark.parametrize(
    "teams, error, code",
    [
        ([], TooFewTeams, "too_few_teams"),
        (["solo"], TooFewTeams, "too_few_teams"),
        (["a", "b", "a"], DuplicateTeam, "duplicate_team"),
        (["a", None], InvalidOption, "invalid_option"),
    ],
)
@pytest.mark.parametrize("fmt", ["single_elimination", "double_elimination", "round_robin", "heats"])
def test_a_bracket_needs_two_distinct_teams(fmt, teams, error, code):
    with pytest.raises(error) as err:
        generate(fmt, teams)
    assert err.value.code == code and isinstance(err.value, BracketError)


@pytest.mark.parametrize(
    "fmt, options, error",
    [
        ("round_robin", {"groups": {"A": ["a", "b"], "B": ["b", "c", "d"]}}, TeamInTwoGroups),
        ("round_robin", {"groups": {"A": ["a", "b", "c"]}}, InvalidOption),  # d in no group
        ("round_robin", {"groups": {"A": ["a", "b", "c"], "B": ["d"]}}, TooFewTeams),
        ("round_robin", {"groups": {"A": ["a", "b", "zz"], "B": ["c", "d"]}}, InvalidOption),
        ("round_robin", {"groups": 3}, InvalidOption),
        ("round_robin", {"groups": 0}, InvalidOption),
        ("round_robin", {"legs": 3}, InvalidOption),
        ("round_robin", {"tie_breaks": ["points", "luck"]}, InvalidOption),
        ("round_robin", {"tie_breaks": ["points", "points"]}, InvalidOption),
        ("round_robin", {"points": {"win": 3}}, InvalidOption),
        ("single_elimination", {"third_place": "yes"}, InvalidOption),
        ("single_elimination", {"thrid_place": True}, InvalidOption),
        ("single_elimination", {"match_tie_breaks": ["luck"]}, InvalidOption),
        ("double_elimination", {"grand_final_reset": 1}, InvalidOption),
        ("groups_then_knockout", {"groups": 2, "advance_per_group": 3}, InvalidOption),
        ("groups_then_knockout", {"groups": 1, "advance_per_group": 1}, InvalidOption),
        ("groups_then_knockout", {"knockout": {"reset": True}}, InvalidOption),
        ("open", {}, InvalidOption),
        ("swiss", {}, InvalidOption),
    ],
)
def test_bad_options_are_refused_with_a_code(fmt, options, error):
    with pytest.raises(error) as err:
        generate(fmt, ["a", "b", "c", "d"], options)
    assert err.value.code == error.code


@pytest.fixture
def semi_finals():
    return generate("single_elimination", ["a", "b", "c", "d"])


def test_a_result_for_a_match_whose_teams_are_not_decided_is_refused(semi_finals):
    with pytest.raises(MatchNotReady) as err:
        record_result(semi_finals, "W2-1", win("a", "b"))
    assert err.value.code == "match_not_ready" and err.value.details["match_id"] == "W2-1"


@pytest.mark.parametrize(
    "match_id, result, error",
    [
        ("W9-9", win("a", "d"), UnknownMatch),
        ("W1-1", win("a", "b"), ResultMismatch),
        ("W1-1", MatchResult.of({"a": 30}), ResultMismatch),
        ("W1-1", MatchResult.of({"a": 30, "d": 10, "b": 0}), ResultMismatch),
        ("W1-1", MatchResult.of({"a": "30", "d": 10}), ResultMismatch),
        ("W1-1", MatchResult.of({"a": (30, -5), "d": 10}), ResultMismatch),
        ("W1-1", MatchResult.of({"a": 30, "d": 30}, ["a", "b"]), ResultMismatch),
        ("W1-1", "a won", ResultMismatch),
    ],
)
def test_a_malformed_result_is_refused_and_nothing_changes(semi_finals, match_id, result, error):
    before = semi_finals.matches
    with pytest.raises(error):
        record_result(semi_finals, match_id, result)
    assert semi_finals.matches == before and all(m.result is None for m in before.values())


def test_a_result_is_recorded_once_then_corrected(semi_finals):
    bracket = record_result(semi_finals, "W1-1", win("a", "d"))
    with pytest.raises(AlreadyPlayed):
        record_result(bracket, "W1-1", win("d", "a"))
    with pytest.raises(NotPlayed):
        correct_result(bracket, "W1-2", win("b", "c"))
    with pytest.raises(NotPlayed):
        clear_result(bracket, "W1-2")


def test_a_result_can_be_given_as_plain_data(semi_finals):
    bracket = record_result(
        semi_finals,
        "W1-1",
        {
            "scores": {
                "a": {"score": 20, "correct_time_ms": 9_000},
                "d": {"score": 20, "correct_time_ms": 7_000},
            }
        },
    )
    assert bracket.matches["W2-1"].participants == ("d", None)
    assert bracket.matches["W1-1"].result.to_dict()["scores"]["d"] == {"score": 20, "correct_time_ms": 7_000}


def test_the_reset_final_cannot_be_played_when_it_is_not_needed():
    bracket = generate("double_elimination", ["a", "b"])
    bracket = record_result(bracket, "W1-1", win("a", "b"))
    bracket = record_result(bracket, "GF", win("a", "b"))
    with pytest.raises(MatchNotReady):
        record_result(bracket, "GF2", win("a", "b"))


def test_ranking_and_promotion_wait_for_the_end_of_the_stage(semi_finals):
    with pytest.raises(StageNotFinished):
        final_ranking(semi_finals)
    with pytest.raises(StageNotFinished):
        promote(semi_finals, {"top": 2})


@pytest.mark.parametrize(
    "rule, info",
    [
        ({}, None),
        ({"top": 0}, None),
        ({"top": 2, "per": "group"}, None),
        ({"top": 2, "per": "division"}, {"a": {"division": "bj"}}),
        ({"top": 2, "best": True}, None),
        ({"top": 2, "per": 5}, None),
    ],
)
def test_a_bad_promotion_rule_is_refused(semi_finals, rule, info):
    with pytest.raises(InvalidOption):
        promote(semi_finals, rule, info)


def test_group_standings_and_sudden_death_orders_are_checked():
    knockout = generate("single_elimination", ["a", "b"])
    with pytest.raises(InvalidOption):
        standings(knockout)
    table = generate("round_robin", ["a", "b", "c"])
    with pytest.raises(StageNotFinished):
        record_sudden_death(table, "A", ["a", "b"])
    with pytest.raises(InvalidOption):
        record_sudden_death(table, "Z", ["a", "b"])
    for m in list(table.matches.values()):
        x, y = m.participants
        table = record_result(table, m.id, {x: 10, y: 10})
    with pytest.raises(ResultMismatch):  # all three are level, not two
        record_sudden_death(table, "A", ["a", "b"])
