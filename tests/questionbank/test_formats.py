"""Question file formats and near-duplicate detection: pure tables against golden files, no database."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest

from questionbank.engine import duplicates
from questionbank.engine.formats import (
    FileError,
    ParsedQuestion,
    RowError,
    auto_key,
    detect_format,
    kahoot,
    neutralise,
    parse,
    template,
    unneutralise,
    write,
)

DATA = Path(__file__).parent / "data"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "examples"

SAMPLE = [
    ParsedQuestion(
        row=1,
        key="salt-001",
        kind="single",
        stem="成年人每天食盐摄入量建议不超过多少克？",
        choices=("3克", "5克", "8克", "10克"),
        correct=(1,),
        explanation="解析含特殊字符 {} # ~ = : \\ 和换行\n第二行",
        source="《中国居民膳食指南（2022）》",
        difficulty=2,
        time_limit=20,
        tags=("B05", "health", "饮食/营养"),
        status="approved",
        theme="health",
    ),
    ParsedQuestion(
        row=2,
        key="tf-002",
        kind="truefalse",
        stem="抗生素对病毒引起的感冒无效。",
        choices=("正确", "错误"),
        correct=(0,),
        explanation="对。",
        tags=("health",),
    ),
    ParsedQuestion(
        row=3,
        key="multi-003",
        kind="multiple",
        stem="哪些是可再生能源？",
        choices=("太阳能", "煤炭", "风能"),
        correct=(0, 2),
        time_limit=30,
    ),
    ParsedQuestion(
        row=4,
        key="judged-004",
        kind="judged",
        stem="请说出光速。",
        reference_answer="约 30 万千米每秒",
        language="zh-hans",
        translation_of="",
    ),
    ParsedQuestion(
        row=5,
        key="en-005",
        kind="single",
        stem="=1+1 is what?",
        choices=("-2", "+2", "@2", "2"),
        correct=(3,),
        language="en",
        translation_of="salt-001",
    ),
]


def questions(items):
    return [i for i in items if isinstance(i, ParsedQuestion)]


def errors(items):
    return [i for i in items if isinstance(i, RowError)]


def content(q: ParsedQuestion) -> tuple:
    return (q.key, q.kind, q.stem, q.choices, q.correct, q.explanation, q.tags)


# --- golden files -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt", "count", "first_key"),
    [
        ("questions.csv", "csv", 5, "salt-001"),
        ("questions.xlsx", "xlsx", 5, "salt-001"),
        ("questions.json", "json", 5, "salt-001"),
        ("questions-gb18030.csv", "csv", 2, ""),
        ("kahoot.xlsx", "kahoot", 5, ""),
        ("moodle.xml", "moodle", 4, "moodle-salt"),
        ("questions.gift", "gift", 6, "gift-salt"),
    ],
)
def test_every_good_golden_file_is_detected_and_parses_without_errors(name, fmt, count, first_key):
    data = (DATA / name).read_bytes()

    assert detect_format(name, data) == fmt
    parsed = parse(fmt, data)

    assert errors(parsed) == []
    assert len(parsed) == count
    assert parsed[0].key == first_key


def test_our_template_reads_every_kind_with_tags_and_reference_answers():
    parsed = parse("csv", (DATA / "questions.csv").read_bytes())

    assert [(q.row, q.kind) for q in parsed] == [
        (2, "single"),
        (3, "multiple"),
        (4, "truefalse"),
        (5, "single"),
        (6, "judged"),
    ]
    assert parsed[1].correct == (1, 2, 3)
    assert parsed[1].tags == ("health", "传染病")
    assert parsed[2].choices == ("正确", "错误")
    assert parsed[4].reference_answer.startswith("约 30 万千米每秒")
    assert parsed[0].difficulty == 2 and parsed[0].time_limit == 20


def test_a_gb18030_csv_from_chinese_excel_is_decoded_and_chinese_headers_are_understood():
    parsed = parse("csv", (DATA / "questions-gb18030.csv").read_bytes())

    assert parsed[0].stem == "被誉为“杂交水稻之父”的科学家是谁？"
    assert parsed[1].correct == (1,)
    assert parsed[1].tags == ("health", "B05")  # a full-width ； separates tags too


def test_the_kahoot_template_gives_kinds_choices_and_time_limits():
    parsed = parse("kahoot", (DATA / "kahoot.xlsx").read_bytes())

    assert [q.row for q in parsed] == [9, 10, 11, 12, 13]
    assert [q.kind for q in parsed] == ["single", "multiple", "single", "single", "truefalse"]
    assert parsed[1].correct == (0, 2)
    assert parsed[2].choices == ("氧气", "二氧化碳")
    assert [q.time_limit for q in parsed] == [20, 30, 10, 20, 5]
    assert parsed[3].language == "en"
    assert "explanation" not in parsed[0].fields  # an update from Kahoot! keeps the explanation


def test_moodle_categories_become_tags_and_feedback_becomes_the_explanation():
    parsed = parse("moodle", (DATA / "moodle.xml").read_bytes())

    salt, gases, microwave, moon = parsed
    assert salt.stem == "成年人每天食盐摄入量建议不超过多少克？"  # HTML reduced to text
    assert salt.tags == ("科学素质", "B05", "health")
    assert salt.explanation.startswith("《中国居民膳食指南（2022）》")
    assert (gases.kind, gases.correct) == ("multiple", (1, 3))
    assert gases.explanation == "二氧化碳和甲烷都是温室气体。"  # the correct answer's feedback
    assert (microwave.kind, microwave.correct, microwave.tags) == ("truefalse", (1,), ("辟谣",))
    assert moon.stem.endswith("& does not make its own light.")
    assert moon.choices == ("True", "False")


def test_gift_reads_categories_feedback_true_false_weights_and_escapes():
    parsed = parse("gift", (DATA / "questions.gift").read_bytes())

    salt, energy, microwave, moon, escaped, html = parsed
    assert salt.row == 7 and salt.tags == ("科学素质", "B05", "health")
    assert salt.explanation == "《中国居民膳食指南（2022）》建议不超过 5 克。\n“3 克”：太少了。"
    assert (energy.kind, energy.correct, energy.explanation) == ("multiple", (0, 2), "风能和太阳能都可再生。")
    assert (microwave.kind, microwave.correct, microwave.explanation) == (
        "truefalse",
        (1,),
        "对，不会带放射性。\n“正确”：放射性？不会。",  # the right answer's feedback, then the wrong one's
    )
    assert (moon.key, moon.language, moon.explanation) == ("Moon", "en", "It reflects sunlight.")
    assert escaped.stem == "在数学中 1 + 1 = ？"
    assert html.choices[0] == "a² + b² = c²" and html.key == ""


# --- broken files -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fmt", "message"),
    [
        ("broken-latin1.csv", "csv", "neither UTF-8 nor GB18030"),
        ("broken-missing-columns.csv", "csv", "missing column(s): stem"),
        ("broken-not-xlsx.xlsx", "xlsx", "not a readable workbook"),
        ("broken-malformed.xml", "moodle", "malformed XML at line 45"),
        ("questions.csv", "kahoot", "not a readable workbook"),
        ("questions.xlsx", "kahoot", "not a Kahoot! template"),
    ],
)
def test_a_broken_file_is_a_file_error_with_a_clear_reason(name, fmt, message):
    with pytest.raises(FileError, match=None) as raised:
        parse(fmt, (DATA / name).read_bytes())

    assert message in str(raised.value)


def test_malformed_json_names_the_line():
    with pytest.raises(FileError, match="malformed JSON at line 2"):
        parse("json", b'[\n{"stem": }]')


@pytest.mark.parametrize(
    ("name", "fmt", "expected"),
    [
        (
            "broken-rows.csv",
            "csv",
            [
                (3, "correct", "points at a choice that is not there"),
                (4, "choice_b", "choice_b is empty but a later choice is filled"),
                (5, "difficulty", "difficulty must be 1 to 5, not 9"),
                (6, "kind", "unknown question kind 'essay'"),
            ],
        ),
        ("kahoot-time-15.xlsx", "kahoot", [(9, "G (Time limit)", "time limit 15 s is not one of 5, 10, 20")]),
        (
            "kahoot-long-answer.xlsx",
            "kahoot",
            [
                (9, "C (Answer 1)", "the answer is 90 characters; Kahoot! allows 75"),
                (10, "B (Question)", "the question is 160 characters; Kahoot! allows 120"),
            ],
        ),
        (
            "formula-cells.csv",
            "csv",
            [(2, "stem", "the cell holds a formula"), (3, "choice_b", "the cell holds a formula")],
        ),
        ("formula-cells.xlsx", "xlsx", [(2, "stem", "the cell holds a formula")]),
    ],
)
def test_invalid_rows_say_row_column_and_reason(name, fmt, expected):
    found = errors(parse(fmt, (DATA / name).read_bytes()))

    assert [(e.row, e.column) for e in found] == [(row, column) for row, column, _ in expected]
    for error, (_, _, reason) in zip(found, expected, strict=True):
        assert reason in error.reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A", ((0,), False)),
        ("a, c", ((0, 2), False)),
        ("ACD", ((0, 2, 3), False)),
        ("B、D", ((1, 3), False)),
        ("正确", ((0,), True)),
        ("错", ((1,), True)),
        ("F", ((1,), True)),
        ("TRUE", ((0,), True)),
        ("G", None),
        ("1", None),
    ],
)
def test_correct_answers_are_read_as_letters_or_true_false_words(text, expected):
    assert template.parse_correct(text) == expected


@pytest.mark.parametrize(
    ("correct", "kind", "choices", "reason"),
    [
        ("A,B", "single", ("x", "y"), "exactly one correct answer"),
        ("", "single", ("x", "y"), "no correct answer"),
        ("A", "single", ("x",), "2 to 6 choices"),
        ("", "judged", (), "needs a reference answer"),
    ],
)
def test_rows_that_do_not_fit_their_kind_are_invalid(correct, kind, choices, reason):
    cells = dict(zip(("choice_a", "choice_b"), choices, strict=False))
    header = ["kind", "stem", "choice_a", "choice_b", "correct"]
    row = [kind, "题干", cells.get("choice_a", ""), cells.get("choice_b", ""), correct]
    found = template.parse_rows([header, row])

    assert len(found) == 1 and isinstance(found[0], RowError)
    assert reason in found[0].reason


# --- writers ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx"])
def test_our_formats_round_trip_every_question(fmt):
    again = parse(fmt, write(fmt, SAMPLE))

    assert errors(again) == []
    assert [content(q) for q in again] == [content(q) for q in SAMPLE]


def test_json_round_trip_is_lossless_field_for_field():
    again = parse("json", write("json", SAMPLE))

    assert [q for q in again] == [
        ParsedQuestion(**{**{f: getattr(q, f) for f in q.__dataclass_fields__}, "row": i})
        for i, q in enumerate(SAMPLE, start=1)
    ]
    assert write("json", again) == write("json", SAMPLE)


@pytest.mark.parametrize("fmt", ["moodle", "gift"])
def test_moodle_formats_round_trip_choice_questions_and_leave_out_judged_ones(fmt):
    again = parse(fmt, write(fmt, SAMPLE))

    expected = [q for q in SAMPLE if q.kind != "judged"]
    assert [content(q) for q in again] == [content(q) for q in expected]


def test_kahoot_export_snaps_time_limits_and_leaves_out_what_does_not_fit():
    sample = [*SAMPLE, ParsedQuestion(row=9, stem="长" * 121, choices=("a", "b"), correct=(0,))]
    again = parse(
        "kahoot",
        write(
            "kahoot",
            [
                *sample[:3],
                ParsedQuestion(row=8, stem="x", time_limit=15, choices=("a", "b"), correct=(1,)),
                *sample[3:],
            ],
        ),
    )

    assert [q.stem for q in again] == [SAMPLE[0].stem, SAMPLE[1].stem, SAMPLE[2].stem, "x", SAMPLE[4].stem]
    assert again[3].time_limit == 20
    assert kahoot.unfit(sample[-1]).startswith("stem of 121 characters")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+1", "'+1"),
        ("-5 ℃", "'-5 ℃"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("普通文本", "普通文本"),
        ("a=b", "a=b"),
        (20, 20),
    ],
)
def test_cells_that_start_like_formulas_are_neutralised_and_restored(value, expected):
    assert neutralise(value) == expected
    if isinstance(value, str):
        assert unneutralise(neutralise(value)) == value


def test_csv_export_neutralises_formulas_in_every_cell():
    rows = list(csv.reader(io.StringIO(write("csv", SAMPLE).decode("utf-8-sig"))))
    dangerous = [c for row in rows for c in row if c[:1] in ("=", "+", "-", "@", "\t", "\r")]

    assert dangerous == []
    assert rows[5][3] == "'=1+1 is what?"
    assert rows[5][4:7] == ["'-2", "'+2", "'@2"]


@pytest.mark.parametrize("fmt", ["xlsx", "kahoot"])
def test_xlsx_exports_hold_no_formulas(fmt):
    workbook = openpyxl.load_workbook(io.BytesIO(write(fmt, SAMPLE)))
    cells = [c for sheet in workbook.worksheets for row in sheet.iter_rows() for c in row]

    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    # Our template keeps the apostrophe (it round-trips through our importer); Kahoot!'s players would see
    # it, so the Kahoot! export relies on the string cell type alone.
    expected = "'=1+1 is what?" if fmt == "xlsx" else "=1+1 is what?"
    assert expected in [c.value for c in cells]


def test_the_documented_example_files_are_what_the_writer_makes_of_valid_questions():
    for name, fmt in (("questions-template.csv", "csv"), ("questions-template.xlsx", "xlsx")):
        parsed = parse(fmt, (DOCS / name).read_bytes())
        assert len(parsed) == 5 and errors(parsed) == []
    assert (
        json.loads(write("json", parse("csv", (DOCS / "questions-template.csv").read_bytes())))["version"]
        == 1
    )


def test_a_row_without_a_key_gets_the_same_key_for_the_same_stem():
    assert auto_key("水的化学式是什么？") == auto_key(" 水的化学式是什么 ")
    assert auto_key("水的化学式是什么？") != auto_key("二氧化碳的化学式是什么？")


# --- near-duplicates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "duplicate"),
    [
        ("成年人每天食盐摄入量建议不超过多少克？", "成年人每天食盐摄入量建议不超过多少克", True),
        ("成年人每天食盐摄入量建议不超过多少克？", "成年人每天的食盐摄入量建议不超过多少克？", True),
        ("Which planet is the Red Planet?", "which  planet is the red planet", True),
        ("ＡＢＣ全角字母的题目是什么？", "ABC全角字母的题目是什么", True),
        ("成年人每天食盐摄入量建议不超过多少克？", "成年人每天饮水量建议为多少毫升？", False),
        ("水的化学式？", "盐的化学式？", False),
    ],
)
def test_near_duplicate_stems_are_found_by_3_gram_jaccard_or_difflib_ratio(a, b, duplicate):
    index = duplicates.StemIndex([("existing", a)])

    match = index.find(b)

    assert (match is not None) is duplicate
    assert (duplicates.similar(a, b) > 0) is duplicate


def test_the_index_finds_the_same_matches_as_comparing_every_pair():
    stems = [
        f"第{i}题：{'光合作用' if i % 3 else '温室气体'}与{'水循环' * (i % 4)}的关系编号{i % 17}"
        for i in range(400)
    ]
    index = duplicates.StemIndex([(str(i), s) for i, s in enumerate(stems[:300])])

    for probe in stems[300:]:
        brute = max((duplicates.similar(probe, s), str(i)) for i, s in enumerate(stems[:300]))
        match = index.find(probe)
        if brute[0] > 0:
            assert match is not None and match.score == pytest.approx(brute[0], abs=1e-3)
        else:
            assert match is None


def test_a_key_can_be_excluded_from_the_search():
    index = duplicates.StemIndex([("q1", "地球绕太阳一周需要多长时间？")])

    assert index.find("地球绕太阳一周需要多长时间？", exclude="q1") is None


def test_an_index_built_for_known_probes_finds_what_the_full_index_finds():
    bank = [
        (str(i), f"第{i % 50}题：{'光合作用' if i % 3 else '温室气体'}与{'水循环' * (i % 4)}的关系{i % 7}")
        for i in range(300)
    ]
    probes = [
        f"第{i % 50}题：{'光合作用' if i % 3 else '温室气体'}与{'水循环' * (i % 4)}的关系{i % 11}"
        for i in range(60)
    ]
    bank += [(f"en-{i}", f"Which planet number {i} is the largest in the solar system?") for i in range(100)]
    full = duplicates.StemIndex(bank)
    lean = duplicates.StemIndex(bank, probes=probes)

    assert len(lean) < len(full)
    assert [lean.find(p) for p in probes] == [full.find(p) for p in probes]
    assert sum(1 for p in probes if full.find(p)) > 10
