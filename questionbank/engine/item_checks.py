"""Item-writing checks: flaws that let a contestant guess the answer without knowing it.

Pure functions over small value objects. ``item_flags`` checks one question; ``bank_flags`` checks a set of
questions (a bank, or the rows of an import) and adds what only shows across questions. Each flag names its
check, so an editor can tell which rule fired; a flag is a prompt to look, not a verdict.

Checks and thresholds (docs/item-checks.md explains each with examples):

- ``key-longest``: single choice, 3+ choices: the key is at least ``LONGEST_RATIO`` times as long as the
  longest distractor and at least ``LONGEST_MARGIN`` characters longer (lengths after NFKC, without
  spaces). Across a bank, ``key-longest-share``: the share of single-choice keys that are strictly the
  longest option is above what chance gives (the mean of 1/n) by more than ``SHARE_Z`` standard errors,
  with at least ``SHARE_MIN_ITEMS`` questions.
- ``absolute-words``: an absolute word (所有, 一定, 绝对, 只要, 总是, 从不… ``ABSOLUTE_WORDS``) appears in a
  distractor but in no correct choice (test-wise contestants strike such options).
- ``stem-repeats-key``: the key shares a run of ``ECHO_MIN`` or more characters (a Latin word of 4+
  letters) with the stem that no distractor shares ("clang association").
- ``negative-stem``: a choice question's stem asks with a negative (不正确, 不属于, 没有, 错误, 不是…
  ``NEGATIVE_WORDS``) that is not emphasised: not inside （ ）, ( ), “ ”, 「 」, 【 】, ** **, or written
  in capitals in English (NOT, EXCEPT).
- ``correct-count`` (bank): multiple-choice questions whose number of correct answers is predictable: at
  least ``COUNT_MIN_ITEMS`` of them and one count covers ``COUNT_SHARE`` of them or more, or every choice
  is correct in ``ALL_CORRECT_SHARE`` of them or more.
- ``explanation-gives-away`` (bank): the explanation of one question contains the key of another choice
  question (``GIVEAWAY_MIN_KEY`` characters or more, not in that question's own stem), none of its
  distractors, and a run of ``GIVEAWAY_CONTEXT`` characters of its stem: shown at one reveal, it answers
  the other question before it is asked.
- ``vague-source``: the source is empty, or has no title (《…》, “…”, a standard number such as
  GB 2894-2008, a web address, or three or more English words) or no date (a year from 1900 on).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

LONGEST_RATIO = 1.5
LONGEST_MARGIN = 3
SHARE_Z = 2.0
SHARE_MIN_ITEMS = 20
ECHO_MIN = 2
COUNT_MIN_ITEMS = 5
COUNT_SHARE = 0.7
ALL_CORRECT_SHARE = 0.5
GIVEAWAY_MIN_KEY = 2
GIVEAWAY_CONTEXT = 4
ABSOLUTE_WORDS = (
    "所有",
    "一切",
    "凡是",
    "一定",
    "肯定",
    "必然",
    "绝对",
    "完全",
    "全部",
    "只要",
    "只有",
    "总是",
    "始终",
    "从不",
    "从来",
    "永远",
    "任何",
    "根本",
    "毫无",
    "always",
    "never",
    "all",
    "none",
    "every",
    "only",
    "completely",
    "absolutely",
    "must",
)
# Phrases that contain an absolute word but do not mean it.
NOT_ABSOLUTE = ("一定程度", "一定的", "一定量", "一定数量", "一定范围", "一定条件", "一定比例", "一定时间")
NEGATIVE_WORDS = (
    "不正确",
    "不属于",
    "不包括",
    "不符合",
    "不应该",
    "不应",
    "不宜",
    "不能",
    "不会",
    "不是",
    "不对",
    "不恰当",
    "不科学",
    "不可以",
    "没有",
    "错误",
    "除了",
)
NEGATIVE_EN = re.compile(r"\b(not|except|false|incorrect|never)\b", re.IGNORECASE)
EMPHASIS = {"（": "）", "(": ")", "“": "”", '"': '"', "「": "」", "【": "】", "*": "*", "‘": "’"}
TITLE_RE = re.compile(
    r"《[^》]+》|“[^”]{4,}”|\"[^\"]{4,}\"|\b(GB|GB/T|WS|WS/T|HJ)\s*[\d.]+|https?://|www\.|"
    r"[A-Za-z][A-Za-z'’-]+(?:[ ,:]+[A-Za-z0-9'’&()-]+){2,}",  # a title in English: three words or more
    re.I,
)
YEAR_RE = re.compile(r"(?<!\d)(19|20)\d\d(?!\d)")
CJK_RE = re.compile(r"[\u3400-\u9fff]")
WORD_RE = re.compile(r"[a-z]{4,}")
CHOICE_KINDS = ("single", "multiple")


@dataclass(frozen=True, slots=True)
class Item:
    """What the checks read of a question."""

    key: str
    stem: str
    kind: str = "single"
    choices: tuple[str, ...] = ()
    correct: tuple[int, ...] = ()
    explanation: str = ""
    source: str = ""


@dataclass(frozen=True, slots=True)
class Flag:
    key: str  # the question flagged ('' for a flag on the whole set)
    check: str
    message: str

    def __str__(self) -> str:
        return f"{self.check}: {self.message}"


def _plain(text: str) -> str:
    """NFKC, case-folded, spaces removed: the text lengths and matches are measured on."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def _length(text: str) -> int:
    return len(_plain(text))


def _split(item: Item) -> tuple[list[str], list[str]]:
    keys = [c for i, c in enumerate(item.choices) if i in item.correct]
    others = [c for i, c in enumerate(item.choices) if i not in item.correct]
    return keys, others


# --- one question -------------------------------------------------------------------------------------------


def key_longest(item: Item) -> Flag | None:
    if item.kind != "single" or len(item.choices) < 3 or len(item.correct) != 1:
        return None
    keys, others = _split(item)
    key, longest = _length(keys[0]), max(_length(o) for o in others)
    if key >= LONGEST_RATIO * longest and key - longest >= LONGEST_MARGIN:
        return Flag(
            item.key,
            "key-longest",
            f"the key ({key} characters) is far longer than every distractor (at most {longest}); "
            "lengthen the distractors or shorten the key",
        )
    return None


def _absolutes(text: str) -> list[str]:
    plain = _plain(text)
    for phrase in NOT_ABSOLUTE:
        plain = plain.replace(phrase, "")
    found = []
    for word in ABSOLUTE_WORDS:
        if word.isascii():
            if re.search(rf"\b{word}\b", unicodedata.normalize("NFKC", text).casefold()):
                found.append(word)
        elif word in plain:
            found.append(word)
    return found


def absolute_words(item: Item) -> Flag | None:
    if item.kind not in CHOICE_KINDS:
        return None
    keys, others = _split(item)
    if any(_absolutes(k) for k in keys):
        return None
    words = sorted({w for o in others for w in _absolutes(o)})
    if not words:
        return None
    return Flag(
        item.key,
        "absolute-words",
        f"only distractors say {'、'.join(words)}; a contestant can strike them without knowing the answer",
    )


def _runs(text: str) -> set[str]:
    """The 2-character runs of Chinese text and the 4+ letter words of a text, normalised."""
    plain = _plain(text)
    runs = {a + b for a, b in pairwise(plain) if CJK_RE.match(a) and CJK_RE.match(b)}
    return runs | set(WORD_RE.findall(unicodedata.normalize("NFKC", text).casefold()))


def stem_repeats_key(item: Item) -> Flag | None:
    if item.kind != "single" or len(item.choices) < 3 or len(item.correct) != 1:
        return None
    keys, others = _split(item)
    shared = _runs(item.stem) & _runs(keys[0])
    shared -= {run for other in others for run in _runs(other)}
    if not shared:
        return None
    return Flag(
        item.key,
        "stem-repeats-key",
        f"the key repeats {'、'.join(sorted(shared)[:3])} of the stem and no distractor does",
    )


def _emphasised(stem: str, start: int, end: int) -> bool:
    before = stem[:start].rstrip()
    after = stem[end:].lstrip()
    return bool(before) and before[-1] in EMPHASIS and bool(after) and after[0] == EMPHASIS[before[-1]]


def negative_stem(item: Item) -> Flag | None:
    if item.kind not in CHOICE_KINDS:
        return None
    stem = item.stem
    for word in NEGATIVE_WORDS:
        for match in re.finditer(re.escape(word), stem):
            if not _emphasised(stem, match.start(), match.end()):
                return Flag(
                    item.key,
                    "negative-stem",
                    f"the stem asks with “{word}” without emphasis; write it as （{word}） so no one "
                    "misreads it",
                )
    for match in NEGATIVE_EN.finditer(stem):
        word = match.group(0)
        if word != word.upper() and not _emphasised(stem, match.start(), match.end()):
            return Flag(
                item.key,
                "negative-stem",
                f"the stem asks with “{word}” without emphasis; write it as {word.upper()}",
            )
    return None


def vague_source(item: Item) -> Flag | None:
    source = item.source.strip()
    if not source:
        return Flag(item.key, "vague-source", "no source; cite the title, the edition or date, and the page")
    missing = [
        what
        for what, found in (("a title", TITLE_RE.search(source)), ("a date", YEAR_RE.search(source)))
        if not found
    ]
    if missing:
        return Flag(
            item.key,
            "vague-source",
            f"the source has no {' and no '.join(m.split(' ', 1)[1] for m in missing)}; "
            "cite it as 《title》 (edition or year), article or page",
        )
    return None


ITEM_CHECKS = (key_longest, absolute_words, stem_repeats_key, negative_stem, vague_source)


def item_flags(item: Item) -> list[Flag]:
    """The flags of one question, in the order of ``ITEM_CHECKS``."""
    return [flag for check in ITEM_CHECKS if (flag := check(item)) is not None]


# --- across questions ------------------------------------------------------------------------------------


def key_longest_share(items: Sequence[Item]) -> Flag | None:
    """Whether single-choice keys are the longest option more often than chance allows."""
    singles = [i for i in items if i.kind == "single" and len(i.choices) >= 2 and len(i.correct) == 1]
    if len(singles) < SHARE_MIN_ITEMS:
        return None
    longest = 0
    expected = 0.0
    variance = 0.0
    for item in singles:
        lengths = [_length(c) for c in item.choices]
        key = lengths[item.correct[0]]
        if all(key > other for i, other in enumerate(lengths) if i != item.correct[0]):
            longest += 1
        p = 1 / len(item.choices)
        expected += p
        variance += p * (1 - p)
    limit = expected + SHARE_Z * math.sqrt(variance)
    if longest <= limit:
        return None
    n = len(singles)
    return Flag(
        "",
        "key-longest-share",
        f"{longest} of {n} single-choice keys ({longest / n:.0%}) are the longest option; "
        f"chance gives about {expected / n:.0%} (at most {limit / n:.0%} passes)",
    )


def correct_count(items: Sequence[Item]) -> Flag | None:
    multiples = [i for i in items if i.kind == "multiple" and i.choices]
    if len(multiples) < COUNT_MIN_ITEMS:
        return None
    counts = Counter(len(i.correct) for i in multiples)
    common, times = counts.most_common(1)[0]
    all_correct = sum(1 for i in multiples if len(i.correct) == len(i.choices))
    n = len(multiples)
    if all_correct / n >= ALL_CORRECT_SHARE:
        return Flag(
            "", "correct-count", f"{all_correct} of {n} multiple-choice questions have every choice right"
        )
    if times / n >= COUNT_SHARE:
        return Flag(
            "",
            "correct-count",
            f"{times} of {n} multiple-choice questions have {common} correct answers; vary the number "
            "so it cannot be guessed",
        )
    return None


def _grams(text: str, size: int) -> set[str]:
    plain = _plain(text)
    return {plain[i : i + size] for i in range(len(plain) - size + 1)}


def _keys_text(item: Item) -> str:
    return "、".join(item.choices[i] for i in item.correct)


def explanation_giveaways(items: Sequence[Item], *, about: str = "") -> list[Flag]:
    """Explanations that contain another question's key with its context (see the module docstring);
    with ``about``, only those where that question gives away or is given away."""
    targets = []
    for item in items:
        if item.kind not in CHOICE_KINDS or not item.correct:
            continue
        keys, others = _split(item)
        stem = _plain(item.stem)
        plain_keys = [_plain(k) for k in keys]
        if any(len(k) < GIVEAWAY_MIN_KEY or k in stem for k in plain_keys):
            continue
        targets.append((item, plain_keys, [_plain(o) for o in others], _grams(item.stem, GIVEAWAY_CONTEXT)))
    about_targets = [t for t in targets if t[0].key == about]
    flags = []
    for source in items:
        explanation = _plain(source.explanation)
        if not explanation:
            continue
        context = _grams(source.explanation, GIVEAWAY_CONTEXT)
        # With ``about``, only that question's explanation against every key, or every explanation
        # against its key: linear in the bank, as the change page needs.
        chosen = targets if not about or source.key == about else about_targets
        for target, keys, others, stem_grams in chosen:
            if target.key == source.key or not all(k in explanation for k in keys):
                continue
            if any(o and o in explanation for o in others) or not (stem_grams & context):
                continue
            flags.append(
                Flag(
                    source.key,
                    "explanation-gives-away",
                    f"the explanation answers {target.key} (“{_keys_text(target)}”); "
                    "do not play both in one round, or reword it",
                )
            )
    return flags


def bank_flags(items: Iterable[Item]) -> list[Flag]:
    """Every question's flags, then the flags only a set of questions shows."""
    items = list(items)
    flags = [flag for item in items for flag in item_flags(item)]
    flags += explanation_giveaways(items)
    flags += [flag for check in (key_longest_share, correct_count) if (flag := check(items)) is not None]
    return flags
