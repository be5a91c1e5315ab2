"""The stage finals' pages: who may open them, and what a wrong link gets (frontend.views)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from quiz.finals.links import judge_token, team_token
from quiz.finals.models import FinalJudge, FinalTeam
from quiz.finals.setup import final_create
from tests.factories import HostRoleFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def final():
    role = HostRoleFactory()
    made = final_create(
        competition=role.competition,
        title="区决赛",
        teams=[{"name": f"队{i}"} for i in range(4)],
        judges=[{"name": "评委"}],
    )
    return made, role.user


def test_the_host_console_needs_a_login_and_host_rights(client, final):
    made, host = final
    url = reverse("final-host", args=[made.id])
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(UserFactory())
    assert client.get(url).status_code == 403
    client.force_login(host)
    page = client.get(url)
    assert page.status_code == 200 and b"frontend/final_host." in page.content


def test_captain_member_judge_and_screen_pages_open_with_their_links(client, final):
    made, _ = final
    team = FinalTeam.objects.filter(final=made).first()
    judge = FinalJudge.objects.get(final=made)
    captain = client.get(reverse("final-team", args=[team_token(team, "captain")]))
    assert captain.status_code == 200 and b'data-testid="buzz-button"' in captain.content
    member = client.get(reverse("final-team", args=[team_token(team, "member")]))
    assert member.status_code == 200 and b'data-testid="buzz-button"' not in member.content
    assert client.get(reverse("final-judge", args=[judge_token(judge)])).status_code == 200
    assert client.get(reverse("final-screen", args=[made.round.pin])).status_code == 200


@pytest.mark.parametrize("name", ["final-team", "final-judge"])
def test_a_forged_or_revoked_link_is_not_found(client, final, name):
    made, _ = final
    assert client.get(reverse(name, args=["forged"])).status_code == 404
    team = FinalTeam.objects.filter(final=made).first()
    link = (
        team_token(team, "captain")
        if name == "final-team"
        else judge_token(FinalJudge.objects.get(final=made))
    )
    FinalTeam.objects.filter(pk=team.pk).update(token_nonce="rotated")
    FinalJudge.objects.filter(final=made).update(token_nonce="rotated")
    assert client.get(reverse(name, args=[link])).status_code == 404


@pytest.mark.parametrize("pin", ["000000", "12ab56"])
def test_the_big_screen_of_an_unknown_pin_is_not_found(client, pin):
    assert client.get(reverse("final-screen", args=[pin])).status_code == 404
