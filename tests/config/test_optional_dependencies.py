"""Packages only some commands need are optional extras; servers start without them."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from questionbank.management.progress import PlainProgress, progress_bar

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def names(requirements: list[str]) -> set[str]:
    return {re.match(r"[A-Za-z0-9._-]+", req).group(0).lower() for req in requirements}


def test_progress_bars_and_benchmark_servers_are_extras_not_server_dependencies():
    runtime = names(PYPROJECT["project"]["dependencies"])
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert "tqdm" not in runtime and "tqdm" in names(extras["tools"])
    assert "uvicorn" not in runtime and "uvicorn" in names(extras["bench"])


def test_a_server_process_does_not_import_the_progress_bar_library():
    code = "import sys, config.asgi; print('tqdm' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "False"


def test_without_tqdm_the_commands_print_a_plain_line_per_tenth_and_at_the_end(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now raises ImportError
    out = io.StringIO()
    with progress_bar(total=20, desc="export", unit="question", file=out) as bar:
        assert isinstance(bar, PlainProgress)
        for _ in range(20):
            bar.update(1)
    lines = out.getvalue().splitlines()
    assert lines[0] == "export: 2/20 question" and lines[-1] == "export: 20/20 question"
    assert len(lines) == 10


def test_the_plain_progress_follows_a_total_that_changes_and_can_be_silenced():
    out = io.StringIO()
    bar = PlainProgress(total=None, desc="  read", unit="row", file=out)
    bar.total = 4
    bar.update(4 - bar.n)
    bar.close()
    assert out.getvalue() == "read: 4/4 row\n"
    quiet = io.StringIO()
    with PlainProgress(total=3, desc="export", unit="question", file=quiet, disable=True) as bar:
        bar.update(3)
    assert quiet.getvalue() == ""


def test_with_tqdm_installed_the_commands_get_its_bar():
    from tqdm import tqdm

    with progress_bar(total=1, desc="export", unit="question", file=io.StringIO()) as bar:
        assert isinstance(bar, tqdm)
