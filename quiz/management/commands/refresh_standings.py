"""Rewrite the cached standings of every round left behind (their write after a change failed).

    manage.py refresh_standings              # every round that is behind
    manage.py refresh_standings --round 42   # that round, if it is behind

A round is behind when the standings written are older than the version they are due for and the
write has had time to finish (``quiz.services.rounds.STANDINGS_REPAIR_AFTER``). Safe to run from a cron
or after an incident, beside live rounds: a repair writes nothing older than what is stored, and a
finished round's ``round_finished`` receivers are idempotent.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db.models import F
from django.utils import timezone

from quiz.models import Round
from quiz.services.rounds import STANDINGS_REPAIR_AFTER, standings_repair


class Command(BaseCommand):
    help = "Rewrite the cached standings of rounds whose standings write failed."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--round", type=int, help="only this round id")

    def handle(self, *args, round: int | None = None, **options) -> None:
        now = timezone.now()
        behind = Round.objects.filter(
            standings_version__lt=F("standings_due_version"),
            standings_due_at__lte=now - STANDINGS_REPAIR_AFTER,
        )
        if round is not None:
            if not Round.objects.filter(pk=round).exists():
                raise CommandError(f"no round {round}")
            behind = behind.filter(pk=round)
        failed = 0
        ids = list(behind.order_by("id").values_list("id", flat=True))
        for round_id in ids:
            try:
                standings_repair(round_id=round_id, now=now)
            except Exception as exc:  # one broken round must not keep the others behind
                failed += 1
                self.stderr.write(f"round {round_id}: standings not repaired: {exc!r}")
            else:
                self.stdout.write(f"round {round_id}: standings repaired")
        self.stdout.write(f"{len(ids) - failed} of {len(ids)} rounds behind repaired")
        if failed:
            raise CommandError(f"{failed} rounds could not be repaired")
