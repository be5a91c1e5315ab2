"""Stage, cumulative and division leaderboards from the rounds' cached standings."""

import pytest

from competition.leaderboards import division_board, individual_board, team_board
from competition.models import District, Stage
from quiz.models import Contestant
from quiz.services import round_create
from tests.factories import (
    CompetitionFactory,
    DivisionFactory,
    QuestionFactory,
    RegistrationFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def season():
    competition = CompetitionFactory()
    north = DivisionFactory(competition=competition, name="北京")
    south = DivisionFactory(competition=competition, name="河北")
    district = District.objects.create(division=north, name="海淀区")
    a = TeamFactory(competition=competition, division=north, district=district, name="海淀队")
    b = TeamFactory(competition=competition, division=south, name="保定队")
    people = {
        "ann": RegistrationFactory(competition=competition, team=a, name="Ann"),
        "bo": RegistrationFactory(competition=competition, team=a, name="Bo"),
        "cy": RegistrationFactory(competition=competition, team=b, name="Cy"),
        "dee": RegistrationFactory(competition=competition, team=b, name="Dee"),  # never plays
    }
    qualifier = Stage.objects.create(competition=competition, name="初赛", order=1)
    final = Stage.objects.create(competition=competition, name="决赛", order=2)

    def played(stage, scores):
        round_ = round_create(
            competition=competition, title=stage.name, questions=[QuestionFactory()], stage=stage.name
        )
        for who, (score, correct) in scores.items():
            reg = people[who]
            Contestant.objects.create(
                round=round_,
                nickname=reg.name,
                registration=reg,
                team=reg.team,
                score=score,
                correct_count=correct,
            )

    played(qualifier, {"ann": (900, 1), "bo": (500, 1), "cy": (1400, 2)})
    played(final, {"ann": (1000, 1), "cy": (500, 1)})
    return competition, qualifier, final


def test_the_stage_board_ranks_registered_contestants_by_their_points_in_that_stage(season):
    competition, qualifier, _ = season
    rows = individual_board(competition, qualifier)
    assert [(r.rank, r.name, r.points) for r in rows] == [(1, "Cy", 1400), (2, "Ann", 900), (3, "Bo", 500)]


def test_the_cumulative_board_adds_every_stage_and_breaks_equal_points_by_correct_answers(season):
    competition, _, _ = season
    rows = individual_board(competition)
    assert [(r.rank, r.name, r.points, r.correct) for r in rows] == [
        (1, "Cy", 1900, 3),
        (2, "Ann", 1900, 2),
        (3, "Bo", 500, 1),
    ]


def test_the_team_board_sums_members_within_a_stage(season):
    competition, qualifier, _ = season
    rows = team_board(competition, qualifier)
    # equal on points and correct answers: they share first place
    assert [(r.rank, r.name, r.points) for r in rows] == [(1, "保定队", 1400), (1, "海淀队", 1400)]


def test_the_division_board_gives_mean_team_points_and_participation(season):
    competition, _, _ = season
    rows = {r.name: r for r in division_board(competition)}
    assert rows["北京"].mean_team_points == 2400 and rows["北京"].participation == 1.0
    assert rows["河北"].mean_team_points == 1900 and rows["河北"].participation == 0.5
    assert rows["北京"].rank == 1 and rows["河北"].rank == 2
    districts = {r.name: r for r in division_board(competition, by="district")}
    assert districts["海淀区"].teams == 1 and districts["海淀区"].registered == 2
