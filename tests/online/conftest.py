"""Fixtures for the online stage: a competition with its divisions, the demo bank, a stage open today."""

from __future__ import annotations

import json
from datetime import timedelta
from functools import cache
from pathlib import Path

import pytest
from django.utils import timezone

import questionbank

FIXTURES = Path(questionbank.__file__).resolve().parent / "fixtures"


@cache
def _demo_items():
    return json.loads((FIXTURES / "demo_questions.json").read_text(encoding="utf-8"))


@pytest.fixture
def bank(db):
    """The demo bank's Chinese questions, approved and tagged (written in bulk: a few hundred ms)."""
    bank_load()


def bank_load():
    from questionbank.models import Question, Tag, TaggedQuestion
    from questionbank.services import taxonomy_load

    taxonomy_load(FIXTURES / "taxonomy.json")
    items = _demo_items()
    questions = Question.objects.bulk_create(
        Question(
            key=item["key"],
            kind=item["kind"],
            stem=item["stem"],
            choices=item["choices"],
            correct=sorted(item["correct"]),
            explanation=item.get("explanation", ""),
            difficulty=item.get("difficulty", 3),
            theme=item.get("theme", ""),
            status="approved",
            language="zh-hans",
        )
        for item in items
    )
    tags = {t.code: t.pk for t in Tag.objects.exclude(code="")}
    TaggedQuestion.objects.bulk_create(
        TaggedQuestion(content_object_id=q.pk, tag_id=tags[code])
        for q, item in zip(questions, items, strict=True)
        for code in {*item.get("benchmarks", []), *item.get("themes", [])}
        if code in tags
    )


@pytest.fixture
def competition(db):
    from competition.services import divisions_seed
    from tests.factories import CompetitionFactory

    competition = CompetitionFactory()
    divisions_seed(competition)
    return competition


@pytest.fixture
def stage(competition):
    from competition.online.models import OnlineStage

    today = timezone.localdate()
    return OnlineStage.objects.create(
        competition=competition,
        name="线上答题",
        slug="online-test",
        opens_on=today - timedelta(days=30),
        closes_on=today + timedelta(days=30),
        rules={
            "themed": [
                {
                    "slug": "rumours",
                    "name": "科学辟谣",
                    "tags": ["rumour-busting"],
                    "count": 5,
                    "opens": (today - timedelta(days=1)).isoformat(),
                    "closes": (today + timedelta(days=5)).isoformat(),
                },
                {
                    "slug": "youth-space",
                    "name": "航天",
                    "tags": ["aerospace"],
                    "count": 5,
                    "opens": (today - timedelta(days=1)).isoformat(),
                    "closes": (today + timedelta(days=5)).isoformat(),
                    "key_group": "youth",
                },
            ]
        },
    )


@pytest.fixture
def sms(settings):
    from competition.online import sms

    settings.ONLINE = {**settings.ONLINE, "SMS_BACKEND": "competition.online.sms.MemoryBackend"}
    sms.MemoryBackend.outbox.clear()
    sms._backend.cache_clear()
    yield sms.MemoryBackend.outbox
    sms._backend.cache_clear()


def make_contestant(stage, n=0, **fields):
    from competition.models import District
    from competition.online.models import Contestant

    district = (
        fields.pop("district", None)
        or District.objects.filter(division__competition=stage.competition).order_by("pk")[n % 5]
    )
    defaults = {
        "name": f"选手{n}",
        "display_name": f"选手{n}",
        "mobile": f"138{n:08d}",
        "division": district.division,
        "district": district,
        "key_group": "other",
        "consent_at": timezone.now(),
        "privacy_version": stage.privacy_version,
    }
    defaults.update(fields)
    return Contestant.objects.create(stage=stage, **defaults)


@pytest.fixture
def contestant(stage):
    return make_contestant(stage)
