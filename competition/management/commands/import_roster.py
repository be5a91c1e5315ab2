"""Import a roster (XLSX or CSV) into a competition: a result line per row, all or nothing."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from competition.engine.roster import INVALID
from competition.models import Competition
from competition.roster import RosterInvalid, roster_commit, roster_preview


class Command(BaseCommand):
    help = "Import teams and contestants from a roster file; nothing is written if any row is invalid."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the roster, .xlsx or .csv")
        parser.add_argument("--competition", required=True, help="the competition's slug")
        parser.add_argument("--dry-run", action="store_true", help="check and print, write nothing")

    def handle(self, *args, path: str, competition: str, dry_run: bool, **options):
        try:
            comp = Competition.objects.get(slug=competition)
        except Competition.DoesNotExist:
            raise CommandError(f"no competition with the slug {competition!r}") from None
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"{path}: no such file")
        preview = roster_preview(comp, file.read_bytes(), file.name)
        if preview.file_error:
            raise CommandError(f"{file.name}: {preview.file_error.reason}")

        out = self.stdout.write
        for result in preview.rows:
            raw = result.raw
            who = f"{raw.get('team', '')} · {raw.get('name', '')}"
            if result.status == INVALID:
                for error in result.errors:
                    out(
                        self.style.ERROR(
                            f"row {result.row:>4}  invalid  {who}  [{error.column}] {error.reason}"
                        )
                    )
            else:
                code = result.data.code or "(code generated)"
                role = "captain" if result.data.captain else result.data.role
                out(f"row {result.row:>4}  {result.status:<7}  {who}  {role}  {code}")
        for registration in preview.removed:
            out(
                self.style.WARNING(
                    f"          leaves   {registration.team} · {registration.name}  ({registration.code})"
                )
            )
        summary = (
            f"{preview.parse.count('new')} new, {preview.parse.count('update')} updated, "
            f"{len(preview.parse.invalid)} invalid, {len(preview.removed)} leaving their team"
        )
        if not preview.ok:
            raise CommandError(f"{summary}; nothing was imported")
        if dry_run:
            out(self.style.SUCCESS(f"{summary} (dry run: nothing written)"))
            return
        try:
            result = roster_commit(preview)
        except RosterInvalid as error:
            raise CommandError(f"{error}; nothing was imported") from None
        out(
            self.style.SUCCESS(
                f"Imported: {result.teams_created} teams created, {result.teams_updated} moved, "
                f"{result.registrations_created} contestants created, "
                f"{result.registrations_updated} updated, "
                f"{result.registrations_removed} left their team."
            )
        )
