"""One journey in a real browser: a host runs a round, three phones play it, the display shows it.

Debian's chromium driven by Playwright. Screenshots of each page go to
docs/screenshots/ when run with UPDATE_SCREENSHOTS=1 (see conftest.py).
"""

import re

import pytest
from asgiref.sync import sync_to_async
from playwright.async_api import async_playwright, expect

from quiz.services.rounds import round_create
from tests.browser import launch_chromium, log_in
from tests.factories import HostRoleFactory, QuestionFactory, UserFactory
from tests.servers import daphne_servers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}


@sync_to_async
def make_round():
    host = UserFactory(username="zhang.host")
    role = HostRoleFactory(user=host)
    questions = [
        QuestionFactory(
            stem="光在真空中的传播速度约为多少？",
            choices=["每秒30万千米", "每秒3万千米", "每秒340米", "每秒300千米"],
            correct=[0],
            explanation="光在真空中的速度约为每秒30万千米（299,792,458 米/秒），是宇宙中最快的速度。",
            time_limit=60,
        ),
        QuestionFactory(
            stem="地球自转的方向是？", choices=["自西向东", "自东向西"], correct=[0], time_limit=60
        ),
    ]
    return round_create(competition=role.competition, title="海淀区初赛 第一轮", questions=questions), host


async def test_a_host_runs_a_round_that_three_phones_play_and_the_display_shows(shots):
    round_, _ = await make_round()

    with daphne_servers(1) as (port,):
        base = f"http://127.0.0.1:{port}"
        async with async_playwright() as pw:
            browser = await launch_chromium(pw)
            try:
                # the host logs in and opens the console
                host_ctx = await browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
                console = await host_ctx.new_page()
                await log_in(console, base, f"/host/rounds/{round_.id}/", "zhang.host")
                await expect(console.get_by_test_id("host-pin")).to_contain_text(round_.pin)

                # the big screen
                display_ctx = await browser.new_context(
                    viewport={"width": 1920, "height": 1080}, locale="zh-CN"
                )
                screen = await display_ctx.new_page()
                await screen.goto(f"{base}/display/{round_.pin}/")
                await expect(screen.get_by_test_id("display-qr")).to_be_visible()

                # three phones join
                phones = []
                for name in ("小明", "李华", "Wang Fang"):
                    ctx = await browser.new_context(**PHONE)
                    phone = await ctx.new_page()
                    await phone.goto(f"{base}/play/?pin={round_.pin}")
                    await phone.get_by_test_id("join-nickname").fill(name)
                    await phone.get_by_test_id("join-submit").click()
                    await expect(phone.get_by_test_id("lobby-waiting")).to_be_visible()
                    phones.append(phone)
                await expect(screen.get_by_test_id("display-lobby-count")).to_contain_text("3")
                await screen.screenshot(path=shots / "display-lobby.png")
                await phones[0].screenshot(path=shots / "contestant-lobby.png")

                # the host opens the first question; the phones answer (two right, one wrong)
                await console.get_by_test_id("host-btn-open").click()
                for phone, choice in zip(phones, (0, 0, 2), strict=True):
                    await phone.get_by_test_id(f"choice-{choice}").click()
                    await expect(phone.get_by_test_id("answer-ack")).to_be_visible()
                await expect(console.get_by_test_id("host-answered")).to_contain_text(
                    re.compile(r"3\s*/\s*3")
                )
                await phones[0].screenshot(path=shots / "contestant-answered.png")
                await screen.screenshot(path=shots / "display-question.png")
                await console.screenshot(path=shots / "host-console.png")

                # close, reveal: the display explains, the phones show their result
                await console.get_by_test_id("host-btn-close").click()
                await expect(screen.get_by_test_id("display-chart")).to_be_visible()
                await console.get_by_test_id("host-btn-reveal").click()
                await expect(screen.get_by_test_id("display-explanation")).to_contain_text("30万千米")
                await screen.screenshot(path=shots / "display-explanation.png")
                await expect(phones[0].get_by_test_id("result")).to_be_visible()
                await expect(phones[0].get_by_test_id("my-rank")).to_contain_text("1")
                await expect(phones[2].get_by_test_id("result-verdict")).to_be_visible()
                await phones[0].screenshot(path=shots / "contestant-result.png")

                # a phone reloads mid-round and is back with its score
                score_before = await phones[1].get_by_test_id("my-score").inner_text()
                await phones[1].reload()
                await expect(phones[1].get_by_test_id("my-score")).to_have_text(score_before)

                # the leaderboard on the big screen
                await console.get_by_test_id("host-btn-leaderboard").click()
                board = screen.get_by_test_id("display-leaderboard")
                await expect(board).to_be_visible()
                await expect(board.get_by_test_id("display-leaderboard-row")).to_have_count(3)
                await expect(board).to_contain_text("Wang Fang")
                await screen.screenshot(path=shots / "display-leaderboard.png")
            finally:
                await browser.close()
