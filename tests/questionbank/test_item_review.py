"""Item-writing checks where editors see them: the question's change page, the change list and the import
preview (the rules themselves are tested in test_item_checks.py)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from questionbank.imports import import_preview
from tests.factories import QuestionFactory, UserFactory

pytestmark = pytest.mark.django_db
SOURCE = "《中国居民膳食指南（2022）》，人民卫生出版社，2022年"


@pytest.fixture
def editor(client):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name="Question editors"))
    client.force_login(user)
    return user


def test_the_change_page_lists_the_question_s_flags_and_the_explanations_that_give_it_away(client, editor):
    salt = QuestionFactory(
        key="salt",
        stem="成年人每天食盐摄入量建议不超过多少克？",
        choices=["3克", "5克", "8克", "10克"],
        correct=[1],
        source="课本",
    )
    QuestionFactory(
        key="oil",
        stem="成年人每天烹调油摄入量建议是多少？",
        choices=["25～30克", "50克", "10克", "80克"],
        correct=[0],
        explanation="膳食指南建议成年人每天食盐摄入量不超过5克，烹调油25～30克。",
        source=SOURCE,
    )

    page = client.get(reverse("admin:questionbank_question_change", args=[salt.pk])).text

    assert "<code>vague-source</code>: the source has no title and no date" in page
    assert "<code>explanation-gives-away</code>: the explanation answers salt (“5克”)" in page


def test_a_clean_question_s_change_page_says_no_flaw_was_found(client, editor, english):
    question = QuestionFactory(
        stem="水的沸点是多少？", choices=["90℃", "100℃", "110℃"], correct=[1], source=SOURCE
    )

    page = client.get(reverse("admin:questionbank_question_change", args=[question.pk])).text

    assert "No flaw that lets a contestant guess was found." in page


def test_the_change_list_shows_each_question_s_check_codes(client, editor):
    QuestionFactory(
        key="neg", stem="下列说法中不正确的是？", choices=["甲", "乙", "丙"], correct=[0], source=SOURCE
    )

    page = client.get(reverse("admin:questionbank_question_changelist")).text

    assert "⚑ negative-stem" in page


def test_the_import_preview_carries_the_checks_per_row_and_across_the_file():
    rows = (
        "".join(f"m{n},第{n}个问题选哪些？,甲,乙,丙,丁,ABC,《某指南》2020年\r\n" for n in range(5))
        + "neg,下列说法中错误的是？,甲,乙,丙,,A,《某指南》2020年\r\n"
    )
    data = ("key,stem,choice_a,choice_b,choice_c,choice_d,correct,source\r\n" + rows).encode()

    preview = import_preview(data, fmt="csv")

    assert preview.rows[-1].flags == [
        "negative-stem: the stem asks with “错误” without emphasis; "
        "write it as （错误） so no one misreads it"
    ]
    assert preview.flags == [
        "correct-count: 5 of 5 multiple-choice questions have 3 correct answers; vary the number so it "
        "cannot be guessed"
    ]
