"""Moodle XML (``<quiz>`` of ``<question type="...">``): multichoice and truefalse questions.

``<question type="category">`` sets the category of the questions after it; each level of its path
(after ``$course$``/``$system$``/``top``) becomes a tag, as do ``<tags><tag><text>``. ``<generalfeedback>``
becomes the explanation (else the correct answer's ``<feedback>``). The key is ``<idnumber>``, else
``<name>`` when it is a valid key. HTML in texts is reduced to plain text. Any other question type is a
broken file. "Rows" are 1-based question numbers (categories not counted).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from xml.etree.ElementTree import Element, ParseError

from questionbank.engine.formats import (
    KEY_RE,
    TRUE_FALSE_CHOICES,
    FileError,
    Parsed,
    ParsedQuestion,
    Progress,
    RowError,
    checked,
    guess_language,
)

SUPPORTED = ("multichoice", "truefalse")
SKIPPED_ROOTS = {"$course$", "$system$", "$module$", "$cat1$", "top"}
FIELDS = frozenset({"key", "kind", "stem", "choices", "correct", "explanation", "tags"})
TAG_RE = re.compile(r"<[^>]+>")
BREAK_RE = re.compile(r"<\s*(br|/p|/div|/li)\s*/?>", re.IGNORECASE)


def plain(markup: str) -> str:
    """HTML to plain text: line breaks kept, tags dropped, entities decoded."""
    text = BREAK_RE.sub("\n", markup)
    text = html.unescape(TAG_RE.sub("", text))
    return "\n".join(line.strip() for line in text.strip().splitlines()).strip()


def _text(element: Element | None, path: str = "text") -> str:
    if element is None:
        return ""
    found = element.find(path)
    return plain(found.text or "") if found is not None and found.text else ""


def category_tags(path: str) -> list[str]:
    parts = [p.strip() for p in re.split(r"(?<!/)/(?!/)", path) if p.strip()]  # '//' escapes a '/'
    return [
        p.replace("//", "/")
        for p in parts
        if p.lower() not in SKIPPED_ROOTS and not p.startswith("Default for")
    ]


def parse(data: bytes, *, progress: Progress = None) -> list[Parsed]:
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        root = ElementTree.fromstring(data)
    except ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise FileError(f"malformed XML at line {line}, column {column + 1}: {exc}") from None
    except DefusedXmlException as exc:
        raise FileError(f"the XML file uses forbidden constructs ({exc.__class__.__name__})") from None
    if root.tag != "quiz":
        raise FileError(f"not a Moodle XML file: the root element is <{root.tag}>, expected <quiz>")
    questions = root.findall("question")
    for position, element in enumerate(questions, start=1):
        kind = element.get("type", "")
        if kind != "category" and kind not in SUPPORTED:
            raise FileError(
                f"unknown question type {kind!r} (question {position}, "
                f"<name> {_text(element.find('name'))!r}); "
                f"supported: {', '.join(SUPPORTED)}"
            )
    out: list[Parsed] = []
    category: list[str] = []
    number = 0
    for element in questions:
        if element.get("type") == "category":
            category = category_tags(_text(element.find("category")))
            continue
        number += 1
        if progress and number % 500 == 0:
            progress(number, len(questions))
        out.extend(_question(number, element, category))
    return out


def _question(number: int, element: Element, category: list[str]) -> list[Parsed]:
    kind = element.get("type", "")
    name = _text(element.find("name"))
    idnumber = (element.findtext("idnumber") or "").strip()
    key = idnumber or (name if KEY_RE.match(name) else "")
    stem = _text(element.find("questiontext"))
    explanation = _text(element.find("generalfeedback"))
    tags = category + [t for t in (_text(tag) for tag in element.findall("tags/tag")) if t]
    answers = element.findall("answer")
    fractions: list[float] = []
    for answer in answers:
        try:
            fractions.append(float(answer.get("fraction", "0")))
        except ValueError:
            return [
                RowError(number, "answer@fraction", f"fraction {answer.get('fraction')!r} is not a number")
            ]
    language = guess_language(stem)
    if kind == "truefalse":
        truth = [(_text(a).lower(), f) for a, f in zip(answers, fractions, strict=True)]
        right = [t for t, f in truth if f > 0]
        if len(right) != 1 or right[0] not in ("true", "false"):
            return [
                RowError(
                    number,
                    "answer",
                    "a truefalse question needs one answer 'true' or 'false' with fraction 100",
                )
            ]
        choices = TRUE_FALSE_CHOICES[language]
        correct: tuple[int, ...] = (0,) if right[0] == "true" else (1,)
        kind_out = "truefalse"
    else:
        choices = tuple(_text(a) for a in answers)
        single = (element.findtext("single") or "true").strip().lower() in ("true", "1")
        if single:
            best = max(fractions, default=0)
            correct = tuple(i for i, f in enumerate(fractions) if f > 0 and f == best)
        else:
            correct = tuple(i for i, f in enumerate(fractions) if f > 0)
        kind_out = "single" if single and len(correct) <= 1 else "multiple"
    if not explanation:
        explanation = next(
            (_text(a.find("feedback")) for a, f in zip(answers, fractions, strict=True) if f > 0), ""
        )
    question = ParsedQuestion(
        row=number,
        key=key,
        kind=kind_out,
        stem=stem,
        choices=tuple(choices),
        correct=correct,
        explanation=explanation,
        language=language,
        tags=tuple(dict.fromkeys(tags)),
        fields=FIELDS,
    )
    return checked(
        question,
        {"key": "idnumber", "stem": "questiontext", "choices": "answer", "correct": "answer@fraction"},
    )


# --- writer ------------------------------------------------------------------------------------------------


def _cdata_text(parent: Element, tag: str, text: str, **attrs: str) -> Element:
    from xml.etree.ElementTree import SubElement

    node = SubElement(parent, tag, attrs)
    SubElement(node, "text").text = (
        html.escape(text).replace("\n", "<br>") if attrs.get("format") == "html" else text
    )
    return node


def write(questions: Sequence[ParsedQuestion]) -> bytes:
    """A category (the first tag) before each run of questions sharing it; judged questions are left out."""
    from xml.etree.ElementTree import SubElement, indent, tostring

    root = Element("quiz")
    current = None
    for q in questions:
        if q.kind == "judged":
            continue
        category = "$course$/top" + ("/" + q.tags[0].replace("/", "//") if q.tags else "")
        if category != current:
            node = SubElement(root, "question", {"type": "category"})
            _cdata_text(node, "category", category)
            current = category
        node = SubElement(root, "question", {"type": "truefalse" if q.kind == "truefalse" else "multichoice"})
        _cdata_text(node, "name", q.key or q.stem[:40])
        _cdata_text(node, "questiontext", q.stem, format="html")
        _cdata_text(node, "generalfeedback", q.explanation, format="html")
        SubElement(node, "defaultgrade").text = "1"
        SubElement(node, "penalty").text = "0"
        SubElement(node, "hidden").text = "0"
        SubElement(node, "idnumber").text = q.key
        if q.kind == "truefalse":
            for index, word in enumerate(("true", "false")):
                answer = SubElement(
                    node,
                    "answer",
                    {"fraction": "100" if index in q.correct else "0", "format": "moodle_auto_format"},
                )
                SubElement(answer, "text").text = word
                _cdata_text(answer, "feedback", "", format="html")
        else:
            SubElement(node, "single").text = "false" if q.kind == "multiple" else "true"
            SubElement(node, "shuffleanswers").text = "true"
            SubElement(node, "answernumbering").text = "ABCD"
            share = 100 / len(q.correct) if q.correct else 0
            for index, choice in enumerate(q.choices):
                fraction = share if index in q.correct else (-100 if q.kind == "multiple" else 0)
                answer = SubElement(node, "answer", {"fraction": f"{fraction:.7g}", "format": "html"})
                SubElement(answer, "text").text = html.escape(choice)
                _cdata_text(answer, "feedback", "", format="html")
        if q.tags:
            tags = SubElement(node, "tags")
            for tag in q.tags:
                SubElement(SubElement(tags, "tag"), "text").text = tag
    indent(root)
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        + tostring(root, encoding="unicode").encode("utf-8")
        + b"\n"
    )
