"""Classical item statistics from live answers. Pure: no Django.

Input: one ``Response`` per answer (contestant, region, question, chosen options, the key, time taken)
and each contestant's score, used to rank contestants for discrimination. Output: one ``ItemStats`` per
question overall and per region, with flags for dubious items.

Definitions (classical test theory):

- **N**: contestants who answered the item. A contestant who did not answer is left out rather than
  counted wrong: in a live round a missing answer usually means a dropped connection or a late join.
- **Facility** (difficulty index *p*): the share of N whose answer is exactly the key.
- **Discrimination** D = p_upper - p_lower (Kelley 1939; Ebel 1954): the facility among the top 27% of N
  by score minus the facility among the bottom 27%. 27% maximises the difference between groups for
  normally distributed scores while keeping the groups large (Kelley). Groups are ranked within the
  population the statistic is for: per region, contestants are ranked within the region.
- **Ties across the 27% cut** are handled by fractional weights: if the group has r places left and k
  contestants share the score at the cut, each of them counts r/k in the group. The result depends only
  on scores, never on ids or input order; if everyone has the same score, D = 0.
- **Choice shares**: per option, the share of N who chose it (multiple-response items: who included it),
  overall and within the upper and lower groups.
- **Answer time**: mean and median of the server-measured time from opening to answer.

Flags and why (``Thresholds`` holds the numbers; change them there):

- ``few_answers`` (N < 20): with 20 answers each 27% group holds about 5 contestants and one answer moves
  p_upper by 0.2, so D, facility bands and 5% distractor shares are noise. Below it no other flag is raised.
- ``too_hard`` (facility < 0.20) and ``too_easy`` (facility > 0.95): an item almost nobody or almost
  everybody gets right has little variance, p(1 - p), so it cannot separate contestants (the usual
  classical guidance keeps p roughly within 0.2-0.9; the easy limit is looser here because quiz rounds
  open with deliberately easy warm-up questions). Information for the setter, not necessarily a fault.
- ``negative_discrimination`` (D < 0): weaker contestants do better than stronger ones; in practice
  the key is wrong, the stem is ambiguous, or a distractor is also defensible. Check the key first.
- ``weak_discrimination`` (0 <= D < 0.20): Ebel's guidelines (Ebel 1965; Ebel & Frisbie 1991):
  D >= 0.40 very good, 0.30-0.39 reasonably good, 0.20-0.29 marginal (improve), < 0.20 poor (revise or
  discard).
- ``nonfunctional_distractor`` (a wrong option chosen by < 5% of N): Haladyna & Downing (1993) call a
  distractor functional if at least 5% of examinees choose it; one nobody picks only adds reading time.
- ``check_key`` (a wrong option chosen by more of the upper group than the key): strong contestants
  preferring a distractor is the classic sign of a miskeyed or double-keyed item.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

GROUP_SHARE = 0.27


@dataclass(frozen=True, slots=True)
class Thresholds:
    too_hard: float = 0.20  # facility below: too hard
    too_easy: float = 0.95  # facility above: too easy
    weak_discrimination: float = 0.20  # Ebel: D below 0.20 is poor
    nonfunctional: float = 0.05  # Haladyna & Downing: a distractor chosen by < 5% is non-functional
    min_n: int = 20  # fewer answers: statistics too noisy to flag
    group_share: float = GROUP_SHARE  # Kelley's 27%


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True, slots=True)
class Response:
    contestant_id: int
    region: str
    question_key: Hashable
    choices: frozenset[int]
    correct: frozenset[int]
    elapsed_ms: int
    # A typed answer (short answer, numerical): whether it is right, as the bank's matching decided, and
    # the group it counts in (questionbank.engine.typed_answers.answer_group). None for a choice answer.
    right: bool | None = None
    group: str = ""


@dataclass(frozen=True, slots=True)
class Flag:
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class WrongAnswer:
    answer: str  # normalised: how the typed answers were compared and grouped
    count: int
    share: float  # of N


TOP_WRONG = 5  # the most common wrong answers kept per typed question


@dataclass(frozen=True, slots=True)
class ItemStats:
    question_key: Hashable
    region: str | None  # None: all regions
    n: int
    facility: float | None
    discrimination: float | None
    upper_p: float | None
    lower_p: float | None
    key: tuple[int, ...]
    shares: tuple[float, ...]  # per option: share of N who chose it
    upper_shares: tuple[float, ...]
    lower_shares: tuple[float, ...]
    mean_ms: float | None
    median_ms: float | None
    flags: tuple[Flag, ...] = field(default=())
    # Typed questions: the most common wrong answers, normalised (``WrongAnswer``), most first.
    wrong_answers: tuple[WrongAnswer, ...] = field(default=())

    @property
    def flag_codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.flags)


def letter(index: int) -> str:
    return chr(ord("A") + index) if 0 <= index < 26 else str(index + 1)


def group_weights(scores: Sequence[float], share: float = GROUP_SHARE) -> tuple[list[float], list[float]]:
    """Per contestant (same order as ``scores``): weight in the upper and in the lower group.

    Each group holds ``share * n`` contestants; those tied at a cut share the places left equally.
    """
    n = len(scores)
    size = share * n
    upper = [0.0] * n
    lower = [0.0] * n
    tiers: dict[float, list[int]] = defaultdict(list)
    for i, s in enumerate(scores):
        tiers[s].append(i)
    for target, order in ((upper, sorted(tiers, reverse=True)), (lower, sorted(tiers))):
        left = size
        for value in order:
            if left <= 1e-12:
                break
            members = tiers[value]
            weight = 1.0 if len(members) <= left else left / len(members)
            for i in members:
                target[i] = weight
            left -= weight * len(members)
    return upper, lower


def _one(
    key: Hashable,
    region: str | None,
    rows: list[Response],
    scores: Mapping[int, float],
    n_choices: int,
    limits: Thresholds,
) -> ItemStats:
    n = len(rows)
    answer_key = tuple(sorted(rows[0].correct)) if rows else ()
    right = [r.choices == r.correct if r.right is None else r.right for r in rows]
    facility = sum(right) / n if n else None
    upper_w, lower_w = group_weights(
        [float(scores.get(r.contestant_id, 0)) for r in rows], limits.group_share
    )
    size = limits.group_share * n
    if n >= 2 and size > 0:
        upper_p = sum(w for w, ok in zip(upper_w, right, strict=True) if ok) / size
        lower_p = sum(w for w, ok in zip(lower_w, right, strict=True) if ok) / size
        d = upper_p - lower_p
    else:
        upper_p = lower_p = d = None
    shares, upper_shares, lower_shares = [], [], []
    for option in range(n_choices):
        chose = [option in r.choices for r in rows]
        shares.append(sum(chose) / n if n else 0.0)
        if size > 0 and n >= 2:
            upper_shares.append(sum(w for w, c in zip(upper_w, chose, strict=True) if c) / size)
            lower_shares.append(sum(w for w, c in zip(lower_w, chose, strict=True) if c) / size)
        else:
            upper_shares.append(0.0)
            lower_shares.append(0.0)
    times = [r.elapsed_ms for r in rows]
    stats = ItemStats(
        question_key=key,
        region=region,
        n=n,
        facility=facility,
        discrimination=d,
        upper_p=upper_p,
        lower_p=lower_p,
        key=answer_key,
        shares=tuple(shares),
        upper_shares=tuple(upper_shares),
        lower_shares=tuple(lower_shares),
        mean_ms=statistics.fmean(times) if times else None,
        median_ms=statistics.median(times) if times else None,
        wrong_answers=wrong_answers(rows),
    )
    return _flagged(stats, limits)


def wrong_answers(rows: Sequence[Response], top: int = TOP_WRONG) -> tuple[WrongAnswer, ...]:
    """The ``top`` most common wrong typed answers by group, most first (ties by the text)."""
    counts = Counter(r.group for r in rows if r.right is False and r.group)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]
    return tuple(WrongAnswer(group, n, n / len(rows)) for group, n in ordered)


def _flagged(s: ItemStats, limits: Thresholds) -> ItemStats:
    flags: list[Flag] = []
    if s.n < limits.min_n:
        flags.append(Flag("few_answers", f"only {s.n} answers (< {limits.min_n}): too few to judge the item"))
        return _with(s, flags)
    assert s.facility is not None
    if s.facility < limits.too_hard:
        flags.append(Flag("too_hard", f"facility {s.facility:.2f} < {limits.too_hard:.2f}: too hard"))
    if s.facility > limits.too_easy:
        flags.append(Flag("too_easy", f"facility {s.facility:.2f} > {limits.too_easy:.2f}: too easy"))
    if s.discrimination is not None:
        if s.discrimination < 0:
            flags.append(
                Flag(
                    "negative_discrimination",
                    f"D = {s.discrimination:.2f} < 0: weaker contestants do better; is the key right?",
                )
            )
        elif s.discrimination < limits.weak_discrimination:
            flags.append(
                Flag(
                    "weak_discrimination",
                    f"D = {s.discrimination:.2f} < {limits.weak_discrimination:.2f} (Ebel: poor, revise)",
                )
            )
    distractors = [i for i in range(len(s.shares)) if i not in s.key]
    dead = [i for i in distractors if s.shares[i] < limits.nonfunctional]
    if dead:
        names = ", ".join(f"{letter(i)} {s.shares[i]:.0%}" for i in dead)
        flags.append(
            Flag("nonfunctional_distractor", f"chosen by < {limits.nonfunctional:.0%} of answers: {names}")
        )
    if s.key and s.discrimination is not None:
        best_key = max(s.upper_shares[i] for i in s.key if i < len(s.upper_shares))
        rivals = [i for i in distractors if s.upper_shares[i] > best_key]
        if rivals:
            names = ", ".join(f"{letter(i)} {s.upper_shares[i]:.0%}" for i in rivals)
            flags.append(
                Flag("check_key", f"the upper group chose {names} more than the key ({best_key:.0%})")
            )
    return _with(s, flags)


def _with(s: ItemStats, flags: list[Flag]) -> ItemStats:
    return replace(s, flags=tuple(flags))


def item_statistics(
    responses: Iterable[Response],
    scores: Mapping[int, float],
    *,
    choice_counts: Mapping[Hashable, int] | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    by_region: bool = True,
) -> list[ItemStats]:
    """Statistics per question overall (``region`` None) and, with ``by_region``, per region.

    Questions come in the order they first appear in ``responses``; regions sorted by name. A contestant
    without a score counts as 0. ``choice_counts`` gives each question's number of options (otherwise the
    highest option seen in answers or the key).
    """
    by_question: dict[Hashable, list[Response]] = {}
    for r in responses:
        by_question.setdefault(r.question_key, []).append(r)
    out: list[ItemStats] = []
    for key, rows in by_question.items():
        seen = max((i for r in rows for i in (*r.choices, *r.correct)), default=-1) + 1
        n_choices = max((choice_counts or {}).get(key, 0), seen)
        out.append(_one(key, None, rows, scores, n_choices, thresholds))
        if by_region:
            regions: dict[str, list[Response]] = defaultdict(list)
            for r in rows:
                regions[r.region].append(r)
            for region in sorted(regions):
                out.append(_one(key, region, regions[region], scores, n_choices, thresholds))
    return out


def percentile_scores(round_scores: Mapping[int, Mapping[int, float]]) -> dict[int, float]:
    """Contestant -> mid-rank percentile of their score within their round (0 to 1).

    Lets contestants of different rounds (different questions, different point scales) be ranked
    together: the best of a round of 10 and the best of a round of 500 both sit near the top.
    """
    out: dict[int, float] = {}
    for scores in round_scores.values():
        values = sorted(scores.values())
        n = len(values)
        below: dict[float, int] = {}
        equal: dict[float, int] = defaultdict(int)
        for i, v in enumerate(values):
            below.setdefault(v, i)
            equal[v] += 1
        for cid, v in scores.items():
            out[cid] = (below[v] + equal[v] / 2) / n
    return out
