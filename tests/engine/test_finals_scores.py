"""The scoreboard as the sum of score events, undo with a reason, the arbitration hold (finals.scores)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from quiz.engine.finals.common import FinalsError, points
from quiz.engine.finals.scores import (
    Hold,
    ScoreEvent,
    hold_release,
    hold_start,
    scoreboard,
    scoreboard_shown,
    undo,
)


def ev(seq: int, team: str, pts: str, reason: str = "right", undoes: int | None = None) -> ScoreEvent:
    return ScoreEvent(seq=seq, team=team, points=Decimal(pts), reason=reason, rule_version=1, undoes=undoes)


LOG = [ev(1, "a", "10"), ev(2, "b", "-10"), ev(3, "a", "8.67", "judged")]


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([], {"a": "100", "b": "100", "c": "100"}),
        (LOG, {"a": "118.67", "b": "90", "c": "100"}),
        ([*LOG, ev(4, "a", "-10", "undo", undoes=1)], {"a": "108.67", "b": "90", "c": "100"}),
        ([ev(1, "zz", "50")], {"a": "100", "b": "100", "c": "100"}),
    ],
)
def test_the_scoreboard_is_the_base_plus_the_sum_of_each_teams_events(events, expected):
    board = scoreboard(["a", "b", "c"], 100, events)
    assert board == {t: Decimal(v) for t, v in expected.items()}


def test_undo_logs_the_opposite_points_with_the_reason_and_who():
    event = undo(LOG, seq=3, note="wrong team marked", actor="host:li", rule_version=2)
    assert (event.seq, event.team, event.points, event.undoes) == (4, "a", Decimal("-8.67"), 3)
    assert (event.reason, event.note, event.actor, event.rule_version) == (
        "undo",
        "wrong team marked",
        "host:li",
        2,
    )


@pytest.mark.parametrize(
    ("events", "seq", "note", "code"),
    [
        (LOG, 1, "  ", "undo_reason_required"),
        (LOG, 9, "typo", "score_event_unknown"),
        ([*LOG, ev(4, "a", "-10", "undo", undoes=1)], 1, "again", "score_event_already_undone"),
        ([*LOG, ev(4, "a", "-10", "undo", undoes=1)], 4, "undo the undo", "score_event_not_undoable"),
    ],
)
def test_a_bad_undo_is_refused_with_its_code(events, seq, note, code):
    with pytest.raises(FinalsError) as info:
        undo(events, seq=seq, note=note, actor="host", rule_version=1)
    assert info.value.code == code


def test_a_hold_freezes_the_shown_board_until_released_with_a_ruling():
    held = hold_start(Hold(), last_seq=2, reason="team b disputes")
    log = [*LOG, ev(4, "b", "10", "ruling")]
    assert scoreboard_shown(["a", "b"], 100, log, held) == {"a": Decimal("110.00"), "b": Decimal("90.00")}
    released = hold_release(held, ruling="b's answer accepted")
    assert not released.held and released.ruling == "b's answer accepted"
    assert scoreboard_shown(["a", "b"], 100, log, released) == {
        "a": Decimal("118.67"),
        "b": Decimal("100.00"),
    }


def test_holding_twice_and_releasing_twice_each_act_once():
    held = hold_start(Hold(), last_seq=2, reason="x")
    assert hold_start(held, last_seq=5, reason="y") is held
    released = hold_release(held, ruling="ok")
    assert hold_release(released, ruling="again") is released


def test_releasing_without_a_ruling_is_refused():
    with pytest.raises(FinalsError) as info:
        hold_release(hold_start(Hold(), last_seq=0, reason=""), ruling=" ")
    assert info.value.code == "ruling_required"


@pytest.mark.parametrize(
    ("value", "expected"), [(10, "10.00"), ("8.666", "8.67"), ("8.665", "8.67"), (-10, "-10.00")]
)
def test_points_are_decimals_with_two_places_rounded_half_up(value, expected):
    assert points(value) == Decimal(expected)


@pytest.mark.parametrize("value", ["ten", "NaN", "Infinity"])
def test_points_that_are_not_numbers_are_refused(value):
    with pytest.raises(FinalsError):
        points(value)
