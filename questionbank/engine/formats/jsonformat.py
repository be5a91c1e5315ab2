"""JSON: every field of our question model, lossless. ``{"format": "jingjinji-quiz/questions", "version": 1,
"questions": [{...}, ...]}``; a bare list of question objects (as in questionbank/fixtures) is read too.
"Rows" are 1-based positions in the list; "columns" are field names.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from questionbank.engine.formats import FileError, Parsed, ParsedQuestion, Progress, RowError, checked

FORMAT = "jingjinji-quiz/questions"
VERSION = 1
TEXT_FIELDS = (
    "key",
    "kind",
    "status",
    "language",
    "stem",
    "reference_answer",
    "explanation",
    "source",
    "theme",
    "translation_of",
    "unit",
)
INT_FIELDS = ("difficulty", "time_limit")
STATUSES = ("", "draft", "review", "approved", "retired")


def parse(data: bytes, *, progress: Progress = None) -> list[Parsed]:
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise FileError(f"the JSON file is not UTF-8 (byte {exc.start}); save it as UTF-8") from None
    except json.JSONDecodeError as exc:
        raise FileError(f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    if isinstance(document, dict):
        if document.get("format", FORMAT) != FORMAT:
            raise FileError(f"unknown JSON format {document.get('format')!r}; expected {FORMAT!r}")
        if document.get("version", VERSION) > VERSION:
            raise FileError(
                f"JSON version {document['version']} is newer than this program reads ({VERSION})"
            )
        items = document.get("questions")
    else:
        items = document
    if not isinstance(items, list):
        raise FileError("the JSON file must be a list of questions or an object with a 'questions' list")
    out: list[Parsed] = []
    for number, item in enumerate(items, start=1):
        if progress and number % 500 == 0:
            progress(number, len(items))
        out.extend(_item(number, item))
    return out


def _item(number: int, item: object) -> list[Parsed]:
    if not isinstance(item, dict):
        return [RowError(number, "(question)", "each question must be a JSON object")]
    values: dict[str, object] = {}
    for name in TEXT_FIELDS:
        if name in item:
            value = item[name]
            if value is None:
                value = ""
            if not isinstance(value, str):
                return [RowError(number, name, "must be text")]
            values[name] = value
    if values.get("status", "") not in STATUSES:
        return [
            RowError(
                number,
                "status",
                f"unknown status {values['status']!r}; use draft, review, approved or retired",
            )
        ]
    for name in INT_FIELDS:
        if name in item:
            if not isinstance(item[name], int) or isinstance(item[name], bool):
                return [RowError(number, name, "must be a whole number")]
            values[name] = item[name]
    for name in ("numeric_value", "tolerance"):
        if name in item and item[name] is not None:
            value = item[name]
            if not isinstance(value, int | float) or isinstance(value, bool):
                return [RowError(number, name, "must be a number")]
            values[name] = float(value)
    if "accepted_answers" in item:
        value = item["accepted_answers"]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return [RowError(number, "accepted_answers", "must be a list of texts")]
        values["accepted_answers"] = tuple(value)
    for name in ("choices", "tags", "benchmarks", "themes"):
        if name in item:
            value = item[name]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                return [RowError(number, name, "must be a list of texts")]
    if "correct" in item:
        correct = item["correct"]
        if not isinstance(correct, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in correct
        ):
            return [RowError(number, "correct", "must be a list of 0-based choice numbers")]
        values["correct"] = tuple(sorted(set(correct)))
    if "choices" in item:
        values["choices"] = tuple(item["choices"])
    tags = list(item.get("tags", [])) + list(item.get("benchmarks", [])) + list(item.get("themes", []))
    if tags or "tags" in item:
        values["tags"] = tuple(dict.fromkeys(tags))
    present = frozenset(values) | {"kind", "stem"}
    values.setdefault("kind", "single")
    values.setdefault("stem", "")
    return checked(ParsedQuestion(row=number, fields=present, **values), {})  # type: ignore[arg-type]


def as_dict(q: ParsedQuestion) -> dict[str, object]:
    """Typed-answer fields are written for short and numerical questions only."""
    typed: dict[str, object] = {}
    if q.kind == "short":
        typed = {"accepted_answers": list(q.accepted_answers)}
    elif q.kind == "numerical":
        typed = {"numeric_value": q.numeric_value, "tolerance": q.tolerance, "unit": q.unit}
    base: dict[str, object] = {
        "key": q.key,
        "kind": q.kind,
        "status": q.status,
        "language": q.language,
        "stem": q.stem,
        "choices": list(q.choices),
        "correct": list(q.correct),
        "reference_answer": q.reference_answer,
        "explanation": q.explanation,
        "source": q.source,
        "difficulty": q.difficulty,
        "time_limit": q.time_limit,
        "theme": q.theme,
        "tags": list(q.tags),
        "translation_of": q.translation_of,
    }
    return base | typed


def write(questions: Sequence[ParsedQuestion]) -> bytes:
    document = {"format": FORMAT, "version": VERSION, "questions": [as_dict(q) for q in questions]}
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
