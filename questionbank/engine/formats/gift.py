"""Moodle GIFT (UTF-8 text): multiple choice (``=right ~wrong``, ``~%50%`` weights) and true/false
(``{T}``, ``{FALSE}``), with per-answer ``#feedback`` and general ``####feedback`` (the explanation),
``::title::`` (the key, when it is a valid key), ``$CATEGORY: path`` (each level becomes a tag) and Moodle
4 comment tags ``// [id:key] [tag:B05]``. ``[html]`` text is reduced to plain text as Moodle XML's is; a
``[plain]``/``[moodle]``/``[markdown]`` marker is dropped wherever it stands. Other GIFT types (short
answer, matching, numerical, essay, description) are ``RowSkip`` rows with the reason. Questions are
separated by blank lines; "rows" are line numbers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from questionbank.engine.formats import (
    KEY_RE,
    TRUE_FALSE_CHOICES,
    FileError,
    Parsed,
    ParsedQuestion,
    Progress,
    RowError,
    RowSkip,
    checked,
    explanation_from,
    guess_language,
)
from questionbank.engine.formats.moodle import category_tags, plain

FIELDS = frozenset({"key", "kind", "language", "stem", "choices", "correct", "explanation", "tags"})
FORMAT_RE = re.compile(r"^\s*\[(html|moodle|plain|markdown)\]", re.IGNORECASE)
ESCAPES = {
    "\\\\": "\ue000",
    "\\~": "\ue001",
    "\\=": "\ue002",
    "\\#": "\ue003",
    "\\{": "\ue004",
    "\\}": "\ue005",
    "\\:": "\ue006",
}
RESTORE = str.maketrans({v: k[1] for k, v in ESCAPES.items()} | {"\ue007": "\n"})
ESCAPE_RE = re.compile(r"\\[\\~=#{}:n]")
TRUE_WORDS, FALSE_WORDS = {"T", "TRUE"}, {"F", "FALSE"}
WEIGHT_RE = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
META_RE = re.compile(r"\[(id|tag):([^\]]+)\]")


def _protect(text: str) -> str:
    return ESCAPE_RE.sub(lambda m: "\ue007" if m.group(0) == "\\n" else ESCAPES[m.group(0)], text)


def _restore(text: str) -> str:
    return text.translate(RESTORE).strip()


def _blocks(text: str) -> list[tuple[int, str, list[str], dict[str, list[str]]]]:
    """(first line, question text, category tags, comment metadata) for each question."""
    blocks = []
    category: list[str] = []
    lines: list[str] = []
    start = 0
    meta: dict[str, list[str]] = {"id": [], "tag": []}

    def close() -> None:
        nonlocal lines, meta
        if lines:
            blocks.append((start, "\n".join(lines), category, meta))
        lines, meta = [], {"id": [], "tag": []}

    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("//"):
            for name, value in META_RE.findall(stripped):
                meta[name].append(_restore(value))
            continue
        if stripped.startswith("$CATEGORY:"):
            close()
            category = category_tags(_restore(stripped[len("$CATEGORY:") :]))
            continue
        if not stripped:
            close()
            continue
        if not lines:
            start = number
        lines.append(line)
    close()
    return blocks


def parse(data: bytes, *, progress: Progress = None) -> list[Parsed]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileError(f"the GIFT file is not UTF-8 (byte {exc.start}); save it as UTF-8") from None
    blocks = _blocks(_protect(text))
    out: list[Parsed] = []
    for position, (line, body, category, meta) in enumerate(blocks, start=1):
        if progress and position % 500 == 0:
            progress(position, len(blocks))
        item = _question(line, body, category, meta)
        if isinstance(item, str):
            title = re.match(r"^\s*::(.*?)::", body, re.DOTALL)
            stem = _restore(body[title.end() :] if title else body).split("{", 1)[0]
            out.append(
                RowSkip(
                    line,
                    f"{item}; the bank holds multiple-choice, true/false, short-answer and numerical "
                    "questions from GIFT",
                    stem=_text(FORMAT_RE.sub("", stem), html=bool(FORMAT_RE.match(stem))),
                )
            )
        else:
            out.extend(item)
    return out


def _text(raw: str, *, html: bool) -> str:
    """A piece of GIFT text as plain text: escapes restored, a leading [format] marker dropped, HTML (the
    question's format) reduced to text as Moodle XML's is."""
    text = _restore(FORMAT_RE.sub("", raw))
    return plain(text) if html else text


def _question(line: int, body: str, category: list[str], meta: dict[str, list[str]]) -> list[Parsed] | str:
    """The parsed question, or a string naming an unsupported type."""
    title = ""
    if match := re.match(r"^\s*::(.*?)::", body, re.DOTALL):
        title = _restore(match.group(1))
        body = body[match.end() :]
    marker = FORMAT_RE.match(body)
    is_html = bool(marker) and marker.group(1).lower() == "html"
    body = FORMAT_RE.sub("", body)
    opening = body.find("{")
    closing = body.find("}", opening + 1)
    if opening < 0 or closing < 0:
        return "a description (no answer block in braces)"
    before, answers, after = body[:opening], body[opening + 1 : closing].strip(), body[closing + 1 :]
    stem = _text(before, html=is_html) + (" ____ " + _text(after, html=is_html) if after.strip() else "")
    general = ""
    if "####" in answers:
        answers, general = answers.split("####", 1)
        general = _text(general, html=is_html)
    answers = answers.strip()
    language = guess_language(stem)
    key = meta["id"][0] if meta["id"] else (title if KEY_RE.match(title) else "")
    tags = tuple(dict.fromkeys([*category, *meta["tag"]]))
    common = {"row": line, "key": key, "stem": stem, "language": language, "tags": tags, "fields": FIELDS}
    word, *feedback = answers.split("#")
    if word.strip().upper() in TRUE_WORDS | FALSE_WORDS and not re.search(r"[=~]", answers):
        truth = word.strip().upper() in TRUE_WORDS
        choices = TRUE_FALSE_CHOICES[language]
        # {T#shown to who answers wrong#shown to who answers right}
        wrong_note = _text(feedback[0], html=is_html) if feedback else ""
        right_note = _text(feedback[1], html=is_html) if len(feedback) > 1 else ""
        right, wrong = (choices[0], choices[1]) if truth else (choices[1], choices[0])
        explanation = explanation_from(
            general, [(right, right_note, True), (wrong, wrong_note, False)], language=language
        )
        q = ParsedQuestion(
            kind="truefalse",
            choices=choices,
            correct=(0,) if truth else (1,),
            explanation=explanation,
            **common,
        )
        return checked(q, {})
    if not answers:
        return "an essay (empty braces)"
    if answers.startswith("#"):
        return _numerical(answers[1:], general, common, is_html)
    if "->" in answers:
        return "a matching question (->)"
    tokens = re.findall(r"([=~])([^=~]*)", answers)
    if not any(marker == "~" for marker, _ in tokens):
        return _short(tokens, general, common, is_html)
    choices: list[str] = []
    weights: list[float] = []
    feedbacks: list[str] = []
    for marker, content in tokens:
        weight = 100.0 if marker == "=" else 0.0
        if match := WEIGHT_RE.match(content.strip()):
            weight = float(match.group(1))
            content = content.strip()[match.end() :]
        text, _, note = content.partition("#")
        choices.append(_text(text, html=is_html))
        weights.append(weight)
        feedbacks.append(_text(note, html=is_html))
    correct = tuple(i for i, w in enumerate(weights) if w > 0)
    partial = any(0 < w < 100 for w in weights)
    kind = "multiple" if partial or len(correct) > 1 else "single"
    explanation = explanation_from(
        general,
        [(c, f, i in correct) for i, (c, f) in enumerate(zip(choices, feedbacks, strict=True))],
        language=language,
    )
    q = ParsedQuestion(kind=kind, choices=tuple(choices), correct=correct, explanation=explanation, **common)
    return checked(q, {"choices": "answers", "correct": "answers"})


def _short(tokens: list[tuple[str, str]], general: str, common: dict, is_html: bool) -> list[Parsed]:
    """``{=answer =other}``: a short answer; answers with less than full credit are not kept."""
    accepted: list[str] = []
    feedback: list[tuple[str, str, bool]] = []
    warnings: list[str] = []
    for _marker, content in tokens:
        weight = 100.0
        if match := WEIGHT_RE.match(content.strip()):
            weight = float(match.group(1))
            content = content.strip()[match.end() :]
        text, _, note = content.partition("#")
        text = _text(text, html=is_html)
        if weight < 100:
            warnings.append(f"the answer {text!r} earns {weight:g}% in GIFT; partial credit is not kept")
            continue
        accepted.append(text)
        feedback.append((text, _text(note, html=is_html), True))
    q = ParsedQuestion(
        kind="short",
        accepted_answers=tuple(accepted),
        explanation=explanation_from(general, feedback, language=common["language"]),
        warnings=tuple(warnings),
        **{**common, "fields": common["fields"] | {"accepted_answers"}},
    )
    return checked(q, {"accepted_answers": "answers"})


def _number(text: str) -> float:
    value = float(text.strip())
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(text)
    return value


def _numerical(body: str, general: str, common: dict, is_html: bool) -> list[Parsed]:
    """``{#3.5:0.1}``, ``{#3.4..3.6}`` or ``{#3.5}``; of several ``=`` answers the first full-credit one."""
    answers = [a for a in re.split(r"(?<!^)=", body.strip()) if a.strip()]
    warnings = []
    first = answers[0].lstrip("=").strip() if answers else ""
    if match := WEIGHT_RE.match(first):
        first = first[match.end() :]
    text, _, note = first.partition("#")
    if len(answers) > 1:
        warnings.append("only the first numerical answer is kept; the others are dropped")
    try:
        if ".." in text:
            low, high = (_number(part) for part in text.split("..", 1))
            value, tolerance = float(f"{(low + high) / 2:.12g}"), float(f"{abs(high - low) / 2:.12g}")
        elif ":" in text:
            value, tolerance = (_number(part) for part in text.split(":", 1))
        else:
            value, tolerance = _number(text), 0.0
    except ValueError:
        return [
            RowError(
                common["row"], "answers", f"{text.strip()!r} is not a number, a number:tolerance or min..max"
            )
        ]
    language = common["language"]
    q = ParsedQuestion(
        kind="numerical",
        numeric_value=value,
        tolerance=tolerance,
        explanation=explanation_from(
            general, [(f"{value:g}", _text(note, html=is_html), True)], language=language
        ),
        warnings=tuple(warnings),
        **{**common, "fields": common["fields"] | {"numeric_value", "tolerance"}},
    )
    return checked(q, {"numeric_value": "answers", "tolerance": "answers"})


# --- writer ------------------------------------------------------------------------------------------------


def escape(text: str) -> str:
    for char in "\\~=#{}:":
        text = text.replace(char, "\\" + char)
    return text.replace("\r\n", "\n").replace("\n", "\\n")


def write(questions: Sequence[ParsedQuestion]) -> bytes:
    """Judged questions are left out (GIFT short answers are not imported back)."""
    out: list[str] = ["// Exported from Jingjinji Quiz (京津冀公民科学素质大赛题库)", ""]
    current = None
    for q in questions:
        if q.kind == "judged":
            continue
        category = "$course$/top" + ("/" + q.tags[0].replace("/", "//") if q.tags else "")
        if category != current:
            out += [f"$CATEGORY: {category}", ""]
            current = category
        meta = ([f"[id:{q.key}]"] if q.key else []) + [f"[tag:{t.replace(']', '')}]" for t in q.tags]
        if meta:
            out.append("// " + " ".join(meta))
        title = f"::{escape(q.key)}::" if q.key else ""
        general = f"####{escape(q.explanation)}" if q.explanation else ""
        if q.kind == "short":
            answers = " ".join(f"={escape(a)}" for a in q.accepted_answers)
            out += [f"{title}{escape(q.stem)}{{{answers}{general}}}", ""]
            continue
        if q.kind == "numerical":
            value = f"{q.numeric_value:.15g}:{q.tolerance:.15g}"
            out += [f"{title}{escape(q.stem)}{{#{value}{general}}}", ""]
            continue
        if q.kind == "truefalse":
            answer = "TRUE" if q.correct == (0,) else "FALSE"
            general = f"####{escape(q.explanation)}" if q.explanation else ""
            out += [f"{title}{escape(q.stem)}{{{answer}{general}}}", ""]
            continue
        lines = [f"{title}{escape(q.stem)}{{"]
        share = 100 / len(q.correct) if q.correct else 0
        for index, choice in enumerate(q.choices):
            if q.kind == "multiple":
                weight = f"{share:.7g}" if index in q.correct else "-100"
                lines.append(f"\t~%{weight}%{escape(choice)}")
            else:
                lines.append(f"\t{'=' if index in q.correct else '~'}{escape(choice)}")
        if q.explanation:
            lines.append(f"\t####{escape(q.explanation)}")
        lines.append("}")
        out += [*lines, ""]
    return "\n".join(out).encode("utf-8")
