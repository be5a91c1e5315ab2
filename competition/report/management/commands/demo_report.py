"""Fill the demo online stage with a season the literacy report can show patterns in, then refresh."""

from django.core.management.base import BaseCommand, CommandError

from competition.online.models import OnlineStage
from competition.report.demo import demo_season
from competition.report.refresh import report_refresh


class Command(BaseCommand):
    help = "Add demo contestants and answers to an online stage (replacing earlier ones); refresh the report."

    def add_arguments(self, parser):
        parser.add_argument(
            "--stage", default="jjj-2026-online", help="online stage slug (default: the demo's)"
        )
        parser.add_argument("--citizens", type=int, default=5000)
        parser.add_argument("--answers-each", type=int, default=20)

    def handle(self, *args, stage, citizens, answers_each, **options):
        found = OnlineStage.objects.filter(slug=stage).first()
        if found is None:
            raise CommandError(f"no online stage {stage!r}: run demo_setup and demo_online first")
        try:
            made = demo_season(
                stage=found, citizens=citizens, answers_each=answers_each, progress=self.stdout.write
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        done = report_refresh(stage=found, full=True)
        self.stdout.write(
            f"report demo: {made.contestants} contestants, {made.answers} answers;"
            f" refreshed in {done.took_ms} ms;"
            f" /competitions/report/?season={found.competition.slug}&stage={found.slug}"
        )
