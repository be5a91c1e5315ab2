"""Scores as a pure function of the answer log and the rule (quiz.engine.scoring): no database."""

from __future__ import annotations

import json

import pytest

from quiz.engine.scoring import (
    DEFAULT_TIE_BREAKS,
    AnswerRecord,
    ContestantScore,
    InvalidRule,
    MultiplePolicy,
    QuestionOutcome,
    ScoredQuestion,
    ScoringRule,
    SpeedCurve,
    TeamAggregate,
    TieBreak,
    base_points,
    rank,
    score_round,
    streak_bonus,
    team_scores,
)

T = 20_000  # ms allowed per question in these tables


def q(index: int, correct=(0,), *, weight: int = 1, multiple: bool = False, time_allowed_ms: int = T):
    return ScoredQuestion(index, frozenset(correct), time_allowed_ms, weight=weight, multiple=multiple)


def a(contestant: int, index: int, choices=(0,), elapsed_ms: int = 1_000) -> AnswerRecord:
    return AnswerRecord(contestant, index, frozenset(choices), elapsed_ms)


def outcome(correct: bool, points: int, streak: int) -> QuestionOutcome:
    """The outcome of an answer made by ``a()``: 1 s of the 20 s allowed."""
    return QuestionOutcome(correct, points, streak, elapsed_ms=1_000, time_limit_ms=T)


FLAT = ScoringRule(speed=SpeedCurve.OFF)  # every correct answer earns exactly the points


# --- base points --------------------------------------------------------------------------------------

BASE = [
    # (curve, elapsed, weight, points)
    (SpeedCurve.HALF, 0, 1, 1000, "half: instant"),
    (SpeedCurve.HALF, -20, 1, 1000, "half: negative elapsed counts as instant"),
    (SpeedCurve.HALF, 500, 1, 1000, "half: at the edge of the full-points window"),
    (SpeedCurve.HALF, 501, 1, 987, "half: just outside the window (987.475)"),
    (SpeedCurve.HALF, 5_000, 1, 875, "half: a quarter of the time"),
    (SpeedCurve.HALF, 10_000, 1, 750, "half: half the time"),
    (SpeedCurve.HALF, 20_000, 1, 500, "half: at the deadline, half the points"),
    (SpeedCurve.HALF, 25_000, 1, 500, "half: late answers clamp to half"),
    (SpeedCurve.HALF, 10_000, 0, 0, "half: weight 0"),
    (SpeedCurve.HALF, 10_000, 2, 1500, "half: weight 2"),
    (SpeedCurve.HALF, 20_000, 2, 1000, "half: weight 2 at the deadline"),
    (SpeedCurve.LINEAR, 0, 1, 1000, "linear: instant"),
    (SpeedCurve.LINEAR, 500, 1, 1000, "linear: at the edge of the full-points window"),
    (SpeedCurve.LINEAR, 501, 1, 975, "linear: just outside the window (974.95)"),
    (SpeedCurve.LINEAR, 5_000, 1, 750, "linear: a quarter of the time"),
    (SpeedCurve.LINEAR, 10_000, 1, 500, "linear: half the time"),
    (SpeedCurve.LINEAR, 20_000, 1, 0, "linear: nothing at the deadline"),
    (SpeedCurve.LINEAR, 25_000, 1, 0, "linear: late answers clamp to zero"),
    (SpeedCurve.LINEAR, 10_000, 0, 0, "linear: weight 0"),
    (SpeedCurve.LINEAR, 10_000, 2, 1000, "linear: weight 2"),
    (SpeedCurve.OFF, 0, 1, 1000, "off: instant"),
    (SpeedCurve.OFF, 10_000, 1, 1000, "off: half the time"),
    (SpeedCurve.OFF, 20_000, 1, 1000, "off: at the deadline"),
    (SpeedCurve.OFF, 25_000, 1, 1000, "off: late"),
    (SpeedCurve.OFF, 10_000, 0, 0, "off: weight 0"),
    (SpeedCurve.OFF, 10_000, 2, 2000, "off: weight 2"),
]


@pytest.mark.parametrize(
    ("curve", "elapsed", "weight", "points"), [c[:4] for c in BASE], ids=[c[4] for c in BASE]
)
def test_base_points_follow_the_speed_curve(curve, elapsed, weight, points):
    rule = ScoringRule(points=1000, speed=curve, full_points_within_ms=500)

    assert base_points(rule, elapsed_ms=elapsed, time_allowed_ms=T, weight=weight) == points


def test_the_half_curve_is_the_kahoot_formula():
    rule = ScoringRule(points=1000, speed=SpeedCurve.HALF, full_points_within_ms=0)

    for elapsed in range(1, T + 1, 997):
        expected = round(1000 * (1 - elapsed / T / 2))
        assert base_points(rule, elapsed_ms=elapsed, time_allowed_ms=T, weight=1) == expected


def test_a_zero_full_points_window_only_rewards_an_instant_answer_in_full():
    rule = ScoringRule(points=1000, speed=SpeedCurve.LINEAR, full_points_within_ms=0)

    assert base_points(rule, elapsed_ms=0, time_allowed_ms=T, weight=1) == 1000
    assert base_points(rule, elapsed_ms=200, time_allowed_ms=T, weight=1) == 990


def test_a_question_without_a_time_limit_earns_full_points():
    rule = ScoringRule(points=1000, speed=SpeedCurve.LINEAR)

    assert base_points(rule, elapsed_ms=9_000, time_allowed_ms=0, weight=1) == 1000


@pytest.mark.parametrize("curve", list(SpeedCurve), ids=lambda c: c.value)
def test_base_points_never_rise_as_time_passes(curve):
    rule = ScoringRule(speed=curve)

    points = [base_points(rule, elapsed_ms=t, time_allowed_ms=T, weight=1) for t in range(0, T + 2_000, 250)]

    assert points == sorted(points, reverse=True)
    assert min(points) >= 0


# --- streaks ------------------------------------------------------------------------------------------

STREAK = [
    (0, 0, "no streak"),
    (1, 0, "a first correct answer earns no bonus"),
    (2, 100, "second in a row"),
    (3, 200, "third in a row"),
    (5, 400, "fifth in a row"),
    (6, 500, "sixth reaches the cap"),
    (7, 500, "seventh stays at the cap"),
    (50, 500, "a long streak stays at the cap"),
]


@pytest.mark.parametrize(("streak", "bonus"), [c[:2] for c in STREAK], ids=[c[2] for c in STREAK])
def test_the_streak_bonus_grows_by_a_step_from_the_second_answer_up_to_the_cap(streak, bonus):
    rule = ScoringRule(streak_bonus=True, streak_step=100, streak_cap=500)

    assert streak_bonus(rule, streak) == bonus


def test_no_streak_bonus_is_paid_when_the_option_is_off():
    assert streak_bonus(ScoringRule(streak_bonus=False), 10) == 0


def test_a_cap_between_steps_cuts_the_bonus_at_the_cap():
    rule = ScoringRule(streak_bonus=True, streak_step=150, streak_cap=400)

    assert [streak_bonus(rule, s) for s in range(1, 6)] == [0, 150, 300, 400, 400]


SEQUENCES = [
    # pattern per question: C correct, X wrong, - unanswered; expected points per question (None: no answer)
    ("CCCCCCCC", [1000, 1100, 1200, 1300, 1400, 1500, 1500, 1500], "eight in a row hit the cap"),
    ("CCXCC", [1000, 1100, 0, 1000, 1100], "a wrong answer resets the streak"),
    ("CC-CC", [1000, 1100, None, 1000, 1100], "a missed question resets the streak"),
    ("XCCC", [0, 1000, 1100, 1200], "a streak can start after a wrong answer"),
    ("-C-C", [None, 1000, None, 1000], "alternate misses never build a streak"),
]


@pytest.mark.parametrize(("pattern", "expected"), [c[:2] for c in SEQUENCES], ids=[c[2] for c in SEQUENCES])
def test_streak_bonus_sequences(pattern, expected):
    rule = ScoringRule(speed=SpeedCurve.OFF, streak_bonus=True, streak_step=100, streak_cap=500)
    questions = [q(i) for i in range(len(pattern))]
    answers = [a(1, i, (0,) if mark == "C" else (1,)) for i, mark in enumerate(pattern) if mark != "-"]

    score = score_round(questions, answers, rule)[1]

    assert [
        score.outcomes[i].points if i in score.outcomes else None for i in range(len(pattern))
    ] == expected
    assert score.points == sum(p for p in expected if p is not None)
    assert score.correct == pattern.count("C")
    assert score.answered == len(pattern) - pattern.count("-")


def test_the_outcome_records_the_streak_after_each_question():
    rule = ScoringRule(speed=SpeedCurve.OFF, streak_bonus=True)
    answers = [a(1, 0), a(1, 1), a(1, 2, (3,)), a(1, 3)]

    score = score_round([q(i) for i in range(4)], answers, rule)[1]

    assert [score.outcomes[i].streak for i in range(4)] == [1, 2, 0, 1]
    assert score.streak == 1


def test_a_practice_question_earns_no_streak_bonus():
    rule = ScoringRule(speed=SpeedCurve.OFF, streak_bonus=True, streak_step=100)
    questions = [q(0), q(1), q(2, weight=0)]
    answers = [a(1, i) for i in range(3)]

    score = score_round(questions, answers, rule)[1]

    assert score.outcomes[2].points == 0
    assert score.points == 1000 + 1100


def test_the_streak_bonus_is_added_to_speed_points():
    rule = ScoringRule(speed=SpeedCurve.HALF, streak_bonus=True, streak_step=100)
    answers = [a(1, 0, elapsed_ms=10_000), a(1, 1, elapsed_ms=10_000)]

    score = score_round([q(0), q(1)], answers, rule)[1]

    assert [score.outcomes[i].points for i in (0, 1)] == [750, 850]


# --- multiple choice ----------------------------------------------------------------------------------

PARTIAL = [
    # (choices, points, counts as correct)
    ((0, 1, 2), 1000, True, "the exact key"),
    ((0, 1), 667, False, "two of three correct options"),
    ((0,), 333, False, "one of three correct options"),
    ((0, 1, 3), 0, False, "a wrong option with correct ones"),
    ((3,), 0, False, "only a wrong option"),
    ((0, 1, 2, 3), 0, False, "every option"),
]


@pytest.mark.parametrize(
    ("choices", "points", "correct"), [c[:3] for c in PARTIAL], ids=[c[3] for c in PARTIAL]
)
def test_partial_credit_pays_a_share_per_correct_option_and_nothing_for_any_wrong_one(
    choices, points, correct
):
    rule = ScoringRule(speed=SpeedCurve.OFF, multiple=MultiplePolicy.PARTIAL)

    score = score_round([q(0, (0, 1, 2), multiple=True)], [a(1, 0, choices)], rule)[1]

    assert score.outcomes[0] == QuestionOutcome(
        correct=correct, points=points, streak=int(correct), elapsed_ms=1_000, time_limit_ms=T
    )
    assert score.correct == int(correct)


ALL_OR_NOTHING = [
    ((0, 1, 2), 1000, "the exact key"),
    ((0, 1), 0, "a subset"),
    ((0, 1, 2, 3), 0, "a superset"),
]


@pytest.mark.parametrize(
    ("choices", "points"), [c[:2] for c in ALL_OR_NOTHING], ids=[c[2] for c in ALL_OR_NOTHING]
)
def test_all_or_nothing_pays_only_the_exact_key(choices, points):
    rule = ScoringRule(speed=SpeedCurve.OFF, multiple=MultiplePolicy.ALL_OR_NOTHING)

    score = score_round([q(0, (0, 1, 2), multiple=True)], [a(1, 0, choices)], rule)[1]

    assert score.outcomes[0].points == points


def test_partial_credit_does_not_apply_to_single_answer_questions():
    rule = ScoringRule(speed=SpeedCurve.OFF, multiple=MultiplePolicy.PARTIAL)

    score = score_round([q(0, (1,))], [a(1, 0, (0,))], rule)[1]

    assert score.outcomes[0] == QuestionOutcome(
        correct=False, points=0, streak=0, elapsed_ms=1_000, time_limit_ms=T
    )


def test_partial_credit_scales_the_speed_points():
    rule = ScoringRule(speed=SpeedCurve.HALF, multiple=MultiplePolicy.PARTIAL)

    score = score_round([q(0, (0, 1, 2), multiple=True)], [a(1, 0, (0, 1), elapsed_ms=10_000)], rule)[1]

    assert score.points == 500  # 750 at half time, two thirds of it


def test_a_partly_right_answer_breaks_the_streak():
    rule = ScoringRule(speed=SpeedCurve.OFF, multiple=MultiplePolicy.PARTIAL, streak_bonus=True)
    questions = [q(0), q(1, (0, 1), multiple=True), q(2)]
    answers = [a(1, 0), a(1, 1, (0,)), a(1, 2)]

    score = score_round(questions, answers, rule)[1]

    assert [score.outcomes[i].points for i in range(3)] == [1000, 500, 1000]
    assert score.outcomes[2].streak == 1
    assert score.correct == 2


def test_a_partly_right_answer_is_not_penalised():
    rule = ScoringRule(speed=SpeedCurve.OFF, multiple=MultiplePolicy.PARTIAL, wrong_penalty=300)

    score = score_round([q(0, (0, 1), multiple=True)], [a(1, 0, (1,))], rule)[1]

    assert score.points == 500


def test_a_partial_answer_with_a_wrong_option_counts_as_wrong_and_is_penalised():
    rule = ScoringRule(speed=SpeedCurve.OFF, multiple=MultiplePolicy.PARTIAL, wrong_penalty=300)

    score = score_round([q(0, (0, 1), multiple=True)], [a(1, 0, (0, 5))], rule)[1]

    assert score.outcomes[0] == QuestionOutcome(
        correct=False, points=-300, streak=0, elapsed_ms=1_000, time_limit_ms=T
    )


# --- negative marks -----------------------------------------------------------------------------------

PENALTY = [
    # (answers as (index, choices), weight of every question, total)
    ([(0, (1,))], 1, -200, "one wrong answer"),
    ([(0, (1,)), (1, (1,))], 1, -400, "totals may go below zero"),
    ([(0, (0,)), (1, (1,))], 1, 800, "a right and a wrong answer"),
    ([], 1, 0, "unanswered questions cost nothing"),
    ([(0, (1,))], 2, -400, "the penalty scales with a double-points weight"),
    ([(0, (1,))], 0, 0, "a practice question costs nothing"),
]


@pytest.mark.parametrize(("given", "weight", "total"), [c[:3] for c in PENALTY], ids=[c[3] for c in PENALTY])
def test_a_wrong_penalty_takes_points_off_wrong_answers_only(given, weight, total):
    rule = ScoringRule(speed=SpeedCurve.OFF, wrong_penalty=200)
    questions = [q(0, weight=weight), q(1, weight=weight)]

    scores = score_round(questions, [a(1, i, c) for i, c in given], rule, contestant_ids=[1])

    assert scores[1].points == total


def test_without_a_penalty_a_wrong_answer_scores_zero():
    score = score_round([q(0)], [a(1, 0, (2,))], FLAT)[1]

    assert score.outcomes[0] == QuestionOutcome(
        correct=False, points=0, streak=0, elapsed_ms=1_000, time_limit_ms=T
    )
    assert score.answered == 1
    assert score.correct == 0


# --- what is scored -----------------------------------------------------------------------------------


def test_answers_to_voided_or_skipped_questions_are_ignored_when_those_questions_are_not_passed_in():
    answers = [a(1, 0), a(1, 1), a(1, 2)]

    score = score_round([q(0), q(2)], answers, FLAT)[1]

    assert score.points == 2000
    assert score.answered == 2
    assert set(score.outcomes) == {0, 2}


def test_a_voided_question_does_not_break_a_streak():
    rule = ScoringRule(speed=SpeedCurve.OFF, streak_bonus=True)
    answers = [a(1, 0), a(1, 1, (3,)), a(1, 2)]

    score = score_round([q(0), q(2)], answers, rule)[1]  # question 1 was voided

    assert score.outcomes[2].streak == 2
    assert score.points == 1000 + 1100


def test_voiding_a_question_rescores_everyone():
    questions = [q(0), q(1), q(2)]
    answers = [a(1, 0), a(1, 1), a(2, 1), a(2, 2)]

    before = score_round(questions, answers, FLAT)
    after = score_round([questions[0], questions[2]], answers, FLAT)

    assert (before[1].points, before[2].points) == (2000, 2000)
    assert (after[1].points, after[2].points) == (1000, 1000)


def test_questions_are_scored_in_index_order_whatever_order_they_are_given_in():
    rule = ScoringRule(speed=SpeedCurve.OFF, streak_bonus=True)
    answers = [a(1, 0), a(1, 1), a(1, 2, (3,))]

    score = score_round([q(2), q(0), q(1)], answers, rule)[1]

    assert [score.outcomes[i].streak for i in range(3)] == [1, 2, 0]


def test_a_contestant_without_answers_is_scored_at_zero_when_listed():
    scores = score_round([q(0)], [a(1, 0)], FLAT, contestant_ids=[1, 2])

    assert set(scores) == {1, 2}
    assert scores[2].points == 0
    assert scores[2].answered == 0
    assert scores[2].outcomes == {}


def test_correct_time_sums_the_time_of_correct_answers_only():
    answers = [a(1, 0, elapsed_ms=1_200), a(1, 1, (3,), elapsed_ms=900), a(1, 2, elapsed_ms=3_400)]

    score = score_round([q(0), q(1), q(2)], answers, FLAT)[1]

    assert score.correct_time_ms == 4_600


# --- ranking ------------------------------------------------------------------------------------------


def cs(cid: int, points: int = 0, correct: int = 0, time_ms: int = 0, answered: int = 0) -> ContestantScore:
    return ContestantScore(cid, points=points, correct=correct, correct_time_ms=time_ms, answered=answered)


RANKS = [
    # (scores, expected [(contestant, rank)] in order)
    (
        [cs(1, 100), cs(2, 300), cs(3, 200)],
        [(2, 1), (3, 2), (1, 3)],
        "more points first",
    ),
    (
        [cs(1, 500, correct=2), cs(2, 500, correct=3)],
        [(2, 1), (1, 2)],
        "equal points: more correct answers first",
    ),
    (
        [cs(1, 500, 3, time_ms=9_000), cs(2, 500, 3, time_ms=4_000)],
        [(2, 1), (1, 2)],
        "equal points and correct: less time first",
    ),
    (
        [cs(1, 900), cs(2, 500, 3, 4_000), cs(3, 500, 3, 4_000), cs(4, 100)],
        [(1, 1), (2, 2), (3, 2), (4, 4)],
        "equal on every key share a rank and the next rank skips: 1, 2, 2, 4",
    ),
    (
        [cs(5, 100), cs(3, 100), cs(9, 100)],
        [(3, 1), (5, 1), (9, 1)],
        "everyone equal: all first, listed by id",
    ),
    (
        [cs(1, 500, 3, 4_000), cs(2, 500, 3, 4_000), cs(3, 500, 3, 4_000), cs(4, 400)],
        [(1, 1), (2, 1), (3, 1), (4, 4)],
        "a three-way tie at the top",
    ),
    (
        [cs(1, 100, 1), cs(2, 100, 2), cs(3, 100, 2), cs(4, 50)],
        [(2, 1), (3, 1), (1, 3), (4, 4)],
        "a tie broken for one pair only",
    ),
    (
        [cs(1, -200), cs(2, 0), cs(3, -50)],
        [(2, 1), (3, 2), (1, 3)],
        "negative totals rank below zero",
    ),
    ([], [], "nobody to rank"),
]


@pytest.mark.parametrize(("scores", "expected"), [c[:2] for c in RANKS], ids=[c[2] for c in RANKS])
def test_rank_orders_by_the_tie_break_chain_with_competition_ranking(scores, expected):
    ranked = rank(scores)

    assert [(r.score.contestant_id, r.rank) for r in ranked] == expected


def test_a_custom_chain_ranks_by_its_own_keys():
    scores = [cs(1, 900, answered=2), cs(2, 100, answered=5), cs(3, 500, answered=5)]

    ranked = rank(scores, [TieBreak.ANSWERED, TieBreak.POINTS])

    assert [(r.score.contestant_id, r.rank) for r in ranked] == [(3, 1), (2, 2), (1, 3)]


def test_keys_outside_the_chain_do_not_break_ties():
    scores = [cs(1, 500, correct=1), cs(2, 500, correct=4)]

    ranked = rank(scores, [TieBreak.POINTS])

    assert [r.rank for r in ranked] == [1, 1]


def test_the_default_chain_is_points_then_correct_then_correct_time():
    assert DEFAULT_TIE_BREAKS == (TieBreak.POINTS, TieBreak.CORRECT, TieBreak.CORRECT_TIME)
    assert ScoringRule().tie_breaks == DEFAULT_TIE_BREAKS


def test_the_faster_of_two_equally_right_contestants_ranks_first():
    answers = [
        a(1, 0, elapsed_ms=3_000),
        a(2, 0, elapsed_ms=1_000),
        a(1, 1, elapsed_ms=3_000),
        a(2, 1, elapsed_ms=4_000),
    ]

    ranked = rank(score_round([q(0), q(1)], answers, FLAT).values())

    assert [(r.score.contestant_id, r.rank) for r in ranked] == [(2, 1), (1, 2)]


# --- teams --------------------------------------------------------------------------------------------

SCORES = {1: cs(1, 100), 2: cs(2, 300), 3: cs(3, 200), 4: cs(4, 50)}
MEMBERSHIP = {1: 10, 2: 10, 3: 10, 4: 20, 5: 20}  # contestant 5 joined team 20 but never answered

TEAMS = [
    (TeamAggregate.SUM, 3, [(10, 600, 3), (20, 50, 2)], "sum"),
    (TeamAggregate.MEAN, 3, [(10, 200, 3), (20, 25, 2)], "mean counts the silent member as zero"),
    (TeamAggregate.BEST_K, 2, [(10, 500, 3), (20, 50, 2)], "best two members"),
    (TeamAggregate.BEST_K, 1, [(10, 300, 3), (20, 50, 2)], "best member"),
    (TeamAggregate.BEST_K, 9, [(10, 600, 3), (20, 50, 2)], "k larger than the team sums everyone"),
]


@pytest.mark.parametrize(("aggregate", "k", "expected"), [c[:3] for c in TEAMS], ids=[c[3] for c in TEAMS])
def test_team_scores_aggregate_member_points_best_team_first(aggregate, k, expected):
    rule = ScoringRule(team_aggregate=aggregate, team_best_k=k)

    teams = team_scores(SCORES, MEMBERSHIP, rule)

    assert [(t.team_id, t.points, t.members) for t in teams] == expected


def test_a_team_mean_is_rounded_to_two_decimals():
    teams = team_scores({1: cs(1, 100)}, {1: 7, 2: 7, 3: 7}, ScoringRule(team_aggregate=TeamAggregate.MEAN))

    assert teams[0].points == 33.33


def test_teams_with_equal_points_are_listed_by_team_id():
    teams = team_scores({1: cs(1, 100), 2: cs(2, 100)}, {1: 30, 2: 20}, ScoringRule())

    assert [t.team_id for t in teams] == [20, 30]


def test_a_team_whose_members_never_answered_scores_zero():
    teams = team_scores({}, {1: 4, 2: 4}, ScoringRule(team_aggregate=TeamAggregate.MEAN))

    assert [(t.team_id, t.points, t.members) for t in teams] == [(4, 0, 2)]


def test_negative_member_totals_lower_the_team_sum():
    teams = team_scores({1: cs(1, 300), 2: cs(2, -100)}, {1: 1, 2: 1}, ScoringRule())

    assert teams[0].points == 200


# --- rules as data ------------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [None, {}], ids=["None", "empty"])
def test_an_empty_rule_is_the_default_rule(data):
    assert ScoringRule.from_dict(data) == ScoringRule()


def test_from_dict_reads_every_setting():
    rule = ScoringRule.from_dict(
        {
            "points": 500,
            "speed": "linear",
            "full_points_within_ms": 0,
            "streak_bonus": True,
            "streak_step": 50,
            "streak_cap": 200,
            "wrong_penalty": 100,
            "multiple": "partial",
            "team_aggregate": "best_k",
            "team_best_k": 2,
            "tie_breaks": ["correct", "points"],
        }
    )

    assert rule == ScoringRule(
        points=500,
        speed=SpeedCurve.LINEAR,
        full_points_within_ms=0,
        streak_bonus=True,
        streak_step=50,
        streak_cap=200,
        wrong_penalty=100,
        multiple=MultiplePolicy.PARTIAL,
        team_aggregate=TeamAggregate.BEST_K,
        team_best_k=2,
        tie_breaks=(TieBreak.CORRECT, TieBreak.POINTS),
    )


INVALID_RULES = [
    ({"bonus": 1}, "unknown key"),
    ({"points": 1000, "colour": "red"}, "unknown key beside known ones"),
    ({"points": -1}, "negative points"),
    ({"wrong_penalty": -100}, "negative penalty"),
    ({"streak_step": -5}, "negative streak step"),
    ({"streak_cap": -1}, "negative streak cap"),
    ({"full_points_within_ms": -500}, "negative window"),
    ({"team_best_k": -1}, "negative k"),
    ({"points": True}, "bool where an int is expected"),
    ({"wrong_penalty": False}, "false where an int is expected"),
    ({"points": 10.5}, "float points"),
    ({"points": 1000.0}, "whole float points"),
    ({"points": "1000"}, "points as text"),
    ({"points": None}, "null points"),
    ({"streak_bonus": 1}, "int where a bool is expected"),
    ({"streak_bonus": "true"}, "text where a bool is expected"),
    ({"speed": "fast"}, "unknown speed curve"),
    ({"speed": None}, "null speed curve"),
    ({"speed": "HALF"}, "speed curve in the wrong case"),
    ({"multiple": "some"}, "unknown multiple policy"),
    ({"team_aggregate": "max"}, "unknown team aggregate"),
    ({"tie_breaks": []}, "empty tie breaks"),
    ({"tie_breaks": ()}, "empty tuple of tie breaks"),
    ({"tie_breaks": "points"}, "tie breaks as text"),
    ({"tie_breaks": None}, "null tie breaks"),
    ({"tie_breaks": ["points", "luck"]}, "unknown tie break"),
    ({"tie_breaks": [1]}, "a number as a tie break"),
    ({"team_aggregate": "best_k", "team_best_k": 0}, "best of zero members"),
]


@pytest.mark.parametrize("data", [c[0] for c in INVALID_RULES], ids=[c[1] for c in INVALID_RULES])
def test_from_dict_refuses_an_invalid_rule(data):
    with pytest.raises(InvalidRule):
        ScoringRule.from_dict(data)


def test_an_invalid_rule_is_a_value_error_naming_the_problem():
    with pytest.raises(ValueError, match="colour"):
        ScoringRule.from_dict({"colour": "red"})


@pytest.mark.parametrize(
    "data",
    [{"points": 0}, {"wrong_penalty": 0}, {"team_best_k": 0}, {"full_points_within_ms": 0}],
    ids=["zero points", "zero penalty", "k of zero when not best_k", "zero window"],
)
def test_from_dict_accepts_zero_where_allowed(data):
    rule = ScoringRule.from_dict(data)

    assert rule.to_dict()[next(iter(data))] == 0


ROUND_TRIP = [
    (ScoringRule(), "default"),
    (
        ScoringRule(
            points=750,
            speed=SpeedCurve.LINEAR,
            full_points_within_ms=250,
            streak_bonus=True,
            streak_step=25,
            streak_cap=75,
            wrong_penalty=125,
            multiple=MultiplePolicy.PARTIAL,
            team_aggregate=TeamAggregate.BEST_K,
            team_best_k=4,
            tie_breaks=(TieBreak.ANSWERED, TieBreak.CORRECT_TIME),
        ),
        "every setting changed",
    ),
    (ScoringRule(speed=SpeedCurve.OFF, team_aggregate=TeamAggregate.MEAN), "off and mean"),
]


@pytest.mark.parametrize("rule", [c[0] for c in ROUND_TRIP], ids=[c[1] for c in ROUND_TRIP])
def test_to_dict_and_from_dict_round_trip_through_json(rule):
    stored = json.loads(json.dumps(rule.to_dict()))

    assert ScoringRule.from_dict(stored) == rule


def test_to_dict_gives_plain_json_values():
    data = ScoringRule(tie_breaks=(TieBreak.CORRECT,)).to_dict()

    assert data["speed"] == "half" and type(data["speed"]) is str
    assert data["multiple"] == "all_or_nothing" and type(data["multiple"]) is str
    assert data["team_aggregate"] == "sum" and type(data["team_aggregate"]) is str
    assert data["tie_breaks"] == ["correct"] and type(data["tie_breaks"][0]) is str
    assert set(data) == set(ScoringRule.__dataclass_fields__)
