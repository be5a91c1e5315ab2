"""The policy in a real browser: chromium reports no violation on the live pages, and their sockets work.

A violation means a page needs something the policy refuses (an inline script, a handler, a socket to
another origin); the browser then silently skips it, so only the browser can tell.
"""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from playwright.async_api import async_playwright

from quiz.services.rounds import round_create
from tests.browser import launch_chromium, log_in
from tests.factories import HostRoleFactory, QuestionFactory, UserFactory
from tests.servers import daphne_servers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before any page script: collects what the browser refused under the policy.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


@sync_to_async
def make_round():
    host = UserFactory(username="csp.host")
    role = HostRoleFactory(user=host)
    questions = [QuestionFactory(stem="水的沸点是多少摄氏度？", choices=["100", "50"], correct=[0])]
    return round_create(competition=role.competition, title="CSP 检查", questions=questions), host


async def visit(context, url: str, *, live: bool, login_as: str | None = None, base: str = ""):
    """Open ``url``; returns the policy violations and how many socket frames the page received."""
    page = await context.new_page()
    await page.add_init_script(RECORD_VIOLATIONS)
    frames = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(payload)))
    if login_as:
        await log_in(page, base, url.removeprefix(base), login_as)
    else:
        await page.goto(url)
    await page.wait_for_load_state("networkidle")
    for _ in range(50 if live else 0):  # the live pages connect right after load
        if frames:
            break
        await asyncio.sleep(0.1)
    violations = await page.evaluate("window.__cspViolations")
    await page.close()
    return violations, len(frames)


async def test_chromium_reports_no_policy_violation_and_the_live_sockets_connect():
    round_, host = await make_round()
    with daphne_servers(1) as ports:
        base = f"http://127.0.0.1:{ports[0]}"
        async with async_playwright() as p:
            browser = await launch_chromium(p)
            context = await browser.new_context()
            try:
                found = {}
                for name, url, user, live in [
                    ("home", f"{base}/", None, False),
                    ("login", f"{base}/accounts/login/", None, False),
                    ("play", f"{base}/play/?pin={round_.pin}", None, False),
                    ("display", f"{base}/display/{round_.pin}/", None, True),
                    ("host console", f"{base}/host/rounds/{round_.id}/", host.username, True),
                ]:
                    violations, frames = await visit(context, url, live=live, login_as=user, base=base)
                    if violations:
                        found[name] = violations
                    if live:
                        assert frames > 0, f"the {name} page's socket received nothing"
                assert found == {}
            finally:
                await browser.close()
