"""Brackets whose matches are live rounds: start, play, carry results on, correct, substitute."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from competition.engine import BracketError
from competition.matches import (
    MatchError,
    bracket_create,
    bracket_view,
    match_result_correct,
    match_start,
    on_round_finished,
    substitution_record,
)
from competition.models import Match, Registration, ResultCorrection, Stage
from competition.permissions import may_manage_competition
from quiz.models import Round
from quiz.protocol import HostCommand
from quiz.services import rounds
from quiz.services.answers import PendingAnswer, answers_record
from quiz.services.contestants import contestant_join
from quiz.services.errors import QuizError
from quiz.services.rounds import round_command
from quiz.services.snapshots import host_snapshot
from tests.factories import (
    CompetitionFactory,
    DivisionFactory,
    QuestionFactory,
    RegistrationFactory,
    TeamFactory,
    UserFactory,
    organiser,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def knockout():
    """A 4-team single-elimination stage; each team has two members and a substitute."""
    competition = CompetitionFactory()
    division = DivisionFactory(competition=competition)
    stage = Stage.objects.create(
        competition=competition, name="区赛", format="single_elimination", max_substitutions=1
    )
    teams = []
    for i in range(4):
        team = TeamFactory(competition=competition, division=division, name=f"T{i + 1}")
        for j in range(2):
            RegistrationFactory(competition=competition, team=team, code=f"T{i + 1}M{j}")
        RegistrationFactory(competition=competition, team=team, code=f"T{i + 1}S", role="substitute")
        teams.append(team)
    host = UserFactory(is_superuser=True)
    return stage, teams, host


def play(round_, host, right_codes, wrong_codes):
    """Members join with their codes, answer the one question (right or wrong), the host ends the round."""
    round_command(user=host, round_id=round_.id, command=HostCommand("open", question=0))
    batch = []
    for codes, choice in ((right_codes, 1), (wrong_codes, 0)):
        for code in codes:
            joined = contestant_join(pin=round_.pin, code=code)
            batch.append(PendingAnswer(joined.contestant_id, round_.id, 0, (choice,), timezone.now()))
    assert all(o.accepted for o in answers_record(batch).outcomes)
    round_command(user=host, round_id=round_.id, command=HostCommand("reveal", question=0))
    round_command(user=host, round_id=round_.id, command=HostCommand("end"))


def test_a_match_round_admits_only_its_teams_and_its_result_fills_the_final(knockout):
    stage, teams, host = knockout
    bracket = bracket_create(stage=stage, name="北京", teams=teams)
    semi = Match.objects.get(bracket=bracket, code="W1-1")
    assert sorted(semi.teams) == sorted([teams[0].id, teams[3].id])  # 1 v 4
    round_ = match_start(match=semi, questions=[QuestionFactory(correct=[1])])

    with pytest.raises(QuizError) as refused:
        contestant_join(pin=round_.pin, code="T2M0")  # team 2 does not play this match
    assert refused.value.code == "not_in_match"

    play(round_, host, right_codes=["T4M0", "T4M1"], wrong_codes=["T1M0"])

    semi.refresh_from_db()
    assert semi.result["scores"][str(teams[3].id)]["score"] > semi.result["scores"][str(teams[0].id)]["score"]
    final = Match.objects.get(bracket=bracket, code="W2-1")
    assert teams[3].id in final.teams


def test_a_correction_is_logged_and_a_later_played_match_is_flagged_for_review(knockout):
    stage, teams, host = knockout
    bracket = bracket_create(stage=stage, name="北京", teams=teams)
    for code, winner in (("W1-1", 0), ("W1-2", 1)):
        match = Match.objects.get(bracket=bracket, code=code)
        a, b = match.teams
        win = teams[winner].id
        match_result_correct(
            match=match,
            actor=host,
            reason="entered by the judge",
            result={"scores": {a: 10 if a == win else 5, b: 10 if b == win else 5}},
        )
    final = Match.objects.get(bracket=bracket, code="W2-1")
    a, b = final.teams
    match_result_correct(match=final, actor=host, reason="entered", result={"scores": {a: 30, b: 20}})

    semi = Match.objects.get(bracket=bracket, code="W1-1")
    x, y = semi.teams
    affected = match_result_correct(
        match=semi,
        actor=host,
        reason="question 3 had a wrong key",
        result={"scores": {x: 1, y: 2} if x == teams[0].id else {x: 2, y: 1}},
    )

    assert "W2-1" in affected
    assert ResultCorrection.objects.filter(match=semi, reason="question 3 had a wrong key").exists()
    assert "W2-1" in bracket_view(bracket).unfit  # the final was played with the old winner: review it


def test_a_correction_needs_a_reason_and_an_unready_match_has_no_result(knockout):
    stage, teams, host = knockout
    bracket = bracket_create(stage=stage, name="北京", teams=teams)
    semi = Match.objects.get(bracket=bracket, code="W1-1")
    a, b = semi.teams
    with pytest.raises(MatchError) as no_reason:
        match_result_correct(match=semi, actor=host, reason=" ", result={"scores": {a: 1, b: 2}})
    assert no_reason.value.code == "reason_required"
    final = Match.objects.get(bracket=bracket, code="W2-1")
    with pytest.raises(MatchError) as unplayed:
        match_result_correct(match=final, actor=host, reason="x", result={"scores": {a: 1, b: 2}})
    assert unplayed.value.code == "match_not_ready"
    with pytest.raises(MatchError) as not_ready:
        match_start(match=final, questions=[QuestionFactory()])
    assert not_ready.value.code == "match_not_ready"
    assert not ResultCorrection.objects.exists()


@pytest.mark.parametrize(
    ("pick", "code"),
    [
        (lambda teams: teams[:1], "too_few_teams"),
        (lambda teams: [teams[0], teams[0], teams[1]], "duplicate_team"),
    ],
    ids=["one team", "duplicate team"],
)
def test_a_bad_bracket_is_refused_and_nothing_is_stored(knockout, pick, code):
    stage, teams, _ = knockout
    with pytest.raises(BracketError) as refused:
        bracket_create(stage=stage, name="bad", teams=pick(teams))
    assert refused.value.code == code
    assert not Match.objects.exists()


def test_substitutions_are_logged_and_capped_per_match(knockout):
    stage, teams, host = knockout
    bracket = bracket_create(stage=stage, name="北京", teams=teams)
    semi = Match.objects.get(bracket=bracket, code="W1-1")
    team = teams[0]
    member = Registration.objects.get(code="T1M0")
    substitute = Registration.objects.get(code="T1S")

    substitution_record(
        match=semi, team=team, player_out=member, player_in=substitute, actor=host, reason="ill"
    )
    with pytest.raises(MatchError) as capped:
        substitution_record(
            match=semi,
            team=team,
            player_out=Registration.objects.get(code="T1M1"),
            player_in=substitute,
            actor=host,
        )
    assert capped.value.code == "substitutions_used"
    with pytest.raises(MatchError) as outsider:
        substitution_record(match=semi, team=teams[1], player_out=member, player_in=substitute, actor=host)
    assert outsider.value.code == "team_not_in_match"


def test_organisers_who_may_start_a_match_round_get_its_host_console(knockout, client):
    """One rule for managing the stage and hosting its rounds (competition.permissions)."""
    stage, teams, _ = knockout
    staff = organiser()
    assert may_manage_competition(staff, stage.competition)  # the stage page lets them start the match
    bracket = bracket_create(stage=stage, name="北京", teams=teams)
    round_ = match_start(match=Match.objects.get(bracket=bracket, code="W1-1"), questions=[QuestionFactory()])

    client.force_login(staff)
    assert client.get(reverse("host-console", args=[round_.id])).status_code == 200
    assert host_snapshot(user=staff, round_id=round_.id)["round"]["id"] == round_.id
    round_command(user=staff, round_id=round_.id, command=HostCommand("open", question=0))


def test_a_match_result_reported_twice_is_recorded_once(knockout):
    stage, teams, host = knockout
    bracket = bracket_create(stage=stage, name="北京", teams=teams)
    semi = Match.objects.get(bracket=bracket, code="W1-1")
    round_ = match_start(match=semi, questions=[QuestionFactory(correct=[1])])
    play(round_, host, right_codes=["T4M0"], wrong_codes=["T1M0"])
    semi.refresh_from_db()
    recorded = (semi.result, semi.played_at)
    final_teams = Match.objects.get(bracket=bracket, code="W2-1").teams

    on_round_finished("quiz", round_id=round_.id)  # a standings repair reports the round finished again
    semi.refresh_from_db()
    assert (semi.result, semi.played_at) == recorded
    assert Match.objects.get(bracket=bracket, code="W2-1").teams == final_teams
    assert not ResultCorrection.objects.exists()


def test_a_match_round_whose_process_died_after_the_finish_gets_its_result_at_the_next_host_snapshot(
    knockout, monkeypatch
):
    stage, teams, host = knockout
    bracket = bracket_create(stage=stage, name="北京", teams=teams)
    semi = Match.objects.get(bracket=bracket, code="W1-1")
    round_ = match_start(match=semi, questions=[QuestionFactory(correct=[1])])

    class ProcessDied(BaseException):
        pass

    publish = rounds._publish_with_standings

    def die_after_the_finish(round_id, state, last, now):
        if last.name == "round.finished":
            raise ProcessDied
        publish(round_id, state, last, now)

    # The finish commits, then nothing after it runs: no standings write, no round_finished.
    monkeypatch.setattr(rounds, "_publish_with_standings", die_after_the_finish)
    monkeypatch.setattr(rounds, "_send_round_finished", lambda round_id: None)
    with pytest.raises(ProcessDied):
        play(round_, host, right_codes=["T4M0", "T4M1"], wrong_codes=["T1M0"])
    monkeypatch.undo()
    semi.refresh_from_db()
    assert semi.result is None
    assert Round.objects.get(pk=round_.pk).phase == "finished"

    later = timezone.now() + rounds.STANDINGS_REPAIR_AFTER + timedelta(seconds=1)
    behind = Round.objects.get(pk=round_.pk)
    assert behind.standings_version < behind.standings_due_version
    snapshot = host_snapshot(user=host, round_id=round_.id, now=later)
    assert snapshot["round"]["phase"] == "finished"
    repaired = Round.objects.get(pk=round_.pk)
    assert repaired.standings_version == repaired.standings_due_version == repaired.version
    semi.refresh_from_db()
    assert semi.result["scores"][str(teams[3].id)]["score"] > semi.result["scores"][str(teams[0].id)]["score"]
    assert teams[3].id in Match.objects.get(bracket=bracket, code="W2-1").teams


def test_only_the_players_on_court_join_a_match_round_and_a_substitute_only_once_recorded(knockout):
    # given a semi-final round between teams 1 and 4, each with two members and a substitute
    stage, teams, host = knockout
    bracket = bracket_create(stage=stage, name="北京", teams=teams)
    semi = Match.objects.get(bracket=bracket, code="W1-1")
    round_ = match_start(match=semi, questions=[QuestionFactory(correct=[1])])
    contestant_join(pin=round_.pin, code="T1M0")

    # when team 1's substitute joins before the host records a substitution
    with pytest.raises(QuizError) as refused:
        contestant_join(pin=round_.pin, code="T1S")

    # then it is refused with the documented code, and the team still has only its members
    assert refused.value.code == "not_on_court"

    # and once the host records the substitution (T1M1 off, T1S on) the substitute joins, T1M1 may not
    substitution_record(
        match=semi,
        team=teams[0],
        player_out=Registration.objects.get(code="T1M1"),
        player_in=Registration.objects.get(code="T1S"),
        actor=host,
    )
    assert contestant_join(pin=round_.pin, code="T1S").contestant_id
    with pytest.raises(QuizError) as off:
        contestant_join(pin=round_.pin, code="T1M1")
    assert off.value.code == "not_on_court"
    # a member still on court joins again as before, and the other team's substitute is still out
    assert contestant_join(pin=round_.pin, code="T1M0").contestant_id
    with pytest.raises(QuizError) as other:
        contestant_join(pin=round_.pin, code="T4S")
    assert other.value.code == "not_on_court"
    players = Round.objects.get(pk=round_.id).contestants.filter(team=teams[0]).count()
    assert players == 2  # never more than the team's members on court


def test_a_substitute_joins_an_open_round_that_is_not_a_match(knockout):
    stage, _, _ = knockout
    round_ = rounds.round_create(
        competition=stage.competition,
        title="练习",
        questions=[QuestionFactory()],
        join_mode=Round.JoinMode.REGISTERED,
    )

    assert contestant_join(pin=round_.pin, code="T2S").contestant_id
