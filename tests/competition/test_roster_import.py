"""Seeding divisions, teams and codes; roster preview and all-or-nothing commit; the codes page."""

import io
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from competition.models import District, Division, Registration, Team
from competition.roster import RosterInvalid, roster_commit, roster_preview
from competition.services import CODE_ALPHABET, divisions_seed, registration_code_generate, team_create
from tests.factories import CompetitionFactory, HostRoleFactory, UserFactory, organiser

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"


@pytest.fixture
def competition():
    competition = CompetitionFactory(slug="jjj-test")
    divisions_seed(competition)
    return competition


def snapshot(competition):
    return (
        sorted(Team.objects.filter(competition=competition).values_list("name", "district__name", "captain")),
        sorted(
            Registration.objects.filter(competition=competition).values_list(
                "team__name", "name", "role", "code"
            )
        ),
    )


def preview_of(competition, filename):
    return roster_preview(competition, (DATA / filename).read_bytes(), filename)


# Seed data and codes ------------------------------------------------------------------------------


def test_seeding_creates_three_divisions_with_their_districts_in_official_order(competition):
    assert list(competition.divisions.values_list("code", "name")) == [
        ("beijing", "北京市"),
        ("tianjin", "天津市"),
        ("hebei", "河北省"),
    ]
    counts = {d.code: d.districts.count() for d in competition.divisions.all()}
    assert counts == {"beijing": 16, "tianjin": 16, "hebei": 11}
    beijing = competition.divisions.get(code="beijing")
    assert list(beijing.districts.values_list("name", flat=True)[:3]) == ["东城区", "西城区", "朝阳区"]


def test_seeding_twice_changes_nothing(competition):
    before = (Division.objects.count(), District.objects.count())
    divisions_seed(competition)
    assert (Division.objects.count(), District.objects.count()) == before


def test_codes_have_the_division_letter_and_no_ambiguous_characters(competition):
    beijing = competition.divisions.get(code="beijing")
    taken: set[str] = set()
    codes = [registration_code_generate(competition, beijing, taken) for _ in range(200)]
    assert len(set(codes)) == 200 and taken == set(codes)
    assert all(re.fullmatch(f"B[{CODE_ALPHABET}]{{5}}", code) for code in codes)
    assert not set("".join(codes)) & set("0O1I")


def test_a_team_is_created_with_its_captain_and_a_code_for_everyone(competition):
    hebei = competition.divisions.get(code="hebei")
    team = team_create(
        competition=competition,
        division=hebei,
        district=hebei.districts.get(name="保定市"),
        name="保定市队",
        members=["甲", "乙", "丙"],
        substitutes=["丁"],
        captain="乙",
    )
    assert team.captain.name == "乙"
    assert sorted(team.members.values_list("role", flat=True)) == ["member", "member", "member", "substitute"]
    assert all(code.startswith("H") for code in team.members.values_list("code", flat=True))


def test_a_team_refuses_a_district_of_another_division(competition):
    with pytest.raises(ValueError, match="is not in"):
        team_create(
            competition=competition,
            division=competition.divisions.get(code="beijing"),
            district=District.objects.get(name="和平区"),
            name="错队",
        )


# Preview and commit -----------------------------------------------------------------------------


@pytest.mark.parametrize("filename", ["roster_good.csv", "roster_good.xlsx"])
def test_a_good_roster_creates_teams_captains_and_codes(competition, filename):
    preview = preview_of(competition, filename)
    assert preview.ok and Team.objects.count() == 0, "the preview writes nothing"
    result = roster_commit(preview)
    assert (result.teams_created, result.registrations_created) == (3, 12)
    dongcheng = Team.objects.get(name="东城区队")
    assert (dongcheng.division.code, dongcheng.district.name, dongcheng.captain.name) == (
        "beijing",
        "东城区",
        "王晓明",
    )
    assert Registration.objects.get(name="陈思远").code == "TBH001"
    assert Registration.objects.get(name="刘洋").role == "substitute"
    assert all(len(code) == 6 for code in Registration.objects.values_list("code", flat=True))
    assert result.codes[2] == dongcheng.captain.code


def test_importing_the_same_roster_again_updates_and_keeps_the_codes(competition):
    roster_commit(preview_of(competition, "roster_good.csv"))
    before = snapshot(competition)
    preview = preview_of(competition, "roster_good.xlsx")
    assert {r.status for r in preview.rows} == {"update"}
    result = roster_commit(preview)
    assert (result.teams_created, result.registrations_created, result.registrations_updated) == (0, 0, 12)
    assert snapshot(competition) == before


def test_a_contestant_left_out_of_a_team_leaves_it_but_keeps_the_code(competition):
    roster_commit(preview_of(competition, "roster_good.csv"))
    rows = (DATA / "roster_good.csv").read_text(encoding="utf-8-sig").splitlines()
    without_sub = "\n".join(line for line in rows if "马俊杰" not in line).encode()
    preview = roster_preview(competition, without_sub, "r.csv")
    assert [r.name for r in preview.removed] == ["马俊杰"]
    assert roster_commit(preview).registrations_removed == 1
    leaver = Registration.objects.get(name="马俊杰")
    assert leaver.team is None and leaver.code


@pytest.mark.parametrize("filename", ["roster_unknown_district.csv", "roster_unknown_district.xlsx"])
def test_an_unknown_district_is_a_clear_error_and_nothing_changes(competition, filename):
    roster_commit(preview_of(competition, "roster_good.csv"))
    before = snapshot(competition)
    preview = preview_of(competition, filename)
    assert not preview.ok
    assert "row 2, district: unknown district '浦东新区' in 北京市" in preview.reasons()[0]
    with pytest.raises(RosterInvalid, match="浦东新区"):
        roster_commit(preview)
    assert snapshot(competition) == before


def test_one_invalid_row_among_good_ones_writes_nothing(competition):
    data = (DATA / "roster_good.csv").read_bytes().replace("替补".encode(), "教练".encode(), 1)
    preview = roster_preview(competition, data, "r.csv")
    assert sum(r.status == "new" for r in preview.rows) == 11
    with pytest.raises(RosterInvalid, match="unknown role '教练'"):
        roster_commit(preview)
    assert Team.objects.count() == 0 and Registration.objects.count() == 0


def test_a_broken_file_cannot_be_committed(competition):
    preview = preview_of(competition, "roster_not_a_spreadsheet.xlsx")
    assert preview.reasons() == [preview.file_error.reason]
    with pytest.raises(RosterInvalid, match="not a readable XLSX"):
        roster_commit(preview)


def test_the_commit_checks_again_against_the_database_of_the_moment(competition):
    preview = preview_of(competition, "roster_good.csv")
    District.objects.filter(name="滨海新区").delete()  # removed between preview and commit
    with pytest.raises(RosterInvalid, match="unknown district '滨海新区'"):
        roster_commit(preview)
    assert Registration.objects.count() == 0


def test_a_code_taken_by_someone_else_is_refused(competition):
    team_create(
        competition=competition,
        division=competition.divisions.get(code="tianjin"),
        name="别队",
        members=["陈思远"],
    )
    Registration.objects.filter(name="陈思远").update(code="OTHER1")
    Registration.objects.create(competition=competition, name="某人", code="TBH001")
    preview = preview_of(competition, "roster_good.csv")
    assert preview.ok, "陈思远 of 滨海新区队 is someone else than 陈思远 of 别队"
    roster_commit(preview)
    assert Registration.objects.get(code="TBH001").name == "陈思远"


# The command ------------------------------------------------------------------------------------


def test_the_import_command_prints_a_line_per_row_and_imports(competition):
    out = io.StringIO()
    call_command("import_roster", str(DATA / "roster_good.xlsx"), competition="jjj-test", stdout=out)
    text = out.getvalue()
    assert len(re.findall(r"^row +\d+  new ", text, re.MULTILINE)) == 12
    assert "东城区队 · 王晓明  captain" in text and "Imported: 3 teams created" in text
    assert Registration.objects.count() == 12


def test_the_import_command_dry_run_writes_nothing(competition):
    out = io.StringIO()
    call_command(
        "import_roster", str(DATA / "roster_good.csv"), competition="jjj-test", dry_run=True, stdout=out
    )
    assert "dry run: nothing written" in out.getvalue() and Registration.objects.count() == 0


def test_the_import_command_fails_on_an_unknown_district_and_writes_nothing(competition):
    out = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command(
            "import_roster", str(DATA / "roster_unknown_district.csv"), competition="jjj-test", stdout=out
        )
    assert "row    2  invalid" in out.getvalue() and "浦东新区" in out.getvalue()
    assert Team.objects.count() == 0


@pytest.mark.parametrize(
    ("path", "slug", "message"),
    [
        (DATA / "roster_good.csv", "nope", "no competition"),
        (DATA / "missing.csv", "jjj-test", "no such file"),
        (DATA / "roster_missing_columns.csv", "jjj-test", "missing columns: role"),
    ],
)
def test_the_import_command_explains_what_is_wrong(competition, path, slug, message):
    with pytest.raises(CommandError, match=message):
        call_command("import_roster", str(path), competition=slug, stdout=io.StringIO())


# The codes page ---------------------------------------------------------------------------------


@pytest.fixture
def host(competition):
    roster_commit(preview_of(competition, "roster_good.csv"))
    return HostRoleFactory(competition=competition).user


def test_the_codes_page_needs_a_login(client, host, competition):
    response = client.get(reverse("competition-codes", args=[competition.slug]))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_codes_page_refuses_a_stranger(client, host, competition):
    client.force_login(UserFactory())
    assert client.get(reverse("competition-codes", args=[competition.slug])).status_code == 403


def test_a_host_sees_a_card_with_code_and_qr_code_for_every_contestant(client, host, competition):
    client.force_login(host)
    page = client.get(reverse("competition-codes", args=[competition.slug])).content.decode()
    assert page.count('class="code-card"') == 12 and page.count("<svg") == 12
    captain = Registration.objects.get(name="王晓明")
    assert captain.code in page and f"/play/?code={captain.code}" in page
    assert "东城区队" in page and "东城区" in page and "@page" in page
    assert page.count('class="codes-sheet"') == 2, "eight cards per A4 page"


def test_an_organiser_may_print_one_team(client, host, competition):
    client.force_login(organiser())
    team = Team.objects.get(name="滨海新区队")
    page = client.get(
        reverse("competition-codes", args=[competition.slug]), {"team": team.id}
    ).content.decode()
    assert page.count('class="code-card"') == 3 and "TBH001" in page and "王晓明" not in page
