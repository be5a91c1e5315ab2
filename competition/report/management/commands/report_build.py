"""Build the report's files for a season: the XLSX workbook and the PDF, into a directory (schedulable)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from competition.report.files import BuildError, report_files_build


class Command(BaseCommand):
    help = (
        "Write the literacy report of a season (or one online stage, or one division, district or key "
        "group) as report-<stage>[-<filters>].xlsx and .pdf into --out; --refresh brings the summaries up "
        "to date first."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--season", help="competition slug (default: the season of --stage, or the latest)"
        )
        parser.add_argument("--stage", help="online stage slug (default: the season's latest online stage)")
        parser.add_argument("--division", help="division code")
        parser.add_argument("--district", type=int, help="district id")
        parser.add_argument("--key-group", default="", help="key group (youth, farmer, worker, ...)")
        parser.add_argument("--out", required=True, help="directory to write into (made if missing)")
        parser.add_argument(
            "--format", choices=["xlsx", "pdf", "both"], default="both", help="which files (default both)"
        )
        parser.add_argument("--refresh", action="store_true", help="refresh the summary tables first")

    def handle(self, *args, out, **options):
        try:
            built = report_files_build(
                season=options["season"],
                stage=options["stage"],
                division=options["division"],
                district=options["district"],
                key_group=options["key_group"],
                out=Path(out),
                formats=("xlsx", "pdf") if options["format"] == "both" else (options["format"],),
                refresh=options["refresh"],
            )
        except BuildError as exc:
            raise CommandError(f"{exc.code}: {exc}") from exc
        for path, ms in built:
            self.stdout.write(f"{path} ({path.stat().st_size:,} bytes, {ms} ms)")
