"""``manage.py report_build``: the season's workbook and PDF written into a directory, and what it refuses."""

from __future__ import annotations

from io import StringIO

import pypdfium2
import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from competition.report.refresh import report_refresh
from tests.report.test_refresh import NOW, season  # noqa: F401  (the small season worked by hand)


@pytest.fixture
def refreshed(stage, season):  # noqa: F811
    report_refresh(stage=stage, now=NOW)
    return season


def _build(*args):
    out = StringIO()
    call_command("report_build", *args, stdout=out)
    return out.getvalue()


def test_the_command_writes_the_seasons_workbook_and_pdf(stage, refreshed, tmp_path):
    # when
    said = _build("--season", stage.competition.slug, "--out", str(tmp_path / "files"))
    # then
    xlsx = tmp_path / "files" / f"report-{stage.slug}.xlsx"
    pdf = tmp_path / "files" / f"report-{stage.slug}.pdf"
    assert str(xlsx) in said and str(pdf) in said
    assert load_workbook(xlsx)["funnel"]["B4"].value == 26
    document = pypdfium2.PdfDocument(pdf.read_bytes())
    assert "东城区" in "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    assert sorted(p.name for p in (tmp_path / "files").iterdir()) == sorted([xlsx.name, pdf.name])


def test_the_stage_alone_names_its_season_and_the_filters_name_the_file(stage, refreshed, tmp_path):
    district = refreshed["a"]
    _build(
        "--stage",
        stage.slug,
        "--district",
        str(district.pk),
        "--key-group",
        "youth",
        "--format",
        "xlsx",
        "--out",
        str(tmp_path),
    )
    [made] = list(tmp_path.iterdir())
    assert made.name == f"report-{stage.slug}-{district.division.code}-d{district.pk}-youth.xlsx"
    assert district.name in load_workbook(made)["About"]["A2"].value


def test_a_second_build_replaces_the_files_in_place(stage, refreshed, tmp_path):
    _build("--season", stage.competition.slug, "--format", "xlsx", "--out", str(tmp_path))
    _build("--season", stage.competition.slug, "--format", "xlsx", "--out", str(tmp_path), "--refresh")
    assert [p.name for p in tmp_path.iterdir()] == [f"report-{stage.slug}.xlsx"]  # no temporary left behind


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--season", "no-such-season"], "unknown_season"),
        (["--stage", "no-such-stage"], "bad_filters"),
        (["--division", "XX"], "bad_filters"),
        (["--key-group", "astronauts"], "bad_filters"),
    ],
)
def test_bad_filters_are_refused_with_a_code_and_write_nothing(stage, refreshed, tmp_path, args, code):
    with pytest.raises(CommandError, match=code):
        _build(*args, "--out", str(tmp_path / "files"))
    assert not (tmp_path / "files").exists()


def test_a_district_outside_the_division_chosen_is_refused(stage, refreshed, tmp_path):
    other = stage.competition.divisions.exclude(pk=refreshed["a"].division_id).first()
    with pytest.raises(CommandError, match="bad_filters: district"):
        _build("--division", other.code, "--district", str(refreshed["a"].pk), "--out", str(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_a_directory_that_cannot_be_made_is_refused(stage, refreshed, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(CommandError, match="bad_out"):
        _build("--out", str(blocker / "files"))
