"""Stage, cumulative and division leaderboards from the rounds' cached standings."""

import pytest
from django.utils import timezone

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


# --- table tests: one small competition per case ---------------------------------------------------------


class League:
    """Divisions, districts, teams and registered people, and rounds whose cached standings are given."""

    def __init__(self) -> None:
        self.competition = CompetitionFactory()
        self.stage = Stage.objects.create(competition=self.competition, name="初赛", order=1)
        self.divisions: dict[str, object] = {}
        self.districts: dict[tuple[str, str], District] = {}
        self.teams: dict[str, object] = {}
        self.people: dict[str, object] = {}

    def team(self, name: str, division: str, district: str | None = None, people=(), substitutes=()):
        if division not in self.divisions:
            self.divisions[division] = DivisionFactory(competition=self.competition, name=division)
        home = None
        if district is not None:
            home = self.districts.get((division, district))
            if home is None:
                home = District.objects.create(division=self.divisions[division], name=district)
                self.districts[(division, district)] = home
        team = TeamFactory(
            competition=self.competition, division=self.divisions[division], district=home, name=name
        )
        self.teams[name] = team
        for who in people:
            self.people[who] = RegistrationFactory(competition=self.competition, team=team, name=who)
        for who in substitutes:
            self.people[who] = RegistrationFactory(
                competition=self.competition, team=team, name=who, role="substitute"
            )
        return self

    def round(self, scores: dict[str, tuple[int, int]], kicked=(), guests: dict[str, int] | None = None):
        """A round of the stage: registered people with (points, correct); guests join by nickname only."""
        round_ = round_create(
            competition=self.competition, title="场次", questions=[QuestionFactory()], stage=self.stage.name
        )
        for who, (score, correct) in scores.items():
            reg = self.people[who]
            Contestant.objects.create(
                round=round_,
                nickname=who,
                registration=reg,
                team=reg.team,
                score=score,
                correct_count=correct,
                kicked_at=timezone.now() if who in kicked else None,
            )
        for nickname, score in (guests or {}).items():
            Contestant.objects.create(round=round_, nickname=nickname, score=score, correct_count=1)
        return self


def ties_listed_by_name(league: League) -> None:
    league.team("乙队", "北京", people=["张三", "Bo"]).team("甲队", "天津", people=["李四", "Al"])
    league.round({"张三": (800, 1), "Bo": (800, 1), "李四": (800, 2), "Al": (300, 1)})


def kicked_and_guests(league: League) -> None:
    league.team("甲队", "北京", people=["Al", "Bo"]).team("乙队", "天津", people=["Cy"])
    league.round({"Al": (900, 1), "Bo": (2000, 2), "Cy": (500, 1)}, kicked=["Bo"], guests={"路人": 5000})


def substitutes(league: League) -> None:
    league.team("甲队", "北京", people=["Al", "Bo"], substitutes=["Sub"]).team("乙队", "北京", people=["Cy"])
    league.round({"Al": (400, 1), "Sub": (700, 1), "Cy": (1000, 1)})
    league.round({"Bo": (300, 1), "Sub": (100, 1)})


def nothing_played(league: League) -> None:
    league.team("甲队", "北京", people=["Al"]).team("乙队", "天津", people=["Bo"])


# Each case: the competition, then the stage's individual board (rank, name, points, correct, team) and
# team board (rank, name, points, correct, division).
BOARDS = {
    "equal on points and correct answers share a rank, listed by name": (
        ties_listed_by_name,
        [
            (1, "李四", 800, 2, "甲队"),
            (2, "Bo", 800, 1, "乙队"),
            (2, "张三", 800, 1, "乙队"),
            (4, "Al", 300, 1, "甲队"),
        ],
        [(1, "乙队", 1600, 2, "北京"), (2, "甲队", 1100, 3, "天津")],
    ),
    "kicked contestants and open-round guests are not on the boards": (
        kicked_and_guests,
        [(1, "Al", 900, 1, "甲队"), (2, "Cy", 500, 1, "乙队")],
        [(1, "甲队", 900, 1, "北京"), (2, "乙队", 500, 1, "天津")],
    ),
    "a substitute's points count for the team in every round they play": (
        substitutes,
        [
            (1, "Cy", 1000, 1, "乙队"),
            (2, "Sub", 800, 2, "甲队"),
            (3, "Al", 400, 1, "甲队"),
            (4, "Bo", 300, 1, "甲队"),
        ],
        [(1, "甲队", 1500, 4, "北京"), (2, "乙队", 1000, 1, "北京")],
    ),
    "a stage without rounds has empty boards": (nothing_played, [], []),
}


@pytest.mark.parametrize("case", list(BOARDS), ids=list(BOARDS))
def test_stage_boards(case):
    build, individuals, teams = BOARDS[case]
    league = League()
    build(league)
    rows = individual_board(league.competition, league.stage)
    assert [(r.rank, r.name, r.points, r.correct, r.detail) for r in rows] == individuals
    rows = team_board(league.competition, league.stage)
    assert [(r.rank, r.name, r.points, r.correct, r.detail) for r in rows] == teams


# Each case: the competition, then the division board (rank, name, mean team points, teams, registered,
# played).
DIVISIONS = {
    "teams that did not play count in the mean, members who did not play lower participation": (
        lambda league: (
            league.team("甲队", "北京", people=["Al", "Bo"])
            .team("乙队", "北京", people=["Cy"])
            .team("丙队", "天津", people=["Dee"])
            .round({"Al": (900, 1), "Dee": (500, 1)})
        ),
        [(1, "天津", 500, 1, 1, 1), (2, "北京", 450, 2, 3, 1)],
    ),
    "a kicked contestant neither scores nor counts as having played": (
        kicked_and_guests,
        [(1, "北京", 900, 1, 2, 1), (2, "天津", 500, 1, 1, 1)],
    ),
    "a substitute who played counts as a registered member who played": (
        substitutes,
        [(1, "北京", 1250, 2, 4, 4)],
    ),
    "equal means share a rank": (
        lambda league: (
            league.team("甲队", "北京", people=["Al"])
            .team("乙队", "天津", people=["Bo"])
            .team("丙队", "河北", people=["Cy"])
            .round({"Al": (700, 1), "Bo": (700, 2), "Cy": (100, 1)})
        ),
        [(1, "北京", 700, 1, 1, 1), (1, "天津", 700, 1, 1, 1), (3, "河北", 100, 1, 1, 1)],
    ),
    "nothing played: every division at zero, sharing the first rank": (
        nothing_played,
        [(1, "北京", 0, 1, 1, 0), (1, "天津", 0, 1, 1, 0)],
    ),
}


@pytest.mark.parametrize("case", list(DIVISIONS), ids=list(DIVISIONS))
def test_division_ranking(case):
    build, expected = DIVISIONS[case]
    league = League()
    build(league)
    rows = division_board(league.competition, league.stage)
    assert [(r.rank, r.name, r.mean_team_points, r.teams, r.registered, r.played) for r in rows] == expected


def test_the_district_ranking_keeps_same_named_districts_of_two_divisions_apart_and_skips_teams_without_one():
    league = League()
    league.team("甲队", "北京", "开发区", people=["Al"]).team("乙队", "天津", "开发区", people=["Bo", "Cy"])
    league.team("丙队", "天津", "和平区", people=["Dee"]).team("丁队", "天津", None, people=["Eve"])
    league.round({"Al": (600, 1), "Bo": (300, 1), "Cy": (200, 1), "Dee": (100, 1), "Eve": (9000, 9)})
    rows = division_board(league.competition, league.stage, by="district")
    assert [(r.rank, r.name, r.mean_team_points, r.registered, r.played) for r in rows] == [
        (1, "开发区", 600, 1, 1),
        (2, "开发区", 500, 2, 2),
        (3, "和平区", 100, 1, 1),
    ]
    assert rows[0].participation == 1.0


def test_the_mean_is_rounded_to_two_places():
    league = League()
    league.team("甲队", "北京", people=["Al"]).team("乙队", "北京", people=["Bo"]).team("丙队", "北京")
    league.round({"Al": (100, 1), "Bo": (0, 0)})
    (row,) = division_board(league.competition, league.stage)
    assert row.mean_team_points == 33.33 and row.participation == 1.0
