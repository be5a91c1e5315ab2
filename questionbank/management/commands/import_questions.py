"""Import questions from a file: our XLSX/CSV template, Kahoot!, Moodle XML, GIFT or JSON.

    manage.py import_questions questions.xlsx --user editor1
    manage.py import_questions bank.csv --dry-run

Prints the preview (counts, invalid rows with row, column and reason, near-duplicates), then commits all
or nothing. ``--dry-run`` stops after the preview. Exits with an error, writing nothing, if the file or any
row is invalid. Formats: docs/question-formats.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from questionbank.engine.formats import FORMATS
from questionbank.imports import ImportRefused, Outcome, import_commit, import_preview
from questionbank.management.progress import progress_bar

SHOWN = 50  # rows listed per outcome


class Command(BaseCommand):
    help = "Import questions (preview, then all or nothing). Formats: " + ", ".join(FORMATS)

    def add_arguments(self, parser):
        parser.add_argument("path", help="the file to import")
        parser.add_argument(
            "--format", choices=sorted(FORMATS), help="default: from the extension and content"
        )
        parser.add_argument("--dry-run", action="store_true", help="show the preview only; write nothing")
        parser.add_argument("--user", help="username recorded as author and in the revision")
        parser.add_argument(
            "--allow-duplicates",
            action="store_true",
            help="import near-duplicate rows too (skipped by default)",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **options):
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"{path} is not a file")
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"no user {options['user']!r}")
        bars: dict[str, Any] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if options["no_progress"]:
                return
            bar = bars.get(stage)
            if bar is None:
                bar = bars[stage] = progress_bar(
                    total=total or None, desc=f"{stage:>6}", unit="row", file=self.stderr
                )
            if total and bar.total != total:
                bar.total = total
            bar.update(done - bar.n)

        preview = import_preview(
            path.read_bytes(), fmt=options["format"], filename=path.name, user=user, progress=progress
        )
        for bar in bars.values():
            bar.close()
        bars.clear()
        self.stdout.write(preview.summary())
        if preview.file_error:
            raise CommandError(f"{preview.file_error}; nothing was imported")
        for outcome in (Outcome.INVALID, Outcome.SKIPPED, Outcome.DUPLICATE):
            rows = [r for r in preview.rows if r.outcome == outcome]
            for r in rows[:SHOWN]:
                self.stdout.write(f"  row {r.row} {outcome}: {r.message}")
            if len(rows) > SHOWN:
                self.stdout.write(f"  … and {len(rows) - SHOWN} more {outcome} rows")
        noted = [r for r in preview.rows if r.warnings or r.flags or (r.notes and r.outcome == Outcome.NEW)]
        for r in noted[:SHOWN]:
            for text in [*r.notes, *r.warnings, *r.flags]:
                self.stdout.write(f"  row {r.row} note: {text}")
        if len(noted) > SHOWN:
            self.stdout.write(f"  … and {len(noted) - SHOWN} more rows with notes")
        for text in preview.flags:
            self.stdout.write(f"  file note: {text}")
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was written.")
            return
        try:
            result = import_commit(
                preview, user=user, allow_duplicates=options["allow_duplicates"], progress=progress
            )
        except ImportRefused as exc:
            raise CommandError(str(exc)) from None
        finally:
            for bar in bars.values():
                bar.close()
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported: {result.created} new, {result.updated} updated, {result.unchanged} unchanged, "
                f"{result.duplicates_skipped} near-duplicates skipped, {result.tags_created} new tags."
            )
        )
