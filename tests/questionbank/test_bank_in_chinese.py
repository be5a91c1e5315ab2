"""The question bank's admin as editors and reviewers read it in Chinese (the site's default language):
the sidebar, the workflow, its refusals and history, imports, item statistics, draw previews; the
benchmarks in code order."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.urls import reverse

from questionbank import services
from questionbank.models import Tag
from tests.factories import QuestionFactory, UserFactory

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
TAXONOMY = Path(services.__file__).parent / "fixtures" / "taxonomy.json"


def member(*groups: str):
    user = UserFactory(is_staff=True)
    user.groups.add(*Group.objects.filter(name__in=groups))
    return user


def reviewing_author(client):
    """A reviewer who wrote a question in review, logged in."""
    user = member("Question editors", "Question reviewers")
    question = services.question_save(
        QuestionFactory.build(author=user, status="review", source="教材"), user=user
    )
    client.force_login(user)
    return user, question


def test_the_sidebar_and_the_index_name_the_question_bank_in_chinese(client):
    client.force_login(member("Question editors"))
    page = client.get("/admin/").content.decode()
    assert "题库" in page and "Question bank" not in page
    for english in ("Model name", "Add link", "Change or view list link"):
        assert english not in page


def test_the_author_is_not_offered_the_approve_button_but_another_reviewer_is(client):
    # given a question in review written by a reviewer
    _author, question = reviewing_author(client)
    url = reverse("admin:questionbank_question_change", args=[question.pk])

    # then its author sees no approve button
    offered = [b["action"] for b in client.get(url).context["workflow_actions"]]
    assert "approve" not in offered and "return" in offered

    # and another reviewer does
    client.force_login(member("Question reviewers"))
    assert "approve" in [b["action"] for b in client.get(url).context["workflow_actions"]]


def test_an_author_approving_their_own_question_is_refused_in_chinese(client):
    _author, question = reviewing_author(client)
    response = client.post(
        reverse("admin:questionbank_question_workflow", args=[question.pk]), {"action": "approve"}
    )
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["须由作者以外的人审核通过"]


def test_the_workflow_history_headers_are_in_chinese(client):
    user, question = reviewing_author(client)
    services.question_transition(question=question, action="return", user=user, reason="答案需要核对")
    page = client.get(reverse("admin:questionbank_question_change", args=[question.pk])).content.decode()
    for chinese in ("原状态", "新状态", "操作人", "原因"):
        assert chinese in page
    for english in ("From status", "To status", "Actor", "Updated at", "Created at"):
        assert english not in page


@pytest.mark.parametrize(
    ("name", "chinese", "english"),
    [
        ("questionbank_question_statistics", "请选择一项大赛", "Choose a competition to see"),
        ("questionbank_question_draw", "预览抽题结果", "Preview the draw"),
    ],
)
def test_the_item_statistics_and_draw_preview_pages_are_in_chinese(client, name, chinese, english):
    client.force_login(member("Question reviewers"))
    page = client.get(reverse(f"admin:{name}")).content.decode()
    assert chinese in page and english not in page


def test_a_draw_preview_without_a_competition_says_so_in_chinese(client):
    client.force_login(member("Question reviewers"))
    page = client.post(
        reverse("admin:questionbank_question_draw"), {"spec": "{}", "seed": "1"}
    ).content.decode()
    assert "请选择大赛" in page


def test_the_import_preview_gives_its_summary_and_row_outcomes_in_chinese(client, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "question_imports": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path},
        },
    }
    client.force_login(member("Question editors"))
    with (DATA / "broken-rows.csv").open("rb") as upload:
        page = client.post(reverse("admin:questionbank_question_import"), {"file": upload, "format": "csv"})
    text = page.content.decode()
    assert "broken-rows.csv（本平台 CSV 模板）" in text
    assert ">无效<" in text and ">新增<" in text
    assert ">invalid<" not in text and ">new<" not in text


def test_the_benchmarks_are_listed_in_code_order():
    services.taxonomy_load(TAXONOMY)
    codes = list(Tag.objects.filter(kind=Tag.Kind.BENCHMARK).values_list("code", flat=True))
    assert len(codes) == 26 and codes == sorted(codes)
