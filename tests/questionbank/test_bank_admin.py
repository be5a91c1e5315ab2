"""The editors' admin: creating and editing questions, revisions and diffs, the review workflow, bulk
actions, filters, search, the phone preview and the groups' permissions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.urls import NoReverseMatch, reverse
from reversion.models import Version

from questionbank import services
from questionbank.engine.workflow import Action, Status, actions_open, may_make, needs_reason
from questionbank.models import Question, QuestionTransition, Tag
from quiz.models import RoundQuestion
from quiz.services.errors import QuizError
from quiz.services.rounds import round_create
from tests.factories import CompetitionFactory, QuestionFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


ADD_URL = reverse("admin:questionbank_question_add")
LIST_URL = reverse("admin:questionbank_question_changelist")


def change_url(question):
    return reverse("admin:questionbank_question_change", args=[question.pk])


def workflow_url(question):
    return reverse("admin:questionbank_question_workflow", args=[question.pk])


def staff(group: str | None, name: str = ""):
    user = UserFactory(is_staff=True, **({"username": name} if name else {}))
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def editor():
    return staff("Question editors", "editor")


@pytest.fixture
def reviewer():
    return staff("Question reviewers", "reviewer")


def logged_in(client, user):
    client.force_login(user)
    return client


def form_data(question: Question | None = None, **changes) -> dict:
    """What the change form posts: model fields, the six choice inputs, the inline's management form."""
    q = question
    choices = list(q.choices) if q else ["氧气", "二氧化碳", "氮气", "氢气"]
    correct = list(q.correct) if q else [1]
    data = {
        "key": q.key if q else "photosynthesis-1",
        "kind": q.kind if q else "single",
        "language": q.language if q else "zh-hans",
        "stem": q.stem if q else "植物进行光合作用时吸收哪种气体？",
        "reference_answer": q.reference_answer if q else "",
        "explanation": q.explanation if q else "光合作用吸收二氧化碳，放出氧气。",
        "source": q.source if q else "",
        "difficulty": str(q.difficulty) if q else "2",
        "time_limit": str(q.time_limit) if q else "20",
        "theme": q.theme if q else "",
        "translation_of": "",
        "new_tags": "",
        "transitions-TOTAL_FORMS": "0",
        "transitions-INITIAL_FORMS": "0",
        "transitions-MIN_NUM_FORMS": "0",
        "transitions-MAX_NUM_FORMS": "1000",
    }
    if q is not None:
        ids = list(q.transitions.order_by("-at", "-id").values_list("pk", flat=True))
        data["transitions-TOTAL_FORMS"] = data["transitions-INITIAL_FORMS"] = str(len(ids))
        data.update({f"transitions-{i}-id": str(pk) for i, pk in enumerate(ids)})
        data["tags"] = [str(t.pk) for t in q.tags.all()]
    for i, text in enumerate(choices):
        data[f"choice_{i}"] = text
        if i in correct:
            data[f"correct_{i}"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def messages_of(response) -> list[str]:
    """The messages this response added (earlier unread ones are dropped first by ``read_messages``)."""
    return [str(m) for m in get_messages(response.wsgi_request)]


def read_messages(client) -> None:
    client.get(LIST_URL)


def shown_keys(client, **params) -> set[str]:
    response = client.get(LIST_URL, params)
    assert response.status_code == 200
    return {q.key for q in response.context["cl"].result_list}


def made_by(user, **fields) -> Question:
    """A question saved through the services (so it has a revision and search text)."""
    question = QuestionFactory.build(author=user, **fields)
    return services.question_save(question, user=user)


# --- creating and editing ----------------------------------------------------------------------------


def test_an_editor_creates_a_draft_question_with_themselves_as_author_and_a_first_revision(client, editor):
    response = logged_in(client, editor).post(ADD_URL, form_data())
    assert response.status_code == 302, response.context["adminform"].form.errors
    question = Question.objects.get(key="photosynthesis-1")
    assert (question.status, question.author, question.choices, question.correct) == (
        "draft",
        editor,
        ["氧气", "二氧化碳", "氮气", "氢气"],
        [1],
    )
    assert "二氧化碳" in question.search_text
    versions = Version.objects.get_for_object(question)
    assert versions.count() == 1
    assert versions[0].revision.user == editor


def test_the_status_posted_with_the_form_is_ignored(client, editor):
    logged_in(client, editor).post(ADD_URL, form_data(status="approved"))
    assert Question.objects.get(key="photosynthesis-1").status == "draft"


def test_an_edit_makes_a_second_revision_and_the_compare_page_shows_the_diff(client, editor):
    client = logged_in(client, editor)
    client.post(ADD_URL, form_data())
    question = Question.objects.get(key="photosynthesis-1")
    response = client.post(change_url(question), form_data(question, stem="植物光合作用时放出哪种气体？"))
    assert response.status_code == 302
    new, old = Version.objects.get_for_object(question)[:2]
    assert (old.field_dict["stem"], new.field_dict["stem"]) == (
        "植物进行光合作用时吸收哪种气体？",
        "植物光合作用时放出哪种气体？",
    )
    history = client.get(reverse("admin:questionbank_question_history", args=[question.pk]))
    assert history.status_code == 200
    compare = client.get(
        reverse("admin:questionbank_question_compare", args=[question.pk]),
        {"version_id1": old.pk, "version_id2": new.pk},
    )
    assert compare.status_code == 200
    html = compare.content.decode()
    assert "<del>" in html and "<ins>" in html
    assert "放出" in html


def test_a_round_keeps_the_stem_and_revision_it_played_after_the_bank_question_is_edited(client, editor):
    question = made_by(None, stem="Which gas do plants take in?", key="gas")
    round_ = round_create(competition=CompetitionFactory(), title="Round", questions=[question])
    client = logged_in(client, staff("Question editors"))
    response = client.post(change_url(question), form_data(question, stem="Which gas do plants give off?"))
    assert response.status_code == 302
    assert Question.objects.get(pk=question.pk).stem == "Which gas do plants give off?"
    played = RoundQuestion.objects.get(round=round_)
    assert played.stem == "Which gas do plants take in?"
    assert played.revision.field_dict["stem"] == "Which gas do plants take in?"
    assert Version.objects.get_for_object(question).count() == 2


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"choice_1": "", "choice_2": "", "choice_3": "", "correct_1": None}, "choice_0", "2 to 6"),
        ({"choice_2": ""}, "choice_0", "without gaps"),
        ({"correct_0": "on"}, "correct_0", "exactly one"),
        ({"correct_1": None}, "correct_0", "exactly one"),
        ({"kind": "multiple", "correct_1": None}, "correct_0", "at least one"),
        ({"correct_1": None, "correct_3": None, "choice_3": "", "correct_5": "on"}, "correct_0", "empty"),
        ({"kind": "judged"}, "reference_answer", "reference answer"),
        ({"difficulty": "6"}, "difficulty", "6"),
        ({"difficulty": "0"}, "difficulty", "0"),
    ],
    ids=[
        "one choice",
        "a gap",
        "two correct for single",
        "none correct for single",
        "none correct for multiple",
        "an empty correct choice",
        "judged without a reference answer",
        "difficulty 6",
        "difficulty 0",
    ],
)
def test_the_form_refuses_questions_that_cannot_be_played(client, editor, changes, field, message):
    response = logged_in(client, editor).post(ADD_URL, form_data(**changes))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors.get(field, [])), errors
    assert not Question.objects.exists()


def test_a_multiple_choice_question_may_have_several_correct_choices(client, editor):
    logged_in(client, editor).post(ADD_URL, form_data(kind="multiple", correct_3="on"))
    assert Question.objects.get().correct == [1, 3]


def test_a_judged_question_keeps_its_reference_answer_and_no_choices(client, editor):
    response = logged_in(client, editor).post(
        ADD_URL, form_data(kind="judged", reference_answer="二氧化碳", correct_1=None)
    )
    assert response.status_code == 302
    question = Question.objects.get()
    assert (question.kind, question.choices, question.correct, question.reference_answer) == (
        "judged",
        [],
        [],
        "二氧化碳",
    )


def test_new_free_tags_typed_in_the_form_are_created_and_attached(client, editor):
    logged_in(client, editor).post(ADD_URL, form_data(new_tags="植物, photosynthesis"))
    question = Question.objects.get()
    assert sorted(t.name for t in question.tags.all()) == ["photosynthesis", "植物"]
    assert set(Tag.objects.values_list("kind", flat=True)) == {"free"}


# --- the workflow buttons ----------------------------------------------------------------------------


def test_the_workflow_runs_through_the_change_form_buttons_and_records_who_when_and_why(client, reviewer):
    author = staff("Question reviewers", "author")
    client = logged_in(client, author)
    client.post(ADD_URL, form_data(source="人教版生物七年级上册"))
    question = Question.objects.get()

    page = client.get(change_url(question)).content.decode()
    assert 'value="submit"' in page and "Review workflow" in page

    client.post(workflow_url(question), {"action": "submit"})
    question.refresh_from_db()
    assert question.status == "review"

    read_messages(client)
    own = client.post(workflow_url(question), {"action": "approve"})
    assert messages_of(own) == ["someone other than the author must approve it"]
    question.refresh_from_db()
    assert question.status == "review"

    client = logged_in(client, reviewer)
    approved = client.post(workflow_url(question), {"action": "approve"})
    assert approved.status_code == 302 and approved["Location"] == change_url(question)
    question.refresh_from_db()
    assert question.status == "approved"

    read_messages(client)
    no_reason = client.post(workflow_url(question), {"action": "return", "reason": "  "})
    assert messages_of(no_reason) == ["say why the question goes back to draft"]
    client.post(workflow_url(question), {"action": "retire"})
    client.post(workflow_url(question), {"action": "return", "reason": "来源已过时"})
    question.refresh_from_db()
    assert question.status == "draft"

    steps = list(QuestionTransition.objects.filter(question=question).order_by("at", "id"))
    assert [(s.from_status, s.to_status, s.actor.username, s.reason) for s in steps] == [
        ("draft", "review", "author", ""),
        ("review", "approved", "reviewer", ""),
        ("approved", "retired", "reviewer", ""),
        ("retired", "draft", "reviewer", "来源已过时"),
    ]
    assert all(s.at is not None for s in steps)
    assert "来源已过时" in client.get(change_url(question)).content.decode()


def test_approving_without_a_source_is_refused_with_the_workflow_message(client, reviewer):
    question = made_by(staff("Question editors"), status="review", source="")
    response = logged_in(client, reviewer).post(workflow_url(question), {"action": "approve"})
    assert messages_of(response) == ["a question needs a source before it is approved"]
    assert Question.objects.get(pk=question.pk).status == "review"


def test_editors_cannot_approve_but_reviewers_can(client, editor, reviewer):
    question = made_by(staff("Question editors"), status="review")
    client = logged_in(client, editor)
    assert 'value="approve"' not in client.get(change_url(question)).content.decode()
    read_messages(client)
    refused = client.post(workflow_url(question), {"action": "approve"})
    assert messages_of(refused) == ["only reviewers may approve questions"]
    assert Question.objects.get(pk=question.pk).status == "review"

    client = logged_in(client, reviewer)
    assert 'value="approve"' in client.get(change_url(question)).content.decode()
    client.post(workflow_url(question), {"action": "approve"})
    assert Question.objects.get(pk=question.pk).status == "approved"


def test_every_workflow_move_makes_a_revision(client, editor):
    client = logged_in(client, editor)
    client.post(ADD_URL, form_data())
    question = Question.objects.get()
    client.post(workflow_url(question), {"action": "submit"})
    versions = Version.objects.get_for_object(question)
    assert versions.count() == 2
    assert versions[0].field_dict["status"] == "review"


def test_the_workflow_view_only_accepts_posts(client, editor):
    question = made_by(editor)
    assert logged_in(client, editor).get(workflow_url(question)).status_code == 405


def test_staff_outside_the_groups_may_not_use_the_workflow(client):
    question = made_by(None, status="draft")
    response = logged_in(client, staff(None)).post(workflow_url(question), {"action": "submit"})
    assert response.status_code == 403


# --- bulk actions --------------------------------------------------------------------------------------


def bulk(client, action: str, questions, **extra):
    data = {"action": action, "_selected_action": [str(q.pk) for q in questions], "index": "0", **extra}
    return client.post(LIST_URL, data)


def statuses(questions) -> list[str]:
    return [Question.objects.get(pk=q.pk).status for q in questions]


def test_bulk_submit_approve_and_retire_move_each_question_and_report_the_refusals(client, editor, reviewer):
    author = staff("Question editors")
    drafts = [made_by(author, status="draft", key=f"d{i}") for i in range(3)]
    logged_in(client, editor)
    bulk(client, "submit_selected", drafts)
    assert statuses(drafts) == ["review"] * 3

    no_source = Question.objects.filter(pk=drafts[2].pk)
    no_source.update(source="")
    client = logged_in(client, reviewer)
    read_messages(client)
    response = bulk(client, "approve_selected", drafts)
    assert statuses(drafts) == ["approved", "approved", "review"]
    assert messages_of(response) == [
        "2 question(s): approve done.",
        "1 refused: d2: a question needs a source before it is approved",
    ]
    bulk(client, "retire_selected", drafts[:2])
    assert statuses(drafts) == ["retired", "retired", "review"]
    assert QuestionTransition.objects.filter(actor=reviewer).count() == 4


def test_bulk_return_to_draft_asks_for_a_reason_first(client, reviewer):
    questions = [made_by(None, status="approved", key=f"a{i}") for i in range(2)]
    client = logged_in(client, reviewer)
    page = bulk(client, "return_selected", questions)
    assert page.status_code == 200
    assert "Reason" in page.content.decode() and "a0" in page.content.decode()
    assert statuses(questions) == ["approved", "approved"]

    empty = bulk(client, "return_selected", questions, apply="1", reason=" ")
    assert empty.status_code == 200
    assert statuses(questions) == ["approved", "approved"]

    done = bulk(client, "return_selected", questions, apply="1", reason="题库年度复核")
    assert done.status_code == 302
    assert statuses(questions) == ["draft", "draft"]
    assert set(QuestionTransition.objects.values_list("reason", flat=True)) == {"题库年度复核"}


def test_bulk_add_tags_picks_tags_on_an_intermediate_page_and_adds_them_once(client, editor):
    theme = Tag.objects.create(name="健康生活", slug="theme-health", kind="theme", code="health")
    free = Tag.objects.create(name="秋季赛", slug="autumn", kind="free")
    questions = [made_by(None, key=f"t{i}") for i in range(3)]
    questions[0].tags.add(free)
    client = logged_in(client, editor)
    page = bulk(client, "tag_selected", questions)
    assert page.status_code == 200 and "健康生活" in page.content.decode()
    done = bulk(client, "tag_selected", questions, apply="1", tags=[str(theme.pk), str(free.pk)])
    assert done.status_code == 302
    for q in questions:
        assert sorted(t.name for t in q.tags.all()) == ["健康生活", "秋季赛"]


def test_editors_do_not_get_the_reviewer_bulk_actions(client, editor, reviewer):
    editor_actions = logged_in(client, editor).get(LIST_URL).context["action_form"].fields["action"].choices
    names = {name for name, _label in editor_actions}
    assert {"submit_selected", "tag_selected"} <= names
    assert not names & {"approve_selected", "retire_selected", "return_selected"}
    reviewer_actions = (
        logged_in(client, reviewer).get(LIST_URL).context["action_form"].fields["action"].choices
    )
    assert {"approve_selected", "retire_selected", "return_selected"} <= {n for n, _ in reviewer_actions}


# --- the list: filters and search --------------------------------------------------------------------


@pytest.fixture
def tagged_bank():
    domain = Tag.objects.create(name="生命与健康", slug="domain-life", kind="domain", code="D1")
    b1 = Tag.objects.create(name="人体健康", slug="b-01", kind="benchmark", code="B01", parent=domain)
    b2 = Tag.objects.create(name="生态环境", slug="b-02", kind="benchmark", code="B02", parent=domain)
    theme = Tag.objects.create(name="冬奥", slug="theme-winter", kind="theme", code="winter")
    free = Tag.objects.create(name="easy-win", slug="easy-win", kind="free")
    rows = [
        (
            "q-zh-1",
            "single",
            "zh-hans",
            1,
            "approved",
            [b1, theme],
            "人体最大的器官是什么？",
            ["皮肤", "肝脏"],
        ),
        ("q-zh-2", "multiple", "zh-hans", 3, "draft", [b2], "下列哪些属于可再生能源？", ["太阳能", "煤炭"]),
        ("q-en-1", "truefalse", "en", 3, "approved", [b2, free], "The Sun is a star.", ["True", "False"]),
        ("q-en-2", "single", "en", 5, "review", [], "Which planet is largest?", ["Jupiter", "Mars"]),
    ]
    for key, kind, language, difficulty, status, tags, stem, choices in rows:
        q = made_by(None, key=key, kind=kind, language=language, difficulty=difficulty, status=status)
        q.stem, q.choices, q.correct = stem, choices, [0]
        services.question_save(q)
        q.tags.set(tags)
    return {"domain": domain, "b1": b1, "b2": b2, "theme": theme, "free": free}


def test_the_list_filters_by_status_kind_language_and_difficulty(client, editor, tagged_bank):
    client = logged_in(client, editor)
    assert shown_keys(client) == {"q-zh-1", "q-zh-2", "q-en-1", "q-en-2"}
    assert shown_keys(client, status__exact="approved") == {"q-zh-1", "q-en-1"}
    assert shown_keys(client, kind__exact="multiple") == {"q-zh-2"}
    assert shown_keys(client, language__exact="en") == {"q-en-1", "q-en-2"}
    assert shown_keys(client, difficulty="3") == {"q-zh-2", "q-en-1"}
    assert shown_keys(client, difficulty="3", language__exact="en", status__exact="approved") == {"q-en-1"}


def test_the_list_filters_by_benchmark_domain_theme_and_free_tag(client, editor, tagged_bank):
    client = logged_in(client, editor)
    t = tagged_bank
    assert shown_keys(client, benchmark=str(t["b2"].pk)) == {"q-zh-2", "q-en-1"}
    assert shown_keys(client, benchmark=f"group-{t['domain'].pk}") == {"q-zh-1", "q-zh-2", "q-en-1"}
    assert shown_keys(client, theme_tag=str(t["theme"].pk)) == {"q-zh-1"}
    assert shown_keys(client, tag=str(t["free"].pk)) == {"q-en-1"}
    assert shown_keys(client, benchmark=str(t["b2"].pk), status__exact="draft") == {"q-zh-2"}


def test_the_benchmark_filter_lists_benchmarks_under_their_domain(client, editor, tagged_bank):
    html = logged_in(client, editor).get(LIST_URL).content.decode()
    domain, b1, b2 = html.index("D1 生命与健康"), html.index("B01 人体健康"), html.index("B02 生态环境")
    assert domain < b1 < b2


def test_the_list_shows_tags_and_a_phone_preview_link_without_a_query_per_row(
    client, editor, tagged_bank, django_assert_max_num_queries
):
    client = logged_in(client, editor)
    with django_assert_max_num_queries(20):
        html = client.get(LIST_URL).content.decode()
    assert "B01, winter" in html
    q = Question.objects.get(key="q-zh-1")
    assert reverse("admin:questionbank_question_preview", args=[q.pk]) in html


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("器官", {"q-zh-1"}),  # a Chinese fragment inside a run of text with no spaces
        ("最大的器", {"q-zh-1"}),
        ("太阳能", {"q-zh-2"}),  # choice text
        ("jupiter", {"q-en-2"}),  # choice text, any case
        ("sun star", {"q-en-1"}),  # every word, in any order
        ("q-en-2", {"q-en-2"}),  # a key
        ("不存在的词", set()),
    ],
)
def test_search_finds_chinese_fragments_choice_text_and_words(client, editor, tagged_bank, term, expected):
    assert shown_keys(logged_in(client, editor), q=term) == expected


def test_search_combines_with_filters(client, editor, tagged_bank):
    client = logged_in(client, editor)
    assert shown_keys(client, q="的", language__exact="zh-hans", status__exact="approved") == {"q-zh-1"}


def test_the_change_list_links_the_import_statistics_and_draw_pages_when_they_exist(client, reviewer):
    html = logged_in(client, reviewer).get(LIST_URL).content.decode()
    for name, label in [
        ("questionbank_question_import", "Import"),
        ("questionbank_question_statistics", "Item statistics"),
        ("questionbank_question_draw", "Draw preview"),
    ]:
        try:
            url = reverse(f"admin:{name}")
        except NoReverseMatch:  # that module is not there (yet): no link
            assert f">{label}</a>" not in html
        else:
            assert f'<a href="{url}" class="viewlink">{label}</a>' in html


# --- the phone preview ---------------------------------------------------------------------------------


def test_the_phone_preview_shows_the_question_and_at_the_reveal_the_key_and_explanation(client, editor):
    question = made_by(
        None,
        stem="人体最大的器官是什么？",
        choices=["皮肤", "肝脏", "肺"],
        correct=[0],
        explanation="皮肤约占体重的16%。",
    )
    client = logged_in(client, editor)
    url = reverse("admin:questionbank_question_preview", args=[question.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert f"{url}?frame=ask" in page.content.decode() and f"{url}?frame=reveal" in page.content.decode()
    assert url in client.get(change_url(question)).content.decode()

    ask = client.get(url, {"frame": "ask"})
    assert ask["X-Frame-Options"] == "SAMEORIGIN"
    html = ask.content.decode()
    # The stylesheet under its content-hashed name (frontend/app.<hash>.css).
    assert (
        re.search(r"frontend/app\.[0-9a-f]+\.css", html)
        and "人体最大的器官是什么？" in html
        and "肝脏" in html
    )
    assert 'data-correct="true"' not in html and "皮肤约占体重" not in html

    reveal = client.get(url, {"frame": "reveal"}).content.decode()
    assert reveal.count('data-correct="true"') == 1 and "皮肤约占体重的16%。" in reveal


def test_the_phone_preview_of_a_judged_question_reveals_the_reference_answer(client, editor):
    question = made_by(None, kind="judged", choices=[], correct=[], reference_answer="二氧化碳")
    url = reverse("admin:questionbank_question_preview", args=[question.pk])
    assert "二氧化碳" in logged_in(client, editor).get(url, {"frame": "reveal"}).content.decode()


# --- groups and rounds -------------------------------------------------------------------------------


def test_the_groups_have_the_permissions_editors_and_reviewers_need(editor, reviewer):
    editor_perms = {
        "questionbank.add_question",
        "questionbank.change_question",
        "questionbank.view_question",
        "questionbank.import_question",
        "questionbank.view_tag",
        "questionbank.add_tag",
    }
    assert editor.get_all_permissions() == editor_perms
    assert reviewer.get_all_permissions() == editor_perms | {services.REVIEWER_PERMISSION}


def test_editors_may_add_only_free_tags(client, editor):
    form = logged_in(client, editor).get(reverse("admin:questionbank_tag_add")).context["adminform"].form
    assert [value for value, _label in form.fields["kind"].choices] == ["free"]


def test_the_tag_list_shows_benchmarks_under_their_domain(client, editor, tagged_bank):
    html = logged_in(client, editor).get(reverse("admin:questionbank_tag_changelist")).content.decode()
    assert html.index("D1 生命与健康") < html.index("B01 人体健康") < html.index("B02 生态环境")
    assert html.index("B02 生态环境") < html.index("winter 冬奥")


def test_a_round_cannot_be_created_from_a_draft_question():
    draft = made_by(None, status="draft")
    with pytest.raises(QuizError) as caught:
        round_create(competition=CompetitionFactory(), title="Round", questions=[draft])
    assert caught.value.code == "question_not_playable"


# --- the workflow the admin offers is the engine's -----------------------------------------------------

ROLE_GROUPS = {
    "editor": ["Question editors"],
    "reviewer": ["Question reviewers"],
    "editor and reviewer": ["Question editors", "Question reviewers"],
}


def roles(user) -> dict[str, bool]:
    return {
        "editor": user.has_perm("questionbank.change_question"),
        "reviewer": user.has_perm("questionbank.review_question"),
    }


def with_groups(role: str):
    user = UserFactory(is_staff=True)
    user.groups.add(*Group.objects.filter(name__in=ROLE_GROUPS[role]))
    return user


@pytest.mark.parametrize("status", ["draft", "review", "approved", "retired"])
@pytest.mark.parametrize("role", list(ROLE_GROUPS))
def test_the_change_form_offers_exactly_the_moves_the_engine_opens(client, status, role):
    user = with_groups(role)
    question = made_by(None, status=status)
    page = logged_in(client, user).get(change_url(question))
    offered = [(b["action"], b["reason"]) for b in page.context["workflow_actions"]]
    opened = actions_open(Status(status), **roles(user))
    assert offered == [(a.value, needs_reason(a)) for a in opened]
    html = page.content.decode()
    assert {a for a in Action if f'name="workflow" value="{a}"' in html} == set(opened)


@pytest.mark.parametrize("role", list(ROLE_GROUPS))
def test_the_list_offers_one_bulk_action_per_move_the_role_may_make(client, role):
    user = with_groups(role)
    choices = logged_in(client, user).get(LIST_URL).context["action_form"].fields["action"].choices
    workflow = {name for name, _label in choices} - {"", "delete_selected", "tag_selected"}
    assert workflow == {f"{a}_selected" for a in Action if may_make(a, **roles(user))}


# --- no inline scripts (the Content-Security-Policy forbids them) -------------------------------------


def test_the_bank_templates_have_no_inline_scripts_or_event_handlers():
    templates = Path(services.__file__).parent / "templates"
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=", re.IGNORECASE)
    found = {
        str(path.relative_to(templates)): inline.findall(path.read_text(encoding="utf-8"))
        for path in templates.rglob("*.html")
    }
    assert {name: hits for name, hits in found.items() if hits} == {}
