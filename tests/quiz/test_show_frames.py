"""What the screens need from the server: the display's name wall, each phone's summary at the end, and the
big screen's final results after a reload."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client

from quiz import selectors
from quiz.models import Round as RoundModel
from quiz.services.snapshots import display_final, display_snapshot
from quiz.services.standings import standings_refresh
from tests.quiz.test_standings import Round

pytestmark = pytest.mark.django_db


def test_the_display_snapshot_lists_the_active_contestants_for_the_name_wall_oldest_first():
    # given three contestants, one of them removed
    r = Round([[0]])
    r.join("小明", "李华", "Wang Fang")
    r.kick("李华")

    # when a display connects
    snapshot = display_snapshot(round_id=r.round.id)

    # then its name wall has the others, in the order they joined
    assert [c["nickname"] for c in snapshot["contestants"]] == ["小明", "Wang Fang"]
    assert set(snapshot["contestants"][0]) == {"id", "nickname", "team"}


def test_the_name_wall_keeps_the_latest_joiners_when_there_are_more_than_fit():
    r = Round([[0]])
    r.join("a", "b", "c", "d")
    assert [c["nickname"] for c in selectors.name_wall(r.round.id, size=2)] == ["c", "d"]


def test_each_result_carries_the_correct_answers_and_the_best_streak_so_far():
    # given a contestant right, right, wrong, right over four questions
    r = Round([[0], [1], [2], [3]])
    r.join("a", "z")
    r.play(0, {"a": ((0,), 400)})
    r.play(1, {"a": ((1,), 400)})
    r.play(2, {"a": ((0,), 400)})
    r.play(3, {"a": ((3,), 400)})

    # when the standings are worked out after the last question
    round_ = RoundModel.objects.get(pk=r.round.id)
    state = selectors.round_state(round_, selectors.round_view(round_.id).questions)
    personal = standings_refresh(round_id=round_.id, state=state, event_index=3)

    # then the result says three right answers, a best run of two, and the current run of one
    a = json.loads(personal[str(r.ids["a"])])
    assert (a["correct_count"], a["best_streak"], a["streak"]) == (3, 2, 1)
    z = json.loads(personal[str(r.ids["z"])])
    assert (z["correct_count"], z["best_streak"], z["answered"]) == (0, 0, False)


def test_a_big_screen_reloaded_after_the_end_shows_the_final_results():
    # given a round played to its end
    r = Round([[0]])
    r.join("a", "b")
    r.play(0, {"a": ((0,), 400), "b": ((1,), 400)})
    r.command("end", None, r.start + timedelta(minutes=5))

    # when the display page is loaded again with its PIN
    response = Client().get(f"/display/{r.round.pin}/", HTTP_HOST="localhost")

    # then it shows the round's final results instead of a 404
    assert response.status_code == 200
    final = display_final(pin=r.round.pin)
    assert final["round"]["phase"] == "finished"
    assert [row["nickname"] for row in final["round"]["leaderboard"]] == ["a", "b"]
    assert 'id="display-final"' in response.content.decode()


def test_a_display_page_for_a_pin_no_round_ever_had_is_not_found():
    assert Client().get("/display/999999/", HTTP_HOST="localhost").status_code == 404
