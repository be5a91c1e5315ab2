"""Import and export services, the commands and the admin import page, against the golden files."""

from __future__ import annotations

import json
import shutil
import tempfile
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version

from questionbank.engine.formats import auto_key
from questionbank.imports import (
    ImportRefused,
    Outcome,
    export_questions,
    import_commit,
    import_preview,
)
from questionbank.models import Question, Tag
from questionbank.pending_imports import DIRECTORY, MAX_AGE, pending_import_keep, pending_import_read
from tests.factories import QuestionFactory, UserFactory

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"


def golden(name: str) -> bytes:
    return (DATA / name).read_bytes()


def csv_file(*rows: str) -> bytes:
    return (
        "key,stem,choice_a,choice_b,choice_c,correct,explanation,tags\r\n" + "".join(r + "\r\n" for r in rows)
    ).encode()


@pytest.fixture
def taxonomy():
    domain = Tag.objects.create(name="科学知识", slug="domain-k", kind=Tag.Kind.DOMAIN, code="K")
    return {
        "B05": Tag.objects.create(
            name="科技与社会", slug="benchmark-b05", kind=Tag.Kind.BENCHMARK, code="B05", parent=domain
        ),
        "health": Tag.objects.create(name="健康", slug="theme-health", kind=Tag.Kind.THEME, code="health"),
    }


# --- preview ----------------------------------------------------------------------------------------------


def test_the_preview_says_new_update_unchanged_duplicate_and_invalid_per_row():
    QuestionFactory(
        key="old-1",
        stem="地球绕太阳公转一周大约需要多长时间？",
        choices=["一天", "一年"],
        correct=[1],
        explanation="",
    )
    QuestionFactory(
        key="same-1", stem="光年是什么单位？", choices=["时间", "距离"], correct=[1], explanation=""
    )
    QuestionFactory(
        key="other", stem="成年人每天食盐摄入量建议不超过多少克？", choices=["3克", "5克"], correct=[1]
    )
    data = csv_file(
        "new-1,水在标准大气压下的沸点是多少摄氏度？,90,100,110,B,,",
        "old-1,地球绕太阳公转一周大约需要多长时间？,一天,一个月,一年,C,,",
        "same-1,光年是什么单位？,时间,距离,,B,,",
        "dup-1,成年人每天的食盐摄入量建议不超过多少克,3克,5克,,B,,",
        "bad-1,人体最大的器官是什么？,皮肤,肝脏,,E,,",
        "dup-2,水在标准大气压下的沸点是多少摄氏度,90,100,,B,,",
    )

    preview = import_preview(data, fmt="csv", filename="bank.csv")

    assert [(r.row, r.outcome, r.key) for r in preview.rows] == [
        (2, Outcome.NEW, "new-1"),
        (3, Outcome.UPDATE, "old-1"),
        (4, Outcome.UNCHANGED, "same-1"),
        (5, Outcome.DUPLICATE, "dup-1"),
        (6, Outcome.INVALID, ""),
        (7, Outcome.DUPLICATE, "dup-2"),
    ]
    assert preview.rows[1].changes == ["choices", "correct"]
    assert preview.rows[3].duplicate_of == "other"
    assert preview.rows[5].duplicate_of == "new-1"  # an earlier row of the same file
    invalid = preview.rows[4].errors[0]
    assert (invalid.row, invalid.column) == (6, "correct")
    assert "not there" in invalid.reason
    assert preview.counts == {
        "new": 1,
        "update": 1,
        "unchanged": 1,
        "duplicate": 2,
        "skipped": 0,
        "invalid": 1,
    }
    assert not preview.ok
    assert Question.objects.count() == 3  # a preview writes nothing


def test_a_key_used_twice_in_one_file_is_invalid_the_second_time():
    preview = import_preview(
        csv_file("k1,甲题的题干是什么？,a,b,,A,,", "k1,乙题完全不同的题干？,a,b,,A,,"), fmt="csv"
    )

    assert [r.outcome for r in preview.rows] == [Outcome.NEW, Outcome.INVALID]
    assert preview.rows[1].message == "key: key k1 is already used in row 2"


@pytest.mark.parametrize(
    "name",
    [
        "broken-latin1.csv",
        "broken-missing-columns.csv",
        "broken-malformed.xml",
        "broken-not-xlsx.xlsx",
    ],
)
def test_a_broken_file_gives_a_clear_error_and_imports_nothing(name):
    preview = import_preview(golden(name), filename=name)

    assert preview.file_error
    assert preview.rows == []
    with pytest.raises(ImportRefused, match="nothing was imported"):
        import_commit(preview)
    assert Question.objects.count() == 0


# --- commit -----------------------------------------------------------------------------------------------


def test_commit_creates_drafts_by_the_importer_with_tags_search_text_and_one_revision(taxonomy):
    user = UserFactory()
    preview = import_preview(golden("questions.xlsx"), filename="questions.xlsx", user=user)

    result = import_commit(preview, user=user)

    assert (result.created, result.updated, result.tags_created) == (5, 0, 3)  # 传染病, aerospace, physics
    salt = Question.objects.get(key="salt-001")
    assert (salt.status, salt.author, salt.difficulty) == ("draft", user, 2)
    assert salt.search_text.startswith(salt.stem + "\n3克")
    assert {t.code or t.name for t in salt.tags.all()} == {"B05", "health"}
    assert Question.objects.get(key="flu-002").tags.get(name="传染病").kind == Tag.Kind.FREE
    judged = Question.objects.get(key="light-005")
    assert (judged.kind, judged.choices, judged.reference_answer[:2]) == ("judged", [], "约 ")
    versions = Version.objects.get_for_model(Question)
    assert versions.count() == 5
    assert versions.first().revision.user == user
    assert versions.first().revision.comment == "imported from questions.xlsx"


def test_importing_the_same_file_again_changes_nothing(taxonomy):
    import_commit(import_preview(golden("questions.csv"), filename="questions.csv"))

    again = import_preview(golden("questions.csv"), filename="questions.csv")

    assert again.counts["unchanged"] == 5
    assert import_commit(again).created == 0


def test_an_update_writes_only_the_fields_the_format_carries_and_makes_a_revision(taxonomy):
    stem = "中国第一颗人造地球卫星叫什么名字？"
    question = QuestionFactory(
        key=auto_key(stem),
        stem=stem,
        choices=["东方红一号", "神舟一号"],
        correct=[0],
        explanation="1970 年发射。",
    )
    question.tags.add(taxonomy["B05"])
    preview = import_preview(golden("kahoot.xlsx"), filename="kahoot.xlsx")
    assert preview.rows[0].outcome == Outcome.UPDATE

    import_commit(preview)

    question.refresh_from_db()
    assert question.choices == ["东方红一号", "神舟一号", "嫦娥一号", "天宫一号"]
    assert question.explanation == "1970 年发射。"  # Kahoot! has no explanation column
    assert question.status == "approved"  # imports never move a question through the workflow
    assert list(question.tags.all()) == [taxonomy["B05"]]
    assert "天宫一号" in question.search_text
    assert Version.objects.get_for_object(question).count() == 1


def test_one_invalid_row_means_nothing_is_written():
    preview = import_preview(golden("broken-rows.csv"), filename="broken-rows.csv")
    assert preview.counts["new"] == 1

    with pytest.raises(ImportRefused, match="5 row"):
        import_commit(preview)

    assert Question.objects.count() == 0


def test_the_commit_refuses_if_a_new_key_appeared_after_the_preview():
    preview = import_preview(csv_file("k1,甲题的题干是什么？,a,b,,A,,"), fmt="csv")
    QuestionFactory(key="k1")

    with pytest.raises(ImportRefused, match="since the preview"):
        import_commit(preview)


def test_near_duplicates_are_skipped_unless_allowed():
    QuestionFactory(
        key="other", stem="成年人每天食盐摄入量建议不超过多少克？", choices=["3克", "5克"], correct=[1]
    )
    data = csv_file("dup-1,成年人每天的食盐摄入量建议不超过多少克,3克,5克,,B,,")

    assert import_commit(import_preview(data, fmt="csv")).duplicates_skipped == 1
    assert not Question.objects.filter(key="dup-1").exists()
    import_commit(import_preview(data, fmt="csv"), allow_duplicates=True)
    assert Question.objects.filter(key="dup-1").exists()


@pytest.mark.parametrize("name", ["moodle.xml", "questions.gift", "kahoot.xlsx", "questions-gb18030.csv"])
def test_every_good_golden_file_imports(name, taxonomy):
    result = import_commit(import_preview(golden(name), filename=name))

    assert result.created == Question.objects.count() > 0


# --- export -----------------------------------------------------------------------------------------------


def test_json_export_and_import_round_trip_the_bank(taxonomy):
    import_commit(import_preview(golden("questions.json"), filename="questions.json"))
    original = export_questions(Question.objects.all(), "json")
    english = Question.objects.get(key="salt-001")
    QuestionFactory(key="salt-001-en", stem="Salt per day?", language="en", translation_of=english)

    exported = export_questions(Question.objects.all(), "json")
    Question.objects.all().delete()
    import_commit(import_preview(exported, filename="bank.json"))

    assert export_questions(Question.objects.exclude(key="salt-001-en"), "json") == original
    assert Question.objects.get(key="salt-001-en").translation_of.key == "salt-001"
    salt = next(q for q in json.loads(exported)["questions"] if q["key"] == "salt-001")
    assert salt["tags"] == ["B05", "health"]


def test_spreadsheet_exports_neutralise_formulas():
    QuestionFactory(key="f1", stem='=HYPERLINK("http://x")', choices=["-1", "+1"], correct=[0])

    text = export_questions(Question.objects.all(), "csv").decode("utf-8-sig")

    assert "'=HYPERLINK" in text and ",'-1,'+1," in text


# --- commands ---------------------------------------------------------------------------------------------


def test_import_command_dry_run_shows_the_preview_and_writes_nothing():
    out = StringIO()

    call_command("import_questions", str(DATA / "broken-rows.csv"), "--dry-run", "--no-progress", stdout=out)

    assert "6 rows: 1 new, 5 invalid" in out.getvalue()
    assert "row 3 invalid: correct:" in out.getvalue()
    assert Question.objects.count() == 0


def test_import_command_imports_and_reports_counts(taxonomy):
    user = UserFactory(username="editor")
    out, err = StringIO(), StringIO()

    call_command("import_questions", str(DATA / "questions.csv"), "--user", "editor", stdout=out, stderr=err)

    assert "Imported: 5 new" in out.getvalue()
    assert (
        "row/s" in err.getvalue() or "it/s" in err.getvalue() or "100%" in err.getvalue()
    )  # the progress bar
    assert Question.objects.filter(author=user).count() == 5


def test_import_command_fails_on_a_broken_file():
    with pytest.raises(CommandError, match="malformed XML"):
        call_command(
            "import_questions", str(DATA / "broken-malformed.xml"), "--no-progress", stdout=StringIO()
        )


def test_export_command_filters_by_status_and_tag(tmp_path, taxonomy):
    QuestionFactory(key="a1", status="approved").tags.add(taxonomy["B05"])
    QuestionFactory(key="a2", status="approved")
    QuestionFactory(key="d1", status="draft").tags.add(taxonomy["B05"])
    target = tmp_path / "out.xlsx"

    call_command(
        "export_questions",
        "--format",
        "xlsx",
        "--status",
        "approved",
        "--tag",
        "B05",
        "-o",
        str(target),
        "--no-progress",
        stdout=StringIO(),
        stderr=StringIO(),
    )

    assert [q.key for q in import_preview(target.read_bytes(), filename="out.xlsx").rows] == ["a1"]


def test_export_command_writes_text_formats_to_standard_output():
    QuestionFactory(key="a1")
    out = StringIO()

    call_command("export_questions", "--format", "gift", "--no-progress", stdout=out, stderr=StringIO())

    assert "::a1::" in out.getvalue()


# --- admin page -------------------------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    """Uploads kept between preview and commit go to the private ``question_imports`` storage: here a
    folder of this test's."""
    location = tmp_path / "question-imports"
    settings.STORAGES = {
        **settings.STORAGES,
        "question_imports": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": location},
        },
    }
    return location


def test_without_a_private_import_storage_an_upload_is_refused_rather_than_published(settings):
    from django.core.exceptions import ImproperlyConfigured

    from questionbank.pending_imports import import_storage

    settings.STORAGES = {name: spec for name, spec in settings.STORAGES.items() if name != "question_imports"}
    with pytest.raises(ImproperlyConfigured, match="question_imports"):
        import_storage()


def test_import_uploads_are_kept_outside_the_published_media_root():
    """/media/ is served to anyone; an upload waiting for its commit must not be reachable there."""
    from django.conf import settings

    location = Path(settings.STORAGES["question_imports"]["OPTIONS"]["location"]).resolve()
    assert not location.is_relative_to(Path(settings.MEDIA_ROOT).resolve())


def make_importer():
    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="import_question"))
    return user


@pytest.fixture
def importer(client, media):
    user = make_importer()
    client.force_login(user)
    return user


def kept_uploads(media) -> list[str]:
    folder = Path(media) / DIRECTORY
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def previewed(client, url) -> str:
    with (DATA / "questions.csv").open("rb") as upload:
        response = client.post(url, {"file": upload, "format": ""})
    assert response.status_code == 200 and "salt-001" in response.text
    return response.context["token"]


def test_the_admin_import_page_previews_then_commits(client, importer, taxonomy):
    url = reverse("admin:questionbank_question_import")
    with (DATA / "questions.csv").open("rb") as upload:
        response = client.post(url, {"file": upload, "format": ""})

    assert response.status_code == 200
    assert "salt-001" in response.text and "new" in response.text
    assert Question.objects.count() == 0
    token = response.context["token"]

    response = client.post(url, {"token": token, "confirm": "1"})

    assert response.status_code == 302
    assert Question.objects.filter(author=importer).count() == 5


def test_the_admin_import_page_shows_invalid_rows_and_offers_no_confirm(client, importer):
    url = reverse("admin:questionbank_question_import")
    with (DATA / "broken-rows.csv").open("rb") as upload:
        response = client.post(url, {"file": upload, "format": "csv"})

    assert "difficulty must be 1 to 5, not 9" in response.text
    assert 'name="confirm"' not in response.text


def test_the_admin_import_page_needs_the_import_permission(client):
    client.force_login(UserFactory(is_staff=True))

    assert client.get(reverse("admin:questionbank_question_import")).status_code == 403


def test_a_preview_made_by_one_server_process_is_committed_by_another(
    client, importer, media, taxonomy, tmp_path, monkeypatch
):
    url = reverse("admin:questionbank_question_import")
    first_temp = tmp_path / "first-process-tmp"
    first_temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(first_temp))
    token = previewed(client, url)
    assert kept_uploads(media) == sorted([f"{token}.json", f"{token}.upload"])

    # Another process: its own temporary directory, none of the first's files, a fresh client.
    shutil.rmtree(first_temp)
    second_temp = tmp_path / "second-process-tmp"
    second_temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(second_temp))
    other = Client()
    other.force_login(importer)
    response = other.post(url, {"token": token, "confirm": "1"})

    assert response.status_code == 302
    assert Question.objects.filter(author=importer).count() == 5
    assert kept_uploads(media) == []


def test_someone_elses_import_token_is_refused_and_their_upload_kept(
    client, importer, media, taxonomy, english
):
    url = reverse("admin:questionbank_question_import")
    token = previewed(client, url)
    intruder = Client()
    intruder.force_login(make_importer())

    response = intruder.post(url, {"token": token, "confirm": "1"}, follow=True)

    assert "The upload has expired; choose the file again." in response.text
    assert Question.objects.count() == 0
    assert len(kept_uploads(media)) == 2
    assert client.post(url, {"token": token, "confirm": "1"}).status_code == 302
    assert Question.objects.count() == 5


def test_abandoning_a_preview_deletes_its_upload(client, importer, media):
    url = reverse("admin:questionbank_question_import")
    token = previewed(client, url)

    assert client.post(url, {"token": token, "cancel": "1"}).status_code == 302
    assert kept_uploads(media) == []
    assert client.post(url, {"token": token, "confirm": "1"}).status_code == 302
    assert Question.objects.count() == 0


def test_an_upload_expires_and_old_uploads_are_swept_when_a_new_one_is_kept(media):
    user = make_importer()
    then = timezone.now()
    old = pending_import_keep(
        b"key,stem", user=user, filename="a.csv", fmt="", allow_duplicates=False, now=then
    )
    assert pending_import_read(old.token, user=user, now=then + MAX_AGE / 2) == (old, b"key,stem")
    later = then + MAX_AGE + timedelta(seconds=1)
    assert pending_import_read(old.token, user=user, now=later) is None

    new = pending_import_keep(b"x", user=user, filename="b.csv", fmt="csv", allow_duplicates=True, now=later)
    assert kept_uploads(media) == sorted([f"{new.token}.json", f"{new.token}.upload"])


def test_a_malformed_import_token_is_refused_without_touching_storage(media):
    user = make_importer()
    assert pending_import_read("../../etc/passwd", user=user, now=timezone.now()) is None
