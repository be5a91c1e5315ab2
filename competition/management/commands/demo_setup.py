"""Load the demo: a 2026 competition with teams from all three divisions, the demo questions, a host
account and a live round. Running it again reuses what exists."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from competition.models import Competition, CompetitionRole, Registration, Team
from competition.services import divisions_seed, team_create
from questionbank.models import Question
from questionbank.services import questions_load_json, taxonomy_load
from quiz.engine.rounds import Phase
from quiz.models import Round
from quiz.services.rounds import round_create

FIXTURES = Path(settings.BASE_DIR) / "questionbank" / "fixtures"
DEMO_QUESTIONS = FIXTURES / "demo_questions.json"
# Typed-answer questions the demo round plays: a short answer (填空) and a number with its unit.
DEMO_TYPED = ("demo-303", "demo-304")
TAXONOMY = FIXTURES / "taxonomy.json"
HOST_USERNAME = "host"
HOST_PASSWORD = "jingjinji-2026"  # demo only; printed below, change it in the admin
# Demo accounts for the question bank (same password): the groups come from questionbank's migrations.
BANK_ACCOUNTS = [("editor", "Question editors"), ("reviewer", "Question reviewers")]
DEMO_TEAMS_PER_DIVISION = 3  # one team for each of the first three districts of each division
# (members, the first is the captain; substitutes), one roster per demo team, in division order
DEMO_ROSTERS = [
    (["王晓明", "李雪", "张子涵"], ["刘洋"]),
    (["陈思远", "杨静", "赵一鸣"], ["黄磊"]),
    (["周婷", "吴昊", "徐嘉怡"], ["孙浩"]),
    (["马俊杰", "朱玲", "胡晨曦"], ["郭强"]),
    (["何雨桐", "高伟", "林佳琪"], ["罗斌"]),
    (["郑欣然", "梁宇航", "宋雅婷"], ["谢飞"]),
    (["韩梦瑶", "唐志强", "冯丽娜"], ["于涛"]),
    (["董文博", "萧雨萱", "程浩然"], ["曹颖"]),
    (["袁凯", "邓晓燕", "许博文"], ["傅磊"]),
]
ROUND_TITLE = "演示轮 · Demo round"


class Command(BaseCommand):
    help = "Create the demo competition, questions, host account and a live round (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url", default="http://127.0.0.1:8000", help="where the server will listen"
        )
        parser.add_argument("--questions", type=int, default=10, help="questions in the demo round")
        parser.add_argument(
            "--no-urls", action="store_true", help="leave the URLs out (make run prints them once serving)"
        )

    @transaction.atomic
    def handle(self, *args, base_url: str, questions: int, no_urls: bool = False, **options):
        competition, _ = Competition.objects.get_or_create(
            slug="jjj-2026", defaults={"name": "2026 京津冀公民科学素质大赛", "year": 2026}
        )
        rosters = iter(DEMO_ROSTERS)
        for division in divisions_seed(competition):
            for district in division.districts.all()[:DEMO_TEAMS_PER_DIVISION]:
                members, substitutes = next(rosters)
                name = f"{district.name}队"
                if not Team.objects.filter(competition=competition, name=name).exists():
                    team_create(
                        competition=competition,
                        division=division,
                        district=district,
                        name=name,
                        members=members,
                        substitutes=substitutes,
                        captain=members[0],
                    )
        if TAXONOMY.exists():
            taxonomy_load(TAXONOMY)
        zh, en = questions_load_json(DEMO_QUESTIONS)

        User = get_user_model()
        host, created = User.objects.get_or_create(username=HOST_USERNAME, defaults={"is_staff": True})
        if created:
            host.set_password(HOST_PASSWORD)
            host.save()
        CompetitionRole.objects.get_or_create(
            competition=competition, user=host, role=CompetitionRole.Role.HOST
        )
        for username, group in BANK_ACCOUNTS:
            user, made = User.objects.get_or_create(username=username, defaults={"is_staff": True})
            if made:
                user.set_password(HOST_PASSWORD)
                user.save()
            user.groups.add(*Group.objects.filter(name=group))

        round_ = (
            Round.objects.filter(competition=competition, title=ROUND_TITLE)
            .exclude(phase=Phase.FINISHED)
            .first()
        )
        if round_ is None:
            approved = Question.objects.filter(language="zh-hans", status="approved").order_by("key")
            typed = list(approved.filter(key__in=DEMO_TYPED)[: max(questions - 1, 0)])
            picked = list(
                approved.filter(kind__in=("single", "multiple", "truefalse"))[: questions - len(typed)]
            )
            # The typed questions come third and sixth, so the demo shows a text box and a keypad early on.
            for position, question in zip((2, 5), typed, strict=False):
                picked.insert(min(position, len(picked)), question)
            round_ = round_create(
                competition=competition,
                title=ROUND_TITLE,
                questions=picked,
                scoring={"streak_bonus": True},
                join_mode=Round.JoinMode.BOTH,
            )

        out = self.stdout.write
        out(
            self.style.SUCCESS(
                f"Demo ready: {competition.name}; {zh} questions ({en} with English versions)."
            )
        )
        if not no_urls:
            for line in demo_urls(base_url, competition=competition, round_=round_):
                out(line)


def demo_urls(base_url: str, *, competition=None, round_=None) -> list[str]:
    """Where to go in the demo and its logins (``make demo`` prints them; ``make run`` once serving)."""
    competition = competition or Competition.objects.get(slug="jjj-2026")
    round_ = round_ or (
        Round.objects.filter(competition=competition, title=ROUND_TITLE).exclude(phase=Phase.FINISHED).first()
    )
    base = base_url.rstrip("/")
    sample = Registration.objects.filter(competition=competition, team__isnull=False).first()
    code = sample.code if sample else "B7KQ2M"
    lines = []
    if round_ is not None:
        lines += [
            f"  Host console : {base}/host/rounds/{round_.id}/",
            f"  Display      : {base}/display/{round_.pin}/",
            f"  Contestants  : {base}/play/?pin={round_.pin}   (PIN {round_.pin}, or a code such as {code})",
        ]
    stage = competition.stages.order_by("pk").first()
    if stage is not None:
        lines.append(f"  Stage page   : {base}/competitions/{competition.slug}/stages/{stage.pk}/")
    online = competition.online_stages.order_by("pk").first()
    if online is not None:
        lines.append(f"  Online stage : {base}/online/{online.slug}/")
    lines += [
        f"  Standings    : {base}/competitions/{competition.slug}/standings/",
        f"  Join codes   : {base}/competitions/{competition.slug}/codes/",
        f"  Admin        : {base}/admin/   (question bank: {base}/admin/questionbank/question/)",
        f"  Logins       : host (host console), editor (writes questions), reviewer (approves them);"
        f" password {HOST_PASSWORD} unless changed",
    ]
    return lines
