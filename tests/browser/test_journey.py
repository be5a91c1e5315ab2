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
from tests.browser.axe import axe_scan
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


# --- a round at an event: names on the wall, a phone that goes offline, large text, extended time, the
# podium and each phone's summary, the projector reloaded after the end; axe over every page state ------


@sync_to_async
def make_event_round():
    host = UserFactory(username="li.host")
    role = HostRoleFactory(user=host)
    questions = [
        QuestionFactory(
            stem="发生火灾时，下列哪种逃生做法是正确的？",
            choices=[
                "用湿毛巾捂住口鼻，弯腰低姿撤离",
                "乘坐电梯迅速下楼",
                "躲进衣柜等待救援",
                "打开窗户大声呼救后跳楼",
            ],
            correct=[0],
            explanation="火灾烟气向上蔓延，弯腰低姿并用湿毛巾捂住口鼻可以减少吸入有毒烟气；火灾时电梯可能断电停运。",
            time_limit=60,
        ),
        QuestionFactory(
            kind="multiple",
            stem="下列哪些属于可再生能源？",
            choices=["太阳能", "风能", "煤炭", "石油"],
            correct=[0, 1],
            explanation="太阳能和风能可以不断再生；煤炭和石油是化石能源，用一点少一点。",
            time_limit=60,
        ),
    ]
    return round_create(competition=role.competition, title="朝阳区社区科普赛", questions=questions)


@sync_to_async
def answer_times(round_id: int, nickname: str):
    """(tapped_at, received_at) of the contestant's answer to the first question."""
    from quiz.models import Answer

    answer = Answer.objects.get(
        contestant__round_id=round_id, contestant__nickname=nickname, question__position=0
    )
    return answer.tapped_at, answer.received_at


async def expect_offline_banner_within(phone, seconds: float) -> None:
    await expect(phone.get_by_test_id("offline-banner")).to_be_visible(timeout=seconds * 1000)


async def test_an_event_round_with_a_phone_offline_large_text_extended_time_podium_and_a_reloaded_projector(
    shots,
):
    round_ = await make_event_round()
    names = ("王阿姨", "李华", "Wang Fang")

    with daphne_servers(1) as (port,):
        base = f"http://127.0.0.1:{port}"
        async with async_playwright() as pw:
            browser = await launch_chromium(pw)
            try:
                host_ctx = await browser.new_context(
                    viewport={"width": 1366, "height": 900}, locale="zh-CN", bypass_csp=True
                )
                console = await host_ctx.new_page()
                await log_in(console, base, f"/host/rounds/{round_.id}/", "li.host")
                await expect(console.get_by_test_id("host-pin")).to_contain_text(round_.pin)

                # the projector's computer asks for reduced motion: nothing on the page animates
                display_ctx = await browser.new_context(
                    viewport={"width": 1920, "height": 1080},
                    locale="zh-CN",
                    bypass_csp=True,
                    reduced_motion="reduce",
                )
                screen = await display_ctx.new_page()
                await screen.goto(f"{base}/display/{round_.pin}/")
                await expect(screen.get_by_test_id("display-qr")).to_be_visible()

                # the phones join; their names appear on the big screen's wall
                contexts, phones = [], []
                for name in names:
                    ctx = await browser.new_context(**PHONE, bypass_csp=True)
                    phone = await ctx.new_page()
                    await phone.goto(f"{base}/play/?pin={round_.pin}")
                    if not phones:
                        await axe_scan(phone, "phone join form")
                    await phone.get_by_test_id("join-nickname").fill(name)
                    await phone.get_by_test_id("join-submit").click()
                    await expect(phone.get_by_test_id("lobby-waiting")).to_be_visible()
                    contexts.append(ctx)
                    phones.append(phone)
                elder, extended, offline = phones
                wall = screen.get_by_test_id("display-names")
                await expect(wall.get_by_test_id("display-name")).to_have_count(3)
                for name in names:
                    await expect(wall).to_contain_text(name)
                await screen.screenshot(path=shots / "display-lobby-wall.png")
                animation = await wall.get_by_test_id("display-name").first.evaluate(
                    "n => getComputedStyle(n).animationName"
                )
                assert animation == "none"
                await axe_scan(screen, "display lobby")
                await axe_scan(offline, "phone lobby")

                # 王阿姨 turns on large text and high contrast; both stay on after a reload
                await elder.get_by_test_id("toggle-elder").click()
                await elder.get_by_test_id("toggle-contrast").click()
                await elder.reload()
                await expect(elder.get_by_test_id("lobby-waiting")).to_be_visible()
                await expect(elder.locator("html")).to_have_attribute("data-elder", "true")
                await expect(elder.locator("html")).to_have_attribute("data-contrast", "high")
                await expect(elder.get_by_test_id("toggle-elder")).to_have_attribute("aria-pressed", "true")
                await axe_scan(elder, "phone lobby, elder mode")

                # the host gives 李华 double time, then opens the first question
                await axe_scan(console, "host console lobby")
                row = console.get_by_test_id("host-participant").filter(has_text="李华")
                await row.locator("select").select_option("2")
                await expect(console.get_by_test_id("host-status")).to_contain_text("李华")
                await console.get_by_test_id("host-btn-open").click()
                await expect(elder.get_by_test_id("stem")).to_contain_text("火灾")
                # 李华's phone counts down its own 120 s; the big screen and the others count down 60 s
                await expect(extended.get_by_test_id("time-factor")).to_contain_text("×2")
                assert (
                    int(await extended.locator('[data-testid="countdown"] .countdown-num').inner_text()) > 100
                )
                assert (
                    int(await screen.locator('[data-testid="display-countdown"] .countdown-num').inner_text())
                    <= 60
                )
                assert int(await elder.locator('[data-testid="countdown"] .countdown-num').inner_text()) <= 60
                await axe_scan(extended, "phone question, extended time")
                await elder.screenshot(path=shots / "contestant-elder-mode.png")
                # a screen reader hears the question once, with its number
                await expect(elder.get_by_test_id("announcer")).to_contain_text("第 1 / 2 题")
                await expect(elder.get_by_test_id("announcer")).to_contain_text("火灾")
                await axe_scan(elder, "phone question, elder mode")
                await axe_scan(offline, "phone question")
                await axe_scan(screen, "display question")
                await axe_scan(console, "host console question")
                # the laptop is mirrored to the projector: the host hides the key until it is revealed
                hide_key = console.get_by_test_id("host-hide-key")
                await hide_key.click()
                await expect(hide_key).to_have_attribute("aria-pressed", "true")
                keyed = console.locator('[data-testid^="host-choice-"][data-correct="true"]')
                await expect(keyed).to_have_count(0)
                await expect(console.get_by_test_id("host-explanation")).to_be_hidden()
                await expect(console.get_by_test_id("host-question-note")).to_contain_text("本屏幕隐藏答案")
                await console.get_by_test_id("host-sound").click()  # sound is off until the host turns it on
                await expect(console.get_by_test_id("host-sound")).to_have_attribute("aria-pressed", "true")
                await console.wait_for_timeout(300)  # the buttons' colour transition
                await axe_scan(console, "host console, key hidden")

                # Wang Fang's phone loses the network mid-question and taps an answer
                await contexts[2].set_offline(True)
                await offline.get_by_test_id("choice-0").click()
                await expect_offline_banner_within(offline, 3)
                await expect(offline.get_by_test_id("conn-badge")).to_have_attribute("data-state", "offline")
                await expect(offline.get_by_test_id("answer-pending")).to_contain_text("尚未送达")
                await offline.screenshot(path=shots / "contestant-offline.png")
                await axe_scan(offline, "phone offline")
                await offline.wait_for_timeout(4000)  # a while without the network
                # back online: the answer arrives, with its tap time, and the banner goes
                await contexts[2].set_offline(False)
                await expect(offline.get_by_test_id("answer-ack")).to_be_visible(timeout=15000)
                await expect(offline.get_by_test_id("offline-banner")).to_be_hidden()
                await expect(offline.get_by_test_id("conn-badge")).to_have_attribute(
                    "data-state", "connected"
                )
                await axe_scan(offline, "phone answered")
                # the answer keeps the moment it was tapped, seconds before the server received it
                tapped, received = await answer_times(round_.id, "Wang Fang")
                assert tapped is not None and (received - tapped).total_seconds() >= 4

                await elder.get_by_test_id("choice-0").click()
                await extended.get_by_test_id("choice-1").click()
                for phone in (elder, extended):
                    await expect(phone.get_by_test_id("answer-ack")).to_be_visible()

                # the host closes early: the screens do not say the time ran out
                await console.get_by_test_id("host-btn-close").click()
                note = screen.get_by_test_id("display-note")
                await expect(note).to_contain_text("主持人已结束本题作答")
                await expect(note).not_to_contain_text("时间到")
                await console.get_by_test_id("host-btn-reveal").click()
                await expect(screen.get_by_test_id("display-explanation")).to_contain_text("烟气")
                # beside the explanation every answer label is whole
                label = screen.get_by_test_id("display-bar-0").locator(".choice-text")
                await expect(label).to_have_text("用湿毛巾捂住口鼻，弯腰低姿撤离")
                assert await label.evaluate(
                    "n => n.scrollWidth <= n.clientWidth + 1 && n.scrollHeight <= n.clientHeight + 1"
                )
                await screen.screenshot(path=shots / "display-reveal-explained.png")
                await axe_scan(screen, "display reveal with explanation")
                await expect(elder.get_by_test_id("result")).to_be_visible()
                await expect(elder.get_by_test_id("announcer")).to_contain_text("回答正确")
                await axe_scan(elder, "phone reveal, elder mode")
                await axe_scan(extended, "phone reveal")
                # revealed to everyone, the key is back on the console
                await expect(console.get_by_test_id("host-choice-0")).to_have_attribute(
                    "data-correct", "true"
                )
                await axe_scan(console, "host console reveal")

                await console.get_by_test_id("host-btn-leaderboard").click()
                await expect(screen.get_by_test_id("display-leaderboard")).to_be_visible()
                await axe_scan(screen, "display leaderboard")
                await expect(extended.get_by_test_id("leaderboard")).to_be_visible()
                await axe_scan(extended, "phone leaderboard")

                # the multiple-choice question: shares are of the people who answered
                await console.get_by_test_id("host-btn-open").click()
                for phone, picks in zip(phones, ([0, 1], [0], [0, 2]), strict=True):
                    for choice in picks:
                        await phone.get_by_test_id(f"choice-{choice}").click()
                    await phone.get_by_test_id("answer-submit").click()
                    await expect(phone.get_by_test_id("answer-ack")).to_be_visible()
                await console.get_by_test_id("host-btn-reveal").click()
                bar = screen.get_by_test_id("display-bar-0")
                await expect(bar.locator(".d-col-share")).to_have_text("100%")
                await expect(screen.get_by_test_id("display-bar-1").locator(".d-col-share")).to_have_text(
                    "33%"
                )
                await expect(elder.get_by_test_id("choice-0").locator(".choice-share")).to_have_text("100%")

                # the end: a podium on the big screen, a summary on each phone
                console.once("dialog", lambda dialog: dialog.accept())
                await console.get_by_test_id("host-btn-end").click()
                await console.get_by_test_id("confirm-ok").click()
                podium = screen.get_by_test_id("display-podium")
                await expect(podium).to_be_visible()
                await expect(podium.get_by_test_id("display-podium-place")).to_have_count(3)
                await screen.screenshot(path=shots / "display-podium.png")
                await axe_scan(screen, "display end")
                summary = elder.get_by_test_id("summary")
                await expect(summary).to_be_visible()
                await expect(elder.get_by_test_id("summary-correct")).to_have_text("2")
                await expect(elder.get_by_test_id("summary-streak")).to_have_text("2")
                await expect(elder.get_by_test_id("summary-rank")).to_contain_text("第 1 名")
                await elder.screenshot(path=shots / "contestant-summary.png")
                await axe_scan(elder, "phone end, elder mode")
                await axe_scan(offline, "phone end")
                await axe_scan(console, "host console end")

                # the projector is reloaded after the end: the final results, not a missing page
                response = await screen.reload()
                assert response.status == 200
                await expect(screen.get_by_test_id("display-podium")).to_be_visible()
                await expect(screen.get_by_test_id("display-leaderboard-row")).to_have_count(3)
                await axe_scan(screen, "display reloaded after the end")
            finally:
                await browser.close()


# --- typed answers: a phone types a short answer and a number; the console and the screen show the key and
# the most common answers at the reveal -----------------------------------------------------------------


@sync_to_async
def make_typed_round():
    host = UserFactory(username="li.host")
    role = HostRoleFactory(user=host)
    questions = [
        QuestionFactory(
            kind="short",
            stem="我国首次火星探测任务“天问一号”中，在火星表面开展巡视探测的火星车叫什么名字？",
            choices=[],
            correct=[],
            accepted_answers=["祝融号", "祝融"],
            explanation="天问一号的火星车名为“祝融号”，2021年5月着陆火星乌托邦平原南部。",
            time_limit=60,
        ),
        QuestionFactory(
            kind="numerical",
            stem="我国第一颗人造地球卫星“东方红一号”是哪一年发射成功的？",
            choices=[],
            correct=[],
            numeric_value=1970,
            unit="年",
            explanation="1970年4月24日，东方红一号发射成功；4月24日因此被定为“中国航天日”。",
            time_limit=60,
        ),
    ]
    return round_create(competition=role.competition, title="填空题 体验轮", questions=questions), host


async def test_a_phone_types_a_short_answer_and_a_number_in_a_live_round(shots):
    round_, _ = await make_typed_round()

    with daphne_servers(1) as (port,):
        base = f"http://127.0.0.1:{port}"
        async with async_playwright() as pw:
            browser = await launch_chromium(pw)
            try:
                host_ctx = await browser.new_context(
                    viewport={"width": 1366, "height": 900}, locale="zh-CN", bypass_csp=True
                )
                console = await host_ctx.new_page()
                await log_in(console, base, f"/host/rounds/{round_.id}/", "li.host")
                display_ctx = await browser.new_context(
                    viewport={"width": 1920, "height": 1080}, locale="zh-CN", bypass_csp=True
                )
                screen = await display_ctx.new_page()
                await screen.goto(f"{base}/display/{round_.pin}/")
                phones = []
                for name in ("小红", "老周"):
                    ctx = await browser.new_context(**PHONE, bypass_csp=True)  # axe is injected below
                    phone = await ctx.new_page()
                    await phone.goto(f"{base}/play/?pin={round_.pin}")
                    await phone.get_by_test_id("join-nickname").fill(name)
                    await phone.get_by_test_id("join-submit").click()
                    await expect(phone.get_by_test_id("lobby-waiting")).to_be_visible()
                    phones.append(phone)
                red, zhou = phones

                # given the short-answer question open: a text box, no choices
                await console.get_by_test_id("host-btn-open").click()
                box = red.get_by_test_id("typed-input")
                await expect(box).to_be_visible()
                await expect(box).to_have_attribute("inputmode", "text")
                await expect(red.get_by_test_id("choices")).to_be_hidden()
                await expect(screen.get_by_test_id("display-stem")).to_contain_text("天问一号")
                await expect(screen.get_by_test_id("display-typed-key")).to_be_hidden()

                # when an empty box is sent, the phone asks for an answer and nothing is sent
                await red.get_by_test_id("typed-submit").click()
                await expect(red.get_by_test_id("play-message")).to_be_visible()
                # then one phone types a traditional spelling, full-width punctuation; the other a wrong one
                await box.fill("祝融號！")
                await box.press("Enter")
                await expect(red.get_by_test_id("answer-ack")).to_be_visible()
                await expect(box).to_be_disabled()
                await expect(box).to_have_value("祝融號！")
                await zhou.get_by_test_id("typed-input").fill("玉兔号")
                await zhou.get_by_test_id("typed-submit").click()
                await expect(zhou.get_by_test_id("answer-ack")).to_be_visible()
                await expect(console.get_by_test_id("host-answered")).to_contain_text(
                    re.compile(r"2\s*/\s*2")
                )
                await expect(console.get_by_test_id("host-typed-key")).to_contain_text("祝融号")
                await red.screenshot(path=shots / "contestant-typed-answer.png")

                # and at the reveal the phones, the screen and the console show the key and the common answers
                await console.get_by_test_id("host-btn-reveal").click()
                await expect(screen.get_by_test_id("display-typed-key")).to_contain_text("祝融号 / 祝融")
                rows = screen.get_by_test_id("display-typed-answer")
                await expect(rows).to_have_count(2)
                await expect(rows.first).to_have_attribute("data-correct", "true")
                await expect(rows.first).to_contain_text("祝融號！")
                await expect(red.get_by_test_id("result-verdict")).to_have_text("回答正确！")
                await expect(zhou.get_by_test_id("result")).to_have_attribute("data-verdict", "incorrect")
                await expect(red.get_by_test_id("typed-key")).to_contain_text("祝融号")
                await expect(console.get_by_test_id("host-typed-answer")).to_have_count(2)
                await screen.screenshot(path=shots / "display-typed-reveal.png")
                await red.screenshot(path=shots / "contestant-typed-result.png")

                # the numerical question: a decimal keypad with the unit; full-width digits count
                await console.get_by_test_id("host-btn-open").click()
                number = zhou.get_by_test_id("typed-input")
                await expect(number).to_have_attribute("inputmode", "decimal")
                await expect(number).to_have_value("")
                await expect(zhou.get_by_test_id("typed-unit")).to_have_text("年")
                await expect(screen.get_by_test_id("display-typed-unit")).to_contain_text("年")
                await number.fill("１９７０")
                await zhou.get_by_test_id("typed-submit").click()
                await expect(zhou.get_by_test_id("answer-ack")).to_be_visible()
                await red.get_by_test_id("typed-input").fill("1971")
                await red.get_by_test_id("typed-submit").click()
                await expect(red.get_by_test_id("answer-ack")).to_be_visible()
                await zhou.screenshot(path=shots / "contestant-numerical-answer.png")
                await console.get_by_test_id("host-btn-reveal").click()
                await expect(screen.get_by_test_id("display-typed-key")).to_contain_text("1970 年")
                await expect(zhou.get_by_test_id("result")).to_have_attribute("data-verdict", "correct")
                await expect(red.get_by_test_id("result")).to_have_attribute("data-verdict", "incorrect")
                await expect(console.get_by_test_id("host-typed-answer").first).to_contain_text("1970")
                await console.screenshot(path=shots / "host-typed-reveal.png")
                await axe_scan(red, "phone after a typed reveal")
                await axe_scan(screen, "display after a typed reveal")
                await axe_scan(console, "host console after a typed reveal")
            finally:
                await browser.close()
