"""The report's summary tables against a small season worked by hand (competition.report.refresh and
selectors): what each table holds after a refresh, what an incremental refresh changes, and the report
read back for a scope."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from competition.models import District
from competition.online.models import Answer, Attempt, Contestant, Mode
from competition.report import engine
from competition.report.models import GroupCell, LiteracyCell, LiteracyPeople, WeekCell
from competition.report.refresh import report_refresh
from competition.report.selectors import Scope, report_get
from questionbank.models import Question, Tag, TaggedQuestion

DAY = date(2026, 11, 24)  # a Tuesday
REGISTERED = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # a Friday, the week before
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _question(key: str, benchmark: Tag) -> Question:
    q = Question.objects.create(
        key=key, stem=f"{key}?", choices=["甲", "乙", "丙", "丁"], correct=[0], status="approved"
    )
    TaggedQuestion.objects.create(content_object=q, tag=benchmark)
    return q


@pytest.fixture
def season(stage):
    """Districts A (12 youth who know B01 and B10 but pick 乙 on B02), B (3 farmers: the reverse, too
    few to read) and C (10 youth, all wrong, picking 乙); one held contestant in A answering everything."""
    d3 = Tag.objects.create(name="科学知识", slug="d3", kind="domain", code="D3")
    d2 = Tag.objects.create(name="科学方法", slug="d2", kind="domain", code="D2")
    b01 = Tag.objects.create(name="基准一", slug="b01", kind="benchmark", code="B01", parent=d3)
    b02 = Tag.objects.create(name="基准二", slug="b02", kind="benchmark", code="B02", parent=d3)
    b10 = Tag.objects.create(name="基准十", slug="b10", kind="benchmark", code="B10", parent=d2)
    questions = [_question("q1", b01), _question("q2", b02), _question("q3", b10)]
    a, b, c = District.objects.filter(division__competition=stage.competition).order_by("pk")[:3]
    plan = [(a, "youth", 12, (0, 1, 0)), (b, "farmer", 3, (2, 0, 3)), (c, "youth", 10, (1, 1, 1))]
    n = 0
    for district, group, count, picks in plan:
        for _ in range(count):
            n += 1
            _play(stage, n, district, group, questions, picks)
    n += 1
    _play(stage, n, a, "youth", questions, (0, 0, 0), held=True)
    return {"a": a, "b": b, "c": c, "questions": questions}


def _play(stage, n, district, group, questions, picks, *, held=False, day=DAY):
    contestant = Contestant.objects.create(
        stage=stage,
        name=f"选手{n}",
        display_name=f"选手{n}",
        mobile=f"139{n:08d}",
        division=district.division,
        district=district,
        key_group=group,
        consent_at=REGISTERED,
        privacy_version="1",
        registered_at=REGISTERED,
        answered=len(questions),
        held=held,
    )
    _attempt(contestant, questions, picks, day=day)
    return contestant


def _attempt(contestant, questions, picks, *, day=DAY):
    attempt = Attempt.objects.create(
        contestant=contestant,
        mode=Mode.DAILY,
        day=day,
        question_ids=[q.pk for q in questions],
        started_at=NOW,
        finished_at=NOW,
    )
    Answer.objects.bulk_create(
        Answer(
            attempt=attempt,
            position=i,
            question=q,
            choices=[pick],
            correct=pick in q.correct,
            received_at=NOW,
            elapsed_ms=3000,
            submission=uuid.uuid4(),
        )
        for i, (q, pick) in enumerate(zip(questions, picks, strict=True))
    )


def _cells(stage, **filters):
    return {
        (c.district_id, c.kind, c.code): (c.correct, c.answered)
        for c in LiteracyCell.objects.filter(stage=stage, **filters)
    }


def test_a_first_refresh_sums_answers_per_district_group_and_benchmark_and_leaves_held_players_out(
    stage, season
):
    a, b, c = season["a"], season["b"], season["c"]
    done = report_refresh(stage=stage, now=NOW)
    assert done.full is True
    assert _cells(stage, kind__in=["benchmark", "domain"]) == {
        (a.pk, "benchmark", "B01"): (12, 12),
        (a.pk, "benchmark", "B02"): (0, 12),
        (a.pk, "benchmark", "B10"): (12, 12),
        (a.pk, "domain", "D3"): (12, 24),
        (a.pk, "domain", "D2"): (12, 12),
        (b.pk, "benchmark", "B01"): (0, 3),
        (b.pk, "benchmark", "B02"): (3, 3),
        (b.pk, "benchmark", "B10"): (0, 3),
        (b.pk, "domain", "D3"): (3, 6),
        (b.pk, "domain", "D2"): (0, 3),
        (c.pk, "benchmark", "B01"): (0, 10),
        (c.pk, "benchmark", "B02"): (0, 10),
        (c.pk, "benchmark", "B10"): (0, 10),
        (c.pk, "domain", "D3"): (0, 20),
        (c.pk, "domain", "D2"): (0, 10),
    }
    people = {(p.district_id, p.code): p.people for p in LiteracyPeople.objects.filter(stage=stage)}
    assert people[(a.pk, "D3")] == 12 and people[(b.pk, "B02")] == 3 and people[(c.pk, "D2")] == 10
    group = GroupCell.objects.get(stage=stage, district=a, key_group="youth")
    assert (group.registered, group.active, group.qualified) == (13, 13, 0)  # the held player registered
    assert {
        (w.week, w.district_id): (w.registered, w.active)
        for w in WeekCell.objects.filter(stage=stage, district=a)
    } == {
        (date(2026, 11, 16), a.pk): (13, 0),
        (date(2026, 11, 23), a.pk): (0, 13),
    }


def test_the_report_names_only_the_readable_district_wholly_below_the_average(stage, season):
    report_refresh(stage=stage, now=NOW)
    report = report_get(Scope(stage=stage))
    # pooled over the domains: A 24 of 36, B 3 of 9, C 0 of 30 -> 27 of 75
    assert (report.average.correct, report.average.answered, report.average.people) == (27, 75, 25)
    assert report.average.share == 0.36
    # C: 0 of 30 from 10 people is readable, upper bound 0.1135 (0.064027 * 2 / 1.128053);
    # B (9 answers, 3 people) is lower than the average too but too few to read.
    assert [(b.share.key, round(b.share.high, 4), round(b.gap, 4)) for b in report.below_districts] == [
        (season["c"].name, 0.1135, 0.2465)
    ]
    cell = report.heatmap.cell(season["b"].name, "B02")
    assert (cell.share, cell.readable) == (1.0, False)
    assert [(s.key, s.correct, s.answered) for s in report.domains] == [("D2", 12, 25), ("D3", 15, 50)]
    assert [(f.name, f.count) for f in report.funnel] == [
        ("registered", 26),
        ("active", 26),
        ("qualified", 0),
        ("finalists", 0),
    ]
    assert [(w.start, w.new, w.total, w.active) for w in report.weeks] == [
        (date(2026, 11, 16), 26, 26, 0),
        (date(2026, 11, 23), 0, 26, 26),
    ]


def test_the_report_lists_the_most_missed_question_of_each_benchmark_with_its_distractor(stage, season):
    report_refresh(stage=stage, now=NOW)
    report = report_get(Scope(stage=stage), minimum=engine.MinimumSample(answers=20, people=5))
    got = {
        code: [(m.label, m.correct, m.answered, m.distractor, m.misleads) for m in rows]
        for code, rows in report.missed.items()
    }
    assert got == {
        "B01": [("q1", 12, 25, 1, False)],  # 乙 drew C's 10, fewer than the 12 right
        "B02": [("q2", 3, 25, 1, True)],  # 乙 drew 22 of 25: the misconception wins
        "B10": [("q3", 12, 25, 1, False)],
    }


def test_a_filter_narrows_every_table_to_the_district(stage, season):
    report_refresh(stage=stage, now=NOW)
    report = report_get(Scope(stage=stage, district=season["a"], key_group="youth"))
    assert (report.average.correct, report.average.answered) == (24, 36)
    assert report.below_districts == []
    assert report.funnel[0].count == 13


def test_an_incremental_refresh_recomputes_recent_days_and_keeps_people_until_the_full_one(stage, season):
    report_refresh(stage=stage, now=NOW)
    a = season["a"]
    # given a new day's answers from one of A's players
    player = Contestant.objects.filter(stage=stage, district=a, held=False).first()
    _attempt(player, season["questions"], (0, 0, 0), day=date(2026, 11, 25))
    # when an incremental refresh runs
    done = report_refresh(stage=stage, now=NOW)
    # then the new day is added and the earlier ones kept
    assert (done.full, done.since) == (False, date(2026, 11, 24))
    assert _cells(stage, district=a, day=date(2026, 11, 25)) == {
        (a.pk, "benchmark", "B01"): (1, 1),
        (a.pk, "benchmark", "B02"): (1, 1),
        (a.pk, "benchmark", "B10"): (1, 1),
        (a.pk, "domain", "D3"): (2, 2),
        (a.pk, "domain", "D2"): (1, 1),
        (a.pk, "age", "unknown/D3"): (2, 2),
        (a.pk, "age", "unknown/D2"): (1, 1),
    }
    assert _cells(stage, district=a, day=DAY)[(a.pk, "domain", "D3")] == (12, 24)
    assert LiteracyPeople.objects.get(stage=stage, district=a, code="D3").people == 12
    assert report_refresh(stage=stage, full=True, now=NOW).full is True
    assert LiteracyPeople.objects.get(stage=stage, district=a, code="D3").people == 12  # the same person


def test_a_selftest_counts_in_its_bins_and_over_both_thresholds(stage, season):
    player = Contestant.objects.filter(stage=stage, district=season["a"]).first()
    Attempt.objects.create(
        contestant=player,
        mode=Mode.SELFTEST,
        day=DAY,
        started_at=NOW,
        finished_at=NOW,
        result={
            "total": 72,
            "dimensions": [
                {"name": "knowledge", "weight": 40, "score": 28},
                {"name": "method", "weight": 20, "score": 12},
                {"name": "spirit", "weight": 20, "score": 12},
                {"name": "application", "weight": 20, "score": 20},
            ],
        },
    )
    report_refresh(stage=stage, now=NOW)
    report = report_get(Scope(stage=stage))
    assert [(t.name, t.over, t.people) for t in report.thresholds] == [("total", 1, 1), ("composite", 1, 1)]
    assert [b.count for b in report.histogram] == [0, 0, 0, 0, 0, 0, 0, 1, 0, 0]
    assert report.dimension_histograms["application"][9].count == 1  # 20 of 20 is 100%


def test_age_band_cells_follow_the_year_of_birth_and_put_the_rest_under_unknown(stage, season):
    # given: 4 of district A's 12 youth born 16 years before the stage's year, 8 more 30 years before
    a = season["a"]
    year = stage.opens_on.year
    youth = list(Contestant.objects.filter(stage=stage, district=a, held=False).order_by("pk"))
    Contestant.objects.filter(pk__in=[c.pk for c in youth[:4]]).update(birth_year=year - 16)
    Contestant.objects.filter(pk__in=[c.pk for c in youth[4:]]).update(birth_year=year - 30)
    # when
    report_refresh(stage=stage, now=NOW)
    # then: A knows B01 and B10, misses B02 (D3 = B01 + B02, D2 = B10)
    assert _cells(stage, kind="age", district=a) == {
        (a.pk, "age", "0-17/D3"): (4, 8),
        (a.pk, "age", "0-17/D2"): (4, 4),
        (a.pk, "age", "30-39/D3"): (8, 16),
        (a.pk, "age", "30-39/D2"): (8, 8),
    }
    assert _cells(stage, kind="age", district=season["b"]) == {
        (season["b"].pk, "age", "unknown/D3"): (3, 6),
        (season["b"].pk, "age", "unknown/D2"): (0, 3),
    }
    people = {p.code: p.people for p in LiteracyPeople.objects.filter(stage=stage, district=a, kind="age")}
    assert people == {"0-17/D3": 4, "0-17/D2": 4, "30-39/D3": 8, "30-39/D2": 8}
    heat = report_get(Scope(stage=stage)).age_heatmap
    assert heat.rows[:2] == ("0-17", "30-39") and len(heat.rows) == 3  # and those who gave none
    assert heat.cells[("0-17", "D2")].readable is False  # 4 people: too few to read
    assert heat.cells[("30-39", "D3")].share == 0.5
