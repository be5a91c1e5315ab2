"""A question's picture in a real browser: on the phone it loads, has its alt text, fits the screen and
leaves the choices in view; the big screen and the host console show it too."""

from __future__ import annotations

import io

import pytest
from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw
from playwright.async_api import async_playwright, expect

from questionbank import services
from quiz.services.rounds import round_create
from tests.browser import launch_chromium, log_in
from tests.factories import HostRoleFactory, QuestionFactory, UserFactory
from tests.servers import daphne_servers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}
ALT = "四根柱子的柱状图，第三根最高"


@pytest.fixture
def shared_media(settings, tmp_path, monkeypatch):
    """One MEDIA_ROOT for this process (which stores the upload) and the servers it starts."""
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setenv("MEDIA_ROOT", str(settings.MEDIA_ROOT))


def bar_chart() -> bytes:
    """A wide picture (1200 × 800), larger than a phone, so it has to be scaled down."""
    picture = Image.new("RGB", (1200, 800), "white")
    draw = ImageDraw.Draw(picture)
    for i, height in enumerate((300, 450, 700, 200)):
        draw.rectangle([100 + i * 270, 780 - height, 300 + i * 270, 780], fill=("#1d4ed8", "#059669")[i == 2])
    out = io.BytesIO()
    picture.save(out, "PNG")
    return out.getvalue()


@sync_to_async
def make_round():
    host = UserFactory(username="li.host")
    role = HostRoleFactory(user=host)
    question = QuestionFactory(
        stem="图中哪一根柱子最高？",
        choices=["第一根", "第二根", "第三根", "第四根"],
        correct=[2],
        time_limit=60,
    )
    question.image.save("chart.png", SimpleUploadedFile("chart.png", bar_chart()), save=False)
    question.image_alt = ALT
    services.question_save(question)
    return round_create(competition=role.competition, title="图片题", questions=[question])


async def test_the_picture_shows_on_the_phone_the_display_and_the_host_console(shared_media):
    round_ = await make_round()
    with daphne_servers(1) as (port,):
        base = f"http://127.0.0.1:{port}"
        async with async_playwright() as pw:
            browser = await launch_chromium(pw)
            try:
                host_ctx = await browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
                console = await host_ctx.new_page()
                await log_in(console, base, f"/host/rounds/{round_.id}/", "li.host")
                await expect(console.get_by_test_id("host-pin")).to_contain_text(round_.pin)

                screen = await (
                    await browser.new_context(viewport={"width": 1920, "height": 1080})
                ).new_page()
                await screen.goto(f"{base}/display/{round_.pin}/")
                phone = await (await browser.new_context(**PHONE)).new_page()
                await phone.goto(f"{base}/play/?pin={round_.pin}")
                await phone.get_by_test_id("join-nickname").fill("小明")
                await phone.get_by_test_id("join-submit").click()
                await expect(phone.get_by_test_id("lobby-waiting")).to_be_visible()
                await expect(phone.get_by_test_id("question-image")).to_be_hidden()

                await console.get_by_test_id("host-btn-open").click()
                for page, testid in (
                    (phone, "question-image"),
                    (screen, "display-image"),
                    (console, "host-image"),
                ):
                    picture = page.get_by_test_id(testid).locator("img")
                    await expect(picture).to_be_visible()
                    await expect(picture).to_have_attribute("alt", ALT)
                    assert await picture.evaluate("img => img.complete && img.naturalWidth") == 1200

                picture = phone.get_by_test_id("question-image").locator("img")
                box = await picture.bounding_box()
                assert box["width"] <= 390 and box["height"] <= 844 * 0.38 + 1
                last_choice = await phone.get_by_test_id("choice-3").bounding_box()
                assert last_choice["y"] + last_choice["height"] <= 844
                await phone.get_by_test_id("choice-2").click()
                await expect(phone.get_by_test_id("answer-ack")).to_be_visible()
            finally:
                await browser.close()
