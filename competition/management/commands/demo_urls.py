"""Print where to go in the demo once the server answers (``make run`` runs this after starting it)."""

import socket
import time

from django.core.management.base import BaseCommand, CommandError

from competition.management.commands.demo_final import demo_final_urls
from competition.management.commands.demo_setup import demo_urls


class Command(BaseCommand):
    help = "Wait until the server listens on --host/--port, then print the demo's URLs and accounts."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the server")

    def handle(self, *args, host: str, port: int, timeout: float, **options):
        probe = "127.0.0.1" if host in ("0.0.0.0", "") else ("::1" if host == "::" else host)
        deadline = time.monotonic() + timeout
        while True:
            try:
                with socket.create_connection((probe, port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise CommandError(
                        f"the server did not listen on {host}:{port} within {timeout:.0f} s"
                    ) from None
                time.sleep(0.2)
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        out = self.stdout.write
        for line in demo_urls(f"http://{shown}:{port}"):
            out(line)
        for line in demo_final_urls(f"http://{shown}:{port}"):
            out(line)
        out(self.style.SUCCESS(f"Ready: serving on http://{shown}:{port}/ (Ctrl-C stops)."))
