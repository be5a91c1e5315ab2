"""A bracket match played as a stage final: its ranking and 加赛 order reach the bracket, and the result
sheet lists every score event (competition.finals, competition.matches, competition.exports)."""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from competition.exports.data import sheet_data
from competition.finals import match_final_start
from competition.matches import MatchError, bracket_create
from competition.models import District, Match, Stage
from quiz.engine.finals.buzzer import ClockEstimate
from quiz.finals.commands import final_command
from quiz.finals.models import FinalTeam
from quiz.finals.protocol import FinalCommand
from quiz.finals.services import answer_submit, buzz_submit
from tests.factories import (
    CompetitionFactory,
    DivisionFactory,
    QuestionFactory,
    RegistrationFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def match():
    competition = CompetitionFactory()
    division = DivisionFactory(competition=competition)
    stage = Stage.objects.create(competition=competition, name="决赛", format="single_elimination")
    teams = []
    for i in range(2):
        district = District.objects.create(division=division, name=f"D{i}")
        team = TeamFactory(competition=competition, division=division, district=district, name=f"T{i + 1}")
        for j in range(3):
            RegistrationFactory(competition=competition, team=team, code=f"T{i + 1}M{j}", name=f"队员{i}{j}")
        teams.append(team)
    bracket = bracket_create(stage=stage, name="总决赛", teams=teams)
    return Match.objects.get(bracket=bracket), teams


def run(user, final, action, **fields):
    return final_command(user=user, final_id=final.id, command=FinalCommand(action=action, **fields))


def test_a_final_ending_level_carries_its_sudden_death_order_into_the_bracket_and_lists_every_score(match):
    match_row, teams = match
    host = UserFactory(is_superuser=True)
    final = match_final_start(
        match=match_row,
        questions={0: [QuestionFactory() for _ in range(2)]},
        sudden_death_pool=[QuestionFactory(kind="judged", choices=[], correct=[])],
        script={"segments": [{"kind": "compulsory"}]},
    )
    with pytest.raises(MatchError):
        match_final_start(match=Match.objects.get(pk=match_row.pk))
    rows = list(FinalTeam.objects.filter(final=final).order_by("seed"))
    assert [(r.team_id, r.district, r.members) for r in rows] == [
        (teams[0].id, "D0", ["队员00", "队员01", "队员02"]),
        (teams[1].id, "D1", ["队员10", "队员11", "队员12"]),
    ]
    run(host, final, "start")
    for turn in range(2):  # both right: level on 110
        if turn:
            run(host, final, "next_question", index=1)
        run(host, final, "cue")
        answer_submit(final_id=final.id, team_id=rows[turn].id, choice=1, received_ms=_now_ms())
        run(host, final, "mark", result="right", index=turn)
    run(host, final, "sudden_death", teams=(rows[0].id, rows[1].id))
    run(host, final, "cue")
    buzz_submit(
        final_id=final.id, team_id=rows[1].id, press_ms=None, clock=ClockEstimate(), received_ms=_now_ms()
    )
    time.sleep(0.7)  # past the collection window
    run(host, final, "mark", result="wrong", index=1)  # T2 answers wrong: T1 wins the 加赛
    assert run(host, final, "finish")["changed"] is True
    match_row.refresh_from_db()
    assert match_row.result["sudden_death"] == [teams[0].id, teams[1].id]
    assert {int(k): v["score"] for k, v in match_row.result["scores"].items()} == {
        teams[0].id: 110,
        teams[1].id: 110,
    }
    sheet = sheet_data(match_row)
    events = next(s for s in sheet.sections if s.title.startswith("计分记录"))
    assert [(row[2], row[3], row[4]) for row in events.rows] == [("T1", 10.0, "right"), ("T2", 10.0, "right")]


def _now_ms() -> float:
    return timezone.now().timestamp() * 1000
