"""Set up a competition for a real event: the competition, its three divisions with their districts and
cities, and the question bank's taxonomy (the 26 benchmarks and the themes). Idempotent."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.text import slugify

import questionbank
from competition.models import Competition
from competition.services import divisions_seed
from questionbank.services import taxonomy_load

TAXONOMY = Path(questionbank.__file__).resolve().parent / "fixtures" / "taxonomy.json"


class Command(BaseCommand):
    help = (
        "Create or update a competition with the divisions, districts and cities of Beijing, Tianjin and "
        "Hebei, and load the question taxonomy. Running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="the competition's name, e.g. '2027 京津冀公民科学素质大赛'")
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--slug", help="its address in URLs (default: from the year, e.g. jjj-2027)")

    @transaction.atomic
    def handle(self, *args, name: str, year: int, slug: str | None, **options):
        if not 2000 <= year <= 2100:
            raise CommandError(f"--year {year} is not a competition year")
        slug = slugify(slug or f"jjj-{year}")
        if not slug:
            raise CommandError("--slug must contain letters or digits")
        competition, created = Competition.objects.update_or_create(
            slug=slug, defaults={"name": name.strip(), "year": year}
        )
        divisions = divisions_seed(competition)
        tags = taxonomy_load(TAXONOMY)
        districts = sum(d.districts.count() for d in divisions)
        self.stdout.write(
            f"{'Created' if created else 'Updated'} {competition.name} ({competition.slug}): "
            f"{len(divisions)} divisions, {districts} districts and cities, {tags} taxonomy tags."
        )
