"""A district stage end to end in a real browser: the host starts a match from the stage page, the two
teams play its live round on their phones, the projector follows the bracket, the host corrects the
result with a reason and downloads the result sheets.

Debian's chromium driven by Playwright. Screenshots of the stage page and its projector go to
docs/screenshots/ when run with UPDATE_SCREENSHOTS=1.
"""

import io
import re
from io import StringIO
from pathlib import Path

import openpyxl
import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command
from playwright.async_api import async_playwright, expect

from competition.matches import bracket_create
from competition.models import Competition, Match, Registration, Stage
from competition.services import team_create
from tests.browser import launch_chromium, log_in
from tests.factories import HostRoleFactory, QuestionFactory, UserFactory
from tests.servers import daphne_servers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Seed order: seeds 1 and 4 meet in W1-1, seeds 2 and 3 in W1-2.
TEAMS = (
    ("beijing", "海淀区", "海淀区代表队", ("王磊", "陈静", "刘洋"), "赵敏"),
    ("tianjin", "南开区", "南开区代表队", ("张伟", "李娜", "杨帆"), "周杰"),
    ("hebei", "石家庄市", "石家庄市代表队", ("孙强", "吴芳", "郑浩"), "冯雪"),
    ("beijing", "朝阳区", "朝阳区代表队", ("何涛", "高丽", "林峰"), "罗琳"),
)
REASON = "裁判组复核：第 2 题朝阳区代表队的作答因设备故障未被记录，按现场记录更正"


@sync_to_async
def make_stage() -> dict:
    """The 2026 competition as an organiser sets it up, four teams from the three divisions, a host,
    a district stage with a single-elimination bracket of the four and two questions in the bank."""
    call_command("setup_competition", "2026 京津冀公民科学素质大赛", "--year", "2026", stdout=StringIO())
    competition = Competition.objects.get(slug="jjj-2026")
    divisions = {division.code: division for division in competition.divisions.all()}
    teams = [
        team_create(
            competition=competition,
            division=divisions[division],
            district=divisions[division].districts.get(name=district),
            name=name,
            members=members,
            substitutes=[substitute],
            captain=members[0],
            seed=seed,
        )
        for seed, (division, district, name, members, substitute) in enumerate(TEAMS, start=1)
    ]
    HostRoleFactory(user=UserFactory(username="li.host"), competition=competition)
    stage = Stage.objects.create(
        competition=competition,
        name="区赛",
        order=1,
        format=Stage.Format.SINGLE_ELIMINATION,
        options={"third_place": True},
    )
    bracket = bracket_create(stage=stage, name="第一组", teams=teams)
    QuestionFactory(
        stem="水在标准大气压下的沸点是多少摄氏度？", choices=["100", "90", "80", "120"], correct=[0]
    )
    QuestionFactory(stem="地球绕太阳公转一周约需多长时间？", choices=["一年", "一个月", "一天"], correct=[0])
    semi = Match.objects.get(bracket=bracket, code="W1-1")
    codes = {
        team: list(
            Registration.objects.filter(team_id=team, role=Registration.Role.MEMBER)
            .order_by("id")
            .values_list("code", flat=True)[:2]
        )
        for team in semi.teams
    }
    names = {team.id: team.name for team in teams}
    return {"competition": competition, "stage": stage, "semi": semi, "codes": codes, "names": names}


def sheet_text(data: bytes) -> str:
    """Every cell of every sheet of an XLSX, one string."""
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return "\n".join(
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )


async def test_a_host_runs_a_district_stage_match_corrects_it_and_exports_the_result_sheets(shots):
    made = await make_stage()
    competition, stage, semi, names = made["competition"], made["stage"], made["semi"], made["names"]
    first, second = semi.teams  # the first team answers right, the second wrong
    stage_path = f"/competitions/{competition.slug}/stages/{stage.pk}/"

    with daphne_servers(1) as (port,):
        base = f"http://127.0.0.1:{port}"
        async with async_playwright() as pw:
            browser = await launch_chromium(pw)
            try:
                # 1. the host logs in and opens the stage page: the bracket of the four teams
                host_ctx = await browser.new_context(
                    viewport={"width": 1366, "height": 1000}, locale="zh-CN", accept_downloads=True
                )
                page = await host_ctx.new_page()
                await log_in(page, base, stage_path, "li.host")
                await expect(page.get_by_test_id("stage-title")).to_contain_text("区赛")
                bracket_svg = page.get_by_test_id("stage-bracket").locator("svg.bracket-svg")
                await expect(bracket_svg).to_be_visible()
                for _division, _district, name, _members, _substitute in TEAMS:
                    await expect(bracket_svg).to_contain_text(name)
                await expect(bracket_svg.locator('[data-match="W2-1"]')).to_contain_text("待定")

                # the projector, opened from the stage page, follows the stage by itself from now on
                async with page.expect_popup() as popup:
                    await page.get_by_test_id("stage-display-link").click()
                projector = await popup.value
                await projector.set_viewport_size({"width": 1920, "height": 1080})
                await expect(projector.get_by_test_id("stage-display")).to_contain_text(names[first])

                # 2. the host starts W1-1 with two questions and opens the console of its round
                card = page.locator('[data-testid="match"][data-match="W1-1"]')
                start = card.get_by_test_id("start-form")
                await start.locator('input[name="questions"]').fill("2")
                await start.get_by_role("button").click()
                await expect(page.get_by_test_id("stage-messages")).to_contain_text("W1-1")
                await card.get_by_test_id("match-round-link").click()
                console = page
                pin = (await console.get_by_test_id("host-pin").inner_text()).strip()
                assert re.fullmatch(r"\d{6}", pin)

                # 3. two members of each team open their code card's link, type the PIN and join
                phones = {}
                for team in (first, second):
                    for code in made["codes"][team]:
                        phone = await (await browser.new_context(**PHONE)).new_page()
                        await phone.goto(f"{base}/play/?code={code}")
                        await phone.get_by_test_id("join-pin").fill(pin)
                        await phone.get_by_test_id("join-submit").click()
                        await expect(phone.get_by_test_id("lobby-waiting")).to_be_visible()
                        phones[phone] = team
                await expect(console.get_by_test_id("host-participant-count")).to_have_text("4")

                for number in (1, 2):
                    await console.get_by_test_id("host-btn-open").click()
                    for phone, team in phones.items():
                        await expect(phone.get_by_test_id("live")).to_have_attribute("data-phase", "open")
                        await expect(phone.get_by_test_id("question-number")).to_contain_text(
                            re.compile(rf"{number}\s*/\s*2")
                        )
                        await phone.get_by_test_id("choice-0" if team == first else "choice-1").click()
                        await expect(phone.get_by_test_id("answer-ack")).to_be_visible()
                    await expect(console.get_by_test_id("host-answered")).to_contain_text(
                        re.compile(r"4\s*/\s*4")
                    )
                    await console.get_by_test_id("host-btn-close").click()
                    await expect(console.get_by_test_id("host-btn-reveal")).to_be_enabled()
                    await console.get_by_test_id("host-btn-reveal").click()
                    await expect(console.get_by_test_id("host-explanation")).to_be_visible()
                await console.get_by_test_id("host-btn-end").click()
                await console.get_by_test_id("confirm-ok").click()
                await expect(console.get_by_test_id("host-phase")).to_have_attribute("data-phase", "finished")

                # 4. the projector shows the winner advanced into the final, without a reload
                winner_box = projector.locator(f'[data-match="W1-1"] [data-team="{first}"]')
                await expect(winner_box).to_have_attribute("data-winner", "true", timeout=15_000)
                final_on_projector = projector.locator('[data-match="W2-1"]')
                await expect(final_on_projector).to_contain_text(names[first])
                await expect(projector.locator('[data-match="3RD"]')).to_contain_text(names[second])

                # 5. back on the stage page the host corrects W1-1 with a reason: the other team goes on
                await console.get_by_test_id("host-stage-link").click()
                card = page.locator('[data-testid="match"][data-match="W1-1"]')
                await expect(card.get_by_test_id("match-status")).to_contain_text("已赛")
                await card.locator('details:has([data-testid="correct-form"]) > summary').click()
                form = card.get_by_test_id("correct-form")
                await form.locator(f'input[name="score_{first}"]').fill("1000")
                await form.locator(f'input[name="score_{second}"]').fill("1500")
                await form.locator('textarea[name="reason"]').fill(REASON)
                await form.get_by_role("button").click()
                await expect(page.get_by_test_id("stage-messages")).to_contain_text("W1-1")
                card = page.locator('[data-testid="match"][data-match="W1-1"]')
                await expect(card.get_by_test_id("match-log")).to_contain_text(REASON)
                bracket_svg = page.get_by_test_id("stage-bracket").locator("svg.bracket-svg")
                corrected = bracket_svg.locator(f'[data-match="W1-1"] [data-team="{second}"]')
                await expect(corrected).to_have_attribute("data-winner", "true")
                await expect(bracket_svg.locator('[data-match="W2-1"]')).to_contain_text(names[second])
                await expect(bracket_svg.locator('[data-match="W2-1"]')).not_to_contain_text(names[first])
                await page.evaluate("window.scrollTo(0, 0)")
                await page.screenshot(path=shots / "stage-page.png")

                # the projector follows the correction too
                await expect(final_on_projector).to_contain_text(names[second], timeout=15_000)
                await expect(projector.locator('[data-match="3RD"]')).to_contain_text(names[first])
                await projector.screenshot(path=shots / "stage-projector.png")

                # 6. the result sheets of W1-1 download: XLSX with the teams and the correction, and a PDF
                for suffix, content_type in (("xlsx", XLSX), ("pdf", "application/pdf")):
                    link = card.locator(f'a[href$="/sheet.{suffix}"]')
                    href = await link.get_attribute("href")
                    response = await host_ctx.request.get(f"{base}{href}")
                    assert response.status == 200
                    assert response.headers["content-type"] == content_type
                    assert response.headers["content-disposition"].startswith("attachment;")
                    async with page.expect_download() as download_info:
                        await link.click()
                    download = await download_info.value
                    assert download.suggested_filename == f"区赛-第一组-W1-1.{suffix}"
                    data = Path(await download.path()).read_bytes()
                    if suffix == "xlsx":
                        assert data[:2] == b"PK" and len(data) > 5_000
                        text = sheet_text(data)
                        assert names[first] in text and names[second] in text
                        assert REASON in text
                    else:
                        assert data[:5] == b"%PDF-" and len(data) > 5_000
            finally:
                await browser.close()
