"""Near-duplicate stems.

Rule: after normalising (NFKC, case-folded, punctuation, symbols and whitespace removed), two stems are
near-duplicates when the Jaccard similarity of their character 3-gram sets is at least 0.8, or when it is
at least 0.5 and difflib's ratio of the two normalised texts is at least 0.9. The second arm catches a
character or two inserted into a short Chinese stem (one added 的 in 18 characters drops 3-gram Jaccard
to 0.74 but leaves the ratio at 0.97). Stems shorter than three characters only match when equal.

Search is prefix filtering (Chaudhuri et al. 2006; AllPairs): order all 3-grams by how rare they were in
the bank when the index was built (rarest first, ties by the text), and index each stem under the first
``|s| - ceil(0.5 |s|) + 1`` of its 3-grams only. Two sets with Jaccard >= 0.5 always share one of those
prefix 3-grams, so probing with a stem's own prefix finds every candidate while touching only a few
short posting lists; candidates are filtered by size, then verified exactly (Jaccard, then difflib).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

THRESHOLD = 0.8  # 3-gram Jaccard
RATIO = 0.9  # difflib ratio, for candidates with Jaccard >= CANDIDATE
CANDIDATE = 0.5
SIZE = 3
_DROP = ("P", "S", "Z", "C")  # punctuation, symbols, separators (whitespace), control/format characters


_TABLE: dict[int, None] = {}
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _table() -> dict[int, None]:
    """Code point -> None for every dropped character of the BMP, built once (str.translate is C-fast)."""
    if not _TABLE:
        _TABLE.update({cp: None for cp in range(0x10000) if unicodedata.category(chr(cp)).startswith(_DROP)})
    return _TABLE


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold().translate(_table())
    if not _ASTRAL.search(text):
        return text
    return "".join(c for c in text if not unicodedata.category(c).startswith(_DROP))


def shingles(text: str) -> frozenset[str]:
    """The character 3-grams of a normalised text (the text itself if shorter)."""
    if len(text) < SIZE:
        return frozenset({text}) if text else frozenset()
    return frozenset(map("".join, zip(text, text[1:], text[2:], strict=False)))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    common = len(a & b)
    return common / (len(a) + len(b) - common)


def _score(a: str, b: str, grams_a: frozenset[str], grams_b: frozenset[str]) -> float:
    """By the rule above: the Jaccard if it passes, else the difflib ratio if that passes, else 0."""
    score = jaccard(grams_a, grams_b)
    if score >= THRESHOLD:
        return score
    if score >= CANDIDATE:
        ratio = SequenceMatcher(None, a, b, autojunk=False).ratio()
        if ratio >= RATIO:
            return ratio
    return 0.0


def similar(a: str, b: str) -> float:
    """How similar two stems are by the near-duplicate rule (0 if they are not near-duplicates)."""
    na, nb = normalise(a), normalise(b)
    if na == nb and na:
        return 1.0
    return _score(na, nb, shingles(na), shingles(nb))


@dataclass(frozen=True, slots=True)
class Match:
    key: str
    score: float


class StemIndex:
    """An index of stems by key; ``find`` returns the most similar near-duplicate indexed stem.

    When the stems to look up are known in advance (the rows of an import), pass them as ``probes``: the
    global order then comes from their 3-gram counts, so every 3-gram no probe has sorts first, and a bank
    stem whose whole prefix is such 3-grams is not stored at all (no probe could reach it). ``find`` is then
    exact for the probes and for stems added with ``add`` (which must be probes too).
    """

    def __init__(
        self,
        items: Iterable[tuple[str, str]] = (),
        *,
        probes: Iterable[str] | None = None,
        threshold: float = CANDIDATE,
    ) -> None:
        self.threshold = threshold
        self._keys: list[str] = []
        self._texts: list[str] = []  # normalised; 3-grams are recomputed for the few candidates only
        self._sizes: list[int] = []
        self._postings: dict[str, list[int]] = {}
        frequency: Counter[str] = Counter()
        self._probed: frozenset[str] | None = None
        if probes is None:
            items = [(key, normalise(stem)) for key, stem in items]
            for _, text in items:
                frequency.update(shingles(text))
        else:
            for stem in probes:
                frequency.update(shingles(normalise(stem)))
            self._probed = frozenset(frequency)
            items = ((key, normalise(stem)) for key, stem in items)
        self._frequency = frequency  # the global order (rarest first, ties by text); never updated
        for key, text in items:
            self._add(key, text)

    def __len__(self) -> int:
        return len(self._keys)

    def _prefix(self, grams: frozenset[str]) -> list[str]:
        """The prefix of ``grams`` in the global order, without the 3-grams no probe has."""
        length = len(grams) - math.ceil(self.threshold * len(grams)) + 1
        if self._probed is not None:
            probed = grams & self._probed
            length -= len(grams) - len(probed)  # unprobed 3-grams sort first
            if length <= 0:
                return []
            grams = probed
        # Two C-level sorts: by text, then (stable) by frequency, give the order (frequency, text).
        return sorted(sorted(grams), key=self._frequency.__getitem__)[:length]

    def _add(self, key: str, text: str) -> None:
        grams = shingles(text)
        prefix = self._prefix(grams) if grams else []
        if not prefix:
            return
        position = len(self._keys)
        self._keys.append(key)
        self._texts.append(text)
        self._sizes.append(len(grams))
        postings = self._postings
        for gram in prefix:
            if gram in postings:
                postings[gram].append(position)
            else:
                postings[gram] = [position]

    def add(self, key: str, stem: str) -> None:
        self._add(key, normalise(stem))

    def find(
        self, stem: str, *, exclude: str = "", accept: Callable[[str], bool] | None = None
    ) -> Match | None:
        """The most similar near-duplicate indexed stem (among the keys ``accept`` allows, if given)."""
        text = normalise(stem)
        grams = shingles(text)
        if not grams:
            return None
        low, high = self.threshold * len(grams), len(grams) / self.threshold
        best: Match | None = None
        seen: set[int] = set()
        for gram in self._prefix(grams):
            for position in self._postings.get(gram, ()):
                if position in seen:
                    continue
                seen.add(position)
                if not low <= self._sizes[position] <= high or self._keys[position] == exclude:
                    continue
                other = self._texts[position]
                score = 1.0 if other == text else _score(text, other, grams, shingles(other))
                if score > 0 and accept is not None and not accept(self._keys[position]):
                    continue
                if score > 0 and (best is None or score > best.score):
                    best = Match(self._keys[position], round(score, 3))
        return best


def answer_key(
    kind: str, choices: Sequence[str], correct: Sequence[int], reference_answer: str = ""
) -> tuple:
    """What a question's answer says, normalised: two near-duplicate stems are one question only if this is
    equal too (true/false compares the truth value, so 正确 and True agree; choice kinds compare the texts of
    the right choices, in any order; host-judged questions their reference answers)."""
    if kind == "truefalse":
        return ("truefalse", tuple(correct) == (0,))
    if kind == "judged":
        return ("judged", normalise(reference_answer))
    if kind == "short":
        return ("short", frozenset(normalise(a) for a in choices))
    if kind == "numerical":
        return ("numerical", tuple(choices))
    return ("choices", frozenset(normalise(choices[i]) for i in correct if 0 <= i < len(choices)))


def difference(old: str, new: str, *, limit: int = 3) -> str:
    """The changed parts of ``new`` against ``old`` as “old”→“new” (“”→“x” for an insertion), at most
    ``limit`` of them; '' when the texts are equal."""
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    changes = [
        f"“{old[i1:i2]}”→“{new[j1:j2]}”" for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"
    ]
    if len(changes) > limit:
        changes = [*changes[:limit], f"… {len(changes) - limit} more"]
    return ", ".join(changes)
