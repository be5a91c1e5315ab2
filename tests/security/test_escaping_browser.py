"""Markup in nicknames, team names and question text, played through a real round in Debian's chromium:
no script runs on the phone, the host console, the big screen or the stage projector, and the text
shows literally.

The pages build everything from socket frames with textContent (tests/security/test_escaping.py keeps
them so); this drives them end to end. Every payload calls ``alert``: any dialog fails the test.
"""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from playwright.async_api import Page, async_playwright, expect

from tests.browser import launch_chromium, log_in
from tests.factories import HostRoleFactory, UserFactory
from tests.security.test_escaping import (
    CHOICES,
    COMPETITION,
    EXPLANATION,
    IMG,
    NICKNAME,
    STAGE,
    STEM,
    TEAMS,
    hostile_match,
)
from tests.servers import daphne_servers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}
# Elements that only exist if a payload became markup.
INJECTED = """() => [
  ...document.querySelectorAll("img[src='x'], svg[onload], [onerror], [onload]"),
  ...[...document.scripts].filter((script) => script.textContent.includes("alert(")),
].map((node) => node.outerHTML)"""


@sync_to_async
def hostile_round() -> dict:
    made = hostile_match(slug="jjj-xss-browser")
    HostRoleFactory(user=UserFactory(username="xss.host"), competition=made["competition"])
    return made


async def shows_literally(page: Page, *texts: str) -> None:
    """Each text is in the page's visible text as typed, and nothing was injected."""
    for text in texts:
        await expect(page.locator("body")).to_contain_text(text)
    assert await page.evaluate(INJECTED) == []


async def test_markup_in_names_and_questions_runs_nowhere_and_shows_as_typed():
    made = await hostile_round()
    round_, competition, stage = made["round"], made["competition"], made["stage"]
    dialogs: list[str] = []

    with daphne_servers(1) as (port,):
        base = f"http://127.0.0.1:{port}"
        async with async_playwright() as pw:
            browser = await launch_chromium(pw)

            async def new_page(**context) -> Page:
                page = await (await browser.new_context(**context)).new_page()

                async def refuse(dialog) -> None:
                    dialogs.append(f"{page.url}: {dialog.message}")
                    await dialog.dismiss()

                page.on("dialog", refuse)
                return page

            try:
                console = await new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
                await log_in(console, base, f"/host/rounds/{round_.id}/", "xss.host")
                await expect(console.get_by_test_id("host-pin")).to_contain_text(round_.pin)
                screen = await new_page(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
                await screen.goto(f"{base}/display/{round_.pin}/")

                # the two contestants join with their codes; their names come from the roster
                phones = []
                for code in made["codes"]:
                    phone = await new_page(**PHONE)
                    await phone.goto(f"{base}/play/?pin={round_.pin}&code={code}")
                    await phone.get_by_test_id("join-submit").click()
                    await expect(phone.get_by_test_id("lobby-waiting")).to_be_visible()
                    phones.append(phone)
                await expect(phones[0].get_by_test_id("my-nickname")).to_have_text(NICKNAME)
                await expect(phones[1].get_by_test_id("my-nickname")).to_have_text(IMG[:20])
                await expect(console.get_by_test_id("host-participants")).to_contain_text(NICKNAME)
                await shows_literally(console, round_.title, COMPETITION, NICKNAME, IMG[:20])
                await shows_literally(screen, round_.title)

                # the question: stem and choices on every screen
                await console.get_by_test_id("host-btn-open").click()
                for page, stem in ((phones[0], "stem"), (screen, "display-stem"), (console, "host-stem")):
                    await expect(page.get_by_test_id(stem)).to_have_text(STEM)
                    await shows_literally(page, *CHOICES)
                await phones[0].get_by_test_id("choice-2").click()  # right
                await phones[1].get_by_test_id("choice-0").click()  # wrong
                for phone in phones:
                    await expect(phone.get_by_test_id("answer-ack")).to_be_visible()

                # the reveal: the explanation, then the leaderboards with nicknames and team names
                await console.get_by_test_id("host-btn-close").click()
                await expect(screen.get_by_test_id("display-chart")).to_be_visible()
                await console.get_by_test_id("host-btn-reveal").click()
                await expect(screen.get_by_test_id("display-explanation")).to_contain_text(EXPLANATION)
                await expect(phones[0].get_by_test_id("explanation")).to_contain_text(EXPLANATION)
                await expect(console.get_by_test_id("host-explanation")).to_contain_text(EXPLANATION)
                await console.get_by_test_id("host-btn-leaderboard").click()
                await expect(screen.get_by_test_id("display-leaderboard")).to_contain_text(NICKNAME)
                await shows_literally(screen, NICKNAME, IMG[:20], *TEAMS)
                await shows_literally(console, NICKNAME, IMG[:20])
                await expect(phones[0].get_by_test_id("my-rank")).to_contain_text("1")
                for phone in phones:
                    await shows_literally(phone, STEM)

                # the stage projector swaps in the server's bracket drawing every five seconds
                projector = await new_page(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
                await projector.goto(f"{base}/competitions/{competition.slug}/stages/{stage.pk}/display/")
                await expect(projector.locator("#stage-updated")).not_to_be_empty(timeout=15_000)
                await shows_literally(projector, COMPETITION, STAGE, *(name[:10] for name in TEAMS))
            finally:
                await browser.close()

    assert dialogs == []
