"""Item statistics: the pure engine in tables, then from a real round's answers with two divisions."""

from __future__ import annotations

import csv
import io

import pytest
from django.utils import timezone

from questionbank.engine.stats import (
    Response,
    Thresholds,
    group_weights,
    item_statistics,
    percentile_scores,
)
from questionbank.statistics import item_statistics as item_statistics_from_db
from questionbank.statistics import safe_cell, to_csv, to_xlsx

ANY_N = Thresholds(min_n=1)


def responses(key, correct, answers, region="north"):
    """answers: (contestant id, chosen options, elapsed ms) tuples."""
    return [
        Response(cid, region, key, frozenset(chosen), frozenset(correct), ms) for cid, chosen, ms in answers
    ]


def only(stats, region=None):
    (found,) = [s for s in stats if s.region == region]
    return found


@pytest.mark.parametrize(
    ("scores", "share", "upper", "lower"),
    [
        ([4, 3, 2, 1], 0.5, [1, 1, 0, 0], [0, 0, 1, 1]),
        # Ties across the cut share the places left: 2 places, 3 tied at the top -> 2/3 each.
        ([5, 5, 5, 1], 0.5, [2 / 3, 2 / 3, 2 / 3, 0], [1 / 3, 1 / 3, 1 / 3, 1]),
        # Everyone tied: each counts 0.27 in both groups, so D is 0 whatever they answered.
        ([7, 7, 7, 7], 0.27, [0.27] * 4, [0.27] * 4),
        # 27% of 10 is 2.7: the third-best counts 0.7.
        (list(range(10, 0, -1)), 0.27, [1, 1, 0.7, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0.7, 1, 1]),
    ],
)
def test_the_upper_and_lower_groups_take_27_percent_with_ties_split_evenly(scores, share, upper, lower):
    got_upper, got_lower = group_weights(scores, share)
    assert got_upper == pytest.approx(upper)
    assert got_lower == pytest.approx(lower)


def test_the_groups_do_not_depend_on_the_order_contestants_come_in():
    a = item_statistics(
        responses("q", [0], [(i, [0] if i % 3 else [1], 1000) for i in range(1, 31)]),
        {i: i % 7 for i in range(1, 31)},
    )
    b = item_statistics(
        responses("q", [0], [(i, [0] if i % 3 else [1], 1000) for i in range(30, 0, -1)]),
        {i: i % 7 for i in range(1, 31)},
    )
    assert a == b


@pytest.mark.parametrize(
    ("name", "answers", "scores", "facility", "d"),
    [
        # The 5 best answer right, the 5 worst wrong: facility 0.5, D = 1.
        ("perfect", [(i, [0] if i > 5 else [1], 900) for i in range(1, 11)], None, 0.5, 1.0),
        # The weaker half right: D = -1.
        ("inverted", [(i, [0] if i <= 5 else [2], 900) for i in range(1, 11)], None, 0.5, -1.0),
        # Everybody right: facility 1, D 0.
        ("all right", [(i, [0], 900) for i in range(1, 11)], None, 1.0, 0.0),
        # All tied on score: D 0 even though half answered right.
        (
            "tied",
            [(i, [0] if i % 2 else [1], 900) for i in range(1, 11)],
            {i: 3 for i in range(1, 11)},
            0.5,
            0.0,
        ),
    ],
)
def test_facility_is_the_share_right_and_discrimination_is_upper_minus_lower(
    name, answers, scores, facility, d
):
    stats = only(item_statistics(responses("q", [0], answers), scores or {i: i for i in range(1, 11)}))
    assert stats.n == 10
    assert stats.facility == pytest.approx(facility)
    assert stats.discrimination == pytest.approx(d)


def test_choice_shares_count_unchosen_options_and_mean_time_is_over_answers():
    answers = [(1, [0], 1000), (2, [0], 2000), (3, [1], 3000), (4, [0, 2], 6000)]
    stats = only(
        item_statistics(responses("q", [0], answers), {1: 4, 2: 3, 3: 2, 4: 1}, choice_counts={"q": 4})
    )
    assert stats.shares == pytest.approx((0.75, 0.25, 0.25, 0.0))
    assert stats.facility == pytest.approx(0.5)  # [0, 2] is not exactly the key
    assert stats.mean_ms == 3000 and stats.median_ms == 2500
    assert stats.key == (0,)


def flag_case(correct_for, chosen_wrong, n=40, options=4):
    """n contestants scored 1..n; those for whom correct_for(i) is true choose 0 (the key), the others
    chosen_wrong(i)."""
    answers = [(i, [0] if correct_for(i) else [chosen_wrong(i)], 5000) for i in range(1, n + 1)]
    return responses("q", [0], answers), {i: i for i in range(1, n + 1)}, {"q": options}


@pytest.mark.parametrize(
    ("name", "case", "flags"),
    [
        (
            "a good item",
            flag_case(lambda i: i > 16, lambda i: 1 + i % 3),
            (),
        ),
        (
            # Even the strong mostly miss it and each wrong option draws more of them than the key.
            "too hard, weak, and the strong prefer wrong options",
            flag_case(lambda i: i % 10 == 0, lambda i: 1 + i % 3),
            ("too_hard", "weak_discrimination", "check_key"),
        ),
        (
            "too easy",
            flag_case(lambda i: i != 1, lambda i: 1, n=40),
            ("too_easy", "weak_discrimination", "nonfunctional_distractor"),
        ),
        (
            "negative: the weaker do better, and the strong prefer C",
            flag_case(lambda i: i <= 20, lambda i: 2 if i > 20 else 1, n=40),
            ("negative_discrimination", "nonfunctional_distractor", "check_key"),
        ),
        (
            "an option nobody picks",
            flag_case(lambda i: i > 16, lambda i: 1 + i % 2),
            ("nonfunctional_distractor",),
        ),
        (
            "few answers",
            flag_case(lambda i: i > 5, lambda i: 1, n=10),
            ("few_answers",),
        ),
    ],
)
def test_dubious_items_are_flagged_with_the_threshold_that_caught_them(name, case, flags):
    rows, scores, counts = case
    stats = only(item_statistics(rows, scores, choice_counts=counts))
    assert stats.flag_codes == flags


def test_a_flag_message_says_the_value_and_the_threshold():
    rows, scores, counts = flag_case(lambda i: i > 16, lambda i: 1 + i % 2)
    (flag,) = only(item_statistics(rows, scores, choice_counts=counts)).flags
    assert flag.message == "chosen by < 5% of answers: D 0%"


def test_statistics_are_given_per_region_ranking_contestants_within_their_region():
    north = responses("q", [0], [(i, [0] if i > 5 else [1], 1000) for i in range(1, 11)], "north")
    south = responses("q", [0], [(i, [0] if i <= 15 else [1], 3000) for i in range(11, 21)], "south")
    stats = item_statistics(north + south, {i: i for i in range(1, 21)}, thresholds=ANY_N)
    assert [s.region for s in stats] == [None, "north", "south"]
    assert only(stats, "north").discrimination == pytest.approx(1.0)
    assert only(stats, "south").discrimination == pytest.approx(-1.0)
    assert only(stats).n == 20 and only(stats).mean_ms == 2000
    assert item_statistics(north + south, {}, by_region=False)[0].region is None


def test_percentile_scores_put_each_round_on_the_same_scale():
    scores = percentile_scores({1: {1: 10, 2: 20}, 2: {3: 500, 4: 1000, 5: 1000, 6: 0}})
    assert scores[2] == pytest.approx(0.75) and scores[1] == pytest.approx(0.25)
    assert scores[4] == scores[5] == pytest.approx(0.75)
    assert scores[6] == pytest.approx(0.125)


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("ordinary", "ordinary"),
        (-0.25, -0.25),
    ],
)
def test_export_cells_that_would_run_as_formulas_are_neutralised(value, safe):
    assert safe_cell(value) == safe


# --- from a real round ----------------------------------------------------------------------------------


@pytest.fixture
def played_round(db):
    from quiz.models import Answer, Contestant
    from quiz.services.rounds import round_create
    from tests.factories import CompetitionFactory, DivisionFactory, QuestionFactory, TeamFactory

    competition = CompetitionFactory()
    beijing = TeamFactory(
        competition=competition, division=DivisionFactory(competition=competition, name="北京")
    )
    hebei = TeamFactory(
        competition=competition, division=DivisionFactory(competition=competition, name="河北")
    )
    good = QuestionFactory(key="good", choices=["A", "B", "C", "D"], correct=[1])
    miskeyed = QuestionFactory(
        key="miskeyed", stem="=cmd|' /C calc'!A0", choices=["A", "B", "C"], correct=[0]
    )
    round_ = round_create(competition=competition, title="Final", questions=[good, miskeyed], stage="决赛")
    rq_good, rq_bad = round_.questions.order_by("position")
    now = timezone.now()
    for i in range(1, 41):
        contestant = Contestant.objects.create(
            round=round_, nickname=f"p{i}", team=beijing if i % 2 else hebei, score=i * 100
        )
        strong = i > 20
        # "good": strong contestants pick the key B; weak ones spread over A, C (D never chosen).
        Answer.objects.create(
            round=round_,
            question=rq_good,
            contestant=contestant,
            received_at=now,
            choices=[1] if strong or i % 4 == 0 else [0 if i % 2 else 2],
            elapsed_ms=1000 + i * 10,
        )
        # "miskeyed": the strong pick B, the key is A.
        Answer.objects.create(
            round=round_,
            question=rq_bad,
            contestant=contestant,
            received_at=now,
            choices=[1] if strong else [0],
            elapsed_ms=4000,
        )
    return round_


def test_statistics_from_a_real_rounds_answers_are_given_overall_and_per_division(played_round):
    rows = item_statistics_from_db(round=played_round)
    assert [(r.label, r.stats.region) for r in rows] == [
        ("good", None), ("good", "北京"), ("good", "河北"),
        ("miskeyed", None), ("miskeyed", "北京"), ("miskeyed", "河北"),
    ]  # fmt: skip
    good = rows[0].stats
    assert good.n == 40 and good.facility == pytest.approx(25 / 40)
    assert good.discrimination > 0.5
    assert good.shares[3] == 0
    assert "nonfunctional_distractor" in good.flag_codes
    bad = rows[3].stats
    assert bad.discrimination == pytest.approx(-1.0)
    assert {"negative_discrimination", "check_key"} <= set(bad.flag_codes)
    assert rows[4].stats.n == 20 and rows[5].stats.n == 20

    assert [
        r.stats.region
        for r in item_statistics_from_db(competition=played_round.competition, stage="决赛", region="河北")
    ] == ["河北", "河北"]
    assert item_statistics_from_db(competition=played_round.competition, stage="初赛") == []
    assert len(item_statistics_from_db(question_ids=[rows[0].question_id])) == 3


def test_the_exports_carry_every_row_and_neutralise_formulas(played_round):
    rows = item_statistics_from_db(round=played_round)
    table = list(csv.reader(io.StringIO(to_csv(rows))))
    assert table[0][:4] == ["question", "stem", "region", "N"]
    assert len(table) == 7
    assert table[4][1].startswith("'=cmd")
    assert float(table[4][5]) == -1.0  # numbers stay numbers

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(to_xlsx(rows))).active
    assert sheet.max_row == 7
    assert sheet.cell(row=5, column=2).value.startswith("'=cmd")
    assert sheet.cell(row=5, column=6).value == -1.0


# --- the admin pages ------------------------------------------------------------------------------------


@pytest.fixture
def admin_client_logged_in(client, db):
    from tests.factories import UserFactory

    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_the_statistics_page_shows_flags_and_exports_csv_and_xlsx(admin_client_logged_in, played_round):
    from django.urls import reverse

    client = admin_client_logged_in
    url = reverse("admin:questionbank_question_statistics")
    query = {"competition": played_round.competition_id, "stage": "决赛"}
    page = client.get(url, query)
    assert page.status_code == 200
    text = page.content.decode()
    assert "miskeyed" in text and "weaker contestants do better" in text and "河北" in text
    export = reverse("admin:questionbank_question_statistics_export")
    csv_response = client.get(export, {**query, "format": "csv"})
    assert csv_response["Content-Type"].startswith("text/csv")
    assert "miskeyed" in csv_response.content.decode("utf-8-sig")
    xlsx = client.get(export, {**query, "format": "xlsx"})
    assert xlsx.content[:2] == b"PK"


def test_the_draw_preview_shows_the_drawn_questions_or_the_failed_quota(admin_client_logged_in):
    import json

    from django.urls import reverse

    from questionbank.models import Tag
    from tests.factories import CompetitionFactory, QuestionFactory

    client = admin_client_logged_in
    competition = CompetitionFactory()
    health = Tag.objects.create(name="health", slug="health", code="health", kind=Tag.Kind.THEME)
    for i in range(5):
        q = QuestionFactory(key=f"drawn-{i}")
        if i < 2:
            q.tags.add(health)
    url = reverse("admin:questionbank_question_draw")
    assert client.get(url).status_code == 200
    spec = {"count": 3, "quotas": [{"tag": "health", "min": 2}]}
    page = client.post(
        url, {"competition": competition.pk, "stage": "", "seed": "4", "spec": json.dumps(spec)}
    )
    assert page.status_code == 200 and page.content.decode().count("drawn-") == 3
    spec["quotas"][0]["min"] = 3
    page = client.post(
        url, {"competition": competition.pk, "stage": "", "seed": "4", "spec": json.dumps(spec)}
    )
    assert "tag health: needs 3 questions, only 2 available" in page.content.decode()


# --- typed answers: the most common wrong answers, normalised -------------------------------------------


def typed(cid, right, group, key="t"):
    return Response(cid, "north", key, frozenset(), frozenset(), 1000, right=right, group=group)


def test_a_typed_question_is_scored_by_its_judged_answers_and_lists_the_common_wrong_ones():
    rows = [
        typed(1, True, "候风地动仪"),
        typed(2, True, "地动仪"),
        typed(3, False, "浑天仪"),
        typed(4, False, "浑天仪"),
        typed(5, False, "指南车"),
        typed(6, False, "司南"),
        typed(7, False, "简仪"),
        typed(8, False, "日晷"),
        typed(9, False, "指南车"),
        typed(10, False, "漏刻"),
    ]
    (stats,) = item_statistics(rows, {}, thresholds=ANY_N, by_region=False)
    assert stats.facility == pytest.approx(0.2)
    assert [(w.answer, w.count) for w in stats.wrong_answers] == [
        ("指南车", 2),
        ("浑天仪", 2),  # ties by the text
        ("司南", 1),
        ("日晷", 1),
        ("漏刻", 1),
    ]  # at most five
    assert stats.wrong_answers[0].share == pytest.approx(0.2)


def test_a_choice_question_has_no_typed_wrong_answers():
    (stats,) = item_statistics(responses("q", [0], [(1, [1], 900)]), {}, thresholds=ANY_N, by_region=False)
    assert stats.wrong_answers == ()


@pytest.fixture
def typed_round(db):
    from quiz.models import Answer, Contestant
    from quiz.services.rounds import round_create
    from tests.factories import CompetitionFactory, QuestionFactory

    short = QuestionFactory(key="capital", kind="short", choices=[], correct=[], accepted_answers=["北京"])
    number = QuestionFactory(
        key="boil", kind="numerical", choices=[], correct=[], numeric_value=100, tolerance=0, unit="℃"
    )
    round_ = round_create(competition=CompetitionFactory(), title="填空", questions=[short, number])
    rq_short, rq_number = round_.questions.order_by("position")
    now = timezone.now()
    texts = [
        ("北京", "100"),
        ("北 京。", "100 ℃"),
        ("上海", "１００"),
        ("上 海", "99"),
        ("ＳＨＡＮＧＨＡＩ", "98"),
        ("南京", "99.0℃"),
        ("=1+1", "=1+1"),
    ]
    for i, (capital, boil) in enumerate(texts, start=1):
        contestant = Contestant.objects.create(round=round_, nickname=f"p{i}", score=i)
        for rq, text in ((rq_short, capital), (rq_number, boil)):
            Answer.objects.create(
                round=round_, question=rq, contestant=contestant, received_at=now, choices=[], text=text,
                elapsed_ms=2000,
            )  # fmt: skip
    return round_


def test_typed_statistics_from_a_round_judge_as_the_round_did_and_group_wrong_answers_normalised(typed_round):
    capital, boil = [r for r in item_statistics_from_db(round=typed_round) if r.stats.region is None]
    assert (capital.label, capital.typed, boil.typed) == ("capital", True, True)
    assert capital.stats.facility == pytest.approx(2 / 7)
    assert [(w.answer, w.count) for w in capital.stats.wrong_answers] == [
        ("上海", 2),  # "上 海" is the same answer
        ("=1+1", 1),  # symbols are kept: + and = can be part of an answer
        ("shanghai", 1),  # full width and case folded
        ("南京", 1),
    ]
    assert boil.stats.facility == pytest.approx(3 / 7)
    assert [(w.answer, w.count) for w in boil.stats.wrong_answers] == [("99", 2), ("98", 1), ("=1+1", 1)]

    table = list(csv.reader(io.StringIO(to_csv([capital, boil]))))
    assert table[0][-1] == "common_wrong_answers"
    assert table[1][-1] == "上海 (2) | =1+1 (1) | shanghai (1) | 南京 (1)"


def test_the_statistics_page_lists_a_typed_questions_common_wrong_answers(
    admin_client_logged_in, typed_round
):
    from django.urls import reverse

    page = admin_client_logged_in.get(
        reverse("admin:questionbank_question_statistics"), {"competition": typed_round.competition_id}
    )
    text = page.content.decode()
    assert 'data-testid="wrong-answers"' in text and "上海 29%" in text and "99 29%" in text
