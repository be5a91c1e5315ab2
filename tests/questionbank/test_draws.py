"""Draws: the pure engine in tables, then the database side (exposure, errors, the command)."""

from __future__ import annotations

import json
from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from questionbank.draws import candidates_for, draw_questions, draw_spec, pool_for
from questionbank.engine.draws import (
    Candidate,
    DrawError,
    Pool,
    SpecError,
    difficulty_targets,
    draw,
    draw_from,
    parse_spec,
)
from questionbank.models import Exposure, Question, Tag, TaggedQuestion
from quiz.drawn_rounds import round_create_drawn
from tests.factories import CompetitionFactory, QuestionFactory

BENCHMARKS = [f"B{i:02d}" for i in range(1, 27)]
GROUPS = {"benchmark": BENCHMARKS}


def bank(n: int = 520, *, extra: dict[int, set[str]] | None = None) -> list[Candidate]:
    """n candidates; candidate i has benchmark B(i % 26), difficulty 1 + i % 5; every 7th is 'health'."""
    out = []
    for i in range(1, n + 1):
        tags = {BENCHMARKS[i % 26]}
        if i % 7 == 0:
            tags.add("health")
        tags |= (extra or {}).get(i, set())
        out.append(Candidate(i, frozenset(tags), 1 + i % 5, "truefalse" if i % 10 == 0 else "single"))
    return out


def counts(ids, candidates, tag):
    by_id = {c.id: c for c in candidates}
    return sum(1 for i in ids if tag in by_id[i].tags)


# --- parsing --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "must be an object"),
        ({}, "count is required"),
        ({"count": 0}, "count must be a whole number of at least 1"),
        ({"count": 3, "colour": "red"}, "unknown spec key(s): colour"),
        ({"count": 3, "quotas": [{"min": 1}]}, "quotas[0] needs exactly one of 'tag', 'tags' or 'each'"),
        ({"count": 3, "quotas": [{"tag": "x", "min": -1}]}, "quotas[0].min must be a whole number"),
        ({"count": 3, "quotas": [{"tag": "x", "min": 3, "max": 2}]}, "max (2) is below min (3)"),
        ({"count": 3, "quotas": [{"tag": "x", "min": 4}]}, "tag x: min (4) is more than count (3)"),
        ({"count": 3, "quotas": [{"each": "planet"}]}, "unknown tag group 'planet'"),
        ({"count": 3, "kinds": ["judged"]}, "kinds: judged cannot be drawn"),
        ({"count": 10, "difficulty": {"7": 1}}, "7 is not a difficulty"),
        ({"count": 10, "difficulty": {"1": 0.5, "2": 0.2}}, "shares summing to 1 or counts summing to count"),
        ({"count": 3, "difficulty_mode": "strict"}, "difficulty_mode must be one of soft, hard"),
        ({"count": 3, "order": "alphabetical"}, "order must be one of random, difficulty"),
    ],
)
def test_a_malformed_spec_is_refused_naming_the_field(data, message):
    with pytest.raises(SpecError) as caught:
        parse_spec(data, groups=GROUPS, known_kinds=["single", "multiple", "truefalse"])
    assert message in str(caught.value)


def test_each_benchmark_becomes_one_quota_per_benchmark_with_a_readable_label():
    spec = parse_spec({"count": 26, "quotas": [{"each": "benchmark"}]}, groups=GROUPS)
    assert len(spec.quotas) == 26
    assert spec.quotas[6].label == "benchmark B07 (each benchmark)"
    assert spec.quotas[6].min == 1 and spec.quotas[6].max is None


def test_a_quota_with_only_a_maximum_has_no_minimum():
    (quota,) = parse_spec({"count": 5, "quotas": [{"tag": "health", "max": 2}]}).quotas
    assert (quota.min, quota.max) == (0, 2)


@pytest.mark.parametrize(
    ("mix", "count", "expected"),
    [
        ({"1": 0.2, "2": 0.3, "3": 0.3, "4": 0.2}, 10, {1: 2, 2: 3, 3: 3, 4: 2}),
        ({"1": 0.2, "2": 0.3, "3": 0.3, "4": 0.2}, 7, {1: 2, 2: 2, 3: 2, 4: 1}),  # remainders tie
        ({"1": 1, "3": 3}, 4, {1: 1, 3: 3}),  # counts
        ({"3": 1}, 12, {3: 12}),  # one share of 1
        ({"1": 0.5, "5": 0.5}, 3, {1: 2, 5: 1}),  # a tie goes to the lower difficulty
    ],
)
def test_a_difficulty_mix_becomes_counts_that_add_up_to_the_count(mix, count, expected):
    assert difficulty_targets(mix, count) == expected


# --- the draw -------------------------------------------------------------------------------------------


def test_one_from_each_of_the_26_benchmarks_draws_exactly_one_per_benchmark():
    candidates = bank()
    spec = parse_spec({"count": 26, "quotas": [{"each": "benchmark", "min": 1, "max": 1}]}, groups=GROUPS)
    ids = draw(candidates, spec, seed=1)
    assert len(ids) == 26 == len(set(ids))
    assert all(counts(ids, candidates, b) == 1 for b in BENCHMARKS)


def test_at_least_two_on_health_with_each_benchmark_and_a_few_more():
    candidates = bank()
    spec = parse_spec(
        {"count": 30, "quotas": [{"each": "benchmark"}, {"tag": "health", "min": 2}]}, groups=GROUPS
    )
    ids = draw(candidates, spec, seed="final")
    assert len(ids) == 30
    assert all(counts(ids, candidates, b) >= 1 for b in BENCHMARKS)
    assert counts(ids, candidates, "health") >= 2


def test_overlapping_quotas_are_met_together_when_the_count_leaves_no_spare_place():
    # 26 places, 26 benchmarks at exactly one each, and 3 on health: only health questions that are also
    # the benchmark's one question can make it fit.
    candidates = bank()
    spec = parse_spec(
        {"count": 26, "quotas": [{"each": "benchmark", "max": 1}, {"tag": "health", "min": 3}]},
        groups=GROUPS,
    )
    ids = draw(candidates, spec, seed=5)
    assert len(ids) == 26
    assert all(counts(ids, candidates, b) == 1 for b in BENCHMARKS)
    assert counts(ids, candidates, "health") >= 3


def test_any_of_several_tags_and_a_maximum_are_respected():
    candidates = bank()
    spec = parse_spec(
        {"count": 20, "quotas": [{"tags": ["B01", "B02"], "min": 3, "max": 4}, {"tag": "health", "max": 1}]}
    )
    for seed in range(20):
        ids = draw(candidates, spec, seed)
        either = counts(ids, candidates, "B01") + counts(ids, candidates, "B02")
        assert 3 <= either <= 4
        assert counts(ids, candidates, "health") <= 1


@pytest.mark.parametrize(
    ("data", "quota", "needed", "available"),
    [
        ({"count": 600}, "count", 600, 520),
        ({"count": 10, "quotas": [{"tag": "nowhere", "min": 1}]}, "tag nowhere", 1, 0),
        ({"count": 90, "quotas": [{"tag": "health", "min": 80}]}, "tag health", 80, 74),
        # True/false B01 questions: i divisible by 10 and 26: 130, 260, 390, 520.
        ({"count": 10, "kinds": ["truefalse"], "quotas": [{"tag": "B01", "min": 5}]}, "tag B01", 5, 4),
        # 26 questions, one per benchmark at most, but 27 places: the maximums leave too few questions.
        ({"count": 27, "quotas": [{"each": "benchmark", "max": 1}]}, "count", 27, 520),
        # Every health question is in B00..B25 and only 1 may come from each: 27 on health cannot fit.
        (
            {"count": 27, "quotas": [{"each": "benchmark", "max": 1}, {"tag": "health", "min": 27}]},
            "tag health",
            27,
            74,
        ),
    ],
)
def test_an_impossible_spec_names_the_quota_that_failed_and_how_many_were_available(
    data, quota, needed, available
):
    groups = {"benchmark": BENCHMARKS}
    with pytest.raises(DrawError) as caught:
        draw(bank(), parse_spec(data, groups=groups), seed=1)
    error = caught.value
    assert (error.quota, error.needed, error.available) == (quota, needed, available)
    assert quota in error.message and str(available) in error.message


def test_a_hard_difficulty_mix_is_met_exactly_and_a_soft_one_bends_to_the_quotas():
    candidates = bank()
    hard = parse_spec({"count": 10, "difficulty": {"1": 0.2, "2": 0.3, "3": 0.5}, "difficulty_mode": "hard"})
    ids = draw(candidates, hard, seed=3)
    by_id = {c.id: c for c in candidates}
    assert Counter(by_id[i].difficulty for i in ids) == {1: 2, 2: 3, 3: 5}

    # B01 questions are i % 26 == 1, difficulties vary; asking 6 of them with a mix of only difficulty 5:
    soft = parse_spec({"count": 6, "quotas": [{"tag": "B01", "min": 6}], "difficulty": {"5": 1}})
    assert counts(draw(candidates, soft, seed=3), candidates, "B01") == 6
    with pytest.raises(DrawError) as caught:
        draw(candidates, parse_spec({**soft.raw, "difficulty_mode": "hard"}), seed=3)
    assert caught.value.quota == "tag B01"


def test_a_hard_difficulty_the_bank_cannot_supply_names_the_difficulty():
    candidates = [c for c in bank() if c.difficulty != 4]
    spec = parse_spec({"count": 5, "difficulty": {"3": 3, "4": 2}, "difficulty_mode": "hard"})
    with pytest.raises(DrawError) as caught:
        draw(candidates, spec, seed=0)
    assert (caught.value.quota, caught.value.needed, caught.value.available) == ("difficulty 4", 2, 0)


def test_the_same_spec_seed_and_bank_give_the_same_questions_whatever_the_input_order():
    candidates = bank()
    spec = parse_spec(
        {"count": 30, "quotas": [{"each": "benchmark"}, {"tag": "health", "min": 2}]}, groups=GROUPS
    )
    first = draw(candidates, spec, seed=2026)
    assert draw(list(reversed(candidates)), spec, seed=2026) == first
    assert draw(sorted(candidates, key=lambda c: hash(c.id) % 97), spec, seed=2026) == first


def test_different_seeds_draw_different_questions():
    candidates = bank()
    spec = parse_spec({"count": 20, "quotas": [{"tag": "health", "min": 2}]})
    draws = {tuple(sorted(draw(candidates, spec, seed))) for seed in range(10)}
    assert len(draws) == 10


def test_kinds_limit_the_draw_and_order_by_difficulty_puts_easy_questions_first():
    candidates = bank()
    by_id = {c.id: c for c in candidates}
    ids = draw(candidates, parse_spec({"count": 12, "kinds": ["truefalse"], "order": "difficulty"}), seed=9)
    assert {by_id[i].kind for i in ids} == {"truefalse"}
    levels = [by_id[i].difficulty for i in ids]
    assert levels == sorted(levels)


# --- the database side ----------------------------------------------------------------------------------


def tag(code: str, kind: str = Tag.Kind.THEME) -> Tag:
    return Tag.objects.create(name=code, slug=f"t-{code}", code=code, kind=kind)


def shown(question, competition, stage: str):
    from quiz.models import Round

    pin = f"{100000 + Round.objects.count()}"
    round_ = Round.objects.create(competition=competition, title="earlier", stage=stage, pin=pin)
    Exposure.objects.create(
        question=question, competition=competition, stage=stage, round=round_, shown_at=timezone.now()
    )


@pytest.mark.django_db
def test_a_question_shown_earlier_in_the_stage_is_not_drawn_again_but_may_be_in_another_stage():
    competition = CompetitionFactory()
    health = tag("health")
    questions = [QuestionFactory() for _ in range(4)]
    for q in questions:
        q.tags.add(health)
    QuestionFactory(status="draft").tags.add(health)
    QuestionFactory(kind="judged").tags.add(health)
    QuestionFactory(language="en").tags.add(health)
    shown(questions[0], competition, "初赛")
    shown(questions[1], CompetitionFactory(), "初赛")  # another competition's stage does not count

    spec = draw_spec({"count": 3, "language": "zh-hans", "quotas": [{"tag": "health", "min": 3}]})
    pool = {c.id for c in candidates_for(spec, competition, "初赛")}
    assert pool == {q.id for q in questions[1:]}
    assert {c.id for c in candidates_for(spec, competition, "决赛")} == {q.id for q in questions}
    drawn = draw_questions(spec, competition, "初赛", seed=1)
    assert questions[0] not in drawn and len(drawn) == 3


@pytest.mark.django_db
def test_a_question_already_in_a_planned_round_of_the_stage_is_not_drawn_for_another():
    competition = CompetitionFactory()
    for _ in range(4):
        QuestionFactory()
    first = round_create_drawn(competition, "Round 1", "复赛", {"count": 2}, seed=1)
    second = round_create_drawn(competition, "Round 2", "复赛", {"count": 2}, seed=1)
    used = [rq.source_id for r in (first, second) for rq in r.questions.all()]
    assert len(set(used)) == 4


@pytest.mark.django_db
def test_the_quota_error_says_which_quota_failed_and_how_many_were_available():
    competition = CompetitionFactory()
    tag("B07", Tag.Kind.BENCHMARK)
    health = tag("health")
    for _ in range(2):
        QuestionFactory().tags.add(health)
    with pytest.raises(DrawError) as caught:
        draw_questions({"count": 3, "quotas": [{"tag": "health", "min": 3}]}, competition, "", seed=1)
    assert caught.value.message == "tag health: needs 3 questions, only 2 available"
    with pytest.raises(DrawError) as caught:
        draw_questions({"count": 1, "quotas": [{"each": "benchmark"}]}, competition, "", seed=1)
    assert caught.value.message == "benchmark B07 (each benchmark): needs 1 question, only 0 available"
    with pytest.raises(SpecError, match="no tag with the code 'helth'"):
        draw_spec({"count": 1, "quotas": [{"tag": "helth"}]})


@pytest.mark.django_db
def test_the_command_draws_a_round_prints_its_questions_and_pin_and_repeats_with_the_seed(tmp_path):
    CompetitionFactory(slug="jjj")
    health = tag("health")
    made = [QuestionFactory(difficulty=1 + i % 3) for i in range(12)]
    for q in made[:5]:
        q.tags.add(health)
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"count": 4, "quotas": [{"tag": "health", "min": 2}]}), encoding="utf-8")
    preview, real = StringIO(), StringIO()
    call_command(
        "draw_round", "--competition", "jjj", "--spec", str(spec), "--seed", "7", "--dry-run", stdout=preview
    )
    call_command(
        "draw_round",
        "--competition",
        "jjj",
        "--stage",
        "",
        "--title",
        "R1",
        "--spec",
        str(spec),
        "--seed",
        "7",
        stdout=real,
    )
    from quiz.models import Round

    round_ = Round.objects.get(title="R1")
    assert f"PIN: {round_.pin}" in real.getvalue()
    assert "seed: 7" in real.getvalue()
    keys = [rq.source.key for rq in round_.questions.order_by("position")]
    assert [line.split()[1] for line in preview.getvalue().splitlines()[1:]] == keys
    assert sum(1 for rq in round_.questions.all() if rq.source in made[:5]) >= 2

    with pytest.raises(CommandError, match="tag health: needs 9 questions, only 5 available"):
        call_command(
            "draw_round",
            "--competition",
            "jjj",
            "--stage",
            "other",
            "--title",
            "R2",
            "--seed",
            "1",
            "--spec",
            '{"count": 9, "quotas": [{"tag": "health", "min": 9}]}',
            stdout=StringIO(),
        )


# --- pools kept per bank state -------------------------------------------------------------------------


def test_leaving_questions_out_of_a_pool_draws_none_of_them_and_counts_them_as_unavailable():
    candidates = bank()
    pool = Pool(candidates)
    health = {c.id for c in candidates if "health" in c.tags}
    spec = parse_spec({"count": 40, "quotas": [{"tag": "health", "min": 2}]})
    left_out = set(sorted(health)[:60]) | {1, 2, 3}
    for seed in range(10):
        ids = draw_from(pool, spec, seed, left_out)
        assert len(ids) == 40 and not set(ids) & left_out
    with pytest.raises(DrawError) as caught:
        draw_from(pool, parse_spec({"count": 20, "quotas": [{"tag": "health", "min": 15}]}), 1, left_out)
    assert (caught.value.needed, caught.value.available) == (15, len(health) - 60)


def test_a_pool_draws_the_same_as_the_candidates_it_was_built_from():
    candidates = bank()
    spec = parse_spec(
        {"count": 30, "quotas": [{"each": "benchmark"}, {"tag": "health", "min": 2}]}, groups=GROUPS
    )
    assert draw_from(Pool(candidates), spec, "x") == draw(candidates, spec, "x")


def question_with(*tags):
    question = QuestionFactory()
    question.tags.add(*tags)
    return question


@pytest.mark.django_db
def test_a_drawn_pool_is_reused_until_the_bank_changes_then_rebuilt():
    health = tag("health")
    for _ in range(3):
        question_with(health)
    spec = draw_spec({"count": 2, "quotas": [{"tag": "health", "min": 2}]})
    first = pool_for(spec)
    assert pool_for(spec) is first
    question_with(health)
    assert pool_for(spec) is not first and len(pool_for(spec)) == len(first) + 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda q, t: Question.objects.filter(pk=q.pk).update(status="retired"), id="retired-by-update"
        ),
        pytest.param(lambda q, t: Question.objects.filter(pk=q.pk).delete(), id="deleted"),
        pytest.param(lambda q, t: q.tags.clear(), id="untagged"),
        pytest.param(
            lambda q, t: TaggedQuestion.objects.filter(content_object=q).delete(), id="links-deleted"
        ),
        pytest.param(
            lambda q, t: Question.objects.filter(pk=q.pk).update(language="en"), id="language-by-update"
        ),
    ],
)
def test_a_question_changed_by_any_write_path_after_a_draw_is_not_drawn_from_a_stale_pool(change):
    # Bulk actions, imports and QuerySet.update write without signals; the bank token must see them all.
    competition = CompetitionFactory()
    health = tag("health")
    questions = [question_with(health) for _ in range(4)]
    spec = {"count": 3, "language": "zh-hans", "quotas": [{"tag": "health", "min": 3}]}
    assert len(draw_questions(spec, competition, "", seed=1)) == 3
    change(questions[0], health)
    for seed in range(8):
        drawn = draw_questions(spec, competition, "", seed=seed)
        assert questions[0].pk not in {q.pk for q in drawn}


@pytest.mark.django_db
def test_a_new_tag_on_a_question_counts_for_the_next_draw():
    competition = CompetitionFactory()
    space = tag("space")
    question = QuestionFactory()
    spec = {"count": 1, "quotas": [{"tag": "space", "min": 1}]}
    with pytest.raises(DrawError):
        draw_questions(spec, competition, "", seed=1)
    question.tags.add(space)
    assert draw_questions(spec, competition, "", seed=1) == [question]
