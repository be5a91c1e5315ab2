"""Typed answers: short answers (填空) matched against a list of accepted answers, and numbers matched
within a tolerance. Pure functions; the live round and the statistics call the same ones.

Short answers are compared after ``normalise``: Unicode NFKC (full-width letters, digits and punctuation
become half-width, so ＡＢＣ１２ = ABC12), case folding, traditional characters to simplified (OpenCC's
t2s table: 頭髮 = 头发), and every space, punctuation mark and control character removed (so "北京 。" =
"北京"), except a decimal point between digits and a minus before one (3.5 is not 35, -5 is not 5).
Symbols stay: ℃, % and + can be the answer.

Numbers are read by ``parse_number``: NFKC first (full-width ３．５ and the full-width minus work), then the
question's unit may follow (any case, spaces allowed: "3.5 m", "3.5M"), and thousands separators in groups
of three ("1,000") are allowed. Anything else (words, two numbers, "3.5 kg" when the unit is m) is not a
number. An answer is right when |answer - value| <= tolerance (with a rounding allowance of 1e-9 of the
value).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

_DROP = ("P", "Z", "C")  # punctuation, separators (spaces), control and format characters
NUMBER_RE = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?(?:e[+-]?\d+)?$", re.IGNORECASE)
MAX_ANSWER = 200  # characters a contestant may type


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """Traditional Chinese characters as simplified ones (OpenCC t2s); other text unchanged."""
    return _t2s().convert(text)


# Punctuation that carries a number's meaning is kept: a decimal point between digits, a minus before one.
_NUMERIC_MARKS = re.compile(r"(?<=\d)\.(?=\d)|-(?=\d)")
_KEEP = {".": "\ue000", "-": "\ue001"}


def normalise(text: str) -> str:
    """A short answer as it is compared (see the module docstring)."""
    text = simplified(unicodedata.normalize("NFKC", text)).casefold()
    text = _NUMERIC_MARKS.sub(lambda m: _KEEP[m.group(0)], text)
    kept = "".join(c for c in text if c in "\ue000\ue001" or not unicodedata.category(c).startswith(_DROP))
    return kept.replace("\ue000", ".").replace("\ue001", "-")


def short_answer_correct(answer: str, accepted: Iterable[str]) -> bool:
    """Whether a typed answer matches one of the accepted answers."""
    typed = normalise(answer[:MAX_ANSWER])
    return bool(typed) and typed in {normalise(a) for a in accepted}


def parse_number(text: str, unit: str = "") -> float | None:
    """The number a contestant typed (with or without the unit), or None if it is not one."""
    text = unicodedata.normalize("NFKC", text[:MAX_ANSWER]).strip().replace("−", "-")
    text = "".join(text.split())
    unit = "".join(unicodedata.normalize("NFKC", unit).split())
    if unit and text.casefold().endswith(unit.casefold()):
        text = text[: -len(unit)]
    if not text or not NUMBER_RE.match(text) or not any(c.isdigit() for c in text):
        return None
    value = float(text.replace(",", ""))
    return value if math.isfinite(value) else None


def numerical_correct(answer: str, value: float, tolerance: float = 0.0, unit: str = "") -> bool:
    """Whether a typed number is within ``tolerance`` of ``value``."""
    number = parse_number(answer, unit)
    if number is None:
        return False
    return abs(number - value) <= tolerance + 1e-9 * max(1.0, abs(value))


def typed_correct(
    kind: str,
    answer: str,
    *,
    accepted: Iterable[str] = (),
    value: float | None = None,
    tolerance: float = 0.0,
    unit: str = "",
) -> bool:
    """Whether a typed answer to a ``short`` or ``numerical`` question is right."""
    if kind == "short":
        return short_answer_correct(answer, accepted)
    if kind == "numerical" and value is not None:
        return numerical_correct(answer, value, tolerance, unit)
    return False


def answer_group(kind: str, answer: str, unit: str = "") -> str:
    """What counts as the same answer in the statistics: the normalised text, or the number read."""
    if kind == "numerical":
        number = parse_number(answer, unit)
        # 12 significant digits: "3.50" and "3.5 m" are one answer, 12345.67 and 12345.7 are two.
        return f"{number:.12g}" if number is not None else normalise(answer)
    return normalise(answer)
