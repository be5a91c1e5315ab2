"""The stage page (bracket SVG, starting matches, corrections), the projector page and the exports."""

import io
from urllib.parse import quote

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from competition.matches import bracket_create
from competition.models import CompetitionRole, Match, ResultCorrection, Stage, Substitution
from quiz.models import Round
from quiz.protocol import HostCommand
from quiz.services.answers import PendingAnswer, answers_record
from quiz.services.contestants import contestant_join
from quiz.services.rounds import round_command
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
def setup():
    """A host of a competition with a 4-team knockout stage (teams of two members and a substitute)."""
    competition = CompetitionFactory(slug="jjj-test")
    division = DivisionFactory(competition=competition)
    stage = Stage.objects.create(
        competition=competition,
        name="区赛",
        format="single_elimination",
        options={"third_place": True},
        max_substitutions=1,
    )
    names = ['=HYPERLINK("x")', "天津<队>", "河北 & 队", "北京队"]
    teams = []
    for i, name in enumerate(names):
        team = TeamFactory(competition=competition, division=division, name=name)
        for j in range(2):
            RegistrationFactory(competition=competition, team=team, code=f"T{i + 1}M{j}", name=f"队员{i}{j}")
        RegistrationFactory(competition=competition, team=team, code=f"T{i + 1}S", role="substitute")
        teams.append(team)
    bracket = bracket_create(stage=stage, name="北京", teams=teams)
    host = UserFactory()
    CompetitionRole.objects.create(competition=competition, user=host, role="host")
    for _ in range(3):
        QuestionFactory(correct=[1])
    client = Client()
    client.force_login(host)
    url = reverse("competition-stage", args=[competition.slug, stage.pk])
    return {"stage": stage, "bracket": bracket, "teams": teams, "host": host, "client": client, "url": url}


def test_the_stage_page_shows_the_bracket_as_svg_with_every_match(setup):
    response = setup["client"].get(setup["url"])
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and "bracket-svg" in html
    for code in ("W1-1", "W1-2", "W2-1", "3RD"):
        assert f'data-match="{code}"' in html
    assert "天津&lt;队&gt;" in html and "天津<队>" not in html
    assert "Start round" in html or "开始" in html


def test_starting_a_ready_match_creates_its_round_with_the_drawn_questions(setup):
    semi = Match.objects.get(bracket=setup["bracket"], code="W1-1")
    response = setup["client"].post(setup["url"], {"action": "start", "match": semi.pk, "questions": 2})
    assert response.status_code == 302
    semi.refresh_from_db()
    assert semi.round is not None
    assert semi.round.questions.count() == 2
    assert semi.round.join_mode == Round.JoinMode.REGISTERED
    page = setup["client"].get(setup["url"]).content.decode()
    assert reverse("host-console", args=[semi.round_id]) in page
    console = setup["client"].get(reverse("host-console", args=[semi.round_id])).content.decode()
    assert f'href="{setup["url"]}#m{semi.pk}"' in console


def test_starting_a_match_whose_teams_are_unknown_is_refused_with_a_message(setup):
    final = Match.objects.get(bracket=setup["bracket"], code="W2-1")
    response = setup["client"].post(
        setup["url"], {"action": "start", "match": final.pk, "questions": 2}, follow=True
    )
    final.refresh_from_db()
    assert final.round is None
    assert "match_not_ready" in response.content.decode()


def test_starting_with_more_questions_than_the_bank_holds_is_refused(setup):
    semi = Match.objects.get(bracket=setup["bracket"], code="W1-1")
    response = setup["client"].post(
        setup["url"], {"action": "start", "match": semi.pk, "questions": 9}, follow=True
    )
    semi.refresh_from_db()
    assert semi.round is None
    assert "draw_failed" in response.content.decode()


def _correct(setup, match, scores, reason, sudden_death=None):
    data = {"action": "correct", "match": match.pk, "reason": reason}
    for team, score in scores.items():
        data[f"score_{team}"] = score
        data[f"time_{team}"] = 1000
    for place, team in enumerate(sudden_death or [], start=1):
        data[f"sd_{team}"] = place
    return setup["client"].post(setup["url"], data, follow=True)


def test_correcting_a_result_needs_a_reason_and_is_logged_and_advances_the_bracket(setup):
    semi = Match.objects.get(bracket=setup["bracket"], code="W1-1")
    a, b = semi.teams
    refused = _correct(setup, semi, {a: 30, b: 20}, reason="  ")
    assert "reason_required" in refused.content.decode()
    assert not ResultCorrection.objects.exists()

    _correct(setup, semi, {a: 30, b: 20}, reason="裁判确认")
    fix = _correct(setup, semi, {a: 10, b: 20}, reason="第3题答案更正")
    correction = ResultCorrection.objects.filter(match=semi).latest("at")
    assert correction.reason == "第3题答案更正" and correction.actor == setup["host"]
    final = Match.objects.get(bracket=setup["bracket"], code="W2-1")
    assert b in final.teams and a not in final.teams
    assert "第3题答案更正" in fix.content.decode()


def test_a_tie_without_a_sudden_death_order_is_refused_and_settled_with_one(setup):
    semi = Match.objects.get(bracket=setup["bracket"], code="W1-1")
    a, b = semi.teams
    refused = _correct(setup, semi, {a: 20, b: 20}, reason="平局")
    assert "sudden_death_required" in refused.content.decode()
    _correct(setup, semi, {a: 20, b: 20}, reason="加赛", sudden_death=[b, a])
    semi.refresh_from_db()
    assert semi.result["sudden_death"] == [b, a]


def test_a_substitution_is_recorded_from_the_form_up_to_the_stage_cap(setup):
    semi = Match.objects.get(bracket=setup["bracket"], code="W1-1")
    team = next(t for t in setup["teams"] if t.id == semi.teams[0])
    out_, in_ = team.members.get(role="member", code__endswith="M0"), team.members.get(role="substitute")
    data = {
        "action": "substitute",
        "match": semi.pk,
        "player_out": out_.pk,
        "player_in": in_.pk,
        "reason": "伤",
    }
    setup["client"].post(setup["url"], data)
    assert Substitution.objects.filter(match=semi, team=team).count() == 1
    again = setup["client"].post(setup["url"], data, follow=True)
    assert "substitutions_used" in again.content.decode()


def test_the_display_page_shows_the_bracket_to_anyone_and_refreshes_itself(setup):
    stage = setup["stage"]
    args = [stage.competition.slug, stage.pk]
    page = Client().get(reverse("competition-stage-display", args=args))
    assert page.status_code == 200
    html = page.content.decode()
    assert "bracket-svg" in html and 'data-match="W2-1"' in html
    fragment_url = reverse("competition-stage-display-fragment", args=args)
    assert fragment_url in html
    fragment = Client().get(fragment_url)
    assert fragment.status_code == 200 and "<svg" in fragment.content.decode()


def _played_semi(setup):
    """W1-1 played as a live round (one question), then corrected once."""
    semi = Match.objects.get(bracket=setup["bracket"], code="W1-1")
    setup["client"].post(setup["url"], {"action": "start", "match": semi.pk, "questions": 1})
    semi.refresh_from_db()
    round_ = semi.round
    host = UserFactory(is_superuser=True)
    first, second = semi.teams
    codes = {t.id: [r.code for r in t.members.filter(role="member")] for t in setup["teams"]}
    round_command(user=host, round_id=round_.id, command=HostCommand("open", question=0))
    batch = []
    for code, choice in [(codes[first][0], 1), (codes[first][1], 1), (codes[second][0], 0)]:
        joined = contestant_join(pin=round_.pin, code=code)
        batch.append(PendingAnswer(joined.contestant_id, round_.id, 0, (choice,), timezone.now()))
    answers_record(batch)
    round_command(user=host, round_id=round_.id, command=HostCommand("reveal", question=0))
    round_command(user=host, round_id=round_.id, command=HostCommand("end"))
    semi.refresh_from_db()
    assert semi.result is not None
    _correct(setup, semi, {first: 5, second: 1}, reason="=SUM(A1) 复核")
    return semi


def test_the_result_sheet_xlsx_has_teams_members_points_and_corrections_with_formulas_neutralised(setup):
    semi = _played_semi(setup)
    slug = setup["stage"].competition.slug
    response = setup["client"].get(reverse("competition-match-xlsx", args=[slug, semi.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    values = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    texts = [v for v in values if isinstance(v, str)]
    assert not any(v.startswith(("=", "+", "@")) for v in texts)
    assert "'=SUM(A1) 复核" in texts
    assert '\'=HYPERLINK("x")' in texts or "天津<队>" in texts
    assert "队员00" in texts or "队员10" in texts or "队员20" in texts or "队员30" in texts
    assert "Q1" in texts
    assert "每题得分" in wb.sheetnames


def test_the_result_sheet_pdf_and_the_stage_standings_xlsx_download(setup):
    semi = _played_semi(setup)
    slug = setup["stage"].competition.slug
    pdf = setup["client"].get(reverse("competition-match-pdf", args=[slug, semi.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    standings = setup["client"].get(
        reverse("competition-stage-standings-xlsx", args=[slug, setup["stage"].pk])
    )
    assert standings.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(standings.content))
    texts = [
        c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)
    ]
    assert "W1-1" in texts and not any(t.startswith("=") for t in texts)


def test_the_exports_are_attachments_named_in_plain_ascii_headers_with_the_chinese_names(setup):
    semi = _played_semi(setup)
    slug = setup["stage"].competition.slug
    downloads = {
        reverse("competition-match-xlsx", args=[slug, semi.pk]): "区赛-北京-W1-1.xlsx",
        reverse("competition-match-pdf", args=[slug, semi.pk]): "区赛-北京-W1-1.pdf",
        reverse("competition-stage-standings-xlsx", args=[slug, setup["stage"].pk]): "区赛-standings.xlsx",
    }
    for url, name in downloads.items():
        header = setup["client"].get(url)["Content-Disposition"]
        assert header.isascii()
        assert header == f"attachment; filename*=utf-8''{quote(name)}"


def test_a_stranger_cannot_see_the_stage_page_or_the_exports(setup):
    stage = setup["stage"]
    slug = stage.competition.slug
    semi = Match.objects.get(bracket=setup["bracket"], code="W1-1")
    anonymous = Client()
    assert anonymous.get(setup["url"]).status_code == 302
    stranger = Client()
    stranger.force_login(UserFactory())
    urls = [
        setup["url"],
        reverse("competition-match-xlsx", args=[slug, semi.pk]),
        reverse("competition-match-pdf", args=[slug, semi.pk]),
        reverse("competition-stage-standings-xlsx", args=[slug, stage.pk]),
    ]
    for url in urls:
        assert stranger.get(url).status_code == 403
    assert stranger.post(setup["url"], {"action": "start", "match": semi.pk}).status_code == 403
    semi.refresh_from_db()
    assert semi.round is None


# --- what the forms refuse ------------------------------------------------------------------------------


def _refused(response, text: str) -> None:
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-testid="form-error"' in page and text in page


def test_an_unknown_action_is_refused_on_the_page_with_status_400(setup):
    semi = Match.objects.get(bracket=setup["bracket"], code="W1-1")
    for action in ("explode", ""):
        response = setup["client"].post(setup["url"], {"action": action, "match": semi.pk})
        assert response.status_code == 400
        assert "Unknown action." in response.content.decode() or "未知操作" in response.content.decode()


def test_a_match_of_another_stage_or_no_match_at_all_is_not_found(setup):
    other = Stage.objects.create(competition=setup["stage"].competition, name="决赛", format="round_robin")
    bracket = bracket_create(stage=other, name="决赛", teams=setup["teams"][:2])
    elsewhere = Match.objects.filter(bracket=bracket).first()
    for match in (elsewhere.pk, "", "x", 999_999):
        response = setup["client"].post(setup["url"], {"action": "start", "match": match, "questions": 2})
        assert response.status_code == 404
    assert not Round.objects.exists()


def test_a_question_count_that_is_not_a_number_from_1_to_60_is_refused_and_starts_nothing(setup):
    semi = Match.objects.get(bracket=setup["bracket"], code="W1-1")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(setup["host"])
    for count in ("abc", "0", "61", "-3", "2.5"):
        response = client.post(setup["url"], {"action": "start", "match": semi.pk, "questions": count})
        _refused(response, "W1-1: Questions: Choose between 1 and 60 questions.")
    semi.refresh_from_db()
    assert semi.round is None


def test_a_correction_without_every_score_or_with_a_negative_time_is_refused_and_nothing_is_recorded(setup):
    semi = Match.objects.get(bracket=setup["bracket"], code="W1-1")
    a, b = semi.teams
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(setup["host"])
    base = {"action": "correct", "match": semi.pk, "reason": "复核"}
    missing = client.post(setup["url"], {**base, f"score_{a}": 30, f"score_{b}": ""})
    _refused(missing, "Give every team a score.")
    not_a_number = client.post(setup["url"], {**base, f"score_{a}": "thirty", f"score_{b}": 20})
    _refused(not_a_number, "Give every team a score.")
    negative = client.post(setup["url"], {**base, f"score_{a}": 30, f"score_{b}": 20, f"time_{a}": -5})
    _refused(negative, "Correct time (ms)")
    bad_place = client.post(setup["url"], {**base, f"score_{a}": 30, f"score_{b}": 20, f"sd_{a}": 0})
    _refused(bad_place, "Sudden-death place")
    assert not ResultCorrection.objects.exists()
    assert Match.objects.get(pk=semi.pk).result is None


def test_a_correction_keeps_whole_scores_whole_and_decimal_scores_decimal(setup):
    semi = Match.objects.get(bracket=setup["bracket"], code="W1-1")
    a, b = semi.teams
    _correct(setup, semi, {a: "30", b: "20.5"}, reason="复核")
    semi.refresh_from_db()
    assert semi.result["scores"][str(a)]["score"] == 30 and isinstance(
        semi.result["scores"][str(a)]["score"], int
    )
    assert semi.result["scores"][str(b)]["score"] == 20.5


def test_a_substitution_naming_an_unknown_player_or_one_without_a_team_is_refused(setup):
    semi = Match.objects.get(bracket=setup["bracket"], code="W1-1")
    team = next(t for t in setup["teams"] if t.id == semi.teams[0])
    sub = team.members.get(role="substitute")
    loner = RegistrationFactory(competition=setup["stage"].competition, team=None, code="LONE01")
    stranger = RegistrationFactory(code="ELSE01")  # another competition's
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(setup["host"])
    base = {"action": "substitute", "match": semi.pk, "reason": "伤"}
    for out_, in_ in ((999_999, sub.pk), (stranger.pk, sub.pk), (sub.pk, "")):
        response = client.post(setup["url"], {**base, "player_out": out_, "player_in": in_})
        assert response.status_code == 400
    _refused(
        client.post(setup["url"], {**base, "player_out": loner.pk, "player_in": sub.pk}),
        "That player has no team.",
    )
    assert not Substitution.objects.exists()


def test_the_join_code_sheet_refuses_a_team_that_is_not_a_number(setup):
    slug = setup["stage"].competition.slug
    url = reverse("competition-codes", args=[slug])
    assert setup["client"].get(url, {"team": "abc"}).status_code == 400
    team = setup["teams"][0]
    one_team = setup["client"].get(url, {"team": team.pk}).content.decode()
    assert "T1M0" in one_team and "T2M0" not in one_team
