"""Typed answers in a live round (quiz.engine.typed, quiz.engine.scoring): what may be typed, how it is
scored, and the most common answers shown at reveal. No database."""

from __future__ import annotations

import pytest

from quiz.engine.scoring import AnswerRecord, ScoredQuestion, ScoringRule, SpeedCurve, score_round
from quiz.engine.typed import MAX_TEXT, CommonAnswer, TextRefused, TypedKey, check_text, common_answers

T = 20_000
CAPITAL = TypedKey("short", accepted=("北京", "北京市"))
SPEED = TypedKey("numerical", value=7.9, tolerance=0.1, unit="km/s")
OFF = ScoringRule(speed=SpeedCurve.OFF)


def typed_q(index: int, key: TypedKey, weight: int = 1) -> ScoredQuestion:
    return ScoredQuestion(index, frozenset(), T, weight=weight, typed=key)


def typed_a(contestant: int, index: int, text: str, elapsed_ms: int = 1_000) -> AnswerRecord:
    return AnswerRecord(contestant, index, frozenset(), elapsed_ms, text=text)


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("北京", "北京"),
        ("  北京 \n", "北京"),
        ("x" * MAX_TEXT, "x" * MAX_TEXT),
        (" " + "x" * MAX_TEXT + " ", "x" * MAX_TEXT),  # the limit counts what is kept
    ],
)
def test_a_typed_answer_is_stored_trimmed(text, stored):
    assert check_text(text) == stored


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty_answer"),
        ("   ", "empty_answer"),
        ("\u3000\n", "empty_answer"),  # a full-width space is a space too
        ("x" * (MAX_TEXT + 1), "answer_too_long"),
    ],
)
def test_an_empty_or_over_long_typed_answer_is_refused_with_its_code(text, code):
    with pytest.raises(TextRefused) as refused:
        check_text(text)
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("key", "text", "right"),
    [
        (CAPITAL, "北京", True),
        (CAPITAL, "北京市。", True),
        (CAPITAL, "ＢＥＩＪＩＮＧ", False),
        (CAPITAL, "北 京", True),
        (CAPITAL, "上海", False),
        (TypedKey("short", accepted=("头发",)), "頭髮", True),  # traditional typed, simplified key
        (TypedKey("short", accepted=("Beijing",)), "ＢＥＩＪＩＮＧ", True),  # full width, case
        (TypedKey("short", accepted=("。",)), "。", False),  # nothing left to compare is never right
        (SPEED, "7.9", True),
        (SPEED, "7.85 km/s", True),
        (SPEED, "８．０", True),  # full-width digits, within the tolerance
        (SPEED, "8.01", False),
        (SPEED, "7.9 m/s", False),  # another unit is not this number
        (SPEED, "about 8", False),
        (TypedKey("numerical"), "0", False),  # a key without a value accepts nothing
    ],
)
def test_a_typed_key_matches_as_the_bank_compares(key, text, right):
    assert key.matches(text) is right


def test_a_typed_key_refuses_a_choice_kind():
    with pytest.raises(ValueError):
        TypedKey("single")


@pytest.mark.parametrize(
    ("texts", "points", "correct"),
    [
        (["北京"], 1000, 1),
        (["上海"], 0, 0),
        (["北京市!"], 1000, 1),
        ([""], 0, 0),  # an empty record (never accepted by the protocol) scores nothing
    ],
)
def test_a_typed_answer_scores_all_or_nothing(texts, points, correct):
    scores = score_round([typed_q(0, CAPITAL)], [typed_a(1, 0, t) for t in texts], OFF)
    assert (scores[1].points, scores[1].correct, scores[1].answered) == (points, correct, 1)


def test_a_typed_answer_earns_speed_points_like_a_choice():
    rule = ScoringRule(speed=SpeedCurve.LINEAR, full_points_within_ms=0)
    scores = score_round([typed_q(0, SPEED)], [typed_a(1, 0, "7.9", elapsed_ms=T // 4)], rule)
    assert scores[1].points == 750
    assert scores[1].outcomes[0].elapsed_ms == T // 4


def test_typed_and_choice_questions_share_one_streak_and_penalty():
    rule = ScoringRule(speed=SpeedCurve.OFF, streak_bonus=True, wrong_penalty=200)
    questions = [ScoredQuestion(0, frozenset({1}), T), typed_q(1, CAPITAL), typed_q(2, SPEED)]
    answers = [
        AnswerRecord(1, 0, frozenset({1}), 1_000),
        typed_a(1, 1, "北京"),
        typed_a(1, 2, "9.8"),
    ]
    scores = score_round(questions, answers, rule)
    assert [scores[1].outcomes[i].points for i in range(3)] == [1000, 1100, -200]
    assert scores[1].streak == 0


def test_a_corrected_key_rescores_the_same_typed_answers():
    answers = [typed_a(1, 0, "北平"), typed_a(2, 0, "北京")]
    before = score_round([typed_q(0, CAPITAL)], answers, OFF)
    after = score_round([typed_q(0, TypedKey("short", accepted=("北京", "北平")))], answers, OFF)
    assert (before[1].points, before[2].points) == (0, 1000)
    assert (after[1].points, after[2].points) == (1000, 1000)


def test_a_choice_answer_to_a_typed_question_is_wrong():
    scores = score_round([typed_q(0, CAPITAL)], [AnswerRecord(1, 0, frozenset({0}), 1_000)], OFF)
    assert scores[1].correct == 0


def test_common_answers_group_as_the_key_compares_and_show_the_usual_spelling():
    typed = [("北京", 5), ("北 京", 2), ("上海", 4), ("頭髮", 1), ("头发", 1), ("南京", 1)]
    assert common_answers(CAPITAL, typed, top=3) == [
        CommonAnswer("北京", 7, True),
        CommonAnswer("上海", 4, False),
        CommonAnswer("头发", 2, False),  # ties between spellings: the first in text order is shown
    ]


def test_common_numbers_group_by_the_value_read():
    typed = [("7.90 km/s", 3), ("7.9", 2), ("11.2", 4), ("abc", 1), ("12345.67", 1), ("12345.7", 1)]
    assert common_answers(SPEED, typed) == [
        CommonAnswer("7.9", 5, True),  # shown as read, without the unit
        CommonAnswer("11.2", 4, False),
        CommonAnswer("12345.67", 1, False),  # close numbers stay apart
        CommonAnswer("12345.7", 1, False),
        CommonAnswer("abc", 1, False),
    ]


def test_equal_counts_list_the_right_answer_first():
    assert common_answers(CAPITAL, [("上海", 2), ("北京", 2)]) == [
        CommonAnswer("北京", 2, True),
        CommonAnswer("上海", 2, False),
    ]
