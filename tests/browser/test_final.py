"""The demo's stage final end to end in a real browser: the script page, the host console, three judges'
consoles (one marking a spoken answer), six captains' phones, a member's phone and the big screen, through
限时必答, 团队抢答, 风险, 科普讲解, 力挽狂澜, an undo and an arbitration hold, to the final ranking.

Debian's chromium driven by Playwright. Screenshots go to docs/screenshots/ with UPDATE_SCREENSHOTS=1.
"""

from io import StringIO

import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command
from playwright.async_api import async_playwright, expect

from competition.management.commands.demo_final import demo_final
from competition.models import Competition
from quiz.finals.links import judge_token, team_token
from tests.browser import launch_chromium, log_in
from tests.factories import HostRoleFactory, UserFactory
from tests.servers import daphne_servers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}


@sync_to_async
def make_demo() -> dict:
    call_command("demo_setup", "--no-urls", stdout=StringIO())
    competition = Competition.objects.get(slug="jjj-2026")
    final = demo_final(competition)
    HostRoleFactory(user=UserFactory(username="stage.host"), competition=competition)
    teams = list(final.teams.order_by("seed"))
    return {
        "final": final,
        "pin": final.round.pin,
        "teams": [(t.id, t.name) for t in teams],
        "captains": [team_token(t, "captain") for t in teams],
        "member": team_token(teams[0], "member"),
        "judges": [judge_token(j) for j in final.judges.order_by("id")],
    }


async def test_a_host_runs_the_demo_final_with_judges_captains_and_the_big_screen(shots):
    made = await make_demo()
    final, pin, teams = made["final"], made["pin"], made["teams"]
    with daphne_servers(1) as (port,):
        base = f"http://127.0.0.1:{port}"
        async with async_playwright() as pw:
            browser = await launch_chromium(pw)
            try:
                host_ctx = await browser.new_context(viewport={"width": 1440, "height": 1100}, locale="zh-CN")
                host = await host_ctx.new_page()
                await log_in(host, base, f"/finals/{final.id}/host/", "stage.host")
                await expect(host.get_by_test_id("conn-badge")).to_have_attribute("data-state", "connected")
                await expect(host.get_by_test_id("script-segment")).to_have_count(5)

                # 0. the script page: a value out of range is shown on its segment; then 抢答 is worth +20
                await host.get_by_test_id("final-script-link").click()
                buzzer = host.locator('[data-testid="script-segment-form"][data-index="1"]')
                await buzzer.locator('[name="s1-r-questions"]').fill("0")
                await host.get_by_test_id("script-save").click()
                await expect(buzzer.get_by_test_id("segment-errors")).to_contain_text(
                    "questions must be between"
                )
                await buzzer.locator('[name="s1-r-questions"]').fill("5")
                await buzzer.locator('[name="s1-r-right"]').fill("20")
                await shots_take(host, shots, "final-script-page.png", full_page=True)
                await host.get_by_test_id("script-save").click()
                await expect(host.get_by_test_id("script-saved")).to_contain_text("2")
                await host.get_by_test_id("script-host-link").click()
                await expect(host.get_by_test_id("conn-badge")).to_have_attribute("data-state", "connected")

                screen_ctx = await browser.new_context(
                    viewport={"width": 1920, "height": 1080}, locale="zh-CN"
                )
                screen = await screen_ctx.new_page()
                await screen.goto(f"{base}/finals/screen/{pin}/")
                await expect(screen.get_by_test_id("board-team")).to_have_count(6)

                phones = []
                for link in made["captains"]:
                    ctx = await browser.new_context(**PHONE)
                    phone = await ctx.new_page()
                    await phone.goto(f"{base}/finals/team/{link}/")
                    phones.append(phone)
                member = await (await browser.new_context(**PHONE)).new_page()
                await member.goto(f"{base}/finals/team/{made['member']}/")
                await expect(member.get_by_test_id("team-name")).to_have_text(teams[0][1])
                judges = []
                for link in made["judges"]:
                    page = await (
                        await browser.new_context(viewport={"width": 1000, "height": 800}, locale="zh-CN")
                    ).new_page()
                    await page.goto(f"{base}/finals/judge/{link}/")
                    judges.append(page)
                for i, phone in enumerate(phones):
                    await expect(phone.get_by_test_id("team-name")).to_have_text(teams[i][1])

                async def cue_and_wait(text):
                    await host.get_by_test_id("fh-cue").click()
                    await expect(screen.get_by_test_id("final-status")).to_contain_text(text)

                # 1. 限时必答: team 1 answers on its phone after 请回答; the host marks it right
                await host.get_by_test_id("fh-start").click()
                await expect(screen.get_by_test_id("final-segment")).to_contain_text("限时必答")
                await host.get_by_test_id("fh-cue").click()
                await phones[0].get_by_test_id("choice-0").click()
                await expect(host.get_by_test_id("host-status")).to_contain_text("已作答")
                await host.get_by_test_id("fh-right").click()
                await expect(
                    screen.locator(f'[data-team="{teams[0][0]}"] [data-testid="board-score"]')
                ).to_have_text("110")
                # turn 2, team 2, answers aloud: judge 乙 shares its unit (recused, keys off); judge 丙
                # marks it right with key 1, and the host's mark afterwards changes nothing
                await host.get_by_test_id("fh-next-question").click()
                await host.get_by_test_id("fh-cue").click()
                await expect(judges[1].get_by_test_id("judge-mark-hint")).to_contain_text("回避")
                await expect(judges[1].get_by_test_id("fj-right")).to_be_disabled()
                await expect(judges[2].get_by_test_id("fj-right")).to_be_enabled()
                await shots_take(judges[2], shots, "final-judge-marking.png")
                await judges[2].keyboard.press("1")
                await expect(judges[2].get_by_test_id("judge-mark-message")).to_contain_text("已判定")
                await expect(
                    screen.locator(f'[data-team="{teams[1][0]}"] [data-testid="board-score"]')
                ).to_have_text("110")
                await host.get_by_test_id("fh-right").click()
                await expect(host.get_by_test_id("host-message")).to_contain_text("无变化")

                # 2. 团队抢答: team 3 buzzes first and is lit on the big screen
                await host.get_by_test_id("fh-next-segment").click()
                await expect(screen.get_by_test_id("final-segment")).to_contain_text("团队抢答")
                await cue_and_wait("请抢答")
                await phones[2].get_by_test_id("buzz-button").dispatch_event("pointerdown")
                lit = screen.locator(".fb-team.is-answering")
                await expect(lit).to_contain_text(teams[2][1])
                await expect(host.get_by_test_id("buzz-row")).to_have_count(1)
                await expect(phones[2].get_by_test_id("team-status")).to_contain_text("请你队作答")
                await shots_take(screen, shots, "final-screen-buzzer.png")
                await shots_take(phones[2], shots, "final-captain-phone.png")
                await host.get_by_test_id("fh-right").click()
                await expect(  # +20: the value set on the script page
                    screen.locator(f'[data-team="{teams[2][0]}"] [data-testid="board-score"]')
                ).to_have_text("120")
                await shots_take(host, shots, "final-host-console.png", full_page=True)

                # 3. 风险: every captain picks a tier in score order; the first answers right
                await host.get_by_test_id("fh-next-segment").click()
                await expect(screen.get_by_test_id("final-segment")).to_contain_text("风险")
                for _ in range(6):
                    picker = None
                    for phone in phones:
                        if await phone.get_by_test_id("wager-picker").is_visible():
                            picker = phone
                            break
                    assert picker is not None, "a captain should be picking"
                    await picker.get_by_test_id("tier-20").click()
                    await expect(picker.get_by_test_id("wager-picker")).to_be_hidden()
                await host.get_by_test_id("fh-cue").click()
                await host.get_by_test_id("fh-right").click()
                await expect(screen.get_by_test_id("final-status")).to_contain_text("已判定")

                # 4. 科普讲解: judge 1 is recused from team 1 (same district); the others score, then it shows
                await host.get_by_test_id("fh-next-segment").click()
                await expect(judges[0].get_by_test_id("judge-recused")).to_have_count(1)
                row = lambda page: page.locator(f'[data-testid="judge-row"][data-team="{teams[0][0]}"]')  # noqa: E731
                for page, value in ((judges[1], "8.5"), (judges[2], "9")):
                    await row(page).get_by_test_id("judge-input").fill(value)
                    await row(page).get_by_test_id("judge-submit").click()
                    # each score is in before the next judge's: a refusal would show here with its reason
                    await expect(page.get_by_test_id("judge-message")).to_contain_text("评分已保存")
                await expect(screen.locator(f'[data-team="{teams[0][0]}"]')).to_contain_text("8.75")
                await shots_take(judges[1], shots, "final-judge-console.png")

                # 5. an undo with a reason, and an arbitration hold released with a ruling
                await host.get_by_test_id("fh-text").fill("误判：第二题应为第三队作答")
                await host.get_by_test_id("undo-event").last.click()
                await host.get_by_test_id("fh-hold").click()
                await expect(screen.get_by_test_id("final-hold")).to_be_visible()
                await host.get_by_test_id("fh-release").click()
                await expect(screen.get_by_test_id("final-hold")).to_be_hidden()

                # 6. 力挽狂澜: only the last teams by score play
                await host.get_by_test_id("fh-next-segment").click()
                await expect(screen.get_by_test_id("final-segment")).to_contain_text("力挽狂澜")
                await cue_and_wait("请抢答")
                playing = [
                    i
                    for i, phone in enumerate(phones)
                    if await phone.get_by_test_id("buzz-button").is_visible()
                ]
                assert 1 <= len(playing) < 6
                await phones[playing[0]].get_by_test_id("buzz-button").dispatch_event("pointerdown")
                await expect(screen.locator(".fb-team.is-answering")).to_contain_text(teams[playing[0]][1])
                await host.get_by_test_id("fh-right").click()
                await expect(screen.get_by_test_id("final-status")).to_contain_text("本题已答出")

                # 7. the end: the ranking on the big screen
                await host.get_by_test_id("fh-finish").click()
                await expect(screen.get_by_test_id("final-ranking")).to_be_visible()
                await expect(screen.get_by_test_id("final-ranking").locator("li")).to_have_count(6)
                await shots_take(screen, shots, "final-screen-ranking.png")
            finally:
                await browser.close()


async def shots_take(page, shots, name, full_page=False):
    await page.screenshot(path=str(shots / name), full_page=full_page)
