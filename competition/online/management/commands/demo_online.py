"""Load the demo online stage: open for four weeks up to two weeks from now, with themed quizzes and some
registered citizens across districts, key groups and units who played on earlier days (through the same
services as the pages). Running it again changes nothing."""

import random
import uuid
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from competition.models import Competition, District
from competition.online.errors import OnlineError
from competition.online.models import Contestant, OnlineStage
from competition.online.services import attempts
from competition.online.services.identity import NewContestant, contestant_register
from questionbank.models import Question

SLUG = "jjj-2026-online"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = [
    "晓明",
    "雪",
    "子涵",
    "洋",
    "思远",
    "静",
    "一鸣",
    "磊",
    "婷",
    "昊",
    "嘉怡",
    "浩",
    "俊杰",
    "玲",
    "晨曦",
    "强",
]
GROUPS = ["youth", "farmer", "worker", "senior", "official", "other"]
UNITS = ["", "第一中学", "实验小学", "市人民医院", "区政务服务中心", "钢铁集团", "农业合作社", "科技园"]


def wrong_answer(question) -> list[int]:
    """A wrong answer: a choice that is not correct, or, when every choice is, only one of them."""
    others = [i for i in range(len(question.choices)) if i not in question.correct]
    return others[:1] or list(question.correct)[:1]


class Command(BaseCommand):
    help = "Create the demo online stage with citizens who played on earlier days (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--citizens", type=int, default=36)

    def handle(self, *args, citizens: int, **options):
        competition = Competition.objects.filter(slug="jjj-2026").first()
        if competition is None:
            raise CommandError("run demo_setup first: the online stage belongs to the demo competition")
        today = timezone.localdate()
        stage, _ = OnlineStage.objects.get_or_create(
            slug=SLUG,
            defaults={
                "competition": competition,
                "name": "2026 线上答题",
                "opens_on": today - timedelta(days=27),
                "closes_on": today + timedelta(days=14),
                "rules": {
                    "themed": [
                        {
                            "slug": "rumours",
                            "name": "科学辟谣",
                            "name_en": "Rumour-busting",
                            "tags": ["rumour-busting"],
                            "count": 5,
                            "opens": (today - timedelta(days=7)).isoformat(),
                            "closes": (today + timedelta(days=7)).isoformat(),
                        },
                        {
                            "slug": "frontier",
                            "name": "前沿科技",
                            "name_en": "Frontier technology",
                            "tags": ["frontier-tech"],
                            "count": 5,
                            "opens": (today - timedelta(days=3)).isoformat(),
                            "closes": (today + timedelta(days=10)).isoformat(),
                        },
                        {
                            "slug": "emergency",
                            "name": "应急科普",
                            "name_en": "Emergency science",
                            "tags": ["emergency-safety"],
                            "count": 5,
                            "opens": (today - timedelta(days=20)).isoformat(),
                            "closes": (today + timedelta(days=14)).isoformat(),
                        },
                        {
                            "slug": "space-youth",
                            "name": "航天青少年专场",
                            "name_en": "Space, for young people",
                            "tags": ["aerospace"],
                            "count": 5,
                            "opens": (today - timedelta(days=2)).isoformat(),
                            "closes": (today + timedelta(days=12)).isoformat(),
                            "key_group": "youth",
                        },
                    ]
                },
            },
        )
        if stage.contestants.exists():
            self.stdout.write(f"online stage: /online/{stage.slug}/ ({stage.contestants.count()} citizens)")
            return
        if not Question.objects.filter(status="approved").exists():
            raise CommandError("the demo bank is empty: run demo_setup first")
        rng = random.Random(2026)
        districts = list(
            District.objects.filter(division__competition=competition).select_related("division")
        )
        by_division: dict[int, list[District]] = {}
        for d in districts:
            by_division.setdefault(d.division_id, []).append(d)
        picks = [d for ds in by_division.values() for d in ds[:4]]
        now = timezone.now()
        for n in range(citizens):
            district = picks[n % len(picks)]
            name = SURNAMES[n % len(SURNAMES)] + GIVEN[(n * 7) % len(GIVEN)]
            registered = now - timedelta(days=26 - (n % 10))
            with transaction.atomic():  # one commit per citizen: the demo loads in seconds
                self._citizen(stage, n, name, district, rng, registered, now)
        self.stdout.write(f"online stage: /online/{stage.slug}/ ({citizens} citizens)")

    def _citizen(self, stage, n, name, district, rng, registered, now) -> None:
        contestant = contestant_register(
            stage=stage,
            data=NewContestant(
                name=name,
                mobile=f"139{2026_0000 + n:08d}",
                district_id=district.pk,
                key_group=GROUPS[n % len(GROUPS)],
                unit=UNITS[n % len(UNITS)],
            ),
            now=registered,
        )
        self._play(contestant, rng, registered, now)

    def _play(self, contestant: Contestant, rng: random.Random, registered, now) -> None:
        skill = rng.uniform(0.4, 0.95)
        day = registered
        while day < now - timedelta(hours=12):
            if rng.random() < 0.5:
                attempt = attempts.daily_start(contestant=contestant, now=day)
                self._answer_all(contestant, attempt, rng, skill, day)
            if rng.random() < 0.12:
                attempt = attempts.challenge_start(contestant=contestant, now=day)
                self._answer_all(contestant, attempt, rng, skill + 0.05, day)
            day += timedelta(days=1)

    def _answer_all(self, contestant, attempt, rng, skill, when) -> None:
        moment = when
        while True:
            attempt.refresh_from_db()
            served = attempts.question_serve(attempt=attempt, now=moment)
            if served is None:
                return
            question = served.question
            right = rng.random() < skill
            choices = list(question.correct) if right else wrong_answer(question)
            moment = served.served_at + timedelta(milliseconds=rng.randint(3500, 12000))
            try:
                attempts.answer_submit(
                    contestant=contestant,
                    attempt_id=attempt.pk,
                    position=served.position,
                    choices=choices,
                    submission=uuid.uuid4(),
                    now=moment,
                )
            except OnlineError as exc:  # a challenge's 100 seconds ran out: it is finished as time_up
                if exc.code != "too_late":
                    raise
                return
