"""Literacy report benchmark: the organisers' report over a full-size season on PostgreSQL.

    python -m bench.report                                  # 740,000 contestants, about 7.4 million answers
    python -m bench.report --citizens 20000                 # a quick check
    python -m bench.report --reuse [--full-refresh]         # time the season the last run loaded

Setup (the scratch PostgreSQL database ``jjq_report_bench``, dropped and made again unless ``--reuse``):
the demo competition, bank and online stage (``demo_setup``, ``demo_online``), then the report's demo
season generator (``competition.report.demo.demo_season``) for ``--base`` contestants answering about
``--answers-each`` questions each in daily sets, with self-tests; then, in SQL, copies of those
contestants with their attempts and answers until there are ``--citizens`` (each copy keeps its
original's district, key group, days and picks, with a new mobile number and new submission ids: the
volume of a full season with the demo's patterns, in minutes rather than hours); ANALYZE; then the first
(full) refresh of the summary tables, timed.

Timed, each the median of ``--repeat`` runs (the first view once, on a fresh connection):

- ``first_view``: the report page for the season, as an organiser opens it (``GET /competitions/report/``).
- ``filter_*``: the page narrowed to a division, a district, a key group, and all three (a filter change).
- ``xlsx`` / ``pdf``: the workbook and the PDF of the whole season.
- ``refresh_incremental``: ``report_refresh`` as the schedule runs it (the recent days);
  ``refresh_full``: once, with ``--full`` (the first refresh of the load).
- ``build_files``: ``manage.py report_build`` writing both files for the season into a directory.

Targets: first view under 3 s, a filter change under 1 s, the workbook and the PDF under 60 s each.
Writes ``bench/results/report.json`` with the load average beside the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.bank import say
from bench.scratch import PG_ADMIN_URL, pg_recreate

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
PG_DB = "jjq_report_bench"
TARGETS_MS = {"first_view": 3000, "filter": 1000, "xlsx": 60000, "pdf": 60000}


def _ms(fn) -> float:
    started = time.perf_counter()
    fn()
    return round((time.perf_counter() - started) * 1000, 1)


def _median(fn, repeat: int) -> float:
    return statistics.median(_ms(fn) for _ in range(repeat))


def _columns(table: str, *, leave: tuple[str, ...]) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s"
            " ORDER BY ordinal_position",
            [table],
        )
        return [r[0] for r in cursor.fetchall() if r[0] not in leave]


def replicate(stage_id: int, copies: int) -> None:
    """Add ``copies`` copies of the stage's demo contestants (mobile 199...), their attempts and answers."""
    from django.db import connection, transaction

    contestant_cols = _columns("online_contestant", leave=("id", "mobile"))
    attempt_cols = _columns("online_attempt", leave=("id", "contestant_id"))
    answer_cols = _columns("online_answer", leave=("id", "attempt_id", "submission"))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE cmap ON COMMIT DROP AS "
            "SELECT c.id AS old_id, k, nextval(pg_get_serial_sequence('online_contestant', 'id')) AS new_id "
            "FROM online_contestant c CROSS JOIN generate_series(1, %s) AS k "
            "WHERE c.stage_id = %s AND c.mobile LIKE '199%%'",
            [copies, stage_id],
        )
        cols = ", ".join(contestant_cols)
        cursor.execute(
            f"INSERT INTO online_contestant (id, mobile, {cols}) "
            f"SELECT m.new_id, '18' || lpad((m.k * 10000000 + substr(c.mobile, 4)::int)::text, 9, '0'), "
            f"{', '.join('c.' + x for x in contestant_cols)} "
            "FROM cmap m JOIN online_contestant c ON c.id = m.old_id"
        )
        say("    contestants copied")
        cursor.execute(
            "CREATE TEMP TABLE amap ON COMMIT DROP AS "
            "SELECT a.id AS old_id, m.new_id AS contestant_id, "
            "nextval(pg_get_serial_sequence('online_attempt', 'id')) AS new_id "
            "FROM cmap m JOIN online_attempt a ON a.contestant_id = m.old_id"
        )
        cols = ", ".join(attempt_cols)
        cursor.execute(
            f"INSERT INTO online_attempt (id, contestant_id, {cols}) "
            f"SELECT m.new_id, m.contestant_id, {', '.join('a.' + x for x in attempt_cols)} "
            "FROM amap m JOIN online_attempt a ON a.id = m.old_id"
        )
        say("    attempts copied")
        cols = ", ".join(answer_cols)
        cursor.execute(
            f"INSERT INTO online_answer (attempt_id, submission, {cols}) "
            f"SELECT m.new_id, gen_random_uuid(), {', '.join('x.' + c for c in answer_cols)} "
            "FROM amap m JOIN online_answer x ON x.attempt_id = m.old_id"
        )
        say("    answers copied")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE online_contestant, online_attempt, online_answer")


def load(citizens: int, base: int, answers_each: int) -> dict:
    from io import StringIO

    from django.core.management import call_command

    from competition.online.models import Answer, Attempt, Contestant, OnlineStage
    from competition.report.demo import demo_season

    call_command("demo_setup", "--no-urls", stdout=StringIO())
    call_command("demo_online", stdout=StringIO())
    stage = OnlineStage.objects.get(slug="jjj-2026-online")
    started = time.perf_counter()
    base = min(base, citizens)
    demo_season(stage=stage, citizens=base, answers_each=answers_each)
    say(f"  {base:,} contestants generated in {time.perf_counter() - started:.0f} s; copying")
    copies = max(0, round(citizens / base) - 1)
    if copies:
        replicate(stage.pk, copies)
    return {
        "contestants": Contestant.objects.filter(stage=stage).count(),
        "attempts": Attempt.objects.filter(contestant__stage=stage).count(),
        "answers": Answer.objects.filter(attempt__contestant__stage=stage).count(),
        "load_s": round(time.perf_counter() - started, 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=740_000)
    parser.add_argument("--base", type=int, default=10_000, help="contestants generated; the rest are copies")
    parser.add_argument("--answers-each", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reuse", action="store_true", help="time the database the last run loaded")
    parser.add_argument("--full-refresh", action="store_true", help="with --reuse: refresh fully first")
    args = parser.parse_args(argv)

    url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{PG_DB}" if args.reuse else pg_recreate(PG_DB)
    os.environ.update(
        {
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "ALLOWED_HOSTS": "testserver,127.0.0.1",
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("REDIS_URL", None)  # the report needs no channel layer
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from competition.models import District, Division
    from competition.online.models import Answer, Contestant, OnlineStage
    from competition.report.refresh import report_refresh

    say("migrating the scratch database")
    call_command("migrate", verbosity=0, interactive=False)
    result: dict = {}
    if args.reuse:
        stage = OnlineStage.objects.get(slug="jjj-2026-online")
        result["contestants"] = Contestant.objects.filter(stage=stage).count()
        result["answers"] = Answer.objects.filter(attempt__contestant__stage=stage).count()
        say(f"reusing {result['contestants']:,} contestants and {result['answers']:,} answers")
        if args.full_refresh:
            result["refresh_full_ms"] = _ms(lambda: report_refresh(stage=stage, full=True))
            say(f"  full refresh: {result['refresh_full_ms']} ms")
    else:
        say(
            f"creating {args.citizens:,} contestants with about {args.answers_each} answers each"
            f" ({args.base:,} generated)"
        )
        result.update(load(args.citizens, args.base, args.answers_each))
        say(f"  loaded in {result['load_s']} s: {result['answers']:,} answers")
        stage = OnlineStage.objects.get(slug="jjj-2026-online")
        result["refresh_full_ms"] = _ms(lambda: report_refresh(stage=stage, full=True))
        say(f"  full refresh: {result['refresh_full_ms']} ms")

    season = stage.competition
    user = get_user_model().objects.filter(
        is_superuser=True
    ).first() or get_user_model().objects.create_superuser("bench.organiser", "", "bench-password")
    client = Client()
    client.force_login(user)
    base = f"/competitions/report/?season={season.slug}&stage={stage.slug}"
    division = Division.objects.filter(competition=season).order_by("code").first()
    district = District.objects.filter(division=division).order_by("pk").first()

    def get(path: str) -> None:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)

    timings: dict[str, float] = {}
    connection.close()  # the first view opens its own connection, as a fresh server process would
    timings["first_view"] = _ms(lambda: get(base))
    filters = {
        "filter_division": f"{base}&division={division.code}",
        "filter_district": f"{base}&division={division.code}&district={district.pk}",
        "filter_key_group": f"{base}&key_group=farmer",
        "filter_all_three": f"{base}&division={division.code}&district={district.pk}&key_group=senior",
    }
    for name, path in filters.items():
        timings[name] = _median(lambda p=path: get(p), args.repeat)
    timings["page_again"] = _median(lambda: get(base), args.repeat)
    files = f"season={season.slug}&stage={stage.slug}"
    timings["xlsx"] = _median(lambda: get(f"/competitions/report/report.xlsx?{files}"), args.repeat)
    timings["pdf"] = _median(lambda: get(f"/competitions/report/report.pdf?{files}"), args.repeat)
    timings["refresh_incremental"] = _median(lambda: report_refresh(stage=stage), args.repeat)
    with tempfile.TemporaryDirectory() as out, open(os.devnull, "w") as quiet:
        timings["build_files"] = _ms(
            lambda: call_command("report_build", "--stage", stage.slug, "--out", out, stdout=quiet)
        )
    for name, ms in timings.items():
        say(f"  {name:22} {ms:>10,.1f} ms")
    result.update(
        {
            "timings_ms": timings,
            "targets_ms": TARGETS_MS,
            "within_targets": (
                timings["first_view"] < TARGETS_MS["first_view"]
                and all(v < TARGETS_MS["filter"] for k, v in timings.items() if k.startswith("filter_"))
                and timings["xlsx"] < TARGETS_MS["xlsx"]
                and timings["pdf"] < TARGETS_MS["pdf"]
            ),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average": os.getloadavg(),
            "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "report.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    say(f"written: {RESULTS / 'report.json'} (load average {os.getloadavg()})")


if __name__ == "__main__":
    main()
