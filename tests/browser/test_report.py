"""An organiser reads the demo season's literacy report in a real browser: the charts draw, the filters
narrow the page (and a district outside the division is refused with a message), and the workbook and the
PDF download. Screenshots of the page and of the PDF's first pages (rendered with pypdfium2) go to
docs/screenshots/report-*.png when run with UPDATE_SCREENSHOTS=1 (see conftest.py).
"""

from __future__ import annotations

import os
import re
from io import StringIO

import pypdfium2
import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command
from openpyxl import load_workbook
from playwright.async_api import async_playwright, expect

from tests.browser import launch_chromium, log_in
from tests.browser.axe import axe_scan
from tests.servers import daphne_servers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "zh-CN", "accept_downloads": True}


@sync_to_async
def make_demo() -> dict:
    from competition.models import District, Division
    from tests.factories import organiser

    call_command("demo_setup", "--no-urls", stdout=StringIO())
    call_command("demo_online", stdout=StringIO())
    # the default demo for the guides' screenshots (its heat maps readable); a smaller one otherwise
    citizens = "5000" if os.environ.get("UPDATE_SCREENSHOTS") == "1" else "600"
    call_command("demo_report", "--citizens", citizens, stdout=StringIO())
    organiser(username="report.organiser")
    tianjin = Division.objects.get(competition__slug="jjj-2026", code="tianjin")
    beijing_district = District.objects.filter(
        division__code="beijing", division__competition=tianjin.competition
    )
    return {
        "tianjin": tianjin.name,
        "tianjin_district": District.objects.filter(division=tianjin).order_by("pk").first().name,
        "beijing_district": beijing_district.order_by("pk").first().name,
    }


async def test_an_organiser_reads_the_demo_report_filters_it_and_downloads_the_files(shots, tmp_path):
    made = await make_demo()
    with daphne_servers(1) as ports:
        base = f"http://127.0.0.1:{ports[0]}"
        async with async_playwright() as pw:
            browser = await launch_chromium(pw)
            try:
                context = await browser.new_context(**DESKTOP, bypass_csp=True)
                page = await context.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda e: errors.append(str(e)))
                await log_in(page, base, "/competitions/report/", "report.organiser")

                # the whole season: the disclaimer above the filters, every chart drawn as SVG
                await expect(page.get_by_test_id("report-disclaimer")).to_contain_text("不是")
                await expect(page.get_by_test_id("report-freshness")).to_be_visible()
                for chart in ("funnel", "weeks", "benchmarks", "district-benchmark", "selftest"):
                    await expect(page.locator(f'[data-chart="{chart}"] svg')).to_be_visible()
                heat = page.locator('[data-chart="district-benchmark"]')
                assert "最高" in await heat.get_attribute(
                    "aria-label"
                )  # the text alternative names the extremes
                await page.screenshot(path=shots / "report-page.png")
                await page.get_by_test_id("report-district-benchmark").scroll_into_view_if_needed()
                await page.get_by_test_id("report-district-benchmark").screenshot(
                    path=shots / "report-heatmap.png"
                )
                average = await page.get_by_test_id("report-average").inner_text()
                await axe_scan(page, "report, whole season")

                # a filter change: Tianjin only, then farmers within it
                await page.select_option("#id_division", label=made["tianjin"])
                await page.locator('[data-testid="report-form"] button[type="submit"]').click()
                await expect(page).to_have_url(re.compile(r"division=tianjin"))
                await expect(page.locator('[data-chart="benchmarks"] svg')).to_be_visible()
                assert await page.get_by_test_id("report-average").inner_text() != average
                await page.select_option("#id_key_group", value="farmer")
                await page.locator('[data-testid="report-form"] button[type="submit"]').click()
                await expect(page).to_have_url(re.compile(r"key_group=farmer"))
                await expect(page.locator("#id_key_group")).to_have_value("farmer")
                await page.screenshot(path=shots / "report-filtered.png")

                # a district of another division is refused with a message, and nothing is shown
                await page.select_option("#id_district", label=made["beijing_district"])
                await page.locator('[data-testid="report-form"] button[type="submit"]').click()
                await expect(page.get_by_test_id("report-errors")).to_be_visible()
                await expect(page.get_by_test_id("report-average")).to_have_count(0)

                # back to the season; the workbook and the PDF download
                await page.goto(f"{base}/competitions/report/")
                async with page.expect_download() as xlsx_download:
                    await page.get_by_test_id("report-xlsx").click()
                xlsx = tmp_path / (await xlsx_download.value).suggested_filename
                await (await xlsx_download.value).save_as(xlsx)
                workbook = load_workbook(xlsx)
                assert workbook.sheetnames[0] == "About"
                assert {"funnel", "benchmarks", "district-benchmark", "missed"} <= set(workbook.sheetnames)
                assert (
                    workbook["funnel"]["B4"].value > 600
                )  # registered: the demo report's 600 and the online demo's

                async with page.expect_download() as pdf_download:
                    await page.get_by_test_id("report-pdf").click()
                pdf_path = tmp_path / (await pdf_download.value).suggested_filename
                await (await pdf_download.value).save_as(pdf_path)
                pdf = pypdfium2.PdfDocument(pdf_path.read_bytes())
                assert len(pdf) >= 3
                first = pdf[0].get_textpage().get_text_bounded()
                assert "参赛" in first and "代表性" in first  # the disclaimer, in Chinese
                for n in range(2):
                    pdf[n].render(scale=1.5).to_pil().save(shots / f"report-pdf-{n + 1}.png")
                assert not errors, errors
            finally:
                await browser.close()
