"""The online stage's pure rules, by tables."""

from datetime import UTC, date, datetime, timedelta

import pytest

from competition.online.engine import duel, fairplay, identity, scoring
from competition.online.engine.rules import RulesError, parse_rules

T0 = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
RULES = parse_rules({})
POINTS = RULES.points


@pytest.mark.parametrize(
    ("typed", "mobile"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("12812345678", None),  # no 12x numbers
        ("1381234567", None),
        ("abc", None),
        ("", None),
    ],
)
def test_mobile_numbers_are_normalised_or_refused(typed, mobile):
    assert identity.normalise_mobile(typed) == mobile


def test_a_mobile_number_is_masked_to_its_first_three_and_last_four_digits():
    assert identity.mask_mobile("13812341234") == "138****1234"


@pytest.mark.parametrize(
    ("expires", "used", "tries", "state"),
    [
        (T0 + timedelta(minutes=1), None, 0, "usable"),
        (T0, None, 0, "expired"),
        (T0 + timedelta(minutes=1), T0, 0, "used"),
        (T0 + timedelta(minutes=1), None, 5, "too_many_tries"),
        (T0 - timedelta(minutes=1), T0, 5, "used"),
    ],
)
def test_a_code_is_usable_once_before_it_expires_and_within_five_tries(expires, used, tries, state):
    assert identity.code_state(expires_at=expires, used_at=used, tries=tries, now=T0) == state


@pytest.mark.parametrize(
    ("last", "streak", "today", "after"),
    [
        (None, 0, date(2026, 12, 5), 1),
        (date(2026, 12, 4), 3, date(2026, 12, 5), 4),
        (date(2026, 12, 3), 3, date(2026, 12, 5), 1),  # a day missed starts again
        (date(2026, 12, 5), 3, date(2026, 12, 5), 3),  # the same day twice counts once
    ],
)
def test_the_daily_streak_grows_on_consecutive_days_only(last, streak, today, after):
    assert scoring.streak_after(last_day=last, streak=streak, today=today) == after


@pytest.mark.parametrize(
    ("correct", "answered", "streak", "points"),
    [
        (5, 5, 1, 5 * 10 + 10),
        (3, 5, 2, 3 * 10 + 10),
        (3, 4, 2, 3 * 10),  # not finished: no completion bonus
        (5, 5, 7, 50 + 10 + 20),  # every 7th day in a row earns the streak bonus
        (0, 5, 14, 0 + 10 + 20),
    ],
)
def test_daily_points_count_right_answers_completion_and_streak(correct, answered, streak, points):
    assert (
        scoring.daily_points(correct=correct, count=5, answered=answered, streak=streak, points=POINTS)
        == points
    )


@pytest.mark.parametrize(
    ("ok", "at", "answered", "questions", "step"),
    [
        (True, 10, 1, 60, (False, "")),
        (False, 10, 1, 60, (True, "wrong")),
        (True, 100, 3, 60, (True, "time_up")),  # at the deadline counts as late
        (True, 99, 60, 60, (True, "exhausted")),
        (None, 50, 2, 60, (False, "")),
        (None, 101, 2, 60, (True, "time_up")),
    ],
)
def test_a_challenge_ends_on_a_wrong_answer_the_deadline_or_the_last_question(
    ok, at, answered, questions, step
):
    got = scoring.challenge_step(
        answer_correct=ok,
        now=T0 + timedelta(seconds=at),
        deadline=T0 + timedelta(seconds=100),
        answered=answered,
        questions=questions,
    )
    assert tuple(got) == step


@pytest.mark.parametrize(("correct", "success"), [(4, False), (5, True), (12, True)])
def test_five_right_answers_make_a_challenge_a_success(correct, success):
    assert scoring.challenge_success(correct, 5) is success


@pytest.mark.parametrize(
    ("best", "result", "better"),
    [
        (None, (1, 9000), True),
        ((5, 50000), (6, 90000), True),
        ((5, 50000), (5, 40000), True),
        ((5, 50000), (5, 60000), False),
        ((5, 50000), (4, 1000), False),
    ],
)
def test_the_best_challenge_is_most_right_then_least_time(best, result, better):
    assert scoring.challenge_better(best=best, result=result) is better


def test_the_self_test_scores_each_dimension_by_its_weight():
    dims = RULES.selftest.dimensions
    results = [("knowledge", True)] * 6 + [("knowledge", False)] * 2 + [("method", True)] * 4
    results += [("spirit", False)] * 4 + [("application", True), ("application", False)] * 2
    profile = scoring.selftest_profile(dims, results)
    scores = {d.name: d.score for d in profile.dimensions}
    assert scores == {"knowledge": 30.0, "method": 20.0, "spirit": 0.0, "application": 10.0}
    assert profile.total == 60.0
    assert scoring.selftest_points(profile.total, POINTS) == 6 * POINTS["selftest_per_10"]


def test_a_dimension_with_nothing_asked_scores_nothing():
    profile = scoring.selftest_profile(RULES.selftest.dimensions, [])
    assert profile.total == 0.0


@pytest.mark.parametrize(
    ("kind", "correct", "chosen", "right"),
    [
        ("single", [1], [1], True),
        ("single", [1], [2], False),
        ("multiple", [0, 2], [2, 0], True),
        ("multiple", [0, 2], [0], False),
        ("truefalse", [0], [0], True),
    ],
)
def test_answers_are_right_only_with_exactly_the_correct_choices(kind, correct, chosen, right):
    assert scoring.answer_correct(kind=kind, n_choices=4, correct=correct, chosen=chosen) is right


@pytest.mark.parametrize("chosen", [[], [4], [-1], [0, 0], [0, 1]])
def test_invalid_answers_are_refused(chosen):
    with pytest.raises(scoring.InvalidAnswer):
        scoring.answer_correct(kind="single", n_choices=4, correct=[0], chosen=chosen)


@pytest.mark.parametrize(
    ("correct", "elapsed", "points"),
    [(True, 0, 500), (True, 7500, 375), (True, 15000, 250), (True, 99999, 250), (False, 10, 0)],
)
def test_duel_answers_score_by_speed(correct, elapsed, points):
    assert scoring.duel_points(correct=correct, elapsed_ms=elapsed, limit_ms=15000) == points


@pytest.mark.parametrize(
    ("a", "b", "out"), [(10, 5, ("win", "loss")), (5, 10, ("loss", "win")), (7, 7, ("draw", "draw"))]
)
def test_duel_outcomes(a, b, out):
    assert scoring.duel_outcome(a, b) == out


def test_the_season_tie_chain_is_points_correct_time_registration_id():
    rows = [
        scoring.Standing(1, 100, 10, 5000, T0),
        scoring.Standing(2, 100, 11, 9000, T0),
        scoring.Standing(3, 100, 10, 4000, T0),
        scoring.Standing(4, 100, 10, 4000, T0 - timedelta(days=1)),
        scoring.Standing(5, 120, 1, 1, T0),
        scoring.Standing(0, 100, 10, 5000, T0),
    ]
    assert [r.id for r in scoring.season_order(rows)] == [5, 2, 4, 3, 0, 1]


@pytest.mark.parametrize(("chars", "ms"), [(0, 1200), (10, 1400), (40, 3200)])
def test_reading_time_grows_with_the_stem(chars, ms):
    assert fairplay.reading_ms(chars, RULES.fairplay) == ms


@pytest.mark.parametrize(
    ("timings", "flagged"),
    [
        ([(40, 500)] * 10, True),
        ([(40, 500)] * 9, False),  # too few answers to judge
        ([(40, 500)] * 7 + [(40, 5000)] * 3, False),  # 70% fast: under the share
        ([(40, 500)] * 8 + [(40, 5000)] * 2, True),
        ([(40, 4000)] * 20, False),
    ],
)
def test_answers_consistently_under_reading_time_are_flagged(timings, flagged):
    assert fairplay.fast_answers(timings, RULES.fairplay).flagged is flagged


def test_same_questions_choices_and_pace_give_the_same_fingerprint():
    a = fairplay.fingerprint([(1, [0], 1200), (2, [1], 2300)])
    assert a == fairplay.fingerprint([(1, [0], 1400), (2, [1], 2400)])
    assert a != fairplay.fingerprint([(1, [0], 1200), (2, [2], 2300)])
    assert a != fairplay.fingerprint([(1, [0], 3200), (2, [1], 2300)])


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"daily": {"count": 0}}, "daily.count"),
        ({"daily": {"cont": 5}}, "daily.cont: unknown rule"),
        ({"challenge": {"spec": {"count": 3}}}, "challenge.spec"),
        (
            {"themed": [{"slug": "x", "tags": [], "opens": "2026-12-01", "closes": "2026-12-02"}]},
            "themed[0].tags",
        ),
        (
            {"themed": [{"slug": "x", "tags": ["a"], "opens": "2026-12-03", "closes": "2026-12-02"}]},
            "closes is before",
        ),
        (
            {
                "themed": [
                    {
                        "slug": "x",
                        "tags": ["a"],
                        "opens": "2026-12-01",
                        "closes": "2026-12-02",
                        "key_group": "cats",
                    }
                ]
            },
            "key_group",
        ),
        ({"selftest": {"dimensions": {"knowledge": {"weight": 50, "count": 1, "domain": "D3"}}}}, "exactly"),
        ({"fairplay": {"fast_share": 2}}, "fast_share"),
        ({"points": {"daily_correct": -1}}, "points.daily_correct"),
    ],
)
def test_malformed_rules_name_the_field(given, message):
    with pytest.raises(RulesError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_rules(given)


def test_rules_fill_in_the_defaults():
    rules = parse_rules({"daily": {"count": 7}})
    assert rules.daily.count == 7
    assert rules.challenge.seconds == 100 and rules.challenge.success_at == 5
    assert [d.weight for d in rules.selftest.dimensions] == [40, 20, 20, 20]


def _state(**kw):
    base = {
        "phase": "waiting",
        "position": -1,
        "count": 3,
        "seconds": 10,
        "pause_seconds": 2,
        "join_by": T0 + timedelta(seconds=60),
    }
    return duel.DuelState(**(base | kw))


@pytest.mark.parametrize(
    ("state", "at", "answered", "phase", "position"),
    [
        (_state(), 30, 0, "waiting", -1),
        (_state(), 60, 0, "expired", -1),  # the partner never came
        (_state(phase="revealed", next_at=T0), 0, 0, "open", 0),
        (_state(phase="open", position=0, deadline=T0 + timedelta(seconds=10)), 5, 1, "open", 0),
        (_state(phase="open", position=0, deadline=T0 + timedelta(seconds=10)), 5, 2, "revealed", 0),
        (_state(phase="open", position=0, deadline=T0 + timedelta(seconds=10)), 10, 0, "revealed", 0),
        (_state(phase="open", position=2, deadline=T0 + timedelta(seconds=10)), 10, 1, "finished", 2),
        # after a long gap (a server restart) the question closes, and the next one opens after the pause
        (_state(phase="open", position=0, deadline=T0 + timedelta(seconds=10)), 500, 0, "revealed", 0),
    ],
)
def test_duel_transitions(state, at, answered, phase, position):
    after = duel.advance(state, now=T0 + timedelta(seconds=at), answered=answered)
    assert (after.phase, after.position) == (phase, position)


def test_a_duel_starts_after_the_pause_when_the_partner_joins():
    started = duel.start(_state(), now=T0)
    assert started.phase == "revealed" and started.next_at == T0 + timedelta(seconds=2)
    assert duel.next_wake(started) == T0 + timedelta(seconds=2)
