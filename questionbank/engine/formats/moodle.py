"""Moodle XML (``<quiz>`` of ``<question type="...">``): multichoice and truefalse questions.

``<question type="category">`` sets the category of the questions after it; each level of its path
(after ``$course$``/``$system$``/``top``) becomes a tag, as do ``<tags><tag><text>``. ``<generalfeedback>``
becomes the explanation (else the correct answer's ``<feedback>``). The key is ``<idnumber>``, else
``<name>`` when it is a valid key (an idnumber that is not a valid key falls back to a derived key, with a
warning). HTML in texts is reduced to plain text; the first picture of the question text (a base64
``<file>`` referred to as ``@@PLUGINFILE@@/name``) becomes the question's image with its alt text as the
description, and every medium that cannot be kept is named in a warning. Per-answer and combined feedback
join the explanation (``explanation_from``). Other question types are ``RowSkip`` rows with the reason.
"Rows" are 1-based question numbers (categories not counted).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from urllib.parse import unquote
from xml.etree.ElementTree import Element, ParseError

from questionbank.engine.formats import (
    KEY_RE,
    SEE_PICTURE,
    TRUE_FALSE_CHOICES,
    FileError,
    Image,
    Parsed,
    ParsedQuestion,
    Progress,
    RowError,
    RowSkip,
    checked,
    explanation_from,
    guess_language,
)

SUPPORTED = ("multichoice", "truefalse", "shortanswer", "numerical")
SKIPPED_ROOTS = {"$course$", "$system$", "$module$", "$cat1$", "top"}
FIELDS = frozenset({"key", "kind", "language", "stem", "choices", "correct", "explanation", "tags"})
TAG_RE = re.compile(r"<[^>]+>")
BREAK_RE = re.compile(r"<\s*(br|/p|/div|/li)\s*/?>", re.IGNORECASE)
MEDIA_RE = re.compile(r"<\s*(img|audio|video|source|object|embed|iframe)\b([^>]*)>", re.IGNORECASE)
ATTRIBUTE_RE = re.compile(r"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
PLUGINFILE = "@@PLUGINFILE@@/"
IMAGE_TYPES = ("png", "jpg", "jpeg", "gif", "webp")  # what the question image accepts (no SVG)
TYPE_NAMES = {
    "essay": "an essay",
    "matching": "a matching question",
    "cloze": "a cloze (embedded answers) question",
    "multianswer": "a cloze (embedded answers) question",
    "description": "a description (no answer)",
    "ddwtos": "a drag-and-drop question",
    "gapselect": "a select-missing-words question",
    "calculated": "a calculated question",
    "randomsamatch": "a random short-answer matching question",
    "ordering": "an ordering question (the qtype_ordering plugin; not a question kind of the bank yet)",
}


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


def _markup(element: Element | None) -> str:
    if element is None:
        return ""
    return element.findtext("text") or ""


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

    data = _as_utf8(data)
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
    out: list[Parsed] = []
    category: list[str] = []
    number = 0
    for element in questions:
        kind = element.get("type", "")
        if kind == "category":
            category = category_tags(_text(element.find("category")))
            continue
        number += 1
        if progress and number % 500 == 0:
            progress(number, len(questions))
        if kind not in SUPPORTED:
            name = _text(element.find("name"))
            what = TYPE_NAMES.get(kind, f"question type {kind!r}")
            out.append(
                RowSkip(
                    number,
                    f"{what} (<name> {name!r}); the bank holds {', '.join(SUPPORTED)} from Moodle XML",
                    stem=_text(element.find("questiontext")),
                    key=(element.findtext("idnumber") or "").strip(),
                )
            )
            continue
        out.extend(_question(number, element, category))
    return out


# What the XML parser (expat) reads itself; other declared encodings (GBK, GB18030, Big5…) are decoded here.
EXPAT_ENCODINGS = {"UTF-8", "UTF8", "UTF-16", "UTF16", "ISO-8859-1", "LATIN1", "US-ASCII", "ASCII"}
DECLARATION_RE = re.compile(
    rb"""^(\xef\xbb\xbf)?(\s*<\?xml[^>]*encoding\s*=\s*["'])([A-Za-z0-9._-]+)(["'])"""
)


def _as_utf8(data: bytes) -> bytes:
    """The file as UTF-8 with its declaration saying so, when it declares an encoding expat cannot read."""
    import codecs

    encoding = declared_encoding(data)
    if encoding in EXPAT_ENCODINGS:
        return data
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise FileError(
            f"the XML file declares the encoding {encoding!r}, which cannot be read; save it as UTF-8"
        ) from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise FileError(
            f"the XML file is not valid {encoding} (byte {exc.start}); save it as UTF-8"
        ) from None
    return DECLARATION_RE.sub(rb"\2UTF-8\4", text.encode("utf-8"), count=1)


def declared_encoding(data: bytes) -> str:
    """The encoding an XML file declares (UTF-8 when it declares none, as XML says)."""
    match = re.match(rb"""^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""", data)
    return match.group(1).decode("ascii").upper() if match else "UTF-8"


def _attributes(text: str) -> dict[str, str]:
    return {
        m.group(1).lower(): html.unescape(m.group(2) or m.group(3) or m.group(4) or "")
        for m in ATTRIBUTE_RE.finditer(text)
    }


def _files(element: Element | None) -> dict[str, bytes]:
    """The base64 ``<file>`` elements of a text element, by name."""
    import base64
    import binascii

    files: dict[str, bytes] = {}
    if element is None:
        return files
    for node in element.findall("file"):
        name = node.get("name", "")
        if node.get("encoding", "base64") != "base64" or not name:
            continue
        try:
            files[name] = base64.b64decode("".join((node.text or "").split()), validate=True)
        except (binascii.Error, ValueError):
            files[name] = b""
    return files


def _media(element: Element | None, where: str) -> tuple[list[tuple[str, str, bytes | None]], list[str]]:
    """The media an HTML text refers to: ([(file name, alt text, bytes or None)] of its images, warnings for
    everything else it refers to: audio, video, embedded objects, pictures on other sites)."""
    markup = _markup(element)
    files = _files(element)
    images: list[tuple[str, str, bytes | None]] = []
    warnings: list[str] = []
    for match in MEDIA_RE.finditer(markup):
        tag = match.group(1).lower()
        attributes = _attributes(match.group(2))
        source = attributes.get("src") or attributes.get("data") or ""
        name = unquote(source[len(PLUGINFILE) :]) if source.startswith(PLUGINFILE) else source
        if tag == "img" and source.startswith(PLUGINFILE):
            images.append((name, attributes.get("alt", "").strip(), files.get(name)))
        elif tag == "img":
            warnings.append(
                f"the picture {name or '(no source)'} in the {where} is on another site; not kept"
            )
        elif tag in ("audio", "video") and not source:
            continue  # its <source> elements are reported one by one
        else:
            media = {"img": "picture", "audio": "audio", "video": "video"}.get(tag, "media")
            if tag == "source":
                media = "audio or video"
            warnings.append(f"the {media} {name or '(no source)'} in the {where} cannot be kept")
    return images, warnings


def _question_media(element: Element) -> tuple[Image | None, list[str]]:
    """The question's image (the first picture of its text that can be kept) and a warning for each medium
    that cannot: audio and video, pictures in answers or feedback, a second picture, SVG."""
    images, warnings = _media(element.find("questiontext"), "question text")
    kept: Image | None = None
    for name, alt, data in images:
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if data is None:
            warnings.append(f"the picture {name} is referred to but not in the file; not kept")
        elif not data:
            warnings.append(f"the picture {name} is not valid base64; not kept")
        elif extension not in IMAGE_TYPES:
            warnings.append(
                f"the picture {name} is {extension.upper() or 'of no type'}; a question image is "
                f"{', '.join(t.upper() for t in IMAGE_TYPES)}; not kept"
            )
        elif kept is not None:
            warnings.append(f"a question has one picture: {name} is not kept (the first, {kept.name}, is)")
        else:
            kept = Image(name=name, data=data, alt=alt)
    for path, where in (("generalfeedback", "general feedback"),):
        other, notes = _media(element.find(path), where)
        warnings += notes + [f"the picture {name} in the {where} cannot be kept" for name, _a, _d in other]
    for position, answer in enumerate(element.findall("answer"), start=1):
        for node, where in (
            (answer, f"answer {position}"),
            (answer.find("feedback"), f"feedback of answer {position}"),
        ):
            other, notes = _media(node, where)
            warnings += notes + [
                f"the picture {name} in the {where} cannot be kept" for name, _a, _d in other
            ]
    return kept, warnings


def _question(number: int, element: Element, category: list[str]) -> list[Parsed]:
    kind = element.get("type", "")
    name = _text(element.find("name"))
    idnumber = (element.findtext("idnumber") or "").strip()
    warnings: list[str] = []
    if idnumber and not KEY_RE.match(idnumber):
        warnings.append(
            f"the idnumber {idnumber!r} is not a valid key (1 to 40 letters, digits, '-' or '_'); "
            "a key derived from the stem is used"
        )
        idnumber = ""
    key = idnumber or (name if KEY_RE.match(name) else "")
    stem = _text(element.find("questiontext"))
    image, media_warnings = _question_media(element)
    warnings += media_warnings
    language = guess_language(stem or " ".join(_text(a) for a in element.findall("answer")))
    if not stem and image is not None:
        stem = image.alt or SEE_PICTURE[language]
    general = _text(element.find("generalfeedback"))
    tags = category + [t for t in (_text(tag) for tag in element.findall("tags/tag")) if t]
    answers = element.findall("answer")
    if kind in ("shortanswer", "numerical"):
        typed = _typed(number, element, kind, answers, language)
        if isinstance(typed, RowError):
            return [typed]
        fields, more, notes = typed
        question = ParsedQuestion(
            row=number,
            key=key,
            stem=stem,
            explanation=explanation_from(general, more, language=language),
            language=language,
            tags=tuple(dict.fromkeys(tags)),
            image=image,
            fields=FIELDS | set(fields) | ({"image"} if image is not None else set()),
            warnings=tuple(warnings + notes),
            **fields,
        )
        return checked(question, {"key": "idnumber", "stem": "questiontext", "accepted_answers": "answer"})
    fractions: list[float] = []
    for answer in answers:
        try:
            fractions.append(float(answer.get("fraction", "0")))
        except ValueError:
            return [
                RowError(number, "answer@fraction", f"fraction {answer.get('fraction')!r} is not a number")
            ]
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
        labels = [choices[0] if t == "true" else choices[1] for t, _f in truth]
    else:
        choices = tuple(_text(a) for a in answers)
        labels = list(choices)
        single = (element.findtext("single") or "true").strip().lower() in ("true", "1")
        if single:
            best = max(fractions, default=0)
            correct = tuple(i for i, f in enumerate(fractions) if f > 0 and f == best)
        else:
            correct = tuple(i for i, f in enumerate(fractions) if f > 0)
        kind_out = "single" if single and len(correct) <= 1 else "multiple"
    right_labels = {labels[i] for i in correct} if kind_out == "truefalse" else set()
    feedback = [
        (label, _text(a.find("feedback")), (f > 0) if kind_out != "truefalse" else label in right_labels)
        for label, a, f in zip(labels, answers, fractions, strict=True)
    ]
    outcomes = [
        (outcome, _text(element.find(f"{outcome}feedback")))
        for outcome in ("correct", "partiallycorrect", "incorrect")
    ]
    explanation = explanation_from(
        general,
        feedback,
        language=language,
        outcomes=[("partial" if o == "partiallycorrect" else o, t) for o, t in outcomes],
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
        image=image,
        fields=FIELDS | ({"image"} if image is not None else set()),
        warnings=tuple(warnings),
    )
    return checked(
        question,
        {"key": "idnumber", "stem": "questiontext", "choices": "answer", "correct": "answer@fraction"},
    )


def _is_one(text: str) -> bool:
    try:
        return float(text) == 1
    except ValueError:
        return False


def _typed(number: int, element: Element, kind: str, answers: list[Element], language: str):
    """A shortanswer's full-credit answers, or a numerical's first full-credit answer with its tolerance
    and unit: (fields, feedback for explanation_from, warnings), or a RowError."""
    del language
    full: list[Element] = []
    notes: list[str] = []
    for answer in answers:
        try:
            fraction = float(answer.get("fraction", "0"))
        except ValueError:
            return RowError(number, "answer@fraction", f"fraction {answer.get('fraction')!r} is not a number")
        if fraction >= 100:
            full.append(answer)
        elif fraction > 0:
            notes.append(
                f"the answer {_text(answer)!r} earns {fraction:g}% in Moodle; partial credit is not kept"
            )
    feedback = [(_text(a), _text(a.find("feedback")), True) for a in full]
    if kind == "shortanswer":
        if (element.findtext("usecase") or "0").strip() == "1":
            notes.append("Moodle compares these answers case by case; the bank ignores case")
        return {"kind": "short", "accepted_answers": tuple(_text(a) for a in full)}, feedback, notes
    if not full:
        return RowError(number, "answer", "a numerical question needs an answer with fraction 100")
    if len(full) > 1:
        notes.append("only the first full-credit numerical answer is kept")
    answer = full[0]
    try:
        value = float(_text(answer))
        tolerance = abs(float((answer.findtext("tolerance") or "0").strip() or 0))
    except ValueError:
        return RowError(number, "answer", f"the numerical answer {_text(answer)!r} is not a number")
    units = [
        ((u.findtext("unit_name") or "").strip(), (u.findtext("multiplier") or "1").strip())
        for u in element.findall("units/unit")
    ]
    unit = next((name for name, multiplier in units if _is_one(multiplier)), "")
    if len(units) > 1:
        notes.append(f"only the unit {unit!r} is kept; answers in other units are not accepted")
    fields = {"kind": "numerical", "numeric_value": value, "tolerance": tolerance, "unit": unit}
    return fields, [(f"{value:g}", f, r) for _t, f, r in feedback[:1]], notes


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
        types = {"truefalse": "truefalse", "short": "shortanswer", "numerical": "numerical"}
        node = SubElement(root, "question", {"type": types.get(q.kind, "multichoice")})
        _cdata_text(node, "name", q.key or q.stem[:40])
        _cdata_text(node, "questiontext", q.stem, format="html")
        _cdata_text(node, "generalfeedback", q.explanation, format="html")
        SubElement(node, "defaultgrade").text = "1"
        SubElement(node, "penalty").text = "0"
        SubElement(node, "hidden").text = "0"
        SubElement(node, "idnumber").text = q.key
        if q.kind == "short":
            SubElement(node, "usecase").text = "0"
            for text in q.accepted_answers:
                answer = SubElement(node, "answer", {"fraction": "100", "format": "moodle_auto_format"})
                SubElement(answer, "text").text = text
                _cdata_text(answer, "feedback", "", format="html")
        elif q.kind == "numerical":
            answer = SubElement(node, "answer", {"fraction": "100", "format": "moodle_auto_format"})
            SubElement(answer, "text").text = f"{q.numeric_value:.15g}"
            _cdata_text(answer, "feedback", "", format="html")
            SubElement(answer, "tolerance").text = f"{q.tolerance:.15g}"
            if q.unit:
                unit = SubElement(SubElement(node, "units"), "unit")
                SubElement(unit, "multiplier").text = "1"
                SubElement(unit, "unit_name").text = q.unit
                SubElement(node, "unitgradingtype").text = "0"
                SubElement(node, "showunits").text = "3"
        elif q.kind == "truefalse":
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
