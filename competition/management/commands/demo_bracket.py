"""A demo knockout stage for the demo competition: one bracket per division over its demo teams.

Idempotent: the stage and its brackets are made once; run after ``demo_setup``.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from competition.matches import bracket_create
from competition.models import Competition, Stage, Team

STAGE_NAME = "区赛"


class Command(BaseCommand):
    help = "Create the demo district stage (single elimination, 3rd place) with a bracket per division."

    def add_arguments(self, parser):
        parser.add_argument("--slug", default="jjj-2026", help="the competition (default: the demo one)")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="printed in the URLs")

    def handle(self, *args, slug: str, base_url: str, **options):
        competition = Competition.objects.filter(slug=slug).first()
        if competition is None:
            raise CommandError(f"no competition {slug!r}: run `manage.py demo_setup` first")
        with transaction.atomic():
            stage, _ = Stage.objects.get_or_create(
                competition=competition,
                name=STAGE_NAME,
                defaults={
                    "order": 1,
                    "format": Stage.Format.SINGLE_ELIMINATION,
                    "options": {"third_place": True},
                    "promotion": {"top": 2},
                },
            )
            made = []
            for division in competition.divisions.all():
                if stage.brackets.filter(name=division.name).exists():
                    continue
                teams = list(
                    Team.objects.filter(competition=competition, division=division).order_by("seed", "name")
                )
                if len(teams) < 2:
                    continue
                bracket_create(stage=stage, name=division.name, teams=teams)
                made.append(division.name)
        base = base_url.rstrip("/")
        out = self.stdout.write
        out(
            f"Stage {stage.name}: {stage.brackets.count()} brackets"
            + (f" (new: {', '.join(made)})" if made else "")
        )
        out(f"  Stage page   : {base}/competitions/{competition.slug}/stages/{stage.pk}/")
        out(f"  Stage display: {base}/competitions/{competition.slug}/stages/{stage.pk}/display/")
