"""The literacy report's arithmetic: shares with Wilson intervals, the minimum-sample rule, the groups
furthest below the average, the participation funnel, weekly growth, self-test profiles and the
most-missed questions with their strongest distractors.

Pure Python, no Django: the data layer hands in tallies (sums it can keep incrementally) and gets back
small frozen rows that the page, the workbook and the PDF render. docs/report.md states every rule.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

Z_95 = 1.96  # two-sided 95%


class ReportError(ValueError):
    """A tally the report cannot read: negative counts, more right than answered, a funnel that grows."""


# --- shares ------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Interval:
    low: float
    high: float


def wilson(correct: int, answered: int, z: float = Z_95) -> Interval:
    """The Wilson score interval of ``correct`` out of ``answered`` (95% with the default ``z``).

    Unlike the normal approximation it stays inside [0, 1] and does not collapse to a point at 0 or 1
    correct, which matters for the small districts and groups the report must not over-read.
    """
    _check_counts(correct, answered)
    if answered == 0:
        return Interval(0.0, 1.0)
    n = answered
    p = correct / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    # The bounds are exactly 0 and 1 at the extremes; rounding error must not push them past.
    low = 0.0 if correct == 0 else max(0.0, centre - half)
    high = 1.0 if correct == n else min(1.0, centre + half)
    return Interval(low, high)


@dataclass(frozen=True, slots=True)
class MinimumSample:
    """A share is read only with at least ``answers`` answers from at least ``people`` contestants.

    Below either, the figure is shown as "too few to read" and left out of every ranking.
    """

    answers: int = 30
    people: int = 10

    def readable(self, answered: int, people: int) -> bool:
        return answered >= self.answers and people >= self.people


DEFAULT_MINIMUM = MinimumSample()


@dataclass(frozen=True, slots=True)
class Tally:
    """What the data layer counts for one group (a district, a key group, a district x benchmark cell)."""

    key: Hashable
    correct: int
    answered: int
    people: int


@dataclass(frozen=True, slots=True)
class Share:
    key: Hashable
    correct: int
    answered: int
    people: int
    share: float | None  # None when nothing was answered
    low: float
    high: float
    readable: bool


def _check_counts(correct: int, answered: int, people: int = 0) -> None:
    if correct < 0 or answered < 0 or people < 0:
        raise ReportError(
            f"counts may not be negative: correct={correct}, answered={answered}, people={people}"
        )
    if correct > answered:
        raise ReportError(f"more right answers ({correct}) than answers ({answered})")


def share_of(tally: Tally, minimum: MinimumSample = DEFAULT_MINIMUM, z: float = Z_95) -> Share:
    """A tally's share right, its Wilson interval, and whether the minimum-sample rule lets it be read."""
    _check_counts(tally.correct, tally.answered, tally.people)
    interval = wilson(tally.correct, tally.answered, z)
    return Share(
        key=tally.key,
        correct=tally.correct,
        answered=tally.answered,
        people=tally.people,
        share=tally.correct / tally.answered if tally.answered else None,
        low=interval.low,
        high=interval.high,
        readable=minimum.readable(tally.answered, tally.people),
    )


def pooled(tallies: Iterable[Tally], key: Hashable = "all") -> Tally:
    """The sum of tallies. ``people`` adds up only when no contestant is in two of them, which holds for
    groups of contestants (each has one district and one key group), not for benchmarks."""
    correct = answered = people = 0
    for t in tallies:
        correct += t.correct
        answered += t.answered
        people += t.people
    return Tally(key, correct, answered, people)


def shares(tallies: Iterable[Tally], minimum: MinimumSample = DEFAULT_MINIMUM) -> list[Share]:
    return [share_of(t, minimum) for t in tallies]


@dataclass(frozen=True, slots=True)
class Below:
    """A group whose whole 95% interval lies under the competition's average."""

    share: Share
    average: float
    gap: float  # average minus the interval's upper bound: the shortfall we are 95% sure of


def furthest_below(
    tallies: Iterable[Tally],
    *,
    average: float,
    limit: int = 10,
    minimum: MinimumSample = DEFAULT_MINIMUM,
) -> list[Below]:
    """The groups furthest below ``average``: readable ones whose Wilson upper bound is under it, the
    largest certain shortfall (average minus upper bound) first, then by key for a stable order."""
    if not 0.0 <= average <= 1.0:
        raise ReportError(f"the average must be a share between 0 and 1, got {average}")
    found = []
    for share in shares(tallies, minimum):
        if share.readable and share.high < average:
            found.append(Below(share, average, average - share.high))
    found.sort(key=lambda b: (-b.gap, str(b.share.key)))
    return found[:limit]


# --- participation -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FunnelStep:
    name: str
    count: int
    of_first: float | None  # share of the first step (registered)
    of_previous: float | None


def funnel(steps: Sequence[tuple[str, int]]) -> list[FunnelStep]:
    """Registration to the finals, each step with its share of the first and of the step before.
    Each step is a subset of the one before, so a step larger than its predecessor is an error."""
    out: list[FunnelStep] = []
    first = previous = None
    for name, count in steps:
        if count < 0:
            raise ReportError(f"funnel step {name!r} has a negative count ({count})")
        if previous is not None and count > previous[1]:
            raise ReportError(
                f"funnel step {name!r} ({count}) is larger than {previous[0]!r} ({previous[1]})"
            )
        if first is None:
            first = count
        out.append(
            FunnelStep(
                name,
                count,
                count / first if first else None,
                count / previous[1] if previous is not None and previous[1] else None,
            )
        )
        previous = (name, count)
    return out


def week_of(day: date) -> date:
    """The Monday that starts ``day``'s week (weeks run Monday to Sunday, as in China)."""
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True, slots=True)
class Week:
    start: date
    new: int
    total: int
    active: int
    growth: float | None  # new this week over the total before it; None for the first week or from 0


def weekly_growth(
    new_by_week: Mapping[date, int], active_by_week: Mapping[date, int] | None = None
) -> list[Week]:
    """Registrations per week with the running total and the week's growth on the total before it.
    Keys may be any day of their week; weeks in between with nothing are listed with 0."""
    active_by_week = active_by_week or {}
    new: dict[date, int] = {}
    active: dict[date, int] = {}
    for source, target in ((new_by_week, new), (active_by_week, active)):
        for day, count in source.items():
            if count < 0:
                raise ReportError(f"week of {day} has a negative count ({count})")
            monday = week_of(day)
            target[monday] = target.get(monday, 0) + count
    if not new and not active:
        return []
    week = min([*new, *active])
    last = max([*new, *active])
    rows: list[Week] = []
    total = 0
    while week <= last:
        added = new.get(week, 0)
        growth = added / total if total else None
        total += added
        rows.append(Week(week, added, total, active.get(week, 0), growth))
        week += timedelta(days=7)
    return rows


# --- self-test profiles ------------------------------------------------------------------------------
DIMENSIONS = ("knowledge", "method", "spirit", "application")
BIN_WIDTH = 10


@dataclass(frozen=True, slots=True)
class SelftestRule:
    """When a self-test counts as over the report's thresholds (docs/report.md, "Self-test thresholds").

    ``total_at``: the total (out of 100) at or over which a profile is over the total threshold.
    ``dimension_at``: the share of each dimension's weight every dimension must reach as well for the
    composite threshold (all four at once), in the spirit of the national survey's composite rule.
    """

    total_at: float = 70.0
    dimension_at: float = 0.6


DEFAULT_SELFTEST = SelftestRule()


def score_bin(score: float, width: int = BIN_WIDTH, top: float = 100.0) -> int:
    """The histogram bin of a score: [0, 10) is 0, ..., [90, 100] is 9 (the top score joins the last bin)."""
    if score < 0 or score > top:
        raise ReportError(f"a score must lie between 0 and {top}, got {score}")
    last = math.ceil(top / width) - 1
    return min(int(score // width), last)


def profile_over(
    total: float, dimensions: Mapping[str, tuple[float, float]], rule: SelftestRule = DEFAULT_SELFTEST
) -> tuple[bool, bool]:
    """(over the total threshold, over the composite threshold) for one profile.
    ``dimensions`` maps each dimension to (score, weight)."""
    over_total = total >= rule.total_at
    composite = over_total and all(
        weight > 0 and score >= rule.dimension_at * weight - 1e-9 for score, weight in dimensions.values()
    )
    return over_total, composite and set(dimensions) >= set(DIMENSIONS)


@dataclass(frozen=True, slots=True)
class Bin:
    low: int
    high: int  # exclusive, except the last bin which includes 100
    count: int
    share: float | None


def histogram(counts: Mapping[int, int], *, width: int = BIN_WIDTH, top: float = 100.0) -> list[Bin]:
    """Every bin from 0 to ``top`` with its count and share of all profiles (empty bins listed too)."""
    bins = math.ceil(top / width)
    for index, count in counts.items():
        if not 0 <= index < bins:
            raise ReportError(f"bin {index} is outside 0..{bins - 1}")
        if count < 0:
            raise ReportError(f"bin {index} has a negative count ({count})")
    total = sum(counts.values())
    return [
        Bin(
            i * width,
            min((i + 1) * width, int(top)),
            counts.get(i, 0),
            counts.get(i, 0) / total if total else None,
        )
        for i in range(bins)
    ]


@dataclass(frozen=True, slots=True)
class Threshold:
    name: str
    over: int
    people: int
    share: float | None
    low: float
    high: float
    readable: bool


def threshold_share(name: str, over: int, people: int, minimum: MinimumSample = DEFAULT_MINIMUM) -> Threshold:
    """The share of profiles over a threshold, with its Wilson interval; one profile per person, so the
    minimum-sample rule applies its ``people`` count (and ``answers`` does not)."""
    _check_counts(over, people)
    interval = wilson(over, people)
    return Threshold(
        name,
        over,
        people,
        over / people if people else None,
        interval.low,
        interval.high,
        people >= minimum.people,
    )


# --- questions ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ItemTally:
    """One question's answers: how many, how many right, how often each option was picked."""

    question_id: int
    label: str
    benchmark: str
    answered: int
    correct: int
    picks: Mapping[int, int]  # option index -> times picked (a multiple-answer pick counts each option)
    key: frozenset[int]


@dataclass(frozen=True, slots=True)
class MissedItem:
    question_id: int
    label: str
    benchmark: str
    answered: int
    correct: int
    share: float
    low: float
    high: float
    distractor: int | None  # the wrong option picked most, None if no wrong option was picked
    distractor_share: float  # its picks over the answers
    misleads: bool  # the distractor was picked more often than the key was answered right


def most_missed(
    items: Iterable[ItemTally], *, per_benchmark: int = 3, minimum_answers: int = DEFAULT_MINIMUM.answers
) -> dict[str, list[MissedItem]]:
    """Per benchmark, the ``per_benchmark`` readable questions with the lowest share right (ties by label),
    each with its strongest distractor. A question under ``minimum_answers`` answers is left out."""
    grouped: dict[str, list[MissedItem]] = {}
    for item in items:
        _check_counts(item.correct, item.answered)
        if item.answered < minimum_answers:
            continue
        wrong = [
            (count, -option) for option, count in item.picks.items() if option not in item.key and count > 0
        ]
        if wrong:
            count, negative = max(wrong)
            distractor, distractor_share = -negative, count / item.answered
        else:
            distractor, distractor_share = None, 0.0
        interval = wilson(item.correct, item.answered)
        grouped.setdefault(item.benchmark, []).append(
            MissedItem(
                item.question_id,
                item.label,
                item.benchmark,
                item.answered,
                item.correct,
                item.correct / item.answered,
                interval.low,
                interval.high,
                distractor,
                distractor_share,
                distractor is not None and distractor_share * item.answered > item.correct,
            )
        )
    return {
        benchmark: sorted(rows, key=lambda m: (m.share, m.label))[:per_benchmark]
        for benchmark, rows in sorted(grouped.items())
    }


@dataclass(frozen=True, slots=True)
class Heatmap:
    rows: tuple[Hashable, ...]
    columns: tuple[Hashable, ...]
    cells: Mapping[tuple[Hashable, Hashable], Share]

    def cell(self, row: Hashable, column: Hashable) -> Share | None:
        return self.cells.get((row, column))


def heatmap(cells: Iterable[Tally], minimum: MinimumSample = DEFAULT_MINIMUM) -> Heatmap:
    """Shares for (row, column) tallies (e.g. district x benchmark), rows and columns in first-seen order.
    Two tallies for the same cell are added up."""
    summed: dict[tuple[Hashable, Hashable], Tally] = {}
    rows: dict[Hashable, None] = {}
    columns: dict[Hashable, None] = {}
    for t in cells:
        row, column = t.key  # type: ignore[misc]
        rows.setdefault(row, None)
        columns.setdefault(column, None)
        old = summed.get((row, column))
        summed[(row, column)] = t if old is None else pooled((old, t), key=(row, column))
    return Heatmap(tuple(rows), tuple(columns), {k: share_of(t, minimum) for k, t in summed.items()})


# Age bands: the age a contestant reaches in the stage's year (that year minus the year of birth), in
# bands that start at these ages. A contestant who gave no year of birth is in ``UNKNOWN_AGE``.
AGE_STARTS = (18, 30, 40, 50, 60)
UNKNOWN_AGE = "unknown"


def age_bands() -> tuple[str, ...]:
    """Every band's code in order: ``0-17``, ``18-29``, ..., ``60+``, then ``unknown``."""
    bands = [f"0-{AGE_STARTS[0] - 1}"]
    bands += [f"{a}-{b - 1}" for a, b in pairwise(AGE_STARTS)]
    bands.append(f"{AGE_STARTS[-1]}+")
    return (*bands, UNKNOWN_AGE)


def age_band(birth_year: int | None, year: int) -> str:
    """The band of someone born in ``birth_year`` during ``year``; ``unknown`` without a year of birth.

    A year of birth after ``year`` (a typing slip the form did not catch) counts as unknown too."""
    if birth_year is None or birth_year > year:
        return UNKNOWN_AGE
    age = year - birth_year
    bands = age_bands()
    for i, start in enumerate(AGE_STARTS):
        if age < start:
            return bands[i]
    return bands[len(AGE_STARTS)]
