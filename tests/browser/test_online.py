"""The online stage on phones in a real browser: register, sign in, the daily set, a timed challenge, a
duel with a friend (two phones), a themed quiz and the self-test, over a throttled 4G-like link.

Debian's chromium driven by Playwright; one-time codes are read from the file SMS backend. Screenshots
go to docs/screenshots/online-*.png when run with UPDATE_SCREENSHOTS=1 (see conftest.py).
"""

import asyncio
import json
import re
import time
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone
from playwright.async_api import async_playwright, expect

from tests.browser import launch_chromium
from tests.servers import daphne_fleet

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
}
# A weak 4G link: 150 ms each way, 1.6 Mbit/s down, 750 kbit/s up (Chrome DevTools' "Fast 3G"-like).
WEAK_4G = {"offline": False, "latency": 150, "downloadThroughput": 200_000, "uploadThroughput": 94_000}


@sync_to_async
def make_stage():
    from competition.online.models import OnlineStage
    from competition.services import divisions_seed
    from tests.factories import CompetitionFactory
    from tests.online.conftest import bank_load

    bank_load()
    competition = CompetitionFactory(name="2026 京津冀公民科学素质大赛")
    divisions_seed(competition)
    today = timezone.localdate()
    return OnlineStage.objects.create(
        competition=competition,
        name="2026 线上答题",
        slug="online-2026",
        opens_on=today - timedelta(days=7),
        closes_on=today + timedelta(days=7),
        rules={
            "daily": {"count": 3},
            "themed": [
                {
                    "slug": "rumours",
                    "name": "科学辟谣",
                    "tags": ["rumour-busting"],
                    "count": 2,
                    "opens": (today - timedelta(days=1)).isoformat(),
                    "closes": (today + timedelta(days=3)).isoformat(),
                }
            ],
            "selftest": {
                "dimensions": {
                    "knowledge": {"weight": 40, "count": 1, "domain": "D3"},
                    "method": {"weight": 20, "count": 1, "domain": "D2"},
                    "spirit": {"weight": 20, "count": 1, "domain": "D1"},
                    "application": {"weight": 20, "count": 1, "domain": "D4"},
                }
            },
            "duel": {"count": 2, "seconds": 10, "pause_seconds": 1, "join_seconds": 120},
        },
    )


def code_for(folder, mobile):
    line = (folder / f"{mobile}.jsonl").read_text(encoding="utf-8").strip().splitlines()[-1]
    return re.search(r"\d{6}", json.loads(line)["text"]).group(0)


async def register(page, base, folder, *, name, mobile, district, group, shots=None):
    await page.goto(f"{base}/online/online-2026/")
    await page.get_by_test_id("go-register").click()
    await page.fill("#id_name", name)
    await page.fill("#id_mobile", mobile)
    await page.select_option("#id_district", label=district)
    await page.select_option("#id_key_group", value=group)
    await page.fill("#id_unit", "海淀区第一中学")
    await page.check("#id_consent")
    if shots:
        await page.screenshot(path=shots / "online-register.png", full_page=True)
    await page.get_by_test_id("register-submit").click()
    await expect(page.get_by_test_id("verify-submit")).to_be_visible()
    await page.fill("#id_code", code_for(folder, mobile))
    if shots:
        await page.screenshot(path=shots / "online-verify.png")
    await page.get_by_test_id("verify-submit").click()
    await expect(page.get_by_test_id("dashboard")).to_be_visible()


async def answer_all(page, shots=None, name=""):
    """Answer the served questions with the first choice until the attempt's result shows."""
    first = True
    while not await page.get_by_test_id("attempt-done").count():
        await expect(page.get_by_test_id("question")).to_be_visible()
        await page.get_by_test_id("choice-0").check()
        if shots and first:
            await page.screenshot(path=shots / f"online-{name}-question.png")
        await page.get_by_test_id("submit-answer").click()
        await expect(page.get_by_test_id("verdict")).to_be_visible()
        if shots and first:
            await page.screenshot(path=shots / f"online-{name}-explanation.png", full_page=True)
        first = False
        await page.get_by_test_id("next").click()
    if shots:
        await page.screenshot(path=shots / f"online-{name}-result.png", full_page=True)


async def test_a_citizen_plays_every_mode_on_a_phone_and_duels_a_friend(shots, tmp_path):
    await make_stage()
    sms = tmp_path / "sms"
    env = {"ONLINE_SMS_BACKEND": "competition.online.sms.FileBackend", "ONLINE_SMS_FILE_DIR": str(sms)}
    with daphne_fleet(1, env=env) as fleet:
        base = f"http://127.0.0.1:{fleet.ports[0]}"
        async with async_playwright() as pw:
            browser = await launch_chromium(pw)
            try:
                phone = await browser.new_context(**PHONE)
                page = await phone.new_page()
                cdp = await phone.new_cdp_session(page)
                await cdp.send("Network.enable")
                await cdp.send("Network.emulateNetworkConditions", WEAK_4G)
                await register(
                    page,
                    base,
                    sms,
                    name="王小明",
                    mobile="13912340001",
                    district="北京市 · 海淀区",
                    group="youth",
                    shots=shots,
                )
                await page.screenshot(path=shots / "online-home.png", full_page=True)
                # a friend registers on another phone
                friend_ctx = await browser.new_context(**PHONE)
                friend = await friend_ctx.new_page()
                await register(
                    friend,
                    base,
                    sms,
                    name="李雪",
                    mobile="13912340002",
                    district="天津市 · 和平区",
                    group="worker",
                )
                friend_registered = time.monotonic()

                # the daily set: three questions, each explained after answering
                await page.get_by_test_id("start-daily").click()
                await answer_all(page, shots, "daily")
                await page.get_by_test_id("back-home").click()
                await expect(page.get_by_test_id("daily-done")).to_be_visible()

                # a timed challenge: the countdown runs on the server's deadline
                await page.get_by_test_id("start-challenge").click()
                await expect(page.get_by_test_id("countdown")).to_be_visible()
                await answer_all(page, shots, "challenge")
                await page.get_by_test_id("back-home").click()

                # a themed quiz
                await page.get_by_test_id("go-themed").click()
                await page.get_by_test_id("start-themed-rumours").click()
                await answer_all(page, None, "themed")
                await page.get_by_test_id("back-home").click()

                # the self-test: a profile with a chart and the missed questions explained
                await page.get_by_test_id("start-selftest").click()
                await answer_all(page, None, "selftest")
                await expect(page.get_by_test_id("selftest-chart").locator("svg")).to_be_visible()
                await page.screenshot(path=shots / "online-selftest-result.png", full_page=True)
                await page.get_by_test_id("back-home").click()

                # the friend signs out and signs in again with a new code (at most one code a minute)
                await asyncio.sleep(max(0.0, 61 - (time.monotonic() - friend_registered)))
                await friend.get_by_test_id("signout").click()
                await friend.get_by_test_id("go-signin").click()
                await friend.fill("#id_mobile", "139 1234 0002")
                await friend.get_by_test_id("signin-submit").click()
                await friend.fill("#id_code", code_for(sms, "13912340002"))
                await friend.get_by_test_id("verify-submit").click()
                await expect(friend.get_by_test_id("dashboard")).to_be_visible()

                # the duel: an invitation link, the friend joins, both answer the same questions
                await page.get_by_test_id("go-duel").click()
                await page.get_by_test_id("duel-invite").click()
                await expect(page.get_by_test_id("duel-waiting")).to_be_visible()
                await page.screenshot(path=shots / "online-duel-invite.png", full_page=True)
                link = (await page.get_by_test_id("duel-link").inner_text()).strip()
                await friend.goto(link)
                await friend.get_by_test_id("duel-accept").click()
                for position in range(2):
                    for player in (page, friend):
                        duel = player.get_by_test_id("duel")
                        await expect(duel).to_have_attribute("data-phase", "open", timeout=15_000)
                        await expect(duel).to_have_attribute("data-position", str(position))
                    if position == 0:
                        await friend.screenshot(path=shots / "online-duel-question.png")
                    await page.get_by_test_id("duel-choice-0").click()
                    await friend.get_by_test_id("duel-choice-1").click()
                for player in (page, friend):
                    await expect(player.get_by_test_id("duel")).to_have_attribute(
                        "data-phase", "finished", timeout=15_000
                    )
                    await expect(player.get_by_test_id("duel-result")).to_be_visible()
                await page.screenshot(path=shots / "online-duel-result.png")

                # the boards show the public names and districts only
                await page.goto(f"{base}/online/online-2026/boards/")
                await expect(page.get_by_test_id("board")).to_contain_text("王**")
                await expect(page.get_by_test_id("board")).not_to_contain_text("王小明")
                await page.screenshot(path=shots / "online-boards.png", full_page=True)
            finally:
                await browser.close()
