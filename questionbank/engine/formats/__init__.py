"""Question file formats as pure functions: bytes in, value objects out; value objects in, bytes out.

Every parser returns a list of ``ParsedQuestion`` (a valid row) and ``RowError`` (an invalid row: row,
column, reason), in file order, or raises ``FileError`` when the file as a whole cannot be read (wrong
encoding, missing columns, malformed XML, unknown question type). Writers take ``ParsedQuestion``s and
return bytes; spreadsheet and CSV writers neutralise formulas. No Django here; see
docs/question-formats.md for the formats column by column.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

KINDS = ("single", "multiple", "truefalse", "judged", "short", "numerical")
TYPED_KINDS = {"short", "numerical"}
MAX_ACCEPTED = 20  # accepted answers of a short-answer question
MAX_ACCEPTED_LENGTH = 200
MAX_UNIT = 20
CHOICE_KINDS = {"single", "multiple", "truefalse"}
LANGUAGES = ("zh-hans", "en")
TRUE_FALSE_CHOICES = {"zh-hans": ("正确", "错误"), "en": ("True", "False")}
# The stem of a question whose text is only a picture without a description.
SEE_PICTURE = {"zh-hans": "（见图）", "en": "(See the picture.)"}
MAX_CHOICES = 6
LETTERS = "ABCDEF"
KEY_RE = re.compile(r"^[-a-zA-Z0-9_]{1,40}$")
MAX_SOURCE = 300
MAX_TAG = 100
DIFFICULTY = range(1, 6)
TIME_LIMIT = range(1, 601)  # seconds
# Every field a ParsedQuestion can carry; a format that does not carry a field leaves it alone on update.
FIELDS = frozenset(
    {
        "key",
        "kind",
        "language",
        "stem",
        "choices",
        "correct",
        "explanation",
        "source",
        "difficulty",
        "time_limit",
        "tags",
        "reference_answer",
        "theme",
        "status",
        "translation_of",
        "accepted_answers",
        "numeric_value",
        "tolerance",
        "unit",
    }
)


class FileError(ValueError):
    """The file as a whole cannot be imported; nothing of it is."""


@dataclass(frozen=True, slots=True)
class RowSkip:
    """A question of a type the bank cannot hold: listed in the preview with the reason, never imported."""

    row: int
    reason: str
    stem: str = ""
    key: str = ""

    def __str__(self) -> str:
        return f"row {self.row}: skipped, {self.reason}"


@dataclass(frozen=True, slots=True)
class Image:
    """A picture carried inside a file (Moodle XML's base64 ``<file>``): bytes, file name, description."""

    name: str
    data: bytes = field(repr=False)
    alt: str = ""


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.column}: {self.reason}"


@dataclass(frozen=True, slots=True)
class ParsedQuestion:
    """One question read from a file; ``fields`` names what the file carried (others are left alone)."""

    row: int
    stem: str
    kind: str = "single"
    key: str = ""
    choices: tuple[str, ...] = ()
    correct: tuple[int, ...] = ()
    explanation: str = ""
    source: str = ""
    difficulty: int = 3
    time_limit: int = 20
    language: str = "zh-hans"
    tags: tuple[str, ...] = ()
    reference_answer: str = ""
    theme: str = ""
    status: str = ""
    translation_of: str = ""
    accepted_answers: tuple[str, ...] = ()  # short: every answer that counts as right
    numeric_value: float | None = None  # numerical: the answer
    tolerance: float = 0.0  # numerical: ± how much still counts
    unit: str = ""  # numerical
    image: Image | None = None
    fields: frozenset[str] = field(default=FIELDS, compare=False)
    # What the importer changed or could not keep (a dropped audio file, a key it could not use).
    warnings: tuple[str, ...] = field(default=(), compare=False)


Parsed = ParsedQuestion | RowError | RowSkip
Progress = Callable[[int, int], None] | None


def auto_key(stem: str) -> str:
    """A stable key for a row without one: the same stem always gets the same key."""
    from questionbank.engine.duplicates import normalise

    return "q-" + hashlib.sha1(normalise(stem).encode("utf-8")).hexdigest()[:12]


CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def guess_language(text: str) -> str:
    """zh-hans if the text has any Chinese character, else en (for formats without a language field)."""
    return "zh-hans" if CJK.search(text) else "en"


# Feedback that only says right or wrong (Moodle's default combined feedback among it) teaches nothing, so
# it is not carried into the explanation. Compared after dropping case, spaces and end punctuation.
BOILERPLATE_FEEDBACK = frozenset(
    {
        "正确",
        "错误",
        "对",
        "错",
        "回答正确",
        "回答错误",
        "correct",
        "incorrect",
        "right",
        "wrong",
        "well done",
        "your answer is correct",
        "your answer is partially correct",
        "your answer is incorrect",
    }
)
FEEDBACK_LABELS = {
    "zh-hans": {"quote": "“{}”：", "correct": "答对时：", "partial": "部分答对时：", "incorrect": "答错时："},
    "en": {
        "quote": '"{}": ',
        "correct": "If right: ",
        "partial": "If partly right: ",
        "incorrect": "If wrong: ",
    },
}


def _boilerplate(text: str) -> bool:
    return text.strip().strip("。.!！ ").casefold() in BOILERPLATE_FEEDBACK


def explanation_from(
    general: str,
    answers: Sequence[tuple[str, str, bool]],
    *,
    language: str,
    outcomes: Sequence[tuple[str, str]] = (),
) -> str:
    """One explanation (the 科普解析) from a file's feedback: the general feedback, else the first right
    answer's feedback; then every other answer's feedback, quoting the answer it belongs to (a distractor's
    feedback says why it is wrong); then feedback given by outcome (``outcomes``: ("correct" | "partial" |
    "incorrect", text)), labelled. ``answers`` are (choice text, feedback, is right). Empty, repeated and
    right-or-wrong-only feedback is left out."""
    labels = FEEDBACK_LABELS.get(language, FEEDBACK_LABELS["zh-hans"])
    parts: list[str] = []
    head = general.strip()
    if not head:
        head = next(
            (f.strip() for _c, f, right in answers if right and f.strip() and not _boilerplate(f)), ""
        )
    seen = {head}
    if head:
        parts.append(head)
    for choice, feedback, _right in answers:
        feedback = feedback.strip()
        if feedback and not _boilerplate(feedback) and feedback not in seen:
            seen.add(feedback)
            parts.append(labels["quote"].format(choice) + feedback)
    for outcome, text in outcomes:
        text = text.strip()
        if text and not _boilerplate(text):
            parts.append(labels[outcome] + text)
    return "\n".join(dict.fromkeys(parts))


def letters(indexes: Iterable[int]) -> str:
    return ",".join(LETTERS[i] for i in indexes)


# --- formula neutralisation -------------------------------------------------------------------------------

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
# Spreadsheets skip leading blanks before a formula sign (" =1+1" still runs), so neutralise looks past them.
LEADING_BLANKS = " \u3000\u00a0\n"


def _formula_like(value: str) -> bool:
    return value.lstrip(LEADING_BLANKS).startswith(FORMULA_START)


def neutralise(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe (OWASP): one that
    starts with = + - @ (half- or full-width), a tab or a carriage return, after any leading spaces."""
    if isinstance(value, str) and _formula_like(value):
        return "'" + value
    return value


def unneutralise(value: str) -> str:
    """Undo ``neutralise`` on import, so our own exports round-trip."""
    if len(value) > 1 and value[0] == "'" and _formula_like(value[1:]):
        return value[1:]
    return value


# --- shared checks ----------------------------------------------------------------------------------------


def check(q: ParsedQuestion, columns: dict[str, str]) -> list[RowError]:
    """The rules every format shares; ``columns`` names the file's column (or element) for each field."""
    errors: list[RowError] = []

    def error(name: str, reason: str) -> None:
        errors.append(RowError(q.row, columns.get(name, name), reason))

    if q.kind not in KINDS:
        error("kind", f"unknown question kind {q.kind!r}; use one of {', '.join(KINDS)}")
        return errors
    if not q.stem.strip() and q.image is None:
        error("stem", "the stem is empty")
    if q.key and not KEY_RE.match(q.key):
        error("key", "a key has 1 to 40 letters, digits, '-' or '_'")
    if q.language not in LANGUAGES:
        error("language", f"unknown language {q.language!r}; use zh-hans or en")
    if q.difficulty not in DIFFICULTY:
        error("difficulty", f"difficulty must be 1 to 5, not {q.difficulty}")
    if q.time_limit not in TIME_LIMIT:
        error("time_limit", f"time limit must be 1 to 600 seconds, not {q.time_limit}")
    if len(q.source) > MAX_SOURCE:
        error("source", f"the source is {len(q.source)} characters; at most {MAX_SOURCE}")
    for tag in q.tags:
        if len(tag) > MAX_TAG:
            error("tags", f"tag {tag[:20]!r}… is over {MAX_TAG} characters")
    if q.kind == "judged":
        if not q.reference_answer.strip():
            error("reference_answer", "a host-judged question needs a reference answer")
        return errors
    if q.kind == "short":
        accepted = [a for a in q.accepted_answers if a.strip()]
        if not accepted:
            error("accepted_answers", "a short-answer question needs at least one accepted answer")
        elif len(accepted) > MAX_ACCEPTED:
            error("accepted_answers", f"{len(accepted)} accepted answers; at most {MAX_ACCEPTED}")
        elif any(len(a) > MAX_ACCEPTED_LENGTH for a in accepted):
            error("accepted_answers", f"an accepted answer is over {MAX_ACCEPTED_LENGTH} characters")
        return errors
    if q.kind == "numerical":
        if q.numeric_value is None or not math.isfinite(q.numeric_value):
            error("numeric_value", "a numerical question needs its answer as a number")
        if not math.isfinite(q.tolerance) or q.tolerance < 0:
            error("tolerance", f"the tolerance must be 0 or more, not {q.tolerance}")
        if len(q.unit) > MAX_UNIT:
            error("unit", f"the unit is over {MAX_UNIT} characters")
        return errors
    if not 2 <= len(q.choices) <= MAX_CHOICES:
        error("choices", f"2 to {MAX_CHOICES} choices are needed, found {len(q.choices)}")
    elif not q.correct:
        error("correct", "no correct answer is given")
    elif any(not 0 <= i < len(q.choices) for i in q.correct):
        error(
            "correct", f"the correct answer points at a choice that is not there ({len(q.choices)} choices)"
        )
    elif q.kind != "multiple" and len(q.correct) != 1:
        error("correct", f"a {q.kind} question has exactly one correct answer")
    if q.kind == "truefalse" and len(q.choices) != 2:
        error("choices", "a true/false question has exactly two choices")
    return errors


def checked(q: ParsedQuestion, columns: dict[str, str]) -> list[Parsed]:
    errors = check(q, columns)
    return list(errors) if errors else [q]


def infer_kind(correct: Sequence[int], *, truefalse: bool = False) -> str:
    if truefalse:
        return "truefalse"
    return "multiple" if len(correct) > 1 else "single"


def with_row(q: ParsedQuestion, row: int) -> ParsedQuestion:
    return replace(q, row=row)


# --- registry ---------------------------------------------------------------------------------------------

FORMATS = {
    "xlsx": "our XLSX template",
    "csv": "our CSV template",
    "kahoot": "Kahoot! spreadsheet template (XLSX)",
    "moodle": "Moodle XML",
    "gift": "Moodle GIFT",
    "json": "JSON (lossless)",
}
EXTENSIONS = {
    "xlsx": ".xlsx",
    "csv": ".csv",
    "kahoot": ".xlsx",
    "moodle": ".xml",
    "gift": ".gift.txt",
    "json": ".json",
}
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "kahoot": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "moodle": "application/xml",
    "gift": "text/plain; charset=utf-8",
    "json": "application/json",
}


def detect_format(filename: str, data: bytes) -> str:
    """The format of an upload, from its extension and, for XLSX and unknown extensions, its content."""
    name = filename.lower()
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n")
    if name.endswith((".xlsx", ".xlsm")) or head.startswith(b"PK\x03\x04"):
        from questionbank.engine.formats import kahoot

        return "kahoot" if kahoot.looks_like_kahoot(data) else "xlsx"
    if name.endswith(".csv"):
        return "csv"
    if name.endswith(".json") or head[:1] in (b"{", b"["):
        return "json"
    if name.endswith(".xml") or head.startswith((b"<?xml", b"<quiz")):
        return "moodle"
    if name.endswith((".gift", ".txt")):
        return "gift"
    raise FileError(f"cannot tell the format of {filename!r}; choose one of: {', '.join(FORMATS)}")


def parse(fmt: str, data: bytes, *, progress: Progress = None) -> list[Parsed]:
    """Parse ``data`` in format ``fmt``; FileError if the file as a whole is broken."""
    from questionbank.engine.formats import gift, jsonformat, kahoot, moodle, template

    parsers = {
        "xlsx": template.parse_xlsx,
        "csv": template.parse_csv,
        "kahoot": kahoot.parse,
        "moodle": moodle.parse,
        "gift": gift.parse,
        "json": jsonformat.parse,
    }
    if fmt not in parsers:
        raise FileError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    return parsers[fmt](data, progress=progress)


def encoding(fmt: str, data: bytes) -> str:
    """The text encoding ``parse`` reads ``data`` in ('' for workbooks, which hold Unicode themselves)."""
    from questionbank.engine.formats import encodings, moodle

    if fmt == "csv":
        try:
            return encodings.csv_encoding(data)
        except FileError:
            return ""
    if fmt == "moodle":
        return moodle.declared_encoding(data)
    if fmt in ("gift", "json"):
        return "UTF-8"
    return ""


def left_out(fmt: str, q: ParsedQuestion) -> str:
    """Why the writer of ``fmt`` leaves ``q`` out ('' if it does not)."""
    if fmt == "kahoot":
        from questionbank.engine.formats import kahoot

        return kahoot.unfit(q)
    if fmt in ("moodle", "gift") and q.kind == "judged":
        return f"{FORMATS[fmt]} export has no host-judged questions"
    return ""


def write(fmt: str, questions: Sequence[ParsedQuestion]) -> bytes:
    """Write ``questions`` in format ``fmt``."""
    from questionbank.engine.formats import gift, jsonformat, kahoot, moodle, template

    writers = {
        "xlsx": template.write_xlsx,
        "csv": template.write_csv,
        "kahoot": kahoot.write,
        "moodle": moodle.write,
        "gift": gift.write,
        "json": jsonformat.write,
    }
    if fmt not in writers:
        raise FileError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    return writers[fmt](questions)
