"""HTTP pages: who may open them; and the deploy checks."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from quiz.services.rounds import round_create
from tests.factories import HostRoleFactory, QuestionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_round():
    role = HostRoleFactory()
    return round_create(competition=role.competition, title="Pages", questions=[QuestionFactory()]), role.user


def test_the_host_console_needs_a_login(client, demo_round):
    round_, _ = demo_round
    response = client.get(reverse("host-console", args=[round_.id]))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_the_host_console_refuses_a_user_without_host_rights(client, demo_round):
    round_, _ = demo_round
    client.force_login(UserFactory())
    assert client.get(reverse("host-console", args=[round_.id])).status_code == 403


def test_a_host_sees_the_console_with_the_join_and_display_links(client, demo_round):
    round_, user = demo_round
    client.force_login(user)
    response = client.get(reverse("host-console", args=[round_.id]))
    assert response.status_code == 200
    assert f"/play/?pin={round_.pin}" in response.content.decode()
    assert f"/display/{round_.pin}/" in response.content.decode()


def test_the_host_sees_only_rounds_of_competitions_they_host(client, demo_round):
    round_, user = demo_round
    other_role = HostRoleFactory()
    other = round_create(
        competition=other_role.competition, title="Someone else's", questions=[QuestionFactory()]
    )
    client.force_login(user)
    page = client.get(reverse("host-rounds")).content.decode()
    assert round_.title in page and other.title not in page


def test_the_display_shows_a_qr_code_for_joining(client, demo_round):
    round_, _ = demo_round
    page = client.get(reverse("display", args=[round_.pin])).content.decode()
    assert "<svg" in page and round_.pin in page


def test_the_display_of_an_unknown_pin_is_not_found(client):
    assert client.get(reverse("display", args=["000000"])).status_code == 404


def test_the_contestant_page_prefills_a_valid_pin_only(client):
    assert 'value="123456"' in client.get("/play/?pin=123456").content.decode()
    assert "<script>" not in client.get("/play/?pin=<script>").content.decode()


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_deploy_checks_warn_about_sqlite_the_in_process_layer_and_debug(settings):
    from django.core.checks.security.base import check_debug

    from config.checks import check_production_services

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.DATABASES = {
        **settings.DATABASES,
        "default": {**settings.DATABASES["default"], "ENGINE": "django.db.backends.sqlite3"},
    }
    settings.DEBUG = True
    ids = {w.id for w in check_production_services(None)} | {w.id for w in check_debug(None)}
    assert ids == {"quiz.W001", "quiz.W002", "security.W018"}


@pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")
def test_deploy_checks_are_quiet_on_postgresql_and_redis(settings):
    from config.checks import check_production_services

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer"}}
    settings.DATABASES = {
        **settings.DATABASES,
        "default": {**settings.DATABASES["default"], "ENGINE": "django.db.backends.postgresql"},
    }
    assert check_production_services(None) == []


def test_the_demo_setup_is_idempotent():
    from competition.models import Competition, Team
    from questionbank.models import Question
    from quiz.models import Round

    call_command("demo_setup", stdout=io.StringIO())
    counts = (
        Competition.objects.count(),
        Team.objects.count(),
        Question.objects.count(),
        Round.objects.count(),
    )
    call_command("demo_setup", stdout=io.StringIO())
    assert (
        Competition.objects.count(),
        Team.objects.count(),
        Question.objects.count(),
        Round.objects.count(),
    ) == counts
    assert Question.objects.filter(language="zh-hans").count() >= 30
    assert set(Team.objects.values_list("division__code", flat=True)) == {"beijing", "tianjin", "hebei"}


def test_the_contestant_page_prefills_a_code_from_a_printed_card(client):
    page = client.get("/play/?code=b7kq2m").content.decode()
    assert 'value="B7KQ2M"' in page
    assert "<script>" not in client.get("/play/?code=<script>").content.decode()


@pytest.mark.parametrize("username", ["editor", "reviewer"])
def test_the_demo_gives_editor_and_reviewer_accounts_that_can_use_the_question_list(client, username):
    call_command("demo_setup", "--no-urls", stdout=io.StringIO())
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=username)
    assert user.check_password("jingjinji-2026")
    client.force_login(user)
    assert client.get("/admin/questionbank/question/", HTTP_HOST="localhost").status_code == 200


def test_make_run_prints_the_urls_and_says_it_is_ready_only_once_the_server_listens():
    import socket
    import threading

    call_command("demo_setup", "--no-urls", stdout=io.StringIO())
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    out = io.StringIO()
    # nothing listens yet: the command waits, then gives up without printing a URL
    with pytest.raises(CommandError):
        call_command("demo_urls", "--port", str(port), "--timeout", "0.5", stdout=out)
    assert out.getvalue() == ""
    # once the port listens, it prints the URLs, the standings and the logins, then says it is ready
    threading.Timer(0.3, listener.listen).start()
    call_command("demo_urls", "--port", str(port), "--timeout", "10", stdout=out)
    listener.close()
    text = out.getvalue()
    assert f"http://127.0.0.1:{port}/competitions/jjj-2026/standings/" in text
    assert "editor" in text and "reviewer" in text
    assert text.strip().splitlines()[-1].startswith("Ready: serving on")
