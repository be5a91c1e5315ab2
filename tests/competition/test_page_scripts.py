"""The competition pages run no inline code: scripts come from static files (the Content-Security-Policy
allows scripts from our own origin only), and data reaches them through attributes."""

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from competition.models import Stage
from tests.factories import CompetitionFactory, HostRoleFactory, RegistrationFactory, TeamFactory

TEMPLATES = Path(__file__).resolve().parents[2] / "competition" / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: p.name)
def test_no_competition_template_has_an_inline_script_or_event_handler(template):
    text = template.read_text(encoding="utf-8")
    assert not INLINE_SCRIPT.search(text), "a <script> without src"
    assert not EVENT_HANDLER.search(text), "an on...= attribute"


@pytest.mark.django_db
def test_the_projector_pages_load_the_refresh_script_and_pass_its_data_as_attributes():
    competition = CompetitionFactory(slug="jjj")
    stage = Stage.objects.create(competition=competition, name="初赛")
    for url in (
        reverse("competition-stage-display", args=["jjj", stage.pk]),
        reverse("competition-standings-display", args=["jjj"]),
    ):
        html = Client().get(url).content.decode()
        assert re.search(r'<script src="[^"]*competition/refresh[^"]*\.js" defer></script>', html)
        assert "data-fragment=" in html and not INLINE_SCRIPT.search(html)


@pytest.mark.django_db
def test_the_join_code_sheet_prints_from_a_button_wired_by_a_static_script():
    competition = CompetitionFactory(slug="jjj")
    RegistrationFactory(competition=competition, team=TeamFactory(competition=competition))
    client = Client()
    client.force_login(HostRoleFactory(competition=competition).user)
    html = client.get(reverse("competition-codes", args=["jjj"])).content.decode()
    assert 'data-print data-testid="print-codes"' in html
    assert re.search(r'<script src="[^"]*competition/print[^"]*\.js" defer></script>', html)
    assert not EVENT_HANDLER.search(html.split("<main", 1)[-1])
