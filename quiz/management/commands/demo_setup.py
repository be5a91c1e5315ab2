"""Load the demo: a 2026 competition with teams from all three divisions, the demo questions, a host
account and a live round. Running it again reuses what exists."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from competition.models import Competition, CompetitionRole, Division, Registration, Team
from questionbank.models import Question
from questionbank.services import questions_load_json, taxonomy_load
from quiz.engine.rounds import Phase
from quiz.models import Round
from quiz.services import round_create

FIXTURES = Path(settings.BASE_DIR) / "questionbank" / "fixtures"
DEMO_QUESTIONS = FIXTURES / "demo_questions.json"
TAXONOMY = FIXTURES / "taxonomy.json"
HOST_USERNAME = "host"
HOST_PASSWORD = "jingjinji-2026"  # demo only; printed below, change it in the admin
DIVISIONS = [
    ("beijing", "北京", ["海淀区", "朝阳区", "西城区", "东城区"]),
    ("tianjin", "天津", ["和平区", "南开区", "滨海新区"]),
    ("hebei", "河北", ["石家庄市", "保定市", "唐山市"]),
]
ROUND_TITLE = "演示轮 · Demo round"


class Command(BaseCommand):
    help = "Create the demo competition, questions, host account and a live round (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url", default="http://127.0.0.1:8000", help="where the server will listen"
        )
        parser.add_argument("--questions", type=int, default=10, help="questions in the demo round")

    @transaction.atomic
    def handle(self, *args, base_url: str, questions: int, **options):
        competition, _ = Competition.objects.get_or_create(
            slug="jjj-2026", defaults={"name": "2026 京津冀公民科学素质大赛", "year": 2026}
        )
        for order, (code, name, districts) in enumerate(DIVISIONS):
            division, _ = Division.objects.get_or_create(
                competition=competition, code=code, defaults={"name": name, "order": order}
            )
            for number, district in enumerate(districts, start=1):
                team, _ = Team.objects.get_or_create(
                    competition=competition, name=f"{name}·{district}", defaults={"division": division}
                )
                Registration.objects.get_or_create(
                    competition=competition,
                    code=f"{code[:2].upper()}{number:03d}",
                    defaults={"name": f"{district}选手", "team": team},
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

        round_ = (
            Round.objects.filter(competition=competition, title=ROUND_TITLE)
            .exclude(phase=Phase.FINISHED)
            .first()
        )
        if round_ is None:
            picked = list(
                Question.objects.filter(language="zh-hans", status="approved")
                .exclude(kind="judged")
                .order_by("key")[:questions]
            )
            round_ = round_create(
                competition=competition,
                title=ROUND_TITLE,
                questions=picked,
                scoring={"streak_bonus": True},
                join_mode=Round.JoinMode.BOTH,
            )

        base = base_url.rstrip("/")
        out = self.stdout.write
        out(
            self.style.SUCCESS(
                f"Demo ready: {competition.name}; {zh} questions ({en} with English versions)."
            )
        )
        out(f"  Host console : {base}/host/rounds/{round_.id}/")
        out(f"  Host login   : {HOST_USERNAME} / {HOST_PASSWORD}" + ("" if created else "  (unless changed)"))
        out(f"  Display      : {base}/display/{round_.pin}/")
        out(f"  Contestants  : {base}/play/?pin={round_.pin}   (PIN {round_.pin}, or a code such as BE001)")
        out(f"  Admin        : {base}/admin/")
