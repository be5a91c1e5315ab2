"""Typed answers in a live round: what a contestant may type, the key a typed question is scored by, and
the most common answers shown at reveal. Pure; the matching itself is the bank's
(``questionbank.engine.typed_answers``), so the bank's statistics and the round agree on what is right.

A typed answer is text. The protocol takes it as typed (``check_text``): not empty once spaces are
trimmed, at most ``MAX_TEXT`` characters. It is stored as typed and matched against the key only when
scored, so a corrected key rescores like a corrected choice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from questionbank.engine.typed_answers import MAX_ANSWER, answer_group, normalise, parse_number

TYPED_KINDS = ("short", "numerical")
MAX_TEXT = MAX_ANSWER  # characters a contestant may type
TOP_ANSWERS = 5  # the most common answers shown at reveal


class TextRefused(ValueError):
    """A typed answer the round refuses before reading it: ``code`` is the protocol's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def check_text(text: str) -> str:
    """The typed answer as stored: trimmed of surrounding spaces. Refuses empty and over-long text."""
    trimmed = text.strip()
    if not trimmed:
        raise TextRefused("empty_answer", "type an answer before sending it")
    if len(trimmed) > MAX_TEXT:
        raise TextRefused("answer_too_long", f"an answer is at most {MAX_TEXT} characters")
    return trimmed


@dataclass(frozen=True, slots=True)
class TypedKey:
    """The key of a typed question: accepted answers (short) or a value, a tolerance and a unit
    (numerical)."""

    kind: str
    accepted: tuple[str, ...] = ()
    value: float | None = None
    tolerance: float = 0.0
    unit: str = ""
    _normalised: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in TYPED_KINDS:
            raise ValueError(f"not a typed kind: {self.kind}")
        normalised = frozenset(n for n in (normalise(a) for a in self.accepted) if n)
        object.__setattr__(self, "_normalised", normalised)

    def matches(self, text: str) -> bool:
        """Whether ``text`` is right by this key."""
        if self.kind == "short":
            typed = normalise(text[:MAX_TEXT])
            return bool(typed) and typed in self._normalised
        if self.value is None:
            return False
        number = parse_number(text, self.unit)
        if number is None:
            return False
        return abs(number - self.value) <= self.tolerance + 1e-9 * max(1.0, abs(self.value))

    def group(self, text: str) -> str:
        """What counts as the same answer in the counts: the normalised text, or the number read."""
        return answer_group(self.kind, text, self.unit)


class CommonAnswer(NamedTuple):
    answer: str  # the most frequent spelling typed in its group
    count: int
    correct: bool


def common_answers(
    key: TypedKey, typed: Iterable[tuple[str, int]], top: int = TOP_ANSWERS
) -> list[CommonAnswer]:
    """The ``top`` most common answers, grouped as the key compares them: (text as typed, count) pairs in,
    the groups out, most answers first (ties: the right one first, then by the text shown). A number is
    shown as read, without the unit; a text as it was most often typed."""
    counts: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    for text, n in typed:
        group = key.group(text)
        if not group:
            continue
        counts[group] += n
        spellings.setdefault(group, Counter())[text] += n
    rows = []
    for group, n in counts.items():
        # A number is shown as read (8,848.86 m and ８８４８.８６ are 8848.86); text as most often typed.
        typed_most = min(spellings[group].items(), key=lambda item: (-item[1], item[0]))[0]
        number = parse_number(typed_most, key.unit) if key.kind == "numerical" else None
        rows.append(CommonAnswer(group if number is not None else typed_most, n, key.matches(typed_most)))
    rows.sort(key=lambda row: (-row.count, not row.correct, row.answer))
    return rows[:top]
