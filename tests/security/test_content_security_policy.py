"""The Content-Security-Policy: scripts only from the site's own files, on every page.

The header alone is not enough: a page that still carried an inline script or an ``onclick=`` would be
broken under it (the browser refuses to run them), so the pages themselves are checked too.
"""

from __future__ import annotations

from html.parser import HTMLParser
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from competition.models import Competition, Stage
from questionbank.models import Question
from quiz.models import Round

# <script> types that hold data, not code: the browser never executes them, so CSP allows them.
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json", "text/template"}


class InlineCodeFinder(HTMLParser):
    """Collects what a strict script-src would refuse: inline scripts, on*= handlers, javascript: URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._inline_script: str | None = None
        self._script_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in {"href", "src", "action", "formaction"} and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "script":
            kind = (attributes.get("type") or "").strip().lower()
            if "src" not in attributes and kind not in DATA_SCRIPT_TYPES:
                self._inline_script = kind or "text/javascript"
                self._script_text = []

    def handle_data(self, data):
        if self._inline_script is not None:
            self._script_text.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._inline_script is not None:
            code = "".join(self._script_text).strip()
            if code:
                self.problems.append(f"inline <script> ({self._inline_script}): {code[:80]!r}")
            self._inline_script = None


def inline_code(html: str) -> list[str]:
    finder = InlineCodeFinder()
    finder.feed(html)
    finder.close()
    return finder.problems


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def test_the_finder_catches_inline_scripts_handlers_and_javascript_urls():
    assert inline_code('<script src="/static/a.js"></script>') == []
    assert inline_code('<script type="application/json" id="x">{"a": 1}</script>') == []
    assert len(inline_code("<script>alert(1)</script>")) == 1
    assert len(inline_code('<script type="module">go()</script>')) == 1
    assert len(inline_code('<button onclick="go()">x</button>')) == 1
    assert len(inline_code('<a href="javascript:go()">x</a>')) == 1


@pytest.fixture
def demo(db):
    """The demo competition, round, bracket stage and host account, as ``make run`` sets them up."""
    call_command("demo_setup", base_url="http://testserver", stdout=StringIO())
    call_command("demo_bracket", base_url="http://testserver", stdout=StringIO())
    competition = Competition.objects.get(slug="jjj-2026")
    return {
        "competition": competition,
        "round": Round.objects.filter(competition=competition).order_by("-id").first(),
        "stage": Stage.objects.filter(competition=competition).order_by("id").first(),
        "host": get_user_model().objects.get(username="host"),
    }


def main_pages(demo) -> dict[str, str]:
    slug = demo["competition"].slug
    stage = demo["stage"].pk
    return {
        "home": "/",
        "play": f"/play/?pin={demo['round'].pin}",
        "login": "/accounts/login/",
        "display": f"/display/{demo['round'].pin}/",
        "host rounds": "/host/",
        "host console": f"/host/rounds/{demo['round'].id}/",
        "stage": f"/competitions/{slug}/stages/{stage}/",
        "stage display": f"/competitions/{slug}/stages/{stage}/display/",
        "standings": f"/competitions/{slug}/standings/",
        "standings display": f"/competitions/{slug}/standings/display/",
        "join codes": f"/competitions/{slug}/codes/",
    }


def test_every_main_page_sends_a_policy_that_allows_only_the_sites_own_scripts(client, demo):
    client.force_login(demo["host"])
    for name, url in main_pages(demo).items():
        response = client.get(url)
        assert response.status_code == 200, name
        policy = directives(response["Content-Security-Policy"])
        assert policy["script-src"] == ["'self'"], name
        assert policy["object-src"] == ["'none'"], name
        assert "'self'" in policy["connect-src"], name  # the live sockets go to the same host


def test_no_main_page_carries_an_inline_script_or_an_event_handler_attribute(client, demo):
    client.force_login(demo["host"])
    found = {}
    for name, url in main_pages(demo).items():
        response = client.get(url)
        assert response.status_code == 200, name
        problems = inline_code(response.content.decode())
        if problems:
            found[name] = problems
    assert found == {}


def test_the_admin_pages_a_host_uses_run_under_the_same_policy(admin_client, db):
    call_command("demo_setup", base_url="http://testserver", stdout=StringIO())
    question = Question.objects.first()
    pages = {
        "index": "/admin/",
        "questions": "/admin/questionbank/question/",
        "question": f"/admin/questionbank/question/{question.pk}/change/",
        "question preview": f"/admin/questionbank/question/{question.pk}/preview/",
        "question statistics": "/admin/questionbank/question/statistics/",
        "question draw": "/admin/questionbank/question/draw/",
        "question import": "/admin/questionbank/question/import/",
        "revisions": f"/admin/questionbank/question/{question.pk}/history/",
        "rounds": "/admin/quiz/round/",
    }
    responses = {name: admin_client.get(url) for name, url in pages.items()}
    responses["login"] = Client().get("/admin/login/")
    found = {}
    for name, response in responses.items():
        assert response.status_code == 200, name
        assert directives(response["Content-Security-Policy"])["script-src"] == ["'self'"], name
        problems = inline_code(response.content.decode())
        if problems:
            found[name] = problems
    assert found == {}


def test_a_page_allows_sockets_to_its_own_host_by_name_for_browsers_that_read_self_as_http_only(
    client, demo, settings
):
    """Older Safari does not let 'self' cover ws:/wss:; the page's own host is named, and only it."""
    settings.ALLOWED_HOSTS = ["quiz.example.org"]
    response = client.get("/play/", HTTP_HOST="quiz.example.org")
    policy = directives(response["Content-Security-Policy"])
    assert policy["connect-src"] == ["'self'", "wss://quiz.example.org", "ws://quiz.example.org"]
