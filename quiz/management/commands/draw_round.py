"""Draw a round's questions by a spec and create the round.

    manage.py draw_round --competition jjj-2026 --stage 初赛 --title "第一轮" \\
        --spec '{"count": 10, "quotas": [{"tag": "health", "min": 2}]}' --seed 42

``--spec`` is inline JSON or the path of a JSON file. Without ``--seed`` a seed is chosen and printed,
so the draw can be repeated. ``--dry-run`` prints the draw without creating the round.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from questionbank.draws import draw_questions, draw_spec
from questionbank.engine.draws import DrawError, SpecError
from quiz.drawn_rounds import round_create_drawn
from quiz.models import Round
from quiz.services.errors import QuizError


def load_spec(value: str) -> dict:
    text = value.strip()
    if not text.startswith("{"):
        path = Path(value)
        if not path.is_file():
            raise CommandError(f"--spec: {value!r} is neither JSON nor a file")
        text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CommandError(f"--spec is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise CommandError("--spec must be a JSON object")
    return data


class Command(BaseCommand):
    help = "Draw a round's questions by a spec (quotas, difficulty mix, kinds, language) and create it."

    def add_arguments(self, parser):
        parser.add_argument("--competition", required=True, help="competition slug")
        parser.add_argument("--stage", default="", help="stage (questions shown in it are skipped)")
        parser.add_argument("--title", help="round title (required unless --dry-run)")
        parser.add_argument("--spec", required=True, help="draw spec: inline JSON or a JSON file")
        parser.add_argument("--seed", help="seed (default: a random one, printed)")
        parser.add_argument("--dry-run", action="store_true", help="only print the drawn questions")

    def handle(self, *args, competition: str, stage: str, title, spec: str, seed, dry_run: bool, **options):
        # The competition model through the round's foreign key: quiz does not import the competition app.
        competitions = Round._meta.get_field("competition").related_model.objects
        try:
            comp = competitions.get(slug=competition)
        except competitions.model.DoesNotExist:
            raise CommandError(f"no competition with the slug {competition!r}") from None
        if not dry_run and not title:
            raise CommandError("--title is required to create a round")
        if seed is None:
            seed = str(secrets.randbelow(10**9))
        seed_value: int | str = int(seed) if seed.lstrip("-").isdigit() else seed
        try:
            parsed = draw_spec(load_spec(spec))
            if dry_run:
                questions, round_ = draw_questions(parsed, comp, stage, seed_value), None
            else:
                round_ = round_create_drawn(comp, title, stage, parsed, seed_value)
                rows = round_.questions.select_related("source").order_by("position")
                questions = [rq.source for rq in rows]
        except SpecError as exc:
            raise CommandError(f"bad spec: {exc}") from exc
        except DrawError as exc:
            raise CommandError(f"cannot draw: {exc.message}") from exc
        except QuizError as exc:
            raise CommandError(f"cannot create the round: {exc.message}") from exc
        self.stdout.write(f"seed: {seed}")
        for position, q in enumerate(questions, start=1):
            self.stdout.write(f"{position:3d}. {q.key} [{q.kind}, difficulty {q.difficulty}] {q.stem[:50]}")
        if round_ is not None:
            self.stdout.write(self.style.SUCCESS(f"round {round_.pk} {round_.title!r} PIN: {round_.pin}"))
