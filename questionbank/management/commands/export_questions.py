"""Export questions to a file in one of the import formats.

    manage.py export_questions --format xlsx --status approved --tag B05 -o approved-b05.xlsx

``--tag`` takes a tag code (B05, health) or a tag name and may be repeated (questions with any of them).
Without ``-o`` the file goes to standard output. Questions a format cannot hold (e.g. host-judged ones in
Kahoot!) are counted and left out.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from questionbank.engine import formats
from questionbank.imports import questions_parsed
from questionbank.management.progress import progress_bar
from questionbank.models import Question, Status, Tag


class Command(BaseCommand):
    help = "Export questions. Formats: " + ", ".join(formats.FORMATS)

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=sorted(formats.FORMATS), default="xlsx")
        parser.add_argument("--status", action="append", choices=[s.value for s in Status], help="repeatable")
        parser.add_argument("--tag", action="append", help="tag code or name; repeatable")
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **options):
        fmt = options["format"]
        if fmt in ("xlsx", "kahoot") and not options["output"]:
            raise CommandError(f"{fmt} is a binary format; give a file with -o")
        queryset = Question.objects.all()
        if options["status"]:
            queryset = queryset.filter(status__in=options["status"])
        if options["tag"]:
            tags = Tag.objects.filter(Q(code__in=options["tag"]) | Q(name__in=options["tag"]))
            unknown = (
                set(options["tag"])
                - set(tags.values_list("code", flat=True))
                - set(tags.values_list("name", flat=True))
            )
            if unknown:
                raise CommandError(f"no tag with the code or name {', '.join(sorted(unknown))}")
            queryset = queryset.filter(tags__in=tags).distinct()
        total = queryset.count()
        with progress_bar(
            total=total, desc="export", unit="question", file=self.stderr, disable=options["no_progress"]
        ) as bar:
            questions = []
            for chunk_start in range(0, total, 2000):
                ids = list(
                    queryset.order_by("key").values_list("pk", flat=True)[chunk_start : chunk_start + 2000]
                )
                questions += questions_parsed(Question.objects.filter(pk__in=ids))
                bar.update(len(ids))
        left_out = [(q.key, reason) for q in questions if (reason := formats.left_out(fmt, q))]
        data = formats.write(fmt, questions)
        if options["output"]:
            Path(options["output"]).write_bytes(data)
        else:
            self.stdout.write(data.decode("utf-8"), ending="")
        out = self.stderr if not options["output"] else self.stdout
        for key, reason in left_out[:20]:
            out.write(f"  left out {key}: {reason}")
        out.write(
            f"Exported {len(questions) - len(left_out)} question(s) as {formats.FORMATS[fmt]}"
            + (f", left out {len(left_out)}" if left_out else "")
            + "."
        )
