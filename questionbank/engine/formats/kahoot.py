"""The Kahoot! spreadsheet template (XLSX): a few title rows, then a header row with
"Question - max 120 characters", "Answer 1 - max 75 characters" … "Answer 4 …",
"Time limit (sec) – 5, 10, 20, 30, 60, 90, 120, or 240 secs", "Correct answer(s) - choose at least one",
and one question per row (column A numbers the questions). Correct answers are answer numbers, "1" or "1,3".
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

from questionbank.engine.formats import (
    TRUE_FALSE_CHOICES,
    FileError,
    Parsed,
    ParsedQuestion,
    Progress,
    RowError,
    RowSkip,
    checked,
    guess_language,
    unneutralise,
)
from questionbank.engine.formats.template import cell_text, read_sheet

MAX_QUESTION = 120
MAX_ANSWER = 75
MAX_ANSWERS = 4
TIME_LIMITS = (5, 10, 20, 30, 60, 90, 120, 240)
HEADER = (
    "",
    "Question - max 120 characters",
    "Answer 1 - max 75 characters",
    "Answer 2 - max 75 characters",
    "Answer 3 - max 75 characters",
    "Answer 4 - max 75 characters",
    "Time limit (sec) – 5, 10, 20, 30, 60, 90, 120, or 240 secs",
    "Correct answer(s) - choose at least one",
)
HEADER_ROW = 8  # where Kahoot's own template puts it; the parser finds it anywhere in the first 30 rows
FIELDS = frozenset({"kind", "language", "stem", "choices", "correct", "time_limit"})
TRUE_FALSE = {tuple(c.lower() for c in pair) for pair in TRUE_FALSE_CHOICES.values()}


def _columns(row: Sequence[object]) -> dict[str, int] | None:
    found: dict[str, int] = {}
    for index, raw in enumerate(row):
        text = cell_text(raw).lower()
        if text.startswith("question"):
            found.setdefault("question", index)
        elif match := re.match(r"answer\s*([1-4])", text):
            found.setdefault(f"answer{match.group(1)}", index)
        elif text.startswith("time limit"):
            found.setdefault("time", index)
        elif text.startswith("correct answer"):
            found.setdefault("correct", index)
    return found if "question" in found and "answer1" in found else None


def looks_like_kahoot(data: bytes) -> bool:
    def read(sheet) -> list[Parsed]:
        found = any(_columns(row) for row in sheet.iter_rows(max_row=30, values_only=True))
        return [RowSkip(0, "")] if found else []

    try:
        return bool(read_sheet(data, read))
    except FileError:
        return False


def _letter(index: int) -> str:
    return chr(ord("A") + index)


def parse(data: bytes, *, progress: Progress = None) -> list[Parsed]:
    return read_sheet(data, lambda sheet: _parse_sheet(sheet, progress))


class _Formula(str):
    """A cell the workbook stores as a formula (not a string that happens to start with '=')."""


def _values(cells: Sequence[Any]) -> list[object]:
    return [
        _Formula(cell.value) if getattr(cell, "data_type", "") == "f" else getattr(cell, "value", None)
        for cell in cells
    ]


def _parse_sheet(sheet, progress: Progress) -> list[Parsed]:
    total = sheet.max_row or 0
    rows = (_values(cells) for cells in sheet.iter_rows())
    columns = None
    number = 0
    for number, row in enumerate(rows, start=1):
        columns = _columns(row)
        if columns or number >= 30:
            break
    if not columns:
        raise FileError(
            "this is not a Kahoot! template: no header row with 'Question - max 120 characters' and "
            "'Answer 1 - max 75 characters' in the first 30 rows"
        )
    missing = [
        name
        for key, name in (
            ("time", "Time limit (sec)"),
            ("correct", "Correct answer(s)"),
            ("answer2", "Answer 2"),
        )
        if key not in columns
    ]
    if missing:
        raise FileError(f"missing Kahoot! column(s): {', '.join(missing)}")
    out: list[Parsed] = []
    for number, row in enumerate(rows, start=number + 1):  # noqa: B020
        if progress and number % 500 == 0:
            progress(number, total)
        out.extend(_row(number, row, columns))
    return out


def _row(number: int, row: Sequence[object], columns: dict[str, int]) -> list[Parsed]:
    formulas: list[str] = []

    def cell(name: str) -> tuple[str, str]:
        index = columns.get(name)
        value = row[index] if index is not None and index < len(row) else None
        label = f"{_letter(index or 0)} ({name.replace('answer', 'Answer ').replace('question', 'Question')})"
        if isinstance(value, _Formula):
            formulas.append(label)
        return cell_text(value), label

    question, q_label = cell("question")
    answers = [cell(f"answer{i}") for i in range(1, MAX_ANSWERS + 1) if f"answer{i}" in columns]
    if not question and not any(text for text, _ in answers):
        return []
    # Only cells stored as formulas are refused: a text cell that starts with '=' is shown as typed.
    errors: list[Parsed] = [
        RowError(number, label, "the cell holds a formula; type plain text") for label in formulas
    ]
    if errors:
        return errors
    question = unneutralise(question)
    if len(question) > MAX_QUESTION:
        errors.append(
            RowError(
                number, q_label, f"the question is {len(question)} characters; Kahoot! allows {MAX_QUESTION}"
            )
        )
    for text, label in answers:
        if len(text) > MAX_ANSWER:
            errors.append(
                RowError(number, label, f"the answer is {len(text)} characters; Kahoot! allows {MAX_ANSWER}")
            )
    time_text, time_label = cell("time")
    try:
        time_limit = int(float(time_text))
    except ValueError:
        time_limit = 0
    if time_limit not in TIME_LIMITS:
        errors.append(
            RowError(
                number,
                time_label.replace("(time)", "(Time limit)"),
                f"time limit {time_text or '(empty)'} s is not one of {', '.join(map(str, TIME_LIMITS))}",
            )
        )
    correct_text, correct_label = cell("correct")
    correct_label = correct_label.replace("(correct)", "(Correct answer(s))")
    numbers = [n for n in re.split(r"[\s,，;、]+", correct_text) if n]
    if not numbers or not all(n.isdigit() for n in numbers):
        errors.append(
            RowError(
                number, correct_label, f"{correct_text or '(empty)'}: give answer numbers such as 1 or 1,3"
            )
        )
    if errors:
        return errors
    # Answer numbers refer to the template's columns; empty answers in between are dropped.
    choices: list[str] = []
    position: dict[int, int] = {}
    for i, (text, _) in enumerate(answers, start=1):
        if text:
            position[i] = len(choices)
            choices.append(unneutralise(text))
    correct = []
    for n in map(int, numbers):
        if n not in position:
            return [RowError(number, correct_label, f"answer {n} is empty or not there")]
        correct.append(position[n])
    correct = sorted(set(correct))
    truefalse = len(choices) == 2 and tuple(c.lower() for c in choices) in TRUE_FALSE
    kind = "truefalse" if truefalse else ("multiple" if len(correct) > 1 else "single")
    parsed = ParsedQuestion(
        row=number,
        kind=kind,
        stem=question,
        choices=tuple(choices),
        correct=tuple(correct),
        time_limit=time_limit,
        language=guess_language(question),
        fields=FIELDS,
    )
    return checked(
        parsed,
        {"stem": q_label, "choices": "C (Answer 1)", "correct": correct_label, "time_limit": time_label},
    )


def unfit(q: ParsedQuestion) -> str:
    """Why ``q`` cannot go into a Kahoot! template ('' if it can)."""
    if q.kind == "judged":
        return "host-judged questions have no answers to choose"
    if q.kind in ("short", "numerical"):
        return "Kahoot!'s spreadsheet template has no type-answer questions"
    if len(q.choices) > MAX_ANSWERS:
        return f"{len(q.choices)} choices; Kahoot! takes at most {MAX_ANSWERS}"
    if len(q.stem) > MAX_QUESTION:
        return f"stem of {len(q.stem)} characters; Kahoot! takes at most {MAX_QUESTION}"
    if any(len(c) > MAX_ANSWER for c in q.choices):
        return f"a choice over {MAX_ANSWER} characters"
    return ""


def snap_time_limit(seconds: int) -> int:
    """The nearest time limit Kahoot! accepts (ties go to the longer one)."""
    return min(TIME_LIMITS, key=lambda t: (abs(t - seconds), -t))


def write(questions: Sequence[ParsedQuestion]) -> bytes:
    """Kahoot!'s layout (title rows, header on row 8); questions that do not fit (``unfit``) are left out."""
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Sheet1"
    sheet["B2"] = "Quiz template"
    sheet["B2"].font = Font(size=14, bold=True)
    sheet["B3"] = (
        "Add questions, at least two answer alternatives, time limit and choose correct answers "
        "(at least one)."
    )
    sheet["B4"] = (
        "Remember: questions have a limit of 120 characters and answers can have 75 characters max. "
        "If several answers are correct, separate them with a comma."
    )
    sheet["B5"] = "Exported from Jingjinji Quiz (京津冀公民科学素质大赛题库)."
    for column, title in enumerate(HEADER, start=1):
        cell = sheet.cell(HEADER_ROW, column, title)
        cell.font = Font(bold=True, color="FFFFFFFF")
        cell.fill = PatternFill("solid", fgColor="FF46178F")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for column, width in zip("ABCDEFGH", (5, 60, 30, 30, 30, 30, 16, 16), strict=True):
        sheet.column_dimensions[column].width = width
    row = HEADER_ROW
    for q in questions:
        if unfit(q):
            continue
        row += 1
        answers = list(q.choices) + [""] * (MAX_ANSWERS - len(q.choices))
        values = [
            row - HEADER_ROW,
            q.stem,
            *answers,
            snap_time_limit(q.time_limit),
            ",".join(str(i + 1) for i in q.correct),
        ]
        # Text goes in string-typed cells, which no spreadsheet runs as a formula; an apostrophe in front
        # (as in CSV) would be shown to the players as part of the text.
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row, column, value if value != "" else None)
            if isinstance(value, str):
                cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
