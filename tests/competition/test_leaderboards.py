"""Stage, cumulative and division leaderboards from the rounds' cached standings.

Every board ranks by the chain: more points, more correct answers, less correct time (ms).
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from competition.leaderboards import division_board, individual_board, individual_page, team_board, team_page
from competition.models import District, Stage
from quiz.models import Contestant, Round
from quiz.protocol import HostCommand
from quiz.services.answers import PendingAnswer, answers_record
from quiz.services.contestants import contestant_join
from quiz.services.rounds import round_command, round_create
from tests.factories import (
    CompetitionFactory,
    DivisionFactory,
    HostRoleFactory,
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

    def round(self, scores: dict[str, tuple[int, ...]], kicked=(), guests: dict[str, int] | None = None):
        """A round of the stage: registered people with (points, correct[, correct time ms]); guests join
        by nickname only."""
        round_ = round_create(
            competition=self.competition, title="场次", questions=[QuestionFactory()], stage=self.stage.name
        )
        for who, (score, correct, *correct_time) in scores.items():
            reg = self.people[who]
            Contestant.objects.create(
                round=round_,
                nickname=who,
                registration=reg,
                team=reg.team,
                score=score,
                correct_count=correct,
                correct_time_ms=correct_time[0] if correct_time else 0,
                kicked_at=timezone.now() if who in kicked else None,
            )
        for nickname, score in (guests or {}).items():
            Contestant.objects.create(round=round_, nickname=nickname, score=score, correct_count=1)
        return self


def ties_listed_by_name(league: League) -> None:
    league.team("乙队", "北京", people=["张三", "Bo"]).team("甲队", "天津", people=["李四", "Al"])
    league.round({"张三": (800, 1, 5000), "Bo": (800, 1, 5000), "李四": (800, 2, 9000), "Al": (300, 1, 1000)})


def less_correct_time_first(league: League) -> None:
    league.team("甲队", "北京", people=["Al", "Bo"]).team("乙队", "天津", people=["Cy", "Dee"])
    league.round({"Al": (400, 1, 7000), "Bo": (500, 1, 3000), "Cy": (900, 2, 11_000), "Dee": (500, 1, 4500)})
    league.round({"Al": (500, 1, 5000)})


def kicked_and_guests(league: League) -> None:
    league.team("甲队", "北京", people=["Al", "Bo"]).team("乙队", "天津", people=["Cy"])
    league.round(
        {"Al": (900, 1, 4000), "Bo": (2000, 2, 1000), "Cy": (500, 1, 6000)},
        kicked=["Bo"],
        guests={"路人": 5000},
    )


def substitutes(league: League) -> None:
    league.team("甲队", "北京", people=["Al", "Bo"], substitutes=["Sub"]).team("乙队", "北京", people=["Cy"])
    league.round({"Al": (400, 1, 2000), "Sub": (700, 1, 3000), "Cy": (1000, 1, 1000)})
    league.round({"Bo": (300, 1, 4000), "Sub": (100, 1, 6000)})


def nothing_played(league: League) -> None:
    league.team("甲队", "北京", people=["Al"]).team("乙队", "天津", people=["Bo"])


# Each case: the competition, then the stage's individual board (rank, name, points, correct, correct time,
# team) and team board (rank, name, points, correct, correct time, division).
BOARDS = {
    "equal on points, correct answers and correct time share a rank, listed by name": (
        ties_listed_by_name,
        [
            (1, "李四", 800, 2, 9000, "甲队"),
            (2, "Bo", 800, 1, 5000, "乙队"),
            (2, "张三", 800, 1, 5000, "乙队"),
            (4, "Al", 300, 1, 1000, "甲队"),
        ],
        [(1, "乙队", 1600, 2, 10_000, "北京"), (2, "甲队", 1100, 3, 10_000, "天津")],
    ),
    "equal on points and correct answers: less correct time summed over the rounds first": (
        less_correct_time_first,
        [
            (1, "Cy", 900, 2, 11_000, "乙队"),
            (2, "Al", 900, 2, 12_000, "甲队"),
            (3, "Bo", 500, 1, 3000, "甲队"),
            (4, "Dee", 500, 1, 4500, "乙队"),
        ],
        # the team with the faster members overall comes first, whoever the fastest member is
        [(1, "甲队", 1400, 3, 15_000, "北京"), (2, "乙队", 1400, 3, 15_500, "天津")],
    ),
    "kicked contestants (points, correct answers and time) and open-round guests are not on the boards": (
        kicked_and_guests,
        [(1, "Al", 900, 1, 4000, "甲队"), (2, "Cy", 500, 1, 6000, "乙队")],
        [(1, "甲队", 900, 1, 4000, "北京"), (2, "乙队", 500, 1, 6000, "天津")],
    ),
    "a substitute's points, correct answers and time count for the team in every round they play": (
        substitutes,
        [
            (1, "Cy", 1000, 1, 1000, "乙队"),
            (2, "Sub", 800, 2, 9000, "甲队"),
            (3, "Al", 400, 1, 2000, "甲队"),
            (4, "Bo", 300, 1, 4000, "甲队"),
        ],
        [(1, "甲队", 1500, 4, 15_000, "北京"), (2, "乙队", 1000, 1, 1000, "北京")],
    ),
    "a stage without rounds has empty boards": (nothing_played, [], []),
}


@pytest.mark.parametrize("case", list(BOARDS), ids=list(BOARDS))
def test_stage_boards(case):
    build, individuals, teams = BOARDS[case]
    league = League()
    build(league)
    rows = individual_board(league.competition, league.stage)
    assert [(r.rank, r.name, r.points, r.correct, r.correct_time_ms, r.detail) for r in rows] == individuals
    rows = team_board(league.competition, league.stage)
    assert [(r.rank, r.name, r.points, r.correct, r.correct_time_ms, r.detail) for r in rows] == teams


def one_team_per_division(league: League, people: dict[str, str]) -> League:
    """A team per person, named after them, in the given division."""
    for who, division in people.items():
        league.team(f"{who}队", division, people=[who])
    return league


# Each case: the competition, then the division board (rank, name, mean team points, mean team correct
# answers, mean team correct time, teams, registered, played).
DIVISIONS = {
    "teams that did not play count in the means, members who did not play lower participation": (
        lambda league: (
            league.team("甲队", "北京", people=["Al", "Bo"])
            .team("乙队", "北京", people=["Cy"])
            .team("丙队", "天津", people=["Dee"])
            .round({"Al": (900, 1, 3000), "Dee": (500, 1, 5000)})
        ),
        [(1, "天津", 500, 1, 5000, 1, 1, 1), (2, "北京", 450, 0.5, 1500, 2, 3, 1)],
    ),
    "a kicked contestant neither scores nor counts as having played": (
        kicked_and_guests,
        [(1, "北京", 900, 1, 4000, 1, 2, 1), (2, "天津", 500, 1, 6000, 1, 1, 1)],
    ),
    "a substitute who played counts as a registered member who played": (
        substitutes,
        [(1, "北京", 1250, 2.5, 8000, 2, 4, 4)],
    ),
    "equal on mean points, correct answers and correct time share a rank": (
        lambda league: one_team_per_division(league, {"Al": "北京", "Bo": "天津", "Cy": "河北"}).round(
            {"Al": (700, 1, 3000), "Bo": (700, 1, 3000), "Cy": (100, 1, 500)}
        ),
        [
            (1, "北京", 700, 1, 3000, 1, 1, 1),
            (1, "天津", 700, 1, 3000, 1, 1, 1),
            (3, "河北", 100, 1, 500, 1, 1, 1),
        ],
    ),
    "equal mean points: more mean correct answers first": (
        lambda league: one_team_per_division(league, {"Al": "北京", "Bo": "天津"}).round(
            {"Al": (700, 1, 3000), "Bo": (700, 2, 9000)}
        ),
        [(1, "天津", 700, 2, 9000, 1, 1, 1), (2, "北京", 700, 1, 3000, 1, 1, 1)],
    ),
    "equal mean points and correct answers: less mean correct time first, over all the group's teams": (
        lambda league: one_team_per_division(league, {"Al": "北京", "Bo": "北京", "Cy": "天津"}).round(
            {"Al": (1000, 2, 6000), "Bo": (400, 0, 0), "Cy": (700, 1, 2500)}
        ),
        [(1, "天津", 700, 1, 2500, 1, 1, 1), (2, "北京", 700, 1, 3000, 2, 2, 2)],
    ),
    "nothing played: every division at zero, sharing the first rank": (
        nothing_played,
        [(1, "北京", 0, 0, 0, 1, 1, 0), (1, "天津", 0, 0, 0, 1, 1, 0)],
    ),
}


@pytest.mark.parametrize("case", list(DIVISIONS), ids=list(DIVISIONS))
def test_division_ranking(case):
    build, expected = DIVISIONS[case]
    league = League()
    build(league)
    rows = division_board(league.competition, league.stage)
    assert [
        (
            r.rank,
            r.name,
            r.mean_team_points,
            r.mean_team_correct,
            r.mean_team_correct_time_ms,
            r.teams,
            r.registered,
            r.played,
        )
        for r in rows
    ] == expected


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


def test_a_voided_question_s_correct_time_leaves_the_boards_with_the_rescore():
    """Played through the services: the boards read the correct time each reveal and void cache."""
    league = League()
    league.team("甲队", "北京", people=["Al"]).team("乙队", "天津", people=["Bo"])
    host = HostRoleFactory(competition=league.competition).user
    round_ = round_create(
        competition=league.competition,
        title="场次",
        questions=[QuestionFactory(correct=[0]), QuestionFactory(correct=[1])],
        scoring={"speed": "off"},  # every correct answer earns 1000, however slow
        join_mode=Round.JoinMode.REGISTERED,
        stage=league.stage.name,
    )
    ids = {
        who: contestant_join(pin=round_.pin, code=league.people[who].code).contestant_id
        for who in ("Al", "Bo")
    }
    start = timezone.now()

    def command(action: str, index: int, at) -> None:
        round_command(user=host, round_id=round_.id, command=HostCommand(action, question=index), now=at)

    for index, key, after_ms in ((0, 0, {"Al": 2000, "Bo": 6000}), (1, 1, {"Al": 8000, "Bo": 1000})):
        opened = start + timedelta(minutes=index)
        command("open", index, opened)
        answers_record(
            [
                PendingAnswer(ids[who], round_.id, index, (key,), opened + timedelta(milliseconds=ms))
                for who, ms in after_ms.items()
            ]
        )
        command("close", index, opened + timedelta(seconds=30))
        command("reveal", index, opened + timedelta(seconds=31))

    def boards():
        individuals = individual_board(league.competition, league.stage)
        teams = team_board(league.competition, league.stage)
        return [(r.rank, r.name, r.points, r.correct, r.correct_time_ms) for r in individuals + teams]

    assert boards() == [
        (1, "Bo", 2000, 2, 7000),
        (2, "Al", 2000, 2, 10_000),
        (1, "乙队", 2000, 2, 7000),
        (2, "甲队", 2000, 2, 10_000),
    ]
    command("void", 1, start + timedelta(minutes=10))
    assert boards() == [
        (1, "Al", 1000, 1, 2000),
        (2, "Bo", 1000, 1, 6000),
        (1, "甲队", 1000, 1, 2000),
        (2, "乙队", 1000, 1, 6000),
    ]


def test_a_page_of_a_board_keeps_whole_board_ranks_and_lists_ties_by_name_then_id():
    competition = CompetitionFactory()
    team = TeamFactory(competition=competition, division=DivisionFactory(competition=competition), name="队")
    round_ = round_create(competition=competition, title="t", questions=[QuestionFactory()])
    # two people called "Bo" and one "Al", all level; "Zed" ahead; "ál" sorts after "Bo" by code point
    people = [("Zed", 900), ("Bo", 500), ("Al", 500), ("Bo", 500), ("ál", 500), ("Cy", 100)]
    for number, (name, score) in enumerate(people):
        reg = RegistrationFactory(competition=competition, team=team, name=name)
        Contestant.objects.create(
            round=round_, nickname=f"{name}{number}", registration=reg, team=team, score=score
        )
    whole = individual_page(competition)
    assert [(r.rank, r.name) for r in whole.rows] == [
        (1, "Zed"),
        (2, "Al"),
        (2, "Bo"),
        (2, "Bo"),
        (2, "ál"),
        (6, "Cy"),
    ]
    bos = [r for r in whole.rows if r.name == "Bo"]
    assert bos[0].id < bos[1].id
    assert (whole.total, whole.matching) == (6, 6)
    page = individual_page(competition, offset=2, limit=3)
    assert [(r.rank, r.name) for r in page.rows] == [(2, "Bo"), (2, "Bo"), (2, "ál")]
    assert (page.total, page.matching) == (6, 6)
    found = individual_page(competition, search="CY")
    assert [(r.rank, r.name) for r in found.rows] == [(6, "Cy")] and (found.total, found.matching) == (6, 1)
    assert individual_page(competition, search="nobody") == ([], 6, 0)
    assert team_page(competition, search="队").rows[0].rank == 1
