"""The report's files written to a directory, for ``manage.py report_build`` and its schedule.

The filters are checked by the page's own form (``ReportFilters``), so the command accepts exactly what
the page does. Each file is written beside its final name and renamed into place, so a reader (a web
server publishing the directory, a mail job) never sees half a file, and a failed build leaves the last
good one.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from competition.models import Competition
from competition.report.forms import ReportFilters
from competition.report.selectors import Scope, report_get


class BuildError(Exception):
    """A build refused before anything was written. ``code``: ``unknown_season``, ``bad_filters`` or
    ``bad_out``."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def scope_resolve(
    *,
    season: str | None = None,
    stage: str | None = None,
    division: str | None = None,
    district: int | None = None,
    key_group: str = "",
) -> Scope:
    """The scope named by slugs and codes, checked as the page checks its filters."""
    seasons = Competition.objects.filter(online_stages__isnull=False).distinct().order_by("-year", "-pk")
    if season and not seasons.filter(slug=season).exists():
        raise BuildError("unknown_season", f"no season {season!r} with an online stage")
    if not season and stage:
        season = seasons.filter(online_stages__slug=stage).values_list("slug", flat=True).first()
        if season is None:
            raise BuildError("bad_filters", f"stage: no online stage {stage!r}")
    data = {
        "season": season or "",
        "stage": stage or "",
        "division": division or "",
        "district": "" if district is None else str(district),
        "key_group": key_group or "",
    }
    form = ReportFilters(data, seasons=seasons)
    if not form.is_valid():
        if form.season is None:
            raise BuildError("unknown_season", "no season with an online stage")
        problems = [f"{name}: {' '.join(errors)}" for name, errors in form.errors.items()]
        raise BuildError("bad_filters", "; ".join(problems))
    d = form.cleaned_data
    return Scope(
        stage=d["stage"],
        division=d.get("division"),
        district=d.get("district"),
        key_group=d.get("key_group") or "",
    )


def file_stem(scope: Scope) -> str:
    """``report-<stage>`` and the filters: ``report-jjj-2026-online-BJ-d12-youth``."""
    parts = ["report", scope.stage.slug]
    if scope.division is not None and scope.district is None:
        parts.append(scope.division.code)
    if scope.district is not None:
        parts.append(f"{scope.district.division.code}-d{scope.district.pk}")
    if scope.key_group:
        parts.append(scope.key_group)
    return "-".join(parts)


def _write_atomically(path: Path, content: bytes) -> None:
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def report_files_build(
    *,
    out: Path,
    season: str | None = None,
    stage: str | None = None,
    division: str | None = None,
    district: int | None = None,
    key_group: str = "",
    formats: Sequence[str] = ("xlsx", "pdf"),
    refresh: bool = False,
) -> list[tuple[Path, int]]:
    """Write the report of the scope as ``<stem>.xlsx`` and ``<stem>.pdf`` into ``out``; the paths and
    the milliseconds each took. With ``refresh``, the stage's summaries are brought up to date first."""
    from competition.report.outputs import pdf_bytes, workbook_bytes
    from competition.report.refresh import report_refresh

    scope = scope_resolve(
        season=season, stage=stage, division=division, district=district, key_group=key_group
    )
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BuildError("bad_out", f"cannot make the directory {out}: {exc.strerror}") from exc
    if not os.access(out, os.W_OK):
        raise BuildError("bad_out", f"cannot write into {out}")
    if refresh:
        report_refresh(stage=scope.stage)
    report = report_get(scope)
    builders = {"xlsx": workbook_bytes, "pdf": pdf_bytes}
    built = []
    for kind in formats:
        started = time.perf_counter()
        path = out / f"{file_stem(scope)}.{kind}"
        _write_atomically(path, builders[kind](report))
        built.append((path, round((time.perf_counter() - started) * 1000)))
    return built
