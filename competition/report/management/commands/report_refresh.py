"""Refresh the report's summary tables: run it every few minutes, with --full hourly or nightly."""

from django.core.management.base import BaseCommand, CommandError

from competition.online.models import OnlineStage
from competition.report.refresh import report_refresh


class Command(BaseCommand):
    help = "Refresh the literacy report's summaries of one online stage (--stage SLUG) or of every stage."

    def add_arguments(self, parser):
        parser.add_argument("--stage", help="online stage slug (default: every stage)")
        parser.add_argument(
            "--full",
            action="store_true",
            help="recompute every day and the people counts, not only recent days",
        )

    def handle(self, *args, stage=None, full=False, **options):
        stages = OnlineStage.objects.all()
        if stage:
            stages = stages.filter(slug=stage)
            if not stages.exists():
                raise CommandError(f"no online stage with the slug {stage!r}")
        for s in stages:
            done = report_refresh(stage=s, full=full)
            kind = "full" if done.full else f"from {done.since}"
            self.stdout.write(f"{s.slug}: refreshed ({kind}) in {done.took_ms} ms")
