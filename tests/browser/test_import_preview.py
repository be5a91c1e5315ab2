"""An editor imports a Moodle XML file from another system in a real browser: the preview lists every
question with its outcome (new, skipped with the reason, a near-duplicate with the difference, a warning
for the audio that cannot be kept), and the import brings in the supported questions only.

Debian's chromium driven by Playwright. A screenshot of the preview goes to docs/screenshots/ when run
with UPDATE_SCREENSHOTS=1.
"""

import base64
import io

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Permission
from PIL import Image
from playwright.async_api import async_playwright, expect

from questionbank.models import Question
from tests.browser import launch_chromium, log_in
from tests.factories import QuestionFactory, UserFactory
from tests.servers import daphne_fleet

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def png() -> str:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "navy").save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


MOODLE = f"""<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category"><category><text>$course$/top/科学素质/B05</text></category></question>
  <question type="multichoice">
    <name><text>greeting</text></name>
    <questiontext format="html"><text><![CDATA[<p>听这段问候语，说话人用的是哪种语言？</p>
      <audio controls><source src="@@PLUGINFILE@@/hello.mp3"></audio>
      <p><img src="@@PLUGINFILE@@/wave.png" alt="问候语的声波图"></p>]]></text>
      <file name="hello.mp3" path="/" encoding="base64">SUQz</file>
      <file name="wave.png" path="/" encoding="base64">{png()}</file>
    </questiontext>
    <single>true</single>
    <answer fraction="100"><text>英语</text></answer>
    <answer fraction="0"><text>法语</text><feedback><text>法语的问候是 Bonjour。</text></feedback></answer>
  </question>
  <question type="essay">
    <name><text>谈垃圾分类</text></name>
    <questiontext format="html"><text>请谈谈你对垃圾分类的看法。</text></questiontext>
  </question>
  <question type="truefalse">
    <name><text>salt-6</text></name>
    <questiontext format="html"><text>成年人每天食盐摄入量不超过6克。</text></questiontext>
    <answer fraction="0"><text>true</text></answer>
    <answer fraction="100"><text>false</text></answer>
  </question>
  <question type="truefalse">
    <name><text>salt-5-again</text></name>
    <questiontext format="html"><text>成年人每天的食盐摄入量不超过5克。</text></questiontext>
    <answer fraction="100"><text>true</text></answer>
    <answer fraction="0"><text>false</text></answer>
  </question>
</quiz>
""".encode()


@sync_to_async
def make_bank() -> None:
    QuestionFactory(
        key="salt-5",
        kind="truefalse",
        stem="成年人每天食盐摄入量不超过5克。",
        choices=["正确", "错误"],
        correct=[0],
    )
    editor = UserFactory(username="bank.editor", is_staff=True)
    editor.user_permissions.add(
        *Permission.objects.filter(codename__in=["import_question", "view_question", "change_question"])
    )


@sync_to_async
def bank_keys() -> list[str]:
    return sorted(Question.objects.values_list("key", flat=True))


@sync_to_async
def greeting() -> Question:
    return Question.objects.get(key="greeting")


async def test_an_editor_sees_every_question_with_its_outcome_and_imports_the_supported_ones(shots, tmp_path):
    await make_bank()
    upload = tmp_path / "moodle-quiz.xml"
    upload.write_bytes(MOODLE)
    env = {"QUESTION_IMPORTS_ROOT": str(tmp_path / "imports"), "MEDIA_ROOT": str(tmp_path / "media")}

    with daphne_fleet(1, env=env) as fleet:
        base = f"http://127.0.0.1:{fleet.ports[0]}"
        async with async_playwright() as pw:
            browser = await launch_chromium(pw)
            try:
                context = await browser.new_context(viewport={"width": 1366, "height": 900}, locale="en")
                page = await context.new_page()
                await log_in(page, base, "/admin/questionbank/question/import/", "bank.editor")
                await page.locator('input[name="file"]').set_input_files(str(upload))
                await page.locator('input[type="submit"]').click()

                table = page.locator("#import-preview")
                await expect(table).to_be_visible()
                rows = table.locator("tbody tr")
                await expect(rows).to_have_count(4)
                await expect(rows.nth(0)).to_contain_text("new")
                await expect(rows.nth(0)).to_contain_text("hello.mp3")  # the audio that cannot be kept
                await expect(rows.nth(1)).to_contain_text("skipped")
                await expect(rows.nth(1)).to_contain_text("an essay")
                await expect(rows.nth(2)).to_contain_text("new")
                await expect(rows.nth(2)).to_contain_text("the answer differs")
                await expect(rows.nth(3)).to_contain_text("duplicate")
                await expect(rows.nth(3)).to_contain_text("“”→“的”")
                await expect(page.locator(".import-encoding")).to_contain_text("UTF-8")
                await page.screenshot(path=str(shots / "import-preview.png"), full_page=True)

                await page.locator('input[name="confirm"]').click()
                await expect(page.locator(".messagelist")).to_contain_text("Imported 2 new")
            finally:
                await browser.close()

    assert await bank_keys() == ["greeting", "salt-5", "salt-6"]
    question = await greeting()
    assert question.image_alt == "问候语的声波图"
    assert question.explanation == "“法语”：法语的问候是 Bonjour。"
