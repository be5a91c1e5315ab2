"""Nicknames, team and competition names and question text are shown as text on every server-rendered
page and in the result sheet; the page scripts never turn data into markup.

The browser half (the pages that render data from the socket) is test_escaping_browser.py.
"""

from __future__ import annotations

import base64
import re
import zlib
from html import escape
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

import pytest
from django.test import Client
from django.urls import reverse
from reversion.models import Version

from competition.matches import bracket_create, match_start
from competition.models import Division, Match, Stage, Team
from competition.report.svgcharts import chart_svg
from questionbank import services as bank
from quiz.services.contestants import contestant_join
from tests.factories import (
    CompetitionFactory,
    DivisionFactory,
    QuestionFactory,
    RegistrationFactory,
    TeamFactory,
    UserFactory,
)
from tests.servers import ROOT

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
QUOTES = "\"'&"
NICKNAME = "<svg onload=alert()>"  # markup that runs, in the 20 characters a nickname may have
# What a page would contain if any of the texts above reached it as markup.
RAW_MARKUP = re.compile(r"<script>alert|<img src=x|<svg onload", re.IGNORECASE)

COMPETITION = f"京津冀 {SCRIPT}"
STAGE = f"区赛 {IMG}"
BRACKET = f"{QUOTES}北京"
TEAMS = [f"天津队{SCRIPT}", f"河北队{IMG}{QUOTES}"]  # the two teams of the match played here
MEMBERS = [[NICKNAME, 'O\'Brien & "Li"'], [IMG, "张三"]]  # and their members
STEM = f"{IMG}{QUOTES}哪个对？{SCRIPT}"  # 60 characters: the admin list shows it whole
CHOICES = [SCRIPT, IMG, QUOTES, "都不对"]
EXPLANATION = f"{IMG} 因为 {QUOTES} {SCRIPT}"


def assert_shown_as_text(page: str, *texts: str) -> None:
    """Each text is on the page escaped (as Django's templates or an XML writer escape it), and no
    markup from any of them is."""
    found = RAW_MARKUP.search(page)
    assert found is None, f"raw markup on the page: {page[max(found.start() - 80, 0) : found.end() + 80]!r}"
    for text in texts:
        assert escape(text) in page or xml_escape(text) in page, f"{text!r} is not shown escaped"


def hostile_match(slug: str = "jjj-xss") -> dict:
    """A competition whose every name holds markup: a knockout stage of four teams and its first match
    started as a live round of one question from the bank; two members of each playing team."""
    competition = CompetitionFactory(name=COMPETITION, slug=slug)
    division = DivisionFactory(competition=competition)
    stage = Stage.objects.create(competition=competition, name=STAGE, format="single_elimination")
    teams = [TeamFactory(competition=competition, division=division) for _ in range(4)]
    bracket = bracket_create(stage=stage, name=BRACKET, teams=teams)
    match = Match.objects.get(bracket=bracket, code="W1-1")
    codes = []
    for team_id, name, members in zip(match.teams, TEAMS, MEMBERS, strict=True):
        Team.objects.filter(pk=team_id).update(name=name)
        for m, member in enumerate(members):
            RegistrationFactory(competition=competition, team_id=team_id, name=member, code=f"X{team_id}M{m}")
        codes.append(f"X{team_id}M0")
    question = QuestionFactory(stem=STEM, choices=CHOICES, correct=[2], explanation=EXPLANATION)
    bank.question_save(question)
    round_ = match_start(match=match, questions=[question])
    return {
        "competition": competition,
        "stage": stage,
        "match": match,
        "round": round_,
        "question": question,
        "codes": codes,  # the first member of each playing team: NICKNAME and IMG
    }


@pytest.fixture
def hostile(db):
    """The hostile match with a contestant of each team joined, and a logged-in superuser."""
    made = hostile_match()
    for code in made["codes"]:
        contestant_join(pin=made["round"].pin, code=code)
    client = Client()
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return {**made, "client": client}


def get(client: Client, url: str, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, url
    return response.content.decode()


def test_the_host_pages_and_the_display_show_round_and_competition_names_as_text(hostile):
    client, round_ = hostile["client"], hostile["round"]
    for url in (reverse("host-rounds"), reverse("host-console", args=[round_.id])):
        assert_shown_as_text(get(client, url), round_.title, COMPETITION)
    assert_shown_as_text(get(Client(), reverse("display", args=[round_.pin])), round_.title)
    assert TEAMS[0] in round_.title and STAGE in round_.title  # the match round is named after them


def test_the_stage_pages_and_the_bracket_svg_show_names_as_text(hostile):
    client, competition, stage = hostile["client"], hostile["competition"], hostile["stage"]
    args = [competition.slug, stage.pk]

    shortened = [name[:10] for name in TEAMS]  # the drawing shortens long names
    page = get(client, reverse("competition-stage", args=args))
    assert_shown_as_text(page, COMPETITION, STAGE, BRACKET, *TEAMS, *MEMBERS[0], *MEMBERS[1])
    svg = page[page.index('<svg xmlns="http://www.w3.org/2000/svg" class="bracket-svg"') :]
    svg = svg[: svg.index("</svg>")]
    assert_shown_as_text(svg, *shortened)

    projector = get(Client(), reverse("competition-stage-display", args=args))
    assert_shown_as_text(projector, COMPETITION, STAGE, BRACKET, *shortened)
    fragment = get(Client(), reverse("competition-stage-display-fragment", args=args))
    assert_shown_as_text(fragment, BRACKET, *shortened)


def test_the_leaderboard_pages_and_the_projector_show_names_as_text(hostile):
    client, competition, stage = hostile["client"], hostile["competition"], hostile["stage"]
    division = f"河北 {SCRIPT}"
    Division.objects.filter(competition=competition).update(name=division)
    players = [members[0] for members in MEMBERS]  # the two who joined the match's round
    args = [competition.slug]
    for scope in ({}, {"stage": stage.pk}):
        page = get(client, reverse("competition-standings", args=args), **scope)
        assert_shown_as_text(page, COMPETITION, STAGE, *TEAMS, *players, division)
        searched = get(client, reverse("competition-standings", args=args), q=SCRIPT, **scope)
        assert_shown_as_text(searched, SCRIPT, TEAMS[0], division)  # the search box echoes the query
        projector = get(Client(), reverse("competition-standings-display", args=args), **scope)
        assert_shown_as_text(projector, COMPETITION, *TEAMS, *players, division)
        fragment = get(Client(), reverse("competition-standings-display-fragment", args=args), **scope)
        assert_shown_as_text(fragment, *TEAMS, *players, division)
    assert_shown_as_text(projector, STAGE)


def test_the_join_code_cards_show_contestant_and_team_names_as_text(hostile):
    page = get(hostile["client"], reverse("competition-codes", args=[hostile["competition"].slug]))
    assert_shown_as_text(page, COMPETITION, *TEAMS, *(name for names in MEMBERS for name in names))


def test_the_admin_list_form_history_and_phone_preview_show_question_text_as_text(hostile):
    client, question = hostile["client"], hostile["question"]
    changelist = reverse("admin:questionbank_question_changelist")
    assert_shown_as_text(get(client, changelist), STEM)
    change = reverse("admin:questionbank_question_change", args=[question.pk])
    assert_shown_as_text(get(client, change), STEM, *CHOICES, EXPLANATION)

    preview = reverse("admin:questionbank_question_preview", args=[question.pk])
    get(client, preview)
    assert_shown_as_text(get(client, preview, frame="ask"), STEM, *CHOICES)
    assert_shown_as_text(get(client, preview, frame="reveal"), STEM, *CHOICES, EXPLANATION)

    # a second revision with other markup: the compare page shows both as text
    question.stem = f"{SCRIPT}{QUOTES}"
    bank.question_save(question)
    new, old = Version.objects.get_for_object(question)[:2]
    compare = reverse("admin:questionbank_question_compare", args=[question.pk])
    page = get(client, compare, version_id1=old.pk, version_id2=new.pk)
    assert_shown_as_text(page)
    assert escape(SCRIPT) in page


def test_the_result_sheet_pdf_prints_names_and_question_text_literally(hostile):
    client, match = hostile["client"], hostile["match"]
    response = client.get(reverse("competition-match-pdf", args=[hostile["competition"].slug, match.pk]))
    assert response.status_code == 200

    # The PDF's paragraphs read a markup of their own: unescaped, <img ...> would fail the export and
    # <script>...</script> would lose its tags. The text drawn on the page is the names, literally.
    text = pdf_text(response.content)
    for shown in (COMPETITION, STAGE, BRACKET, *TEAMS, NICKNAME, IMG[:20], STEM):  # IMG: a nickname's 20
        assert without_spaces(shown) in text, shown


# --- the page scripts ------------------------------------------------------------------------------

SCRIPTS = sorted((ROOT / "frontend" / "static" / "frontend").glob("*.js"))
TEMPLATES = sorted(
    path for app in ("frontend", "competition", "questionbank") for path in (ROOT / app).rglob("*.html")
)
# Ways to turn a string into markup or code. Text goes in with textContent or DOM building (ui.js: el).
HTML_SINKS = re.compile(
    r"\.\s*(?:innerHTML|outerHTML)\b|\binsertAdjacentHTML\b|\bdocument\s*\.\s*write(?:ln)?\b"
    r"|\beval\s*\(|\bnew\s+Function\s*\(|\bcreateContextualFragment\b|\bsetHTMLUnsafe\b"
)
# One exception, on purpose: the projector pages swap in the fragment the server renders and escapes
# (test_the_stage_pages_and_the_bracket_svg_show_names_as_text; the browser test runs the swap).
SERVER_FRAGMENT_SWAP = "box.innerHTML = html;"
# `|safe` only on drawings the server builds and escapes itself (competition/svg.py, the report's
# competition/report/svgcharts.py, segno's QR codes).
SAFE_FILTERS = {"{{ item.svg|safe }}", "{{ s.svg|safe }}", "{{ card.qr_svg|safe }}", "{{ qr_svg|safe }}"}


def code_of(source: str) -> str:
    """The source without comments (strings kept, so a "//" in a URL is not taken for one)."""
    token = re.compile(
        r"""("(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`)|//[^\n]*|/\*.*?\*/""", re.S
    )
    return token.sub(lambda m: m.group(1) or "", source)


def inline_scripts(template: str) -> list[str]:
    return re.findall(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", template, re.S)


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_the_page_scripts_never_parse_data_as_html(script: Path):
    found = HTML_SINKS.findall(code_of(script.read_text()))
    assert not found, f"{script.name} uses {found}: put text in with textContent or el()"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_inline_scripts_in_templates_never_parse_data_as_html(template: Path):
    for script in inline_scripts(template.read_text()):
        found = HTML_SINKS.findall(code_of(script).replace(SERVER_FRAGMENT_SWAP, ""))
        assert not found, f"{template.name} uses {found}"


def test_templates_mark_only_server_built_drawings_safe():
    used = {
        (template.relative_to(ROOT), tag)
        for template in TEMPLATES
        for tag in re.findall(r"\{\{[^}]*\|\s*safe\b[^}]*\}\}", template.read_text())
    }
    assert {tag for _, tag in used} <= SAFE_FILTERS, used
    assert not [t for t in TEMPLATES if "{% autoescape off" in t.read_text()]


@pytest.mark.parametrize(
    "source",
    [
        "node.innerHTML = name;",
        "node . outerHTML=x",
        'list.insertAdjacentHTML("beforeend", row)',
        "document.write(x)",
        "eval(frame)",
        "const f = new Function(body)",
    ],
)
def test_the_sink_scan_finds_each_sink(source):
    assert HTML_SINKS.search(code_of(source))


def test_the_sink_scan_ignores_comments_but_not_code_after_a_url():
    assert not HTML_SINKS.search(code_of("// never innerHTML\n/* nor .innerHTML */ x = 1;"))
    assert HTML_SINKS.search(code_of('const url = "ws://host/"; node.innerHTML = url;'))


# --- reading a PDF's text --------------------------------------------------------------------------


def without_spaces(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdf_text(pdf: bytes) -> str:
    """The text a reportlab PDF draws, in order, without white space (lines wrap anywhere).

    Enough of PDF for reportlab's output: streams in ASCII85 + Flate, strings shown with ``Tj`` in
    either a one-byte font or a two-byte Unicode CID font (``UniGB-UCS2-H``, the CJK fallback).
    """
    two_byte = set(re.findall(rb"/Encoding /Uni\w+-UCS2-H /Name /(F\d+)", pdf))
    shown = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        data = stream.strip()
        if data.endswith(b"~>"):
            data = base64.a85decode(data, adobe=True)
        try:
            content = zlib.decompress(data)
        except zlib.error:
            continue  # not a content stream (a font, an image)
        font = b""
        operands = re.compile(rb"/(F\d+)\s+[\d.]+\s+Tf|\(((?:\\.|[^\\)])*)\)\s*Tj", re.S)
        for selected, string in operands.findall(content):
            if selected:
                font = selected
                continue
            raw = _pdf_string(string)
            shown.append(raw.decode("utf-16-be" if font in two_byte else "latin-1"))
    return without_spaces("".join(shown))


def _pdf_string(literal: bytes) -> bytes:
    escapes = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}

    def unescape(m: re.Match) -> bytes:
        code = m.group(1)
        if code[:1].isdigit():
            return bytes([int(code, 8) & 0xFF])
        return escapes.get(code, code)

    return re.sub(rb"\\([0-7]{1,3}|.)", unescape, literal, flags=re.S)


@pytest.mark.parametrize("kind", ["bar", "funnel", "weeks", "heatmap"])
def test_the_report_charts_drawn_for_the_pdf_show_labels_and_titles_as_text(kind):
    label = '<img src=x onerror="alert(1)">东城区'
    data = {
        "labels": [label],
        "values": [3] if kind != "heatmap" else [(0, 0, 50.0)],
        "series": [{"name": label, "values": [3]}],
        "rows": [label],
        "columns": [label],
    }
    svg = chart_svg(kind, f"<b>{label}</b>", data)
    assert "<img" not in svg and "<b>" not in svg
    assert xml_escape(label) in svg
