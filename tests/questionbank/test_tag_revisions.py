"""A question's tags are part of its revisions: stored, shown in the diff, restored by a revert."""

from __future__ import annotations

import importlib
import json

import pytest
from django.apps import apps
from django.urls import reverse
from reversion.models import Version

from questionbank import services
from questionbank.models import Question, Tag, TaggedQuestion
from quiz.models import RoundQuestion
from quiz.services.rounds import round_create
from tests.factories import CompetitionFactory, QuestionFactory
from tests.questionbank.test_bank_admin import ADD_URL, LIST_URL, change_url, form_data, logged_in, staff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def tags():
    return {
        code: Tag.objects.create(name=name, slug=code.lower(), code=code, kind=kind)
        for code, name, kind in [
            ("B16", "了解人体生理知识。", Tag.Kind.BENCHMARK),
            ("health", "健康生活", Tag.Kind.THEME),
            ("ecology", "生态环保", Tag.Kind.THEME),
        ]
    }


def stored_tag_ids(version: Version) -> set[int]:
    """The tags a question had in the revision ``version`` belongs to."""
    rows = version.revision.version_set.filter(content_type__model="taggedquestion")
    return {row.field_dict["tag_id"] for row in rows}


def edit_tags(client, question: Question, tag_list: list[Tag]):
    response = client.post(change_url(question), form_data(question, tags=[str(t.pk) for t in tag_list]))
    assert response.status_code == 302
    return Version.objects.get_for_object(question).first()


def test_a_tag_edit_makes_a_revision_whose_stored_data_holds_the_new_tags(client, tags):
    client = logged_in(client, staff("Question editors"))
    client.post(ADD_URL, form_data(tags=[str(tags["B16"].pk), str(tags["health"].pk)]))
    question = Question.objects.get(key="photosynthesis-1")
    first = Version.objects.get_for_object(question).get()
    assert stored_tag_ids(first) == {tags["B16"].pk, tags["health"].pk}

    second = edit_tags(client, question, [tags["B16"], tags["ecology"]])
    assert second.pk != first.pk
    assert stored_tag_ids(second) == {tags["B16"].pk, tags["ecology"].pk}
    assert stored_tag_ids(first) == {tags["B16"].pk, tags["health"].pk}


def test_the_compare_view_shows_the_added_and_removed_tags(client, tags):
    client = logged_in(client, staff("Question editors"))
    client.post(ADD_URL, form_data(tags=[str(tags["health"].pk)]))
    question = Question.objects.get(key="photosynthesis-1")
    old = Version.objects.get_for_object(question).get()
    new = edit_tags(client, question, [tags["ecology"]])
    html = client.get(
        reverse("admin:questionbank_question_compare", args=[question.pk]),
        {"version_id1": old.pk, "version_id2": new.pk},
    ).content.decode()
    removed, added = (
        html.split("<del>", 1)[1].split("</del>")[0],
        html.split("<ins>", 1)[1].split("</ins>")[0],
    )
    assert html.count("<ins>") == 1, "only the tags changed"
    assert "健康生活" in removed and "生态环保" not in removed
    assert "生态环保" in added and "健康生活" not in added


def test_reverting_a_revision_puts_its_tags_back(client, tags):
    client = logged_in(client, staff("Question editors"))
    client.post(ADD_URL, form_data(tags=[str(tags["B16"].pk), str(tags["health"].pk)]))
    question = Question.objects.get(key="photosynthesis-1")
    first = Version.objects.get_for_object(question).get()
    edit_tags(client, question, [tags["ecology"]])
    assert set(question.tags.all()) == {tags["ecology"]}

    first.revision.revert(delete=True)
    assert set(question.tags.all()) == {tags["B16"], tags["health"]}
    reverted = Question.objects.get(pk=question.pk)
    assert reverted.search_text.startswith(reverted.stem) and reverted.updated_at is not None


def test_a_round_pins_the_revision_with_the_tags_it_was_played_with(client, tags):
    client = logged_in(client, staff("Question editors"))
    client.post(ADD_URL, form_data(tags=[str(tags["health"].pk)]))
    question = Question.objects.get(key="photosynthesis-1")
    Question.objects.filter(pk=question.pk).update(status="approved")
    round_ = round_create(competition=CompetitionFactory(), title="Round", questions=[Question.objects.get()])
    edit_tags(client, question, [tags["ecology"]])
    played = RoundQuestion.objects.get(round=round_)
    assert stored_tag_ids(played.revision) == {tags["health"].pk}


def test_the_bulk_tag_action_records_a_revision_with_the_added_tags(client, tags):
    client = logged_in(client, staff("Question editors"))
    client.post(ADD_URL, form_data(tags=[str(tags["B16"].pk)]))
    question = Question.objects.get(key="photosynthesis-1")
    response = client.post(
        LIST_URL,
        {
            "action": "tag_selected",
            "_selected_action": [question.pk],
            "apply": "1",
            "tags": [tags["health"].pk],
        },
    )
    assert response.status_code == 302
    assert set(TaggedQuestion.objects.values_list("tag__code", flat=True)) == {"B16", "health"}
    latest = Version.objects.get_for_object(question).first()
    assert stored_tag_ids(latest) == {tags["B16"].pk, tags["health"].pk}
    assert latest.revision.comment == "tags added: health"


def test_the_admin_revert_page_shows_the_old_revision_with_its_tags_and_changes_nothing_until_saved(
    client, tags
):
    client = logged_in(client, staff("Question editors"))
    client.post(ADD_URL, form_data(tags=[str(tags["health"].pk)]))
    question = Question.objects.get(key="photosynthesis-1")
    first = Version.objects.get_for_object(question).get()
    edit_tags(client, question, [tags["ecology"]])
    response = client.get(reverse("admin:questionbank_question_revision", args=[question.pk, first.pk]))
    assert response.status_code == 200
    assert response.context["adminform"].form.initial["tags"] == [tags["health"].pk]
    assert set(question.tags.all()) == {tags["ecology"]}


def test_revisions_stored_without_updated_at_are_given_their_date_and_can_be_reverted_again():
    migration = importlib.import_module("questionbank.migrations.0007_revisions_keep_updated_at")
    question = services.question_save(QuestionFactory.build(stem="Old stem"))
    version = Version.objects.get_for_object(question).get()
    rows = json.loads(version.serialized_data)
    del rows[0]["fields"]["updated_at"]  # as revisions were stored before
    Version.objects.filter(pk=version.pk).update(serialized_data=json.dumps(rows))
    Question.objects.filter(pk=question.pk).update(stem="New stem")

    migration.add_updated_at(apps, None)
    version.refresh_from_db()
    assert version.field_dict["updated_at"] == version.revision.date_created
    version.revision.revert()
    assert Question.objects.get(pk=question.pk).stem == "Old stem"


def test_tagging_many_questions_at_once_records_their_revision_in_a_number_of_queries_that_does_not_grow(
    tags, django_assert_max_num_queries
):
    questions = [services.question_save(QuestionFactory.build()) for _ in range(60)]
    with django_assert_max_num_queries(15):
        changed = services.questions_tag(question_ids=[q.pk for q in questions], tags=[tags["health"]])
    assert changed == 60
    latest = Version.objects.get_for_object(questions[-1]).first()
    assert stored_tag_ids(latest) == {tags["health"].pk}
