"""Write static/frontend/codes.js, the scripts' close codes and error codes, from the server's definitions."""

from django.core.management.base import BaseCommand, CommandError

from frontend.protocol_codes import CODES_JS, render_codes_js


class Command(BaseCommand):
    help = "Write frontend/static/frontend/codes.js from quiz.protocol and the server's refusals."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="write nothing; fail if the file is out of date"
        )

    def handle(self, *args, check: bool = False, **options):
        text = render_codes_js()
        current = CODES_JS.read_text(encoding="utf-8") if CODES_JS.exists() else None
        if check:
            if current != text:
                raise CommandError(f"{CODES_JS.name} is out of date: run `manage.py js_codes`")
            self.stdout.write(f"{CODES_JS.name} is up to date")
            return
        if current == text:
            self.stdout.write(f"{CODES_JS.name} is up to date")
            return
        CODES_JS.write_text(text, encoding="utf-8")
        self.stdout.write(f"wrote {CODES_JS}")
