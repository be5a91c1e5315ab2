"""The report page and its downloads: who may see them, what a filter does, what bad filters get, and
that the CSV, the workbook and the PDF hold the tables."""

from __future__ import annotations

import io

import pypdfium2
import pytest
from django.urls import reverse
from openpyxl import load_workbook

from competition.report.refresh import report_refresh
from tests.factories import UserFactory, organiser
from tests.report.test_refresh import NOW, season  # noqa: F401  (the small season worked by hand)


@pytest.fixture
def refreshed(stage, season):  # noqa: F811
    report_refresh(stage=stage, now=NOW)
    return season


def _url(name, stage, *args, **params):
    from urllib.parse import urlencode

    query = {"season": stage.competition.slug, "stage": stage.slug, **params}
    return reverse(name, args=args) + "?" + urlencode(query)


def test_an_organiser_sees_the_disclaimer_every_table_and_the_charts_data(client, stage, refreshed):
    client.force_login(organiser())
    response = client.get(_url("report", stage))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="report-disclaimer"' in page
    for slug in (
        "funnel",
        "weeks",
        "benchmarks",
        "district-benchmark",
        "below-districts",
        "selftest",
        "missed",
    ):
        assert f'data-testid="report-{slug}"' in page
    assert 'id="report-data" type="application/json"' in page
    assert "report/vendor/echarts.min" in page
    assert "<script>" not in page  # no inline script: the charts come from static files (CSP)
    assert "36.0%" in page  # 27 right of 75


def test_staff_without_the_organiser_right_may_not_see_the_report(client, stage, refreshed):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(_url("report", stage)).status_code == 404  # no season they may see


def test_a_visitor_is_sent_to_the_login(client, stage, refreshed):
    response = client.get(_url("report", stage))
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_district_outside_the_division_chosen_is_refused_with_a_message(client, stage, refreshed):
    client.force_login(organiser())
    other = stage.competition.divisions.exclude(pk=refreshed["a"].division_id).first()
    response = client.get(_url("report", stage, division=other.code, district=refreshed["a"].pk))
    assert response.status_code == 400
    assert "not in the division" in response.content.decode() or "不在" in response.content.decode()


def test_the_district_filter_narrows_the_page(client, stage, refreshed):
    client.force_login(organiser())
    response = client.get(_url("report", stage, district=refreshed["a"].pk))
    assert response.status_code == 200
    assert "66.7%" in response.content.decode()  # A alone: 24 of 36


def test_a_table_downloads_as_csv_with_a_byte_order_mark(client, stage, refreshed):
    client.force_login(organiser())
    response = client.get(_url("report-csv", stage, "funnel"))
    assert response.status_code == 200
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    assert "26" in text.splitlines()[1]


def test_an_unknown_table_is_not_found(client, stage, refreshed):
    client.force_login(organiser())
    response = client.get(reverse("report-csv", args=["nope"]) + f"?season={stage.competition.slug}")
    assert response.status_code == 404


def test_the_workbook_has_an_about_sheet_and_a_sheet_per_table(client, stage, refreshed):
    client.force_login(organiser())
    response = client.get(_url("report-xlsx", stage))
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames[0] == "About"
    assert {"funnel", "benchmarks", "district-benchmark", "missed", "thresholds"} <= set(wb.sheetnames)
    assert wb["funnel"]["B4"].value == 26
    assert "not a" in wb["About"]["A6"].value or "不是" in wb["About"]["A6"].value


def test_the_pdf_carries_the_disclaimer_and_chinese_text_that_can_be_read_back(client, stage, refreshed):
    client.force_login(organiser())
    response = client.get(_url("report-pdf", stage))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    pdf = pypdfium2.PdfDocument(response.content)
    first = pdf[0].get_textpage().get_text_range()
    assert "参赛" in first or "Participants chose to take part" in first
    assert "东城区" in "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))


def test_without_filters_the_page_goes_to_the_latest_stage_written_into_the_address(client, stage, refreshed):
    client.force_login(organiser())
    response = client.get(reverse("report"))
    assert response.status_code == 302
    assert response["Location"] == _url("report", stage)
    page = client.get(response["Location"]).content.decode()
    assert f'<option value="{stage.slug}" selected>' in page
