"""Imports take every question they can and say what happened to each: damaged workbooks, unsupported
question types, language, keys, media, markup, feedback, near-duplicates, round trips and encodings.

Every file here is small and written by the test itself."""

from __future__ import annotations

import base64
import io
import zipfile
from io import StringIO
from pathlib import Path

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.urls import reverse
from PIL import Image as PILImage

from questionbank.engine.formats import FileError, ParsedQuestion, RowSkip, parse, write
from questionbank.imports import Outcome, export_questions, import_commit, import_preview
from questionbank.models import Question
from questionbank.pending_imports import DIRECTORY
from tests.factories import QuestionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    """Question images under this test's MEDIA_ROOT; uploads waiting for a commit in a private folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    location = tmp_path / "question-imports"
    settings.STORAGES = {
        **settings.STORAGES,
        "question_imports": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": location},
        },
    }
    return location


# --- 1. damaged workbooks ----------------------------------------------------------------------------------


def workbook_bytes() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["stem", "choice_a", "choice_b", "correct"])
    sheet.append(["水的沸点是多少？", "90 ℃", "100 ℃", "B"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_part(data: bytes, part: str, content: bytes) -> bytes:
    """The workbook with one part (a zip member) replaced: still a valid zip, no longer a valid workbook."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(out, "w") as new:
        for name in old.namelist():
            new.writestr(name, content if name == part else old.read(name))
    return out.getvalue()


DAMAGED = [
    ("xl/worksheets/sheet1.xml", b"<worksheet><sheetData><row><c>"),
    ("xl/workbook.xml", b"this is not XML"),
    ("xl/workbook.xml", b"<?xml version='1.0'?><workbook/>"),
    ("xl/_rels/workbook.xml.rels", b"<?xml version='1.0'?><Relationships/>"),
    ("[Content_Types].xml", b"<Types"),
]


@pytest.mark.parametrize(("part", "content"), DAMAGED)
@pytest.mark.parametrize("fmt", ["xlsx", "kahoot"])
def test_a_valid_zip_with_a_malformed_workbook_is_not_a_readable_workbook(fmt, part, content):
    with pytest.raises(FileError, match="not a readable workbook"):
        parse(fmt, with_part(workbook_bytes(), part, content))


@pytest.mark.parametrize(("part", "content"), DAMAGED)
def test_the_preview_of_a_damaged_workbook_has_the_error_and_no_rows(part, content):
    preview = import_preview(with_part(workbook_bytes(), part, content), filename="bank.xlsx")

    assert "not a readable workbook" in preview.file_error
    assert preview.rows == [] and not preview.ok


def test_the_import_command_reports_a_damaged_workbook_without_a_traceback(tmp_path):
    path = tmp_path / "bank.xlsx"
    path.write_bytes(with_part(workbook_bytes(), *DAMAGED[0]))

    with pytest.raises(CommandError, match="not a readable workbook"):
        call_command("import_questions", str(path), "--no-progress", stdout=StringIO())
    assert Question.objects.count() == 0


@pytest.fixture
def importer(client, media):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="import_question"))
    client.force_login(user)
    return user


def kept_uploads(media) -> list[str]:
    folder = Path(media) / DIRECTORY
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_the_admin_shows_a_damaged_workbook_as_unreadable_and_keeps_no_upload(client, importer, media):
    upload = io.BytesIO(with_part(workbook_bytes(), *DAMAGED[0]))
    upload.name = "bank.xlsx"

    response = client.post(reverse("admin:questionbank_question_import"), {"file": upload, "format": ""})

    assert response.status_code == 200
    assert "not a readable workbook" in response.text
    assert 'name="confirm"' not in response.text
    assert kept_uploads(media) == []


# --- 2. unsupported questions are skipped, one by one -------------------------------------------------------

MIXED_GIFT = """\
::water::水在标准大气压下的沸点是多少摄氏度？{=100 ~90 ~80}

::essay::请谈谈你对垃圾分类的看法。{}

::match::把动物和类别连起来。{=鲸 -> 哺乳动物 =鲨鱼 -> 鱼类}

::number::光在真空中每秒约传播多少万千米？{#30:1}

::short::中国的首都是哪座城市？{=北京 =北京市}

::moon::月球自己会发光。{F}
""".encode()


def test_a_gift_file_lists_every_question_with_its_outcome_and_imports_the_supported_ones():
    preview = import_preview(MIXED_GIFT, filename="mixed.gift")

    assert [(r.row, r.outcome) for r in preview.rows] == [
        (1, Outcome.NEW),
        (3, Outcome.SKIPPED),
        (5, Outcome.SKIPPED),
        (7, Outcome.NEW),  # numerical
        (9, Outcome.NEW),  # short answer
        (11, Outcome.NEW),
    ]
    reasons = [r.message for r in preview.rows if r.outcome == Outcome.SKIPPED]
    assert [reason.split(";")[0] for reason in reasons] == [
        "an essay (empty braces)",
        "a matching question (->)",
    ]
    assert preview.rows[1].stem == "请谈谈你对垃圾分类的看法。"
    assert preview.ok

    result = import_commit(preview)

    assert result.created == 4
    assert sorted(Question.objects.values_list("key", flat=True)) == ["moon", "number", "short", "water"]


MIXED_MOODLE = """\
<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category"><category><text>$course$/top/科学素质</text></category></question>
  <question type="multichoice">
    <name><text>first</text></name>
    <questiontext format="html"><text>人体最大的器官是什么？</text></questiontext>
    <single>true</single>
    <answer fraction="100"><text>皮肤</text></answer>
    <answer fraction="0"><text>肝脏</text></answer>
  </question>
  <question type="essay">
    <name><text>谈谈看法</text></name>
    <questiontext format="html"><text>谈谈你对科学的看法。</text></questiontext>
  </question>
  <question type="category"><category><text>$course$/top/辟谣</text></category></question>
  <question type="shortanswer">
    <name><text>capital</text></name>
    <questiontext format="html"><text>中国的首都是？</text></questiontext>
    <answer fraction="100"><text>北京</text></answer>
  </question>
  <question type="matching">
    <name><text>pairs</text></name>
    <questiontext format="html"><text>连线。</text></questiontext>
  </question>
  <question type="truefalse">
    <name><text>last</text></name>
    <questiontext format="html"><text>月球自己会发光。</text></questiontext>
    <answer fraction="0"><text>true</text></answer>
    <answer fraction="100"><text>false</text></answer>
  </question>
</quiz>
""".encode()


def test_moodle_xml_skips_what_it_cannot_hold_and_numbers_questions_without_categories():
    parsed = parse("moodle", MIXED_MOODLE)

    skipped = [p for p in parsed if isinstance(p, RowSkip)]
    assert [(s.row, s.reason.split(" (")[0]) for s in skipped] == [
        (2, "an essay"),
        (4, "a matching question"),
    ]
    assert "'谈谈看法'" in skipped[0].reason
    assert [p.row for p in parsed if isinstance(p, ParsedQuestion)] == [1, 3, 5]


def test_a_moodle_ordering_question_is_skipped_with_its_reason():
    data = (
        b'<?xml version="1.0"?><quiz><question type="ordering"><name><text>cpr</text></name>'
        b"<questiontext><text>\xe6\x8e\x92\xe5\xba\x8f</text></questiontext>"
        b'<answer fraction="1"><text>A</text></answer><answer fraction="2"><text>B</text></answer>'
        b"</question></quiz>"
    )

    (skipped,) = parse("moodle", data)

    assert isinstance(skipped, RowSkip)
    assert skipped.reason.startswith("an ordering question (the qtype_ordering plugin")
    assert "'cpr'" in skipped.reason


def test_moodle_row_errors_count_questions_not_categories():
    data = MIXED_MOODLE.replace(b'<answer fraction="0"><text>true', b'<answer fraction="x"><text>true')

    errors = [r for r in import_preview(data, fmt="moodle").rows if r.outcome == Outcome.INVALID]

    assert [(r.row, r.message) for r in errors] == [(5, "answer@fraction: fraction 'x' is not a number")]


def test_a_file_of_only_skipped_questions_offers_no_import():
    preview = import_preview(b"::essay::Why?{}\n", fmt="gift")

    assert [r.outcome for r in preview.rows] == [Outcome.SKIPPED]
    assert not preview.ok


def test_the_admin_preview_lists_skipped_questions_with_their_reason_and_imports_the_rest(client, importer):
    upload = io.BytesIO(MIXED_GIFT)
    upload.name = "mixed.gift"
    url = reverse("admin:questionbank_question_import")

    response = client.post(url, {"file": upload, "format": ""})

    assert response.status_code == 200
    assert "a matching question" in response.text and "skipped" in response.text
    assert 'name="confirm"' in response.text
    response = client.post(url, {"token": response.context["token"], "confirm": "1"})
    assert response.status_code == 302
    assert Question.objects.count() == 4


# --- 3. language -------------------------------------------------------------------------------------------


def kahoot_bytes(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for _ in range(7):
        sheet.append([])
    sheet.append(
        [
            "",
            "Question - max 120 characters",
            "Answer 1 - max 75 characters",
            "Answer 2 - max 75 characters",
            "Answer 3 - max 75 characters",
            "Answer 4 - max 75 characters",
            "Time limit (sec) – 5, 10, 20, 30, 60, 90, 120, or 240 secs",
            "Correct answer(s) - choose at least one",
        ]
    )
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("fmt", "data"),
    [
        ("gift", b"::en-gift::Which planet is largest?{=Jupiter ~Mars}\n"),
        (
            "moodle",
            b'<quiz><question type="truefalse"><name><text>en-moodle</text></name>'
            b"<questiontext><text>The Moon makes its own light.</text></questiontext>"
            b'<answer fraction="0"><text>true</text></answer>'
            b'<answer fraction="100"><text>false</text></answer></question></quiz>',
        ),
        ("kahoot", kahoot_bytes([[1, "Which gas do plants take in?", "CO2", "O2", "", "", 20, "1"]])),
    ],
)
def test_english_questions_are_stored_as_english(fmt, data):
    import_commit(import_preview(data, fmt=fmt))

    assert list(Question.objects.values_list("language", flat=True)) == ["en"]


# --- 4. keys ------------------------------------------------------------------------------------------------


def test_identical_unnamed_gift_questions_get_distinct_derived_keys_and_the_second_is_a_duplicate():
    data = "水的沸点是多少？{=100 ℃ ~90 ℃}\n\n水的沸点是多少？{=100 ℃ ~90 ℃}\n".encode()

    preview = import_preview(data, fmt="gift")

    first, second = preview.rows
    assert (first.outcome, second.outcome) == (Outcome.NEW, Outcome.DUPLICATE)
    assert second.key == first.key + "-2"
    assert second.duplicate_of == first.key
    assert preview.ok
    import_commit(preview)
    again = import_preview(data, fmt="gift")
    assert [r.outcome for r in again.rows] == [Outcome.UNCHANGED, Outcome.DUPLICATE]


def test_a_moodle_idnumber_outside_the_key_alphabet_falls_back_to_a_derived_key_and_says_so():
    data = (
        b'<quiz><question type="truefalse"><name><text>T &amp; F</text></name>'
        b"<questiontext><text>The Sun is a star.</text></questiontext><idnumber>T &amp; F</idnumber>"
        b'<answer fraction="100"><text>true</text></answer><answer fraction="0"><text>false</text></answer>'
        b"</question></quiz>"
    )

    preview = import_preview(data, fmt="moodle")

    (row,) = preview.rows
    assert row.outcome == Outcome.NEW and row.key.startswith("q-")
    assert row.warnings == [
        "the idnumber 'T & F' is not a valid key (1 to 40 letters, digits, '-' or '_'); "
        "a key derived from the stem is used"
    ]


# --- 5. media ----------------------------------------------------------------------------------------------


def png(colour: str = "red", size: tuple[int, int] = (8, 6)) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def moodle_media(question_html: str, files: dict[str, bytes]) -> bytes:
    file_elements = "".join(
        f'<file name="{name}" path="/" encoding="base64">{base64.b64encode(data).decode()}</file>'
        for name, data in files.items()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><quiz><question type="multichoice">'
        "<name><text>media</text></name>"
        f'<questiontext format="html"><text><![CDATA[{question_html}]]></text>{file_elements}</questiontext>'
        '<single>true</single><answer fraction="100"><text>Hello</text></answer>'
        '<answer fraction="0"><text>Goodbye</text></answer></question></quiz>'
    ).encode()


def test_a_moodle_picture_becomes_the_question_image_with_its_alt_text_and_audio_is_warned_about(media):
    data = moodle_media(
        '<p>Listen to this greeting:</p><audio controls><source src="@@PLUGINFILE@@/hello.mp3"></audio>'
        '<p><img src="@@PLUGINFILE@@/wave%20form.png" alt="A waveform of the greeting"></p>',
        {"hello.mp3": b"ID3fake", "wave form.png": png()},
    )

    preview = import_preview(data, fmt="moodle")

    (row,) = preview.rows
    assert row.stem == "Listen to this greeting:"
    assert row.warnings == ["the audio or video hello.mp3 in the question text cannot be kept"]
    import_commit(preview)
    question = Question.objects.get()
    assert question.image.name.startswith("questions/") and question.image.name.endswith(".png")
    assert question.image.read() == png()
    assert question.image_alt == "A waveform of the greeting"


def test_a_stem_that_is_only_a_picture_is_imported_with_the_description_as_stem(media):
    data = moodle_media('<img src="@@PLUGINFILE@@/moon.png" alt="Which phase is this?">', {"moon.png": png()})

    import_commit(import_preview(data, fmt="moodle"))

    question = Question.objects.get()
    assert question.stem == "Which phase is this?" and question.image_alt == "Which phase is this?"


@pytest.mark.parametrize(
    ("html", "files", "warning"),
    [
        (
            'Q?<img src="@@PLUGINFILE@@/a.svg" alt="x">',
            {"a.svg": b"<svg/>"},
            "the picture a.svg is SVG; a question image is PNG, JPG, JPEG, GIF, WEBP; not kept",
        ),
        (
            'Q?<img src="@@PLUGINFILE@@/gone.png">',
            {},
            "the picture gone.png is referred to but not in the file",
        ),
        (
            'Q?<img src="https://example.org/a.png">',
            {},
            "the picture https://example.org/a.png in the question",
        ),
        (
            'Q?<img src="@@PLUGINFILE@@/a.png"><img src="@@PLUGINFILE@@/b.png">',
            {"a.png": png("red"), "b.png": png("blue")},
            "a question has one picture: b.png is not kept (the first, a.png, is)",
        ),
        (
            'Q?<img src="@@PLUGINFILE@@/fake.png">',
            {"fake.png": b"not a picture"},
            "the picture fake.png is not kept: it is not a picture the live pages can show",
        ),
    ],
)
def test_media_that_cannot_be_kept_is_named_in_a_warning(html, files, warning, media):
    preview = import_preview(moodle_media(html, files), fmt="moodle")

    (row,) = preview.rows
    assert row.outcome == Outcome.NEW
    assert any(w.startswith(warning) for w in row.warnings), row.warnings


# --- 6. markup ----------------------------------------------------------------------------------------------


def test_gift_html_and_moodle_html_give_the_same_text_and_plain_markers_are_dropped():
    gift = "[html]<p>水的<b>沸点</b>是&nbsp;100&nbsp;℃。</p>{T####<p>在标准大气压下。</p>}\n".encode()
    moodle = (
        '<quiz><question type="truefalse"><questiontext format="html"><text><![CDATA['
        "<p>水的<b>沸点</b>是&nbsp;100&nbsp;℃。</p>]]></text></questiontext>"
        '<generalfeedback format="html"><text><![CDATA[<p>在标准大气压下。</p>]]></text></generalfeedback>'
        '<answer fraction="100"><text>true</text></answer><answer fraction="0"><text>false</text></answer>'
        "</question></quiz>"
    ).encode()

    (from_gift,) = parse("gift", gift)
    (from_moodle,) = parse("moodle", moodle)

    assert from_gift.stem == from_moodle.stem == "水的沸点是\xa0100\xa0℃。"
    assert from_gift.explanation == from_moodle.explanation == "在标准大气压下。"


def test_a_plain_marker_inside_gift_answers_is_dropped():
    (question,) = parse("gift", "[plain]哪个是金属？{=[plain]铁 ~[plain]木头}\n".encode())

    assert question.stem == "哪个是金属？"
    assert question.choices == ("铁", "木头")


# --- 7. feedback ------------------------------------------------------------------------------------------


def test_moodle_answer_and_outcome_feedback_go_into_the_explanation():
    data = """<quiz><question type="multichoice">
      <questiontext><text>冬天室内用炭火取暖，最需要防范什么？</text></questiontext>
      <generalfeedback><text>炭火不完全燃烧会产生一氧化碳。</text></generalfeedback>
      <correctfeedback><text>Your answer is correct.</text></correctfeedback>
      <incorrectfeedback><text>记得开窗通风。</text></incorrectfeedback>
      <single>true</single>
      <answer fraction="100"><text>一氧化碳中毒</text><feedback><text>正确。</text></feedback></answer>
      <answer fraction="0"><text>二氧化碳中毒</text>
        <feedback><text>二氧化碳无毒，浓度高时使人缺氧，但炭火的主要危险是一氧化碳。</text></feedback></answer>
      <answer fraction="0"><text>烫伤</text><feedback><text></text></feedback></answer>
    </question></quiz>""".encode()

    (question,) = parse("moodle", data)

    assert question.explanation == (
        "炭火不完全燃烧会产生一氧化碳。\n"
        "“二氧化碳中毒”：二氧化碳无毒，浓度高时使人缺氧，但炭火的主要危险是一氧化碳。\n"
        "答错时：记得开窗通风。"
    )


def test_gift_distractor_feedback_without_general_feedback_follows_the_right_answers():
    data = "下列哪种是可再生能源？{=风能#风能取之不尽。 ~煤炭#煤炭形成要数百万年。 ~石油}\n".encode()

    (question,) = parse("gift", data)

    assert question.explanation == "风能取之不尽。\n“煤炭”：煤炭形成要数百万年。"


# --- 8. near-duplicates compare answers ---------------------------------------------------------------------


def truefalse_csv(*rows: tuple[str, str, str]) -> bytes:
    lines = ["key,stem,correct"] + [",".join(row) for row in rows]
    return "\r\n".join(lines).encode()


def test_true_false_questions_that_differ_in_the_fact_and_the_answer_are_not_duplicates():
    QuestionFactory(
        key="salt-5",
        kind="truefalse",
        stem="成年人每天食盐摄入量不超过5克。",
        choices=["正确", "错误"],
        correct=[0],
    )

    preview = import_preview(truefalse_csv(("salt-9", "成年人每天食盐摄入量不超过9克。", "错误")), fmt="csv")

    (row,) = preview.rows
    assert row.outcome == Outcome.NEW
    assert row.message == (
        "similar to salt-5 (similarity 0.93) but the answer differs: “正确” here “错误”; "
        "the stem differs: “5”→“9”"
    )


def test_a_near_duplicate_with_the_same_answer_is_flagged_and_shows_the_difference():
    QuestionFactory(
        key="salt-5",
        kind="truefalse",
        stem="成年人每天食盐摄入量不超过5克。",
        choices=["正确", "错误"],
        correct=[0],
    )

    preview = import_preview(
        truefalse_csv(("salt-5b", "成年人每天的食盐摄入量不超过5克。", "正确")), fmt="csv"
    )

    (row,) = preview.rows
    assert row.outcome == Outcome.DUPLICATE and row.duplicate_of == "salt-5"
    assert row.message.endswith("the stem differs: “”→“的”")


# --- 9. round trips ----------------------------------------------------------------------------------------


TRICKY = [" =1+1", "＝2", "　@home", "-5 ℃"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_our_template_export_neutralises_spaced_and_full_width_formulas_and_imports_back(fmt):
    QuestionFactory(key="tricky", stem=" =1+1 是多少？", choices=TRICKY, correct=[0], explanation="＝2")
    QuestionFactory(key="tricky-2", stem="＝SUM(1,1) 等于？", choices=["2", "3"], correct=[0])
    data = export_questions(Question.objects.all(), fmt)

    if fmt == "csv":
        text = data.decode("utf-8-sig")
        assert "' =1+1" in text and "'＝2" in text and "'　@home" in text
    preview = import_preview(data, fmt=fmt)

    assert [r.outcome for r in preview.rows] == [Outcome.UNCHANGED, Outcome.UNCHANGED]


def test_the_kahoot_export_writes_text_cells_without_an_apostrophe_and_imports_back():
    QuestionFactory(key="cold", stem="=冰点是多少？", choices=["-5 ℃", "0 ℃", "+5 ℃", "@10 ℃"], correct=[1])
    data = export_questions(Question.objects.all(), "kahoot")

    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    cells = [sheet.cell(9, column) for column in range(2, 7)]
    assert [c.value for c in cells] == ["=冰点是多少？", "-5 ℃", "0 ℃", "+5 ℃", "@10 ℃"]
    assert {c.data_type for c in cells} == {"s"}
    (question,) = parse("kahoot", data)
    assert question.stem == "=冰点是多少？"
    assert question.choices == ("-5 ℃", "0 ℃", "+5 ℃", "@10 ℃")


def test_a_kahoot_cell_stored_as_a_formula_is_still_refused():
    data = kahoot_bytes([[1, "=1+1", "2", "3", "", "", 20, "1"]])

    (row,) = import_preview(data, fmt="kahoot").rows

    assert row.outcome == Outcome.INVALID
    assert "the cell holds a formula" in row.message


# --- 10. encodings -----------------------------------------------------------------------------------------

TEMPLATE_CSV = "key,stem,choice_a,choice_b,correct\r\ngbk-1,水的沸点是多少摄氏度？,90,100,B\r\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEMPLATE_CSV.encode("gbk"), "GBK"),
        ((TEMPLATE_CSV + "gb-2,𠀀字是哪个？,是,否,A\r\n").encode("gb18030"), "GB18030"),
        (TEMPLATE_CSV.encode("utf-8"), "UTF-8"),
        (("\ufeff" + TEMPLATE_CSV).encode("utf-8"), "UTF-8 with BOM"),
        (TEMPLATE_CSV.replace(",", "\t").encode("utf-16"), "UTF-16"),
    ],
)
def test_the_preview_says_which_encoding_a_csv_was_read_in(data, encoding):
    preview = import_preview(data, fmt="csv", filename="bank.csv")

    assert preview.encoding == encoding
    assert f"read as {encoding})" in preview.summary()
    assert (preview.rows[0].outcome, preview.rows[0].stem) == (Outcome.NEW, "水的沸点是多少摄氏度？")


def test_a_moodle_file_in_gbk_is_read_and_reports_its_declared_encoding():
    data = (
        '<?xml version="1.0" encoding="GBK"?><quiz><question type="truefalse">'
        "<questiontext><text>月球自己会发光。</text></questiontext>"
        '<answer fraction="0"><text>true</text></answer><answer fraction="100"><text>false</text></answer>'
        "</question></quiz>"
    ).encode("gbk")

    preview = import_preview(data, fmt="moodle")

    assert preview.encoding == "GBK"
    assert [(r.outcome, r.stem) for r in preview.rows] == [(Outcome.NEW, "月球自己会发光。")]


def test_a_moodle_file_in_an_unknown_encoding_is_a_clear_error():
    preview = import_preview(b'<?xml version="1.0" encoding="x-nonsense"?><quiz/>', fmt="moodle")

    assert preview.file_error == (
        "the XML file declares the encoding 'X-NONSENSE', which cannot be read; save it as UTF-8"
    )


def test_workbooks_report_no_text_encoding():
    assert import_preview(workbook_bytes(), fmt="xlsx").encoding == ""


def test_gift_export_of_imported_feedback_imports_back_the_same():
    questions = parse("gift", "::k1::哪个是金属？{=铁#铁导电。 ~木头#木头不导电。}\n".encode())

    (again,) = parse("gift", write("gift", questions))

    assert (again.key, again.choices, again.correct, again.explanation) == (
        "k1",
        ("铁", "木头"),
        (0,),
        "铁导电。\n“木头”：木头不导电。",
    )
