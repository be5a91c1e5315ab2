"""Our own question template, as XLSX (first sheet) or CSV (UTF-8, or GB18030 from Chinese Excel).

One header row, then one question per row. Columns (any order, English or Chinese header names, see
``ALIASES``): key, kind, language, stem, choice_a..choice_f, correct, explanation, source, difficulty,
time_limit, tags, reference_answer. Only ``stem`` and ``correct`` are required (``reference_answer``
instead of ``correct`` for host-judged questions). Row numbers are the spreadsheet's: the header is row 1.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from questionbank.engine.formats import (
    LETTERS,
    MAX_CHOICES,
    TRUE_FALSE_CHOICES,
    FileError,
    Parsed,
    ParsedQuestion,
    Progress,
    RowError,
    checked,
    letters,
    neutralise,
    unneutralise,
)
from questionbank.engine.formats.encodings import decode_csv

CHOICE_COLUMNS = tuple(f"choice_{c.lower()}" for c in LETTERS[:MAX_CHOICES])
COLUMNS = (
    "key",
    "kind",
    "language",
    "stem",
    *CHOICE_COLUMNS,
    "correct",
    "explanation",
    "source",
    "difficulty",
    "time_limit",
    "tags",
    "reference_answer",
    "accepted_answers",
    "numeric_value",
    "tolerance",
    "unit",
)
COLUMN_HELP = {
    "key": "稳定编号（字母、数字、- 或 _，最多 40 个）；留空则按题干自动生成。Stable id; same key = update.",
    "kind": "single / multiple / truefalse / judged / short / numerical"
    "（或 单选 / 多选 / 判断 / 主观 / 填空 / 数值）；留空则自动判断。",
    "language": "zh-hans（默认）或 en。",
    "stem": "题干（必填）。",
    "choice_a": "选项 A…F：至少两个，依次填写，不能跳空。判断题可留空（正确 / 错误）。",
    "correct": "正确答案：A、A,C（多选）、正确 / 错误（判断）。",
    "explanation": "科普解析，揭晓答案时显示。",
    "source": "出处（审核通过必填），最多 300 字。",
    "difficulty": "难度 1–5，默认 3。",
    "time_limit": "答题时间（秒）1–600，默认 20。",
    "tags": "标签，用分号分隔：基准代码（B05）、主题代码（health）或自由标签名。",
    "reference_answer": "参考答案（主观题 judged 必填）。",
    "accepted_answers": "填空题（short）可接受的答案，用 | 分隔，如 北京|北京市；"
    "比较时忽略大小写、空格、标点、全半角和繁简。",
    "numeric_value": "数值题（numerical）的答案，如 3.5。",
    "tolerance": "数值题允许的误差（±），默认 0。",
    "unit": "数值题的单位，如 m/s；选手可带可不带。",
}
ALIASES = {
    "编号": "key",
    "题号": "key",
    "题型": "kind",
    "type": "kind",
    "语言": "language",
    "题干": "stem",
    "题目": "stem",
    "question": "stem",
    "答案": "correct",
    "正确答案": "correct",
    "answer": "correct",
    "解析": "explanation",
    "科普解析": "explanation",
    "出处": "source",
    "来源": "source",
    "难度": "difficulty",
    "时限": "time_limit",
    "答题时间": "time_limit",
    "标签": "tags",
    "参考答案": "reference_answer",
    "可接受答案": "accepted_answers",
    "填空答案": "accepted_answers",
    "数值答案": "numeric_value",
    "误差": "tolerance",
    "允许误差": "tolerance",
    "单位": "unit",
    **{f"选项{c}": f"choice_{c.lower()}" for c in LETTERS},
    **{f"option_{c.lower()}": f"choice_{c.lower()}" for c in LETTERS},
}
REQUIRED = ("stem",)
KIND_ALIASES = {
    "single": "single",
    "单选": "single",
    "单选题": "single",
    "multiple": "multiple",
    "多选": "multiple",
    "多选题": "multiple",
    "truefalse": "truefalse",
    "true_false": "truefalse",
    "判断": "truefalse",
    "判断题": "truefalse",
    "judged": "judged",
    "主观": "judged",
    "主观题": "judged",
    "口答": "judged",
    "short": "short",
    "short_answer": "short",
    "shortanswer": "short",
    "填空": "short",
    "填空题": "short",
    "numerical": "numerical",
    "numeric": "numerical",
    "数值": "numerical",
    "数值题": "numerical",
}
ACCEPTED_SEPARATORS = ("|", "｜")
LANGUAGE_ALIASES = {
    "": "zh-hans",
    "zh": "zh-hans",
    "zh-cn": "zh-hans",
    "zh-hans": "zh-hans",
    "zh_hans": "zh-hans",
    "中文": "zh-hans",
    "简体中文": "zh-hans",
    "en": "en",
    "english": "en",
    "英文": "en",
}
TRUE_WORDS = {"正确", "对", "是", "√", "✓", "t", "true", "yes", "y"}
FALSE_WORDS = {"错误", "错", "否", "×", "✗", "x", "f", "false", "no", "n"}
SEPARATORS = str.maketrans({",": " ", "，": " ", "、": " ", ";": " ", "；": " ", "/": " "})


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def header_map(header: Sequence[object]) -> dict[str, int]:
    """Column name -> index, with aliases resolved; FileError if a required column is missing."""
    found: dict[str, int] = {}
    for index, raw in enumerate(header):
        name = cell_text(raw).lower().replace(" ", "_")
        name = ALIASES.get(name, ALIASES.get(cell_text(raw), name))
        if name in COLUMNS and name not in found:
            found[name] = index
    missing = [c for c in REQUIRED if c not in found]
    if not {"correct", "reference_answer", "accepted_answers", "numeric_value"} & found.keys():
        missing.append("correct")
    if missing:
        raise FileError(
            f"missing column(s): {', '.join(missing)}. The first row must hold the column names: "
            f"{', '.join(COLUMNS)}"
        )
    return found


def parse_correct(text: str) -> tuple[tuple[int, ...], bool] | None:
    """(0-based indexes, is a true/false word) or None if unreadable. 'A,C', 'AC', '正确', 'F'."""
    lowered = text.strip().lower()
    if lowered in TRUE_WORDS:
        return (0,), True
    if lowered in FALSE_WORDS:
        return (1,), True
    compact = lowered.translate(SEPARATORS).replace(" ", "").upper()
    if not compact or any(c not in LETTERS for c in compact):
        return None
    return tuple(sorted({LETTERS.index(c) for c in compact})), False


def parse_rows(
    rows: Iterable[Sequence[object]], *, total: int = 0, progress: Progress = None
) -> list[Parsed]:
    """Rows of cells (the header first) -> parsed questions and row errors."""
    iterator = iter(rows)
    header = next(iterator, None)
    if header is None:
        raise FileError("the file is empty; the first row must hold the column names")
    columns = header_map(header)
    present = frozenset(
        {"kind", "stem"}
        | {name for name in columns if name not in CHOICE_COLUMNS}
        | ({"choices"} if any(c in columns for c in CHOICE_COLUMNS) else set())
    )
    labels = {name: name for name in columns} | {"choices": "choice_a"}
    out: list[Parsed] = []
    for number, cells in enumerate(iterator, start=2):
        if progress and number % 500 == 0:
            progress(number - 1, total)
        values: dict[str, str] = {}
        errors: list[RowError] = []
        for name, index in columns.items():
            raw = cells[index] if index < len(cells) else None
            text = cell_text(raw)
            if text.startswith("="):
                errors.append(
                    RowError(
                        number, name, "the cell holds a formula; type plain text (prefix ' to keep a '=')"
                    )
                )
            values[name] = unneutralise(text)
        if not any(values.values()):
            continue
        if errors:
            out.extend(errors)
            continue
        out.extend(_row(number, values, present, labels))
    return out


def _row(number: int, v: dict[str, str], present: frozenset[str], labels: dict[str, str]) -> list[Parsed]:
    def error(column: str, reason: str) -> list[Parsed]:
        return [RowError(number, column, reason)]

    choices: list[str] = []
    gap = ""
    for column in CHOICE_COLUMNS:
        text = v.get(column, "")
        if text and gap:
            return error(gap, f"{gap} is empty but a later choice is filled")
        if text:
            choices.append(text)
        elif not gap:
            gap = column
    language = LANGUAGE_ALIASES.get(v.get("language", "").lower(), v.get("language", ""))
    kind_text = v.get("kind", "")
    kind = KIND_ALIASES.get(kind_text.lower(), kind_text.lower()) if kind_text else ""
    correct: tuple[int, ...] = ()
    truefalse = False
    if v.get("correct"):
        parsed = parse_correct(v["correct"])
        if parsed is None:
            return error(
                "correct", f"cannot read {v['correct']!r}; write letters such as A or A,C, or 正确/错误"
            )
        correct, truefalse = parsed
    accepted = tuple(
        a.strip() for a in v.get("accepted_answers", "").replace("｜", "|").split("|") if a.strip()
    )
    typed: dict[str, object] = {}
    for name in ("numeric_value", "tolerance"):
        text = v.get(name, "").replace(",", "")
        if text:
            try:
                typed[name] = float(text)
            except ValueError:
                return error(name, f"{v[name]!r} is not a number")
    if not kind:
        if not choices and not correct and accepted:
            kind = "short"
        elif not choices and not correct and "numeric_value" in typed:
            kind = "numerical"
        elif not choices and not correct and v.get("reference_answer"):
            kind = "judged"
        elif truefalse:
            kind = "truefalse"
        else:
            kind = "multiple" if len(correct) > 1 else "single"
    if kind == "truefalse" and not choices:
        choices = list(TRUE_FALSE_CHOICES.get(language, TRUE_FALSE_CHOICES["zh-hans"]))
    if kind in ("judged", "short", "numerical"):
        choices, correct = [], ()
    numbers: dict[str, int] = {}
    for name, default in (("difficulty", 3), ("time_limit", 20)):
        text = v.get(name, "")
        if not text:
            numbers[name] = default
            continue
        try:
            numbers[name] = int(float(text))
        except ValueError:
            return error(name, f"{text!r} is not a whole number")
    tags = tuple(
        dict.fromkeys(t.strip() for t in v.get("tags", "").replace("；", ";").split(";") if t.strip())
    )
    question = ParsedQuestion(
        row=number,
        key=v.get("key", ""),
        kind=kind,
        language=language,
        stem=v.get("stem", ""),
        choices=tuple(choices),
        correct=correct,
        explanation=v.get("explanation", ""),
        source=v.get("source", ""),
        difficulty=numbers["difficulty"],
        time_limit=numbers["time_limit"],
        tags=tags,
        reference_answer=v.get("reference_answer", ""),
        accepted_answers=accepted if kind == "short" else (),
        numeric_value=typed.get("numeric_value") if kind == "numerical" else None,  # type: ignore[arg-type]
        tolerance=typed.get("tolerance", 0.0) if kind == "numerical" else 0.0,  # type: ignore[arg-type]
        unit=v.get("unit", "") if kind == "numerical" else "",
        fields=present,
    )
    return checked(question, labels)


# --- CSV ---------------------------------------------------------------------------------------------------


def parse_csv(data: bytes, *, progress: Progress = None) -> list[Parsed]:
    text = decode_csv(data)
    if "\x00" in text:
        raise FileError(
            "the file holds NUL bytes; it is not a text CSV file. Save it as 'CSV UTF-8' and retry"
        )
    # Excel's "Unicode text" separates cells with tabs; a header line with a tab and no comma is read so.
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise FileError(f"the CSV file cannot be read: {exc}") from None
    return parse_rows(rows, total=len(rows) - 1, progress=progress)


def _row_cells(q: ParsedQuestion) -> list[object]:
    choices = list(q.choices) + [""] * (MAX_CHOICES - len(q.choices))
    if q.kind == "truefalse":
        correct = "正确" if q.correct == (0,) else "错误"
        if tuple(q.choices) == TRUE_FALSE_CHOICES.get(q.language):
            choices = [""] * MAX_CHOICES
    else:
        correct = letters(q.correct)
    return [
        q.key,
        q.kind,
        q.language,
        q.stem,
        *choices,
        correct,
        q.explanation,
        q.source,
        q.difficulty,
        q.time_limit,
        ";".join(q.tags),
        q.reference_answer,
        "|".join(q.accepted_answers),
        "" if q.numeric_value is None else f"{q.numeric_value:.15g}",
        f"{q.tolerance:.15g}" if q.kind == "numerical" else "",
        q.unit,
    ]


def write_csv(questions: Sequence[ParsedQuestion]) -> bytes:
    """UTF-8 with a BOM (so Excel opens it as UTF-8), formulas neutralised."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for q in questions:
        writer.writerow([neutralise(c) for c in _row_cells(q)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# --- XLSX --------------------------------------------------------------------------------------------------


def unreadable(exc: BaseException) -> FileError:
    """The one error every unreadable workbook gives, whatever part of it is broken."""
    detail = str(exc).splitlines()[0][:200] if str(exc) else ""
    return FileError(
        f"the file is not a readable workbook ({exc.__class__.__name__}{': ' + detail if detail else ''}); "
        "open it in Excel or WPS, save it again as .xlsx and import again"
    )


# What openpyxl (and the XML parsers and zip reader under it) raise on a damaged workbook: a bad zip, a
# missing part, malformed XML in the workbook or a sheet, values it cannot convert.
WORKBOOK_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    LookupError,  # KeyError, IndexError: a part or relation that is not there
    OSError,
    ValueError,
    TypeError,  # openpyxl's typed descriptors refuse a value of the wrong type
    EOFError,
    SyntaxError,  # xml.etree.ElementTree.ParseError and lxml's XMLSyntaxError derive from it
)


def open_workbook(data: bytes):
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (InvalidFileException, *WORKBOOK_ERRORS) as exc:
        raise unreadable(exc) from None


def read_sheet(data: bytes, read: Callable[[Any], list[Parsed]], *, sheet_name: str = "") -> list[Parsed]:
    """Open the workbook and run ``read`` on its sheet (``sheet_name`` if present, else the first); a
    sheet whose XML breaks while it is read gives the same "not a readable workbook" error."""
    workbook = open_workbook(data)
    try:
        sheet = workbook[sheet_name] if sheet_name in workbook.sheetnames else workbook.worksheets[0]
        return read(sheet)
    except FileError:
        raise
    except WORKBOOK_ERRORS as exc:
        raise unreadable(exc) from None
    finally:
        workbook.close()


def parse_xlsx(data: bytes, *, progress: Progress = None) -> list[Parsed]:
    def read(sheet) -> list[Parsed]:
        total = max((sheet.max_row or 1) - 1, 0)
        return parse_rows(sheet.iter_rows(values_only=True), total=total, progress=progress)

    return read_sheet(data, read, sheet_name="questions")


def write_xlsx(questions: Sequence[ParsedQuestion]) -> bytes:
    """The 'questions' sheet (header + rows, formulas neutralised, all text cells) and a 'README' sheet."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("questions")
    sheet.freeze_panes = "A2"
    for column, width in zip(
        "ABCDEFGHIJKLMNOPQRSTUV",
        (14, 10, 9, 50, *(18,) * 6, 9, 40, 30, 9, 9, 20, 30, 24, 10, 9, 8),
        strict=False,
    ):
        sheet.column_dimensions[column].width = width
    bold = Font(bold=True)
    header = []
    for name in COLUMNS:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for q in questions:
        sheet.append([neutralise(c) for c in _row_cells(q)])
    readme = workbook.create_sheet("README")
    readme.append(["column", "说明 / meaning"])
    for name in COLUMNS:
        readme.append(
            [name, COLUMN_HELP.get(name, COLUMN_HELP["choice_a"] if name.startswith("choice_") else "")]
        )
    readme.append([])
    readme.append(["", "Full description: docs/question-formats.md"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
