"""The leaderboards of a competition as pages: the host's tables (cumulative or of a stage, searched,
capped), the projector and the XLSX of the four boards."""

import io
import re
from html import unescape
from urllib.parse import quote

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from competition import views
from competition.models import District, Registration, Stage
from quiz.models import Contestant
from quiz.services.rounds import round_create
from tests.factories import (
    CompetitionFactory,
    DivisionFactory,
    HostRoleFactory,
    QuestionFactory,
    RegistrationFactory,
    TeamFactory,
    UserFactory,
    organiser,
)

pytestmark = pytest.mark.django_db


def english(user=None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def season():
    """Two divisions, a district, two teams and four registered people (one never plays), a qualifier
    and a final already played (their cached standings given), and a host of the competition."""
    competition = CompetitionFactory(slug="jjj-2026", name="京津冀 2026")
    north = DivisionFactory(competition=competition, name="北京")
    south = DivisionFactory(competition=competition, name="河北")
    haidian = District.objects.create(division=north, name="海淀区")
    baoding = District.objects.create(division=south, name="保定市")
    a = TeamFactory(competition=competition, division=north, district=haidian, name="海淀队")
    b = TeamFactory(competition=competition, division=south, district=baoding, name='=HYPERLINK("x")')
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
        for who, (score, correct, time_ms) in scores.items():
            reg = people[who]
            Contestant.objects.create(
                round=round_,
                nickname=reg.name,
                registration=reg,
                team=reg.team,
                score=score,
                correct_count=correct,
                correct_time_ms=time_ms,
            )

    played(qualifier, {"ann": (900, 1, 4000), "bo": (500, 1, 6000), "cy": (1400, 2, 9000)})
    played(final, {"ann": (1000, 1, 3000), "cy": (500, 1, 2500)})
    host = HostRoleFactory(competition=competition).user
    return {"competition": competition, "qualifier": qualifier, "final": final, "host": host}


def page_url(season) -> str:
    return reverse("competition-standings", args=[season["competition"].slug])


def get_page(client: Client, url: str, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def table(page: str, testid: str) -> list[list[str]]:
    """The body rows of the table in the element marked ``data-testid=testid``, as cell texts."""
    start = page.index(f'data-testid="{testid}"')
    body = page[page.index("<tbody>", start) : page.index("</tbody>", start)]
    return [
        [unescape(re.sub(r"<[^>]+>", " ", cell)).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def count_line(page: str, board: str) -> str:
    start = page.index(f'data-testid="{board}"')
    line = page[page.index('data-testid="standings-count"', start) :]
    return unescape(re.sub(r"<[^>]+>", "", line[line.index(">") + 1 : line.index("</p>")]))


# --- who may see what -----------------------------------------------------------------------------------


def test_the_standings_page_and_its_xlsx_need_a_login_and_host_rights_on_the_competition(season):
    slug = season["competition"].slug
    urls = [reverse("competition-standings", args=[slug]), reverse("competition-standings-xlsx", args=[slug])]
    stranger = english(UserFactory())
    host_elsewhere = english(HostRoleFactory().user)
    editor = english(UserFactory(is_staff=True))  # staff for the question bank only
    organiser_user = english(organiser())
    for url in urls:
        anonymous = Client().get(url)
        assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
        assert stranger.get(url).status_code == 403
        assert host_elsewhere.get(url).status_code == 403
        assert english(season["host"]).get(url).status_code == 200
        assert editor.get(url).status_code == 403
        assert organiser_user.get(url).status_code == 200


def test_a_stage_of_another_competition_or_a_bad_stage_id_is_not_found(season):
    other = Stage.objects.create(competition=CompetitionFactory(), name="初赛")
    client = english(season["host"])
    for stage in (other.pk, "x1"):
        assert client.get(page_url(season), {"stage": stage}).status_code == 404
        projector = reverse("competition-standings-display", args=[season["competition"].slug])
        assert Client().get(projector, {"stage": stage}).status_code == 404


# --- the host page --------------------------------------------------------------------------------------


def test_the_cumulative_page_ranks_contestants_teams_divisions_and_districts(season):
    page = get_page(english(season["host"]), page_url(season))
    assert "All stages (cumulative)" in page
    # equal on points: more correct answers first
    assert table(page, "standings-individual") == [
        ["1", "Cy", '=HYPERLINK("x")', "1900", "3", "11.5"],
        ["2", "Ann", "海淀队", "1900", "2", "7.0"],
        ["3", "Bo", "海淀队", "500", "1", "6.0"],
    ]
    assert table(page, "standings-teams") == [
        ["1", "海淀队", "北京", "2400", "3", "13.0"],
        ["2", '=HYPERLINK("x")', "河北", "1900", "3", "11.5"],
    ]
    assert table(page, "standings-divisions") == [
        ["1", "北京", "2400.00", "1", "2", "2", "100.0 %"],
        ["2", "河北", "1900.00", "1", "2", "1", "50.0 %"],
    ]
    assert table(page, "standings-districts") == [
        ["1", "海淀区", "2400.00", "1", "2", "2", "100.0 %"],
        ["2", "保定市", "1900.00", "1", "2", "1", "50.0 %"],
    ]
    assert count_line(page, "standings-individual") == "3 rows."


def test_a_stage_scope_counts_only_that_stages_rounds(season):
    qualifier = season["qualifier"]
    page = get_page(english(season["host"]), page_url(season), stage=qualifier.pk)
    assert f'<option value="{qualifier.pk}" selected>初赛</option>' in page
    assert [row[:4] for row in table(page, "standings-individual")] == [
        ["1", "Cy", '=HYPERLINK("x")', "1400"],
        ["2", "Ann", "海淀队", "900"],
        ["3", "Bo", "海淀队", "500"],
    ]
    # equal on points and correct answers: less correct time first
    assert [row[:6] for row in table(page, "standings-teams")] == [
        ["1", '=HYPERLINK("x")', "河北", "1400", "2", "9.0"],
        ["2", "海淀队", "北京", "1400", "2", "10.0"],
    ]
    final = get_page(english(season["host"]), page_url(season), stage=season["final"].pk)
    assert [row[1] for row in table(final, "standings-individual")] == ["Ann", "Cy"]
    xlsx = reverse("competition-standings-xlsx", args=[season["competition"].slug])
    assert f'href="{xlsx}?stage={qualifier.pk}" data-testid="standings-xlsx"' in page


def test_the_search_filters_by_name_or_team_and_keeps_the_ranks_of_the_whole_board(season):
    client = english(season["host"])
    page = get_page(client, page_url(season), q="ann")
    assert table(page, "standings-individual") == [["2", "Ann", "海淀队", "1900", "2", "7.0"]]
    assert count_line(page, "standings-individual") == "1 of 3 rows match."
    assert 'value="ann"' in page

    by_team = get_page(client, page_url(season), q="海淀")
    assert [row[:2] for row in table(by_team, "standings-individual")] == [["2", "Ann"], ["3", "Bo"]]
    assert [row[:2] for row in table(by_team, "standings-teams")] == [["1", "海淀队"]]
    by_division = get_page(client, page_url(season), q="河北")
    assert [row[:2] for row in table(by_division, "standings-teams")] == [["2", '=HYPERLINK("x")']]

    nothing = get_page(client, page_url(season), q="nobody")
    assert table(nothing, "standings-individual") == [["No rows."]]
    assert count_line(nothing, "standings-individual") == "0 of 3 rows match."


def test_a_large_board_shows_only_the_top_rows_and_says_how_many_there_are(season):
    competition, qualifier = season["competition"], season["qualifier"]
    team = TeamFactory(
        competition=competition, division=DivisionFactory(competition=competition), name="大队"
    )
    extra = Registration.objects.bulk_create(
        Registration(competition=competition, team=team, name=f"选手{i:03d}", code=f"B{i:04d}")
        for i in range(views.STANDINGS_TOP + 20)
    )
    round_ = round_create(
        competition=competition, title="加赛", questions=[QuestionFactory()], stage=qualifier.name
    )
    Contestant.objects.bulk_create(
        Contestant(round=round_, nickname=r.name, registration=r, team=team, score=10 * i)
        for i, r in enumerate(extra)
    )
    client = english(season["host"])
    page = get_page(client, page_url(season))
    rows = table(page, "standings-individual")
    total = views.STANDINGS_TOP + 20 + 3
    assert len(rows) == views.STANDINGS_TOP
    assert [row[:2] for row in rows[:2]] == [["1", "Cy"], ["2", "Ann"]]
    assert count_line(page, "standings-individual") == (
        f"{total} rows. The first {views.STANDINGS_TOP} are shown; search by name or team for the others."
    )
    # the search finds a row beyond the top, at its rank on the whole board
    found = get_page(client, page_url(season), q="选手000")
    assert table(found, "standings-individual") == [[str(total), "选手000", "大队", "0", "0", "0.0"]]


def test_the_page_speaks_chinese_by_default_and_is_linked_from_the_stage_page_and_the_round_list(season):
    client = Client()
    client.force_login(season["host"])
    page = get_page(client, page_url(season))
    assert "排行榜" in page and "全部阶段（累计）" in page
    stage_page = get_page(client, reverse("competition-stage", args=["jjj-2026", season["qualifier"].pk]))
    assert f"{page_url(season)}?stage={season['qualifier'].pk}" in stage_page
    assert page_url(season) in get_page(client, reverse("host-rounds"))


# --- the projector --------------------------------------------------------------------------------------


def test_the_projector_is_public_and_shows_the_top_ten_teams_and_divisions(season):
    competition, qualifier = season["competition"], season["qualifier"]
    team = TeamFactory(
        competition=competition, division=DivisionFactory(competition=competition), name="大队"
    )
    extra = Registration.objects.bulk_create(
        Registration(competition=competition, team=team, name=f"选手{i:02d}", code=f"B{i:04d}")
        for i in range(12)
    )
    round_ = round_create(
        competition=competition, title="加赛", questions=[QuestionFactory()], stage=qualifier.name
    )
    Contestant.objects.bulk_create(
        Contestant(round=round_, nickname=r.name, registration=r, team=team, score=2000 + i)
        for i, r in enumerate(extra)
    )
    url = reverse("competition-standings-display", args=[competition.slug])
    page = get_page(english(), url)
    individuals = table(page, "display-individual")
    assert len(individuals) == views.PROJECTOR_TOP
    assert [row[:2] for row in individuals[:2]] == [["1", "选手11 大队"], ["2", "选手10 大队"]]
    assert [row[1] for row in table(page, "display-teams")] == [
        "大队 " + team.division.name,
        "海淀队 北京",
        '=HYPERLINK("x") 河北',
    ]
    assert [row[:2] for row in table(page, "display-divisions")][1:] == [["2", "北京"], ["3", "河北"]]
    fragment_url = reverse("competition-standings-display-fragment", args=[competition.slug])
    assert f'data-fragment="{fragment_url}"' in page

    stage_page = get_page(english(), url, stage=season["final"].pk)
    assert "决赛" in stage_page
    assert [row[1] for row in table(stage_page, "display-individual")] == ["Ann 海淀队", 'Cy =HYPERLINK("x")']
    fragment = english().get(fragment_url, {"stage": season["final"].pk})
    assert fragment.status_code == 200 and fragment["Cache-Control"] == "no-store"
    assert [row[1] for row in table(fragment.content.decode(), "display-individual")] == [
        "Ann 海淀队",
        'Cy =HYPERLINK("x")',
    ]


# --- the XLSX -------------------------------------------------------------------------------------------


def test_the_xlsx_has_the_four_boards_of_the_scope_with_formulas_neutralised(season):
    slug = season["competition"].slug
    response = english(season["host"]).get(
        reverse("competition-standings-xlsx", args=[slug]), {"stage": season["qualifier"].pk}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f"attachment; filename*=utf-8''{quote('jjj-2026-初赛-leaderboards.xlsx')}"
    )
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["个人 Individual", "队伍 Teams", "赛区 Divisions", "区县 Districts"]

    def rows(sheet):
        return [list(row) for row in wb[sheet].iter_rows(min_row=4, values_only=True)]

    assert wb["个人 Individual"]["A1"].value == "京津冀 2026 · 初赛 · 个人排行 / Individual"
    assert rows("个人 Individual") == [
        [1, "Cy", '\'=HYPERLINK("x")', 1400, 2, 9000],
        [2, "Ann", "海淀队", 900, 1, 4000],
        [3, "Bo", "海淀队", 500, 1, 6000],
    ]
    assert rows("队伍 Teams") == [
        [1, '\'=HYPERLINK("x")', "河北", 1400, 2, 9000],
        [2, "海淀队", "北京", 1400, 2, 10000],
    ]
    # equal on mean points and correct answers: less mean correct time first
    assert rows("赛区 Divisions") == [[1, "河北", 1400, 1, 2, 1, 0.5], [2, "北京", 1400, 1, 2, 2, 1.0]]
    assert rows("区县 Districts") == [[1, "保定市", 1400, 1, 2, 1, 0.5], [2, "海淀区", 1400, 1, 2, 2, 1.0]]
    assert wb["赛区 Divisions"]["G4"].number_format == "0.0%"
    texts = [
        c for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if isinstance(c, str)
    ]
    assert not any(text.startswith(("=", "+", "-", "@")) for text in texts)


# --- filters and pages ----------------------------------------------------------------------------------


def test_a_page_that_is_not_a_positive_number_is_refused_on_the_page_with_status_400(season):
    client = english(season["host"])
    for page in ("0", "x", "-1", str(10**20)):  # the last would overflow the database's OFFSET
        response = client.get(page_url(season), {"page": page})
        assert response.status_code == 400
        html = response.content.decode()
        assert 'data-testid="standings-errors"' in html and "Page:" in html
        assert [row[1] for row in table(html, "standings-individual")] == ["Cy", "Ann", "Bo"]


def test_the_boards_page_in_the_database_with_each_row_at_its_rank_on_the_whole_board(season):
    competition, qualifier = season["competition"], season["qualifier"]
    team = TeamFactory(
        competition=competition, division=DivisionFactory(competition=competition), name="大队"
    )
    extra = Registration.objects.bulk_create(
        Registration(competition=competition, team=team, name=f"选手{i:03d}", code=f"B{i:04d}")
        for i in range(views.STANDINGS_TOP + 20)
    )
    round_ = round_create(
        competition=competition, title="加赛", questions=[QuestionFactory()], stage=qualifier.name
    )
    Contestant.objects.bulk_create(
        Contestant(round=round_, nickname=r.name, registration=r, team=team, score=10 * i)
        for i, r in enumerate(extra)
    )
    client = english(season["host"])
    first = get_page(client, page_url(season))
    assert 'href="?stage=&amp;q=&amp;page=2"' in first
    second = get_page(client, page_url(season), page=2)
    rows = table(second, "standings-individual")
    total = views.STANDINGS_TOP + 20 + 3
    assert [row[0] for row in rows] == [str(rank) for rank in range(views.STANDINGS_TOP + 1, total + 1)]
    assert rows[-1][1] == "选手000"
    assert count_line(second, "standings-individual") == f"{total} rows."
    assert 'rel="prev" href="?stage=&amp;q=&amp;page=1"' in second and 'rel="next"' not in second
    beyond = get_page(client, page_url(season), page=9)
    assert table(beyond, "standings-individual") == [["No rows."]]
    assert count_line(beyond, "standings-individual") == f"{total} rows."


def test_the_search_takes_percent_and_underscore_literally(season):
    client = english(season["host"])
    for query in ("%", "_", "A_n"):
        page = get_page(client, page_url(season), q=query)
        assert table(page, "standings-individual") == [["No rows."]]
        assert count_line(page, "standings-individual") == "0 of 3 rows match."
