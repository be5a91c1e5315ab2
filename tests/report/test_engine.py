"""The report's arithmetic (competition.report.engine) against hand-computed tables: no database.

Wilson bounds were worked by hand to 4 decimals with z = 1.96 (z^2 = 3.8416):
centre = (p + z^2/2n) / (1 + z^2/n), half = z * sqrt(p(1-p)/n + z^2/4n^2) / (1 + z^2/n).
For 8 of 10: p = 0.8, 1 + z^2/n = 1.38416, centre = 0.99208 / 1.38416 = 0.716736,
half = 1.96 * sqrt(0.016 + 0.009604) / 1.38416 = 0.226582, so (0.4902, 0.9433).
"""

from __future__ import annotations

from datetime import date

import pytest

from competition.report import engine
from competition.report.engine import (
    DEFAULT_MINIMUM,
    Bin,
    FunnelStep,
    ItemTally,
    MinimumSample,
    ReportError,
    Tally,
    Week,
    funnel,
    furthest_below,
    heatmap,
    histogram,
    most_missed,
    pooled,
    profile_over,
    score_bin,
    share_of,
    threshold_share,
    week_of,
    weekly_growth,
    wilson,
)


@pytest.mark.parametrize(
    ("correct", "answered", "low", "high"),
    [
        (8, 10, 0.4902, 0.9433),
        (0, 10, 0.0, 0.2775),  # upper = 2 * 0.19208 / 1.38416
        (10, 10, 0.7225, 1.0),  # the mirror of 0 of 10
        (50, 100, 0.4038, 0.5962),  # half = 1.96 * sqrt(0.0025 + 0.00009604) / 1.038416 = 0.0962
        (40, 100, 0.3094, 0.4980),  # centre 0.419208 / 1.038416 = 0.4037, half 0.0943
        (45, 100, 0.3561, 0.5476),
        (55, 100, 0.4524, 0.6439),
        (1, 2, 0.0945, 0.9055),  # centre 0.5, half 1.96 * sqrt(0.125 + 0.2401) / 2.9208 = 0.4055
        (3, 30, 0.0346, 0.2562),  # centre 0.164027 / 1.128053 = 0.1454, half 0.1108
    ],
)
def test_wilson_interval_matches_the_hand_computed_bounds(correct, answered, low, high):
    interval = wilson(correct, answered)
    assert round(interval.low, 4) == low
    assert round(interval.high, 4) == high


def test_wilson_interval_of_nothing_answered_is_the_whole_range():
    assert wilson(0, 0) == wilson(0, 0).__class__(0.0, 1.0)


@pytest.mark.parametrize(("correct", "answered"), [(-1, 10), (11, 10), (0, -1)])
def test_wilson_interval_refuses_impossible_counts(correct, answered):
    with pytest.raises(ReportError):
        wilson(correct, answered)


@pytest.mark.parametrize(
    ("minimum", "answered", "people", "readable"),
    [
        (DEFAULT_MINIMUM, 29, 10, False),  # one answer short
        (DEFAULT_MINIMUM, 30, 9, False),  # one person short
        (DEFAULT_MINIMUM, 30, 10, True),  # exactly at both
        (DEFAULT_MINIMUM, 5_000, 10, True),
        (DEFAULT_MINIMUM, 0, 0, False),
        (MinimumSample(answers=100, people=20), 99, 50, False),
        (MinimumSample(answers=100, people=20), 100, 20, True),
    ],
)
def test_minimum_sample_rule_reads_a_share_only_with_enough_answers_and_people(
    minimum, answered, people, readable
):
    assert share_of(Tally("g", 0, answered, people), minimum).readable is readable


def test_share_carries_its_counts_share_and_interval():
    s = share_of(Tally("海淀区", 8, 10, 4))
    assert (s.key, s.correct, s.answered, s.people, s.share) == ("海淀区", 8, 10, 4, 0.8)
    assert (round(s.low, 4), round(s.high, 4), s.readable) == (0.4902, 0.9433, False)


def test_share_of_nothing_answered_is_none_not_zero():
    s = share_of(Tally("empty", 0, 0, 0))
    assert (s.share, s.low, s.high, s.readable) == (None, 0.0, 1.0, False)


# given an average of 0.6: A (40/100) and D (45/100) lie wholly below it; B (55/100) is below on its
# share but its upper bound 0.6439 is not, so it is not named; C (2/10) is far below but too small.
BELOW_TABLE = [
    Tally("B", 55, 100, 40),
    Tally("A", 40, 100, 50),
    Tally("C", 2, 10, 10),
    Tally("D", 45, 100, 30),
    Tally("E", 70, 100, 60),
]


def test_furthest_below_names_only_readable_groups_whose_upper_bound_is_under_the_average():
    found = furthest_below(BELOW_TABLE, average=0.6)
    assert [(b.share.key, round(b.share.high, 4), round(b.gap, 4)) for b in found] == [
        ("A", 0.4980, 0.1020),  # 0.6 - 0.4980
        ("D", 0.5476, 0.0524),
    ]


def test_furthest_below_keeps_the_limit_and_breaks_equal_gaps_by_key():
    twins = [Tally("Z", 40, 100, 50), Tally("Y", 40, 100, 50), Tally("X", 45, 100, 50)]
    assert [b.share.key for b in furthest_below(twins, average=0.6, limit=2)] == ["Y", "Z"]


def test_furthest_below_against_the_pooled_average():
    average = pooled(BELOW_TABLE)
    assert (average.correct, average.answered, average.people) == (212, 410, 190)
    # 212 / 410 = 0.5171: only A's upper bound 0.4980 is under it
    assert [b.share.key for b in furthest_below(BELOW_TABLE, average=212 / 410)] == ["A"]


def test_furthest_below_refuses_an_average_that_is_not_a_share():
    with pytest.raises(ReportError):
        furthest_below(BELOW_TABLE, average=60)


def test_heatmap_adds_up_tallies_of_the_same_cell_and_keeps_first_seen_order():
    hm = heatmap(
        [
            Tally(("东城区", "B01"), 20, 40, 12),
            Tally(("东城区", "B02"), 5, 10, 5),
            Tally(("和平区", "B01"), 10, 20, 8),
            Tally(("东城区", "B01"), 10, 20, 6),
        ]
    )
    assert hm.rows == ("东城区", "和平区")
    assert hm.columns == ("B01", "B02")
    cell = hm.cell("东城区", "B01")
    assert (cell.correct, cell.answered, cell.people, cell.share, cell.readable) == (30, 60, 18, 0.5, True)
    assert hm.cell("东城区", "B02").readable is False
    assert hm.cell("和平区", "B02") is None


def test_funnel_gives_each_step_its_share_of_the_first_and_of_the_previous():
    steps = [("registered", 1000), ("active", 600), ("completed", 300), ("qualified", 30), ("finalists", 6)]
    assert funnel(steps) == [
        FunnelStep("registered", 1000, 1.0, None),
        FunnelStep("active", 600, 0.6, 0.6),
        FunnelStep("completed", 300, 0.3, 0.5),
        FunnelStep("qualified", 30, 0.03, 0.1),
        FunnelStep("finalists", 6, 0.006, 0.2),
    ]


def test_funnel_of_nobody_has_no_shares():
    assert funnel([("registered", 0), ("active", 0)]) == [
        FunnelStep("registered", 0, None, None),
        FunnelStep("active", 0, None, None),
    ]


@pytest.mark.parametrize(
    "steps", [[("registered", 10), ("active", 11)], [("registered", -1)], [("registered", 5), ("active", -1)]]
)
def test_funnel_refuses_a_step_larger_than_the_one_before_or_negative(steps):
    with pytest.raises(ReportError):
        funnel(steps)


@pytest.mark.parametrize(
    ("day", "monday"),
    [
        (date(2026, 12, 5), date(2026, 11, 30)),
        (date(2026, 11, 30), date(2026, 11, 30)),
        (date(2026, 12, 6), date(2026, 11, 30)),
    ],
)
def test_week_of_is_the_monday_that_starts_the_week(day, monday):
    assert week_of(day) == monday


def test_weekly_growth_fills_empty_weeks_and_grows_on_the_total_before():
    rows = weekly_growth(
        {date(2026, 10, 5): 100, date(2026, 10, 14): 50, date(2026, 10, 26): 30},
        {date(2026, 10, 6): 80, date(2026, 10, 27): 40},
    )
    assert rows == [
        Week(date(2026, 10, 5), 100, 100, 80, None),
        Week(date(2026, 10, 12), 50, 150, 0, 0.5),  # 50 on the 100 before
        Week(date(2026, 10, 19), 0, 150, 0, 0.0),
        Week(date(2026, 10, 26), 30, 180, 40, 0.2),  # 30 on 150
    ]


def test_weekly_growth_of_nothing_is_empty_and_negative_counts_are_refused():
    assert weekly_growth({}) == []
    with pytest.raises(ReportError):
        weekly_growth({date(2026, 10, 5): -1})


@pytest.mark.parametrize(
    ("score", "bin_"), [(0, 0), (9.9, 0), (10, 1), (69.9, 6), (70, 7), (99.9, 9), (100, 9)]
)
def test_score_bin_puts_the_top_score_in_the_last_bin(score, bin_):
    assert score_bin(score) == bin_


@pytest.mark.parametrize("score", [-0.1, 100.5])
def test_score_bin_refuses_a_score_outside_0_to_100(score):
    with pytest.raises(ReportError):
        score_bin(score)


def test_histogram_lists_every_bin_with_its_share():
    bins = histogram({6: 3, 7: 5, 9: 2})
    assert len(bins) == 10
    assert bins[0] == Bin(0, 10, 0, 0.0)
    assert [(b.low, b.count, b.share) for b in bins[6:]] == [
        (60, 3, 0.3),
        (70, 5, 0.5),
        (80, 0, 0.0),
        (90, 2, 0.2),
    ]
    assert bins[9].high == 100
    assert histogram({})[0].share is None


def test_histogram_refuses_a_bin_out_of_range():
    with pytest.raises(ReportError):
        histogram({10: 1})


FULL = {"knowledge": (28, 40), "method": (12, 20), "spirit": (12, 20), "application": (20, 20)}


@pytest.mark.parametrize(
    ("total", "dimensions", "expected"),
    [
        (72, FULL, (True, True)),  # 70% of knowledge, exactly 60% of method and spirit
        (72, {**FULL, "method": (11, 20)}, (True, False)),  # method at 55%
        (68, FULL, (False, False)),  # under the total threshold
        (70, FULL, (True, True)),  # at the threshold counts
        (80, {k: v for k, v in FULL.items() if k != "spirit"}, (True, False)),  # a dimension missing
    ],
)
def test_profile_over_the_total_and_the_composite_threshold(total, dimensions, expected):
    assert profile_over(total, dimensions) == expected


def test_threshold_share_has_a_wilson_interval_and_needs_ten_people():
    t = threshold_share("composite", 30, 100)
    # p = 0.3: centre 0.319208 / 1.038416 = 0.30740,
    # half 1.96 * sqrt(0.0021 + 0.00009604) / 1.038416 = 0.08845, so the upper bound is 0.39585
    assert (t.share, round(t.low, 4), round(t.high, 4), t.readable) == (0.3, 0.2189, 0.3959, True)
    assert threshold_share("composite", 3, 9).readable is False


ITEMS = [
    # 30 of 100 right; option 1 drew 50: a misconception more widespread than the knowledge
    ItemTally(1, "Q1", "B01", 100, 30, {0: 30, 1: 50, 2: 15, 3: 5}, frozenset({0})),
    # 40 of 50 right; options 0 and 2 tie at 5: the lower index is named
    ItemTally(2, "Q2", "B01", 50, 40, {0: 5, 1: 40, 2: 5}, frozenset({1})),
    # too few answers to rank
    ItemTally(3, "Q3", "B01", 20, 1, {0: 1, 1: 19}, frozenset({0})),
    # nobody picked a wrong option on record (skipped answers): no distractor
    ItemTally(4, "Q4", "B02", 40, 10, {0: 10}, frozenset({0})),
]


def test_most_missed_ranks_readable_questions_per_benchmark_with_their_strongest_distractor():
    found = most_missed(ITEMS)
    assert list(found) == ["B01", "B02"]
    assert [(m.label, m.share, m.distractor, m.distractor_share, m.misleads) for m in found["B01"]] == [
        ("Q1", 0.3, 1, 0.5, True),
        ("Q2", 0.8, 0, 0.1, False),
    ]
    q4 = found["B02"][0]
    assert (q4.distractor, q4.distractor_share, q4.misleads) == (None, 0.0, False)
    assert (round(found["B01"][0].low, 4), round(found["B01"][0].high, 4)) == (0.2189, 0.3959)


def test_most_missed_keeps_the_number_asked_per_benchmark():
    assert [m.label for m in most_missed(ITEMS, per_benchmark=1)["B01"]] == ["Q1"]


def test_most_missed_refuses_more_right_than_answered():
    with pytest.raises(ReportError):
        most_missed([ItemTally(9, "Q9", "B01", 10, 11, {}, frozenset({0}))])


@pytest.mark.parametrize(
    ("birth_year", "year", "band"),
    [
        (2010, 2026, "0-17"),
        (2009, 2026, "0-17"),  # 17 in 2026
        (2008, 2026, "18-29"),  # 18 in 2026
        (1997, 2026, "18-29"),
        (1996, 2026, "30-39"),
        (1977, 2026, "40-49"),
        (1967, 2026, "50-59"),
        (1966, 2026, "60+"),
        (1920, 2026, "60+"),
        (None, 2026, "unknown"),
        (2027, 2026, "unknown"),  # born after the year: a slip, not a band
    ],
)
def test_age_band_is_the_age_reached_in_the_year(birth_year, year, band):
    assert engine.age_band(birth_year, year) == band


def test_the_age_bands_are_listed_in_order_with_unknown_last():
    assert engine.age_bands() == ("0-17", "18-29", "30-39", "40-49", "50-59", "60+", "unknown")
