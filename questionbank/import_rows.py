"""Preparing an import's rows before their outcomes: derived keys, pictures checked against the upload
limits, and the answers near-duplicate stems are compared on (questionbank.imports uses these)."""

from __future__ import annotations

from dataclasses import replace

from questionbank.engine.duplicates import answer_key
from questionbank.engine.formats import ParsedQuestion, auto_key
from questionbank.images import image_bytes_problem
from questionbank.models import Question


def derived_keys(items: list) -> list:
    """Rows without a key get one derived from the stem; the same stem again in the file gets the derived
    key with -2, -3… so identical unnamed questions do not collide (and import again to the same keys)."""
    used: dict[str, int] = {}
    out = []
    for item in items:
        if isinstance(item, ParsedQuestion) and not item.key:
            base = auto_key(item.stem)
            used[base] = used.get(base, 0) + 1
            item = replace(item, key=base if used[base] == 1 else f"{base}-{used[base]}")
        out.append(item)
    return out


def images_checked(items: list) -> list:
    """Pictures carried in a file are kept only if the question image would accept them (type, size,
    pixels); the others are dropped with a warning on their row."""
    out = []
    for item in items:
        if isinstance(item, ParsedQuestion) and item.image is not None:
            problem = image_bytes_problem(item.image.data)
            if problem:
                warning = f"the picture {item.image.name} is not kept: {problem}"
                item = replace(
                    item,
                    image=None,
                    fields=item.fields - {"image"},
                    warnings=(*item.warnings, warning),
                )
        out.append(item)
    return out


def _key(q) -> tuple:
    """``answer_key`` of a row or a bank question, typed answers included."""
    if q.kind == "short":
        return answer_key("short", tuple(q.accepted_answers or ()), ())
    if q.kind == "numerical":
        return answer_key("numerical", (q.numeric_value, q.unit), ())
    return answer_key(q.kind, q.choices, q.correct, q.reference_answer)


class Answers:
    """The answers of the file's rows and (fetched when first asked) of bank questions, by key, so a
    near-duplicate stem counts as a duplicate only with the same answer."""

    def __init__(self) -> None:
        self._rows: dict[str, ParsedQuestion] = {}
        self._bank: dict[str, Question | None] = {}

    def add(self, item: ParsedQuestion) -> None:
        self._rows[item.key] = item

    @staticmethod
    def of_row(item: ParsedQuestion) -> tuple:
        return _key(item)

    def _question(self, key: str):
        if key in self._rows:
            return self._rows[key]
        if key not in self._bank:
            self._bank[key] = (
                Question.objects.filter(key=key)
                .only(
                    "key",
                    "kind",
                    "stem",
                    "choices",
                    "correct",
                    "reference_answer",
                    "accepted_answers",
                    "numeric_value",
                    "unit",
                )
                .first()
            )
        return self._bank[key]

    def of_key(self, key: str) -> tuple:
        q = self._question(key)
        return _key(q) if q is not None else ()

    def stem(self, key: str) -> str:
        q = self._question(key)
        return q.stem if q is not None else ""

    @staticmethod
    def _describe(q) -> str:
        if q.kind == "judged":
            return f"“{q.reference_answer}”"
        if q.kind == "short":
            return "、".join(f"“{a}”" for a in q.accepted_answers or ())
        if q.kind == "numerical":
            return f"“{q.numeric_value:g}{q.unit}”" if q.numeric_value is not None else ""
        return "、".join(f"“{q.choices[i]}”" for i in q.correct if 0 <= i < len(q.choices))

    def describe(self, key: str) -> str:
        q = self._question(key)
        return self._describe(q) if q is not None else ""

    def describe_row(self, item: ParsedQuestion) -> str:
        return self._describe(item)
