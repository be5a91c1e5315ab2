"""Set up the demo's stage final: six teams of the demo competition, three judges, the script
限时必答 -> 团队抢答 -> 风险 -> 科普讲解 -> 力挽狂澜 with questions drawn from the bank (idempotent).

Needs ``demo_setup`` first (the competition, its teams and questions). Prints the final's pages: the host
console, the big screen, each captain's phone, a member's view and each judge's console.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from competition.models import Competition, Registration, Team
from questionbank.models import Question
from quiz.finals.links import judge_token, team_token
from quiz.finals.models import Final
from quiz.finals.setup import final_create

FINAL_TITLE = "演示决赛 · Demo final"
TEAMS = 6
# One judge shares a district with the first team and one a unit with the second: the consoles show the
# recusals, and the rules refuse those scores.
UNIT = "北京科学中心"
QUESTIONS = {0: TEAMS, 1: 5, 2: TEAMS, 4: 3}  # segment index -> questions drawn (科普讲解 needs none)
SUDDEN_DEATH_POOL = 3


def demo_final(competition: Competition) -> Final:
    """The demo final, made if missing."""
    final = Final.objects.filter(round__competition=competition, round__title=FINAL_TITLE).first()
    if final is not None:
        return final
    teams = list(Team.objects.filter(competition=competition).select_related("district")[:TEAMS])
    if len(teams) < TEAMS:
        raise CommandError("the demo final needs the demo competition's teams: run demo_setup first")
    names: dict[int, list[str]] = {}
    for reg in Registration.objects.filter(team__in=teams, role="member").order_by("code"):
        names.setdefault(reg.team_id, []).append(reg.name)
    pool = iter(
        # Choice questions: the final's phones answer by choice (typed answers play in live rounds).
        Question.objects.filter(
            language="zh-hans", status="approved", kind__in=("single", "multiple", "truefalse")
        ).order_by("-key")[: sum(QUESTIONS.values()) + SUDDEN_DEATH_POOL]
    )
    questions = {segment: [next(pool) for _ in range(n)] for segment, n in QUESTIONS.items()}
    return final_create(
        competition=competition,
        title=FINAL_TITLE,
        teams=[
            {
                "name": t.name,
                "district": t.district.name if t.district else "",
                "unit": UNIT if i == 1 else "",
                "members": names.get(t.id, []),
                "team": t,
            }
            for i, t in enumerate(teams)
        ],
        judges=[
            {"name": "评委 甲", "district": teams[0].district.name if teams[0].district else ""},
            {"name": "评委 乙", "unit": UNIT},
            {"name": "评委 丙"},
        ],
        questions=questions,
        sudden_death_pool=list(pool),
        stage="district",
    )


def demo_final_urls(base_url: str, final: Final | None = None) -> list[str]:
    """The final's pages, with each captain's and judge's own link."""
    if final is None:
        final = Final.objects.filter(round__title=FINAL_TITLE).order_by("-id").first()
        if final is None:
            return []
    base = base_url.rstrip("/")
    lines = [
        f"  Final · host console : {base}/finals/{final.id}/host/",
        f"  Final · big screen   : {base}/finals/screen/{final.round.pin}/",
    ]
    teams = list(final.teams.order_by("seed"))
    for team in teams:
        link = team_token(team, "captain")
        lines.append(f"  Final · captain {team.seed}    : {base}/finals/team/{link}/   ({team.name})")
    if teams:
        link = team_token(teams[0], "member")
        lines.append(f"  Final · a member     : {base}/finals/team/{link}/   ({teams[0].name})")
    for i, judge in enumerate(final.judges.order_by("id"), start=1):
        lines.append(f"  Final · judge {i}      : {base}/finals/judge/{judge_token(judge)}/   ({judge.name})")
    return lines


class Command(BaseCommand):
    help = "Create the demo's stage final (six teams, three judges, five segments) and print its pages."

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url", default="http://127.0.0.1:8000", help="where the server will listen"
        )
        parser.add_argument("--no-urls", action="store_true", help="leave the URLs out")

    @transaction.atomic
    def handle(self, *args, base_url: str, no_urls: bool = False, **options):
        competition = Competition.objects.filter(slug="jjj-2026").first()
        if competition is None:
            raise CommandError("run demo_setup first: the demo competition is missing")
        final = demo_final(competition)
        self.stdout.write(
            self.style.SUCCESS(f"Demo final ready: {final.round.title} (PIN {final.round.pin}).")
        )
        if not no_urls:
            for line in demo_final_urls(base_url, final):
                self.stdout.write(line)
