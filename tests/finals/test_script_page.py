"""The script page: the host edits a final's segments, order and rules before the start (frontend.views,
quiz.finals.forms); every refusal is shown on the page and changes nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from quiz.engine.finals import codec, stage
from quiz.finals.models import Final
from quiz.finals.setup import final_create
from quiz.models import RoundLog
from tests.factories import HostRoleFactory, UserFactory

pytestmark = pytest.mark.django_db

SCRIPT = {
    "segments": [
        {"kind": "compulsory", "rules": {"right": 10}},
        {"kind": "buzzer", "rules": {"questions": 3}},
        {"kind": "judged"},
    ]
}


@pytest.fixture
def final():
    role = HostRoleFactory()
    made = final_create(
        competition=role.competition,
        title="区决赛",
        teams=[{"name": f"队{i}"} for i in range(4)],
        judges=[{"name": "评委"}],
        script=SCRIPT,
    )
    return made, role.user


def page_data(client, url) -> dict[str, str]:
    """What the page's form would post as it is: every field's current value."""
    form = client.get(url).context["form"]
    data = {}
    for name, bound in ((n, form[n]) for n in form.fields):
        value = bound.value()
        if isinstance(value, bool) or value is None:
            if value:
                data[name] = "on"
            continue
        data[name] = str(value)
    return data


def stored(final_id: int) -> dict:
    return Final.objects.get(pk=final_id).script


def test_the_page_needs_a_login_and_host_rights(client, final):
    made, host = final
    url = reverse("final-script", args=[made.id])
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(UserFactory())
    assert client.get(url).status_code == 403
    client.force_login(host)
    assert client.get(url).status_code == 200
    assert client.get(reverse("final-script", args=[made.id + 999])).status_code == 404


def test_the_page_shows_every_segment_with_its_rules_and_an_empty_row_to_add_one(client, final):
    made, host = final
    client.force_login(host)
    response = client.get(reverse("final-script", args=[made.id]))
    html = response.content.decode()
    assert html.count('data-testid="script-segment-form"') == 4  # three segments and the new row
    form = response.context["form"]
    assert form["s1-r-questions"].value() == 3 and form["s1-kind"].value() == "buzzer"
    assert form["s0-r-right_by_kind"].value() == ""


def test_saving_reorders_changes_values_adds_and_removes_segments_as_one_new_rule_version(client, final):
    # given the page as it is
    made, host = final
    client.force_login(host)
    url = reverse("final-script", args=[made.id])
    data = page_data(client, url)
    # when the host moves the buzzer first, gives it 4 questions and +20, scores 必答 by question type,
    # removes 科普讲解 and adds a wager segment
    data.update({"s0-position": "2", "s1-position": "1", "s1-r-questions": "4", "s1-r-right": "20"})
    data["s0-r-right_by_kind"] = "truefalse=10, single=20"
    data["s2-remove"] = "on"
    data.update({"s3-kind": "wager", "s3-title": "风险题", "s3-position": "9"})
    response = client.post(url, data)
    # then
    assert response.status_code == 302 and response["Location"].endswith("?saved=1")
    script = stored(made.id)
    assert [s["kind"] for s in script["segments"]] == ["buzzer", "compulsory", "wager"]
    assert script["segments"][0]["rules"]["questions"] == 4 and script["segments"][0]["rules"]["right"] == 20
    assert script["segments"][1]["rules"]["right_by_kind"] == {"single": 20, "truefalse": 10}
    assert script["segments"][2]["rules"]["tiers"] == [10, 20, 30]  # a new segment has its defaults
    assert script["rule_version"] == 2
    assert RoundLog.objects.filter(round_id=made.round_id, action="script").count() == 1
    page = client.get(response["Location"])
    assert 'data-testid="script-saved"' in page.content.decode()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"s1-r-questions": "0"}, "questions must be between 1 and 100, got 0."),
        ({"s1-r-window_ms": "500", "s1-r-window_max_ms": "200"}, "window_max_ms must be between 500"),
        ({"s0-r-answer_seconds": "5"}, "answer_seconds must be between 10 and 60"),
        ({"s0-r-right_by_kind": "essay=10"}, "right_by_kind must be one of"),
        ({"s2-r-low": "10", "s2-r-high": "5"}, "low must be below high."),
    ],
)
def test_a_rule_out_of_range_is_shown_on_its_segment_and_saves_nothing(client, final, changes, message):
    made, host = final
    client.force_login(host)
    url = reverse("final-script", args=[made.id])
    before = stored(made.id)
    data = {**page_data(client, url), **changes}
    response = client.post(url, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'data-testid="segment-errors"' in response.content.decode()
    assert stored(made.id) == before


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"s1-r-questions": "ten"}, "s1-r-questions", "invalid"),
        ({"s0-r-right_by_kind": "single:20"}, "s0-r-right_by_kind", "invalid_pairs"),
        ({"s0-kind": "karaoke"}, "s0-kind", "invalid_choice"),
        ({"base_score": "-5"}, "base_score", "min_value"),
    ],
)
def test_a_value_that_does_not_parse_is_shown_on_its_field(client, final, changes, field, code):
    made, host = final
    client.force_login(host)
    url = reverse("final-script", args=[made.id])
    before = stored(made.id)
    response = client.post(url, {**page_data(client, url), **changes})
    assert response.status_code == 400
    form = response.context["form"]
    assert [e.code for e in form.errors.as_data()[field]] == [code]
    assert str(form.errors[field][0]) in response.content.decode()
    assert stored(made.id) == before


def test_a_forged_row_count_is_refused_without_an_error_page(client, final):
    made, host = final
    client.force_login(host)
    url = reverse("final-script", args=[made.id])
    before = stored(made.id)
    for count in ("many", "0", "99"):
        response = client.post(url, {**page_data(client, url), "count": count})
        assert response.status_code == 400
    assert stored(made.id) == before


def test_removing_every_segment_is_refused(client, final):
    made, host = final
    client.force_login(host)
    url = reverse("final-script", args=[made.id])
    data = {**page_data(client, url), "s0-remove": "on", "s1-remove": "on", "s2-remove": "on"}
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "A script needs at least one segment." in response.content.decode()
    zh = client.post(url, data, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "至少" in zh.content.decode()  # zh-Hans first


def test_changing_a_kind_gives_the_segment_that_kinds_defaults(client, final):
    made, host = final
    client.force_login(host)
    url = reverse("final-script", args=[made.id])
    data = {**page_data(client, url), "s2-kind": "wager"}  # the 科普讲解 fields were shown
    assert client.post(url, data).status_code == 302
    wager = stored(made.id)["segments"][2]
    assert wager["kind"] == "wager" and wager["rules"]["tiers"] == [10, 20, 30]


def test_an_edit_made_meanwhile_is_not_overwritten(client, final):
    made, host = final
    client.force_login(host)
    url = reverse("final-script", args=[made.id])
    data = {**page_data(client, url), "s1-r-questions": "7"}
    client.post(url, {**page_data(client, url), "s1-r-questions": "5"})  # another tab saves first
    response = client.post(url, data)
    assert response.status_code == 409
    assert 'data-testid="script-refusal"' in response.content.decode()
    assert stored(made.id)["segments"][1]["rules"]["questions"] == 5
    assert response.context["form"]["s1-r-questions"].value() == 5  # the page shows the script as it is now


def test_once_started_the_script_is_pinned_and_a_post_changes_nothing(client, final):
    made, host = final
    client.force_login(host)
    url = reverse("final-script", args=[made.id])
    data = page_data(client, url)
    from quiz.finals.commands import final_command
    from quiz.finals.protocol import FinalCommand

    final_command(user=host, final_id=made.id, command=FinalCommand(action="start"))
    before = stored(made.id)
    page = client.get(url)
    assert 'data-testid="script-pinned"' in page.content.decode()
    assert 'data-testid="script-form"' not in page.content.decode()
    response = client.post(url, {**data, "s1-r-questions": "9"})
    assert response.status_code == 409
    assert stored(made.id) == before and before["pinned"] is True
    state = codec.state_from_data(Final.objects.get(pk=made.id).state)
    assert isinstance(state, stage.StageState) and state.started
