"""Typed answers: short answers (填空) and numbers, matched by questionbank.engine.typed_answers, carried
by every format that has them, edited in the admin, and kept out of live rounds until those play them."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from questionbank.engine.formats import ParsedQuestion, RowError, left_out, parse, write
from questionbank.engine.typed_answers import (
    answer_group,
    normalise,
    numerical_correct,
    parse_number,
    short_answer_correct,
    typed_correct,
)
from questionbank.imports import Outcome, export_questions, import_commit, import_preview
from questionbank.models import Question
from tests.factories import CompetitionFactory, QuestionFactory, UserFactory


@pytest.mark.parametrize(
    ("typed", "accepted", "right"),
    [
        ("北京", ["北京"], True),
        (" 北京。", ["北京"], True),  # spaces and punctuation
        ("ＤＮＡ", ["dna"], True),  # full-width and case
        ("脫氧核糖核酸", ["脱氧核糖核酸"], True),  # traditional to simplified
        ("頭髮", ["头发"], True),
        ("北京市", ["北京"], False),
        ("", ["北京"], False),
        ("。。", ["。"], False),  # nothing left to compare
        ("H₂O", ["H2O"], True),  # NFKC subscript digits
        ("-5℃", ["-5 ℃"], True),  # symbols stay, spaces go
        ("5℃", ["-5℃"], False),
        ("35", ["3.5"], False),
        ("Beijing.", ["beijing"], True),
    ],
)
def test_a_short_answer_matches_an_accepted_answer_after_normalising(typed, accepted, right):
    assert short_answer_correct(typed, accepted) is right


@pytest.mark.parametrize(
    ("typed", "unit", "number"),
    [
        ("3.5", "", 3.5),
        ("３．５", "", 3.5),  # full-width digits and point
        ("－２", "", -2.0),  # full-width minus
        ("3.5 m", "m", 3.5),
        ("3.5M", "m", 3.5),
        ("1,000", "", 1000.0),
        ("1,00", "", None),
        ("3.5 kg", "m", None),
        ("三点五", "", None),
        ("1e3", "", 1000.0),
        ("nan", "", None),
        ("", "", None),
        (".5", "", 0.5),
        ("340 m/s", "m/s", 340.0),
    ],
)
def test_numbers_are_read_with_or_without_their_unit(typed, unit, number):
    assert parse_number(typed, unit) == number


@pytest.mark.parametrize(
    ("typed", "value", "tolerance", "right"),
    [
        ("3.5", 3.5, 0, True),
        ("3.6", 3.5, 0.1, True),
        ("3.61", 3.5, 0.1, False),
        ("0.3", 0.1 + 0.2, 0, True),  # rounding allowance
        ("abc", 3.5, 10, False),
    ],
)
def test_a_number_is_right_within_the_tolerance(typed, value, tolerance, right):
    assert numerical_correct(typed, value, tolerance) is right


def test_typed_correct_dispatches_by_kind_and_groups_answers_for_statistics():
    assert typed_correct("short", "北京", accepted=["北京"])
    assert typed_correct("numerical", "7.9 km/s", value=7.9, unit="km/s")
    assert not typed_correct("single", "A")
    assert answer_group("short", " 北 京 ") == answer_group("short", "北京") == normalise("北京")
    assert answer_group("numerical", "3.50", "m") == answer_group("numerical", "3.5 m", "m") == "3.5"


# --- formats ---------------------------------------------------------------------------------------------

GIFT = """\
::capital::中国的首都是哪座城市？{=北京 =北京市 =%50%燕京 ####北京是中华人民共和国的首都。}

::light::光在真空中每秒约传播多少万千米？{#30:0.5}

::pi::圆周率约为？{#3.1..3.2}
""".encode()


def test_gift_reads_short_answers_and_numbers():
    capital, light, pi = parse("gift", GIFT)

    assert (capital.kind, capital.accepted_answers) == ("short", ("北京", "北京市"))
    assert capital.warnings == ("the answer '燕京' earns 50% in GIFT; partial credit is not kept",)
    assert (light.kind, light.numeric_value, light.tolerance) == ("numerical", 30.0, 0.5)
    assert (pi.numeric_value, pi.tolerance) == (3.15, 0.05)


def test_a_gift_number_that_is_not_a_number_is_an_invalid_row():
    (error,) = parse("gift", b"Q?{#abc:1}\n")

    assert isinstance(error, RowError) and "'abc:1' is not a number" in error.reason


MOODLE = """<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="shortanswer">
    <name><text>dna</text></name>
    <questiontext format="html"><text><![CDATA[<p>遗传物质DNA的中文全称是？</p>]]></text></questiontext>
    <usecase>1</usecase>
    <answer fraction="100"><text>脱氧核糖核酸</text>
      <feedback><text>DNA是脱氧核糖核酸。</text></feedback></answer>
    <answer fraction="50"><text>核酸</text></answer>
  </question>
  <question type="numerical">
    <name><text>sound</text></name>
    <questiontext format="html"><text>15℃的空气中声速约为多少米每秒？</text></questiontext>
    <answer fraction="100"><text>340</text><tolerance>5</tolerance></answer>
    <units><unit><multiplier>1</multiplier><unit_name>m/s</unit_name></unit></units>
  </question>
</quiz>
""".encode()


def test_moodle_reads_shortanswer_and_numerical_questions():
    dna, sound = parse("moodle", MOODLE)

    assert (dna.kind, dna.accepted_answers, dna.explanation) == (
        "short",
        ("脱氧核糖核酸",),
        "DNA是脱氧核糖核酸。",
    )
    assert dna.warnings == (
        "the answer '核酸' earns 50% in Moodle; partial credit is not kept",
        "Moodle compares these answers case by case; the bank ignores case",
    )
    assert (sound.kind, sound.numeric_value, sound.tolerance, sound.unit) == ("numerical", 340.0, 5.0, "m/s")


TYPED = [
    ParsedQuestion(
        row=1, key="capital", kind="short", stem="中国的首都是？", accepted_answers=("北京", "北京市")
    ),
    ParsedQuestion(
        row=2, key="sound", kind="numerical", stem="声速？", numeric_value=340.0, tolerance=5.0, unit="m/s"
    ),
]


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx", "moodle", "gift"])
def test_typed_answers_round_trip_through_every_format_that_has_them(fmt):
    again = parse(fmt, write(fmt, TYPED))

    assert [(q.kind, q.accepted_answers, q.numeric_value, q.tolerance) for q in again] == [
        ("short", ("北京", "北京市"), None, 0.0),
        ("numerical", (), 340.0, 5.0),
    ]
    units = [q.unit for q in again]
    assert units == ["", "" if fmt == "gift" else "m/s"]  # GIFT has no units


def test_kahoot_leaves_typed_answers_out_with_the_reason():
    assert left_out("kahoot", TYPED[0]) == "Kahoot!'s spreadsheet template has no type-answer questions"
    sheet = openpyxl.load_workbook(io.BytesIO(write("kahoot", TYPED))).active
    assert sheet.cell(9, 2).value is None


@pytest.mark.parametrize(
    ("row", "kind"),
    [
        ("q1,首都？,,北京|北京市,,,", "short"),
        ("q1,首都？,填空,北京｜北京市,,,", "short"),
        ("q1,声速？,,,340,5,m/s", "numerical"),
    ],
)
def test_our_template_reads_typed_answers_with_or_without_a_kind(row, kind):
    data = f"key,stem,kind,accepted_answers,numeric_value,tolerance,unit\r\n{row}\r\n".encode()

    (q,) = parse("csv", data)

    assert q.kind == kind
    assert q.accepted_answers == (("北京", "北京市") if kind == "short" else ())


# --- the bank ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_importing_and_exporting_typed_questions_keeps_their_answers():
    preview = import_preview(GIFT, fmt="gift")
    assert [r.outcome for r in preview.rows] == [Outcome.NEW] * 3
    import_commit(preview)

    capital = Question.objects.get(key="capital")
    assert (capital.kind, capital.accepted_answers) == ("short", ["北京", "北京市"])
    exported = json.loads(export_questions(Question.objects.filter(key="light"), "json"))["questions"][0]
    assert (exported["numeric_value"], exported["tolerance"], exported["unit"]) == (30.0, 0.5, "")
    assert [r.outcome for r in import_preview(GIFT, fmt="gift").rows] == [Outcome.UNCHANGED] * 3


@pytest.mark.django_db
def test_the_admin_form_saves_a_short_answer_question(client):
    editor = UserFactory(is_staff=True)
    editor.groups.add(Group.objects.get(name="Question editors"))
    client.force_login(editor)
    data = {
        "key": "capital",
        "kind": "short",
        "language": "zh-hans",
        "stem": "中国的首都是哪座城市？",
        "accepted_text": "北京\n北京市\n",
        "tolerance": "",
        "difficulty": "2",
        "time_limit": "20",
        "transitions-TOTAL_FORMS": "0",
        "transitions-INITIAL_FORMS": "0",
        "transitions-MIN_NUM_FORMS": "0",
        "transitions-MAX_NUM_FORMS": "1000",
    }

    response = client.post(reverse("admin:questionbank_question_add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    question = Question.objects.get(key="capital")
    assert (question.accepted_answers, question.choices, question.tolerance) == (["北京", "北京市"], [], 0)


@pytest.mark.django_db
def test_a_short_answer_question_without_accepted_answers_is_refused_on_the_form(client):
    editor = UserFactory(is_staff=True)
    editor.groups.add(Group.objects.get(name="Question editors"))
    client.force_login(editor)

    response = client.post(
        reverse("admin:questionbank_question_add"),
        {
            "key": "k",
            "kind": "numerical",
            "language": "zh-hans",
            "stem": "多少？",
            "difficulty": "2",
            "time_limit": "20",
            "transitions-TOTAL_FORMS": "0",
            "transitions-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert "numeric_value" in response.context["adminform"].form.errors


@pytest.mark.django_db
def test_live_rounds_play_typed_questions_and_draws_take_them_only_when_named():
    from questionbank.draws import DRAWABLE_KINDS, draw_spec
    from quiz.services.rounds import round_create

    question = QuestionFactory(kind="short", choices=[], correct=[], accepted_answers=["北京"])

    # a draw without kinds stays with choice questions (the online stage plays only those)
    assert "short" not in DRAWABLE_KINDS and "numerical" not in DRAWABLE_KINDS
    assert draw_spec({"count": 1, "kinds": ["short", "numerical"]}).kinds == {"short", "numerical"}
    round_ = round_create(competition=CompetitionFactory(), title="t", questions=[question])
    copy = round_.questions.get()
    assert (copy.kind, copy.accepted_answers, copy.choices) == ("short", ["北京"], [])


@pytest.mark.django_db
def test_the_phone_preview_gives_numbers_a_number_keypad_and_reveals_the_answer(client):
    editor = UserFactory(is_staff=True)
    editor.groups.add(Group.objects.get(name="Question editors"))
    client.force_login(editor)
    sound = QuestionFactory(
        kind="numerical", choices=[], correct=[], numeric_value=340, tolerance=5, unit="m/s", stem="声速？"
    )
    capital = QuestionFactory(kind="short", choices=[], correct=[], accepted_answers=["北京", "北京市"])

    def page(question, frame):
        url = reverse("admin:questionbank_question_preview", args=[question.pk])
        return client.get(url, {"frame": frame}).content.decode()

    assert 'inputmode="decimal"' in page(sound, "question") and "(m/s)" in page(sound, "question")
    assert 'inputmode="text"' in page(capital, "question")
    assert "340.0 ± 5.0 m/s" in page(sound, "reveal")
    assert "北京 / 北京市" in page(capital, "reveal")
