"""Standings benchmark: 100,000 contestants' answers (100,000 contestants x 10 answers each).

    python -m bench.standings                    # PostgreSQL database jjjquiz_bench_standings (recreated)
    python -m bench.standings --stack sqlite     # scratch SQLite file var/bench/standings.sqlite3

The dataset is the online qualifier of a competition: the three divisions with their 43 districts,
25,000 district teams of 4 registered contestants (3 members and a substitute), so 100,000 registered
contestants. The stage ``初赛`` has 10 sittings (rounds) of 10 questions; each contestant plays one sitting
(10,000 per sitting) and answers all 10 questions: 1,000,000 answers, scored by the default rule
(1000 points, half off by the deadline, ties by points, correct answers, correct time). A district stage
``区赛`` adds one 16-team single elimination per division, played through, for the standings export.
Rows are written with COPY (PostgreSQL) or one executemany per table (SQLite); the contestants' cached
standings are written by ``standings_refresh`` at each sitting's last reveal, as the live path does.
PostgreSQL then analyses the tables, as autovacuum would soon after such a load (``--no-analyze``: not).

Timed, each the median of ``--repeat`` (5) runs after a warm-up:

- ``reveal_refresh``: ``quiz.services.standings.standings_refresh`` of one sitting at the reveal of its 10th
  question (10,000 contestants, 100,000 answers; the 9th question's standings are restored, untimed,
  before each run so every run rewrites most contestants), in its transaction.
- ``round_scores``: that sitting scored from the answer log, without the writes.
- ``stage_individual`` / ``stage_team``: ``competition.leaderboards`` individual and team boards of the
  qualifier (100,000 contestants, 25,000 teams); ``cumulative_individual`` / ``cumulative_team``: the
  same over every round of the competition.
- ``division_ranking`` / ``district_ranking``: ``division_board`` by division and by district.
- ``stage_standings_xlsx``: ``competition.exports.stage_standings_xlsx`` of the district stage.
- ``all_sittings_refresh`` (once, during setup): the 10 sittings' last reveals, 1,000,000 answers.

Writes ``bench/results/standings.json`` and prints a table. Target: each under 2 s on PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.bank import median_ms, say
from bench.scratch import scratch_database

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
PG_DB = "jjjquiz_bench_standings"
QUALIFIER, DISTRICT_STAGE = "初赛", "区赛"
TEAMS, TEAM_SIZE, SITTINGS, QUESTIONS = 25_000, 4, 10, 10
TARGET_MS = 2000
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"


def prepare_database(stack: str) -> str:
    return scratch_database(stack, pg_name=PG_DB, sqlite_file="standings.sqlite3")


def insert_rows(model, columns: list[str], rows: list[tuple]) -> None:
    """Append rows fast: COPY on PostgreSQL, one executemany on SQLite. Ids come from the database."""
    from django.db import connection

    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            adapt = connection.ops.adapt_datetimefield_value
            rows = [tuple(adapt(v) if isinstance(v, datetime) else v for v in row) for row in rows]
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


def populate(rng: random.Random) -> dict:
    from django.db import transaction

    from competition.models import Competition, Registration, Stage, Team
    from competition.services import divisions_seed
    from quiz.models import Answer, Contestant, Round, RoundQuestion

    started = time.perf_counter()
    day = datetime(2026, 5, 16, 9, 0, tzinfo=UTC)
    with transaction.atomic():
        competition = Competition.objects.create(
            name="2026 京津冀公民科学素质大赛", slug="bench-2026", year=2026
        )
        districts = [
            (division.id, district.id)
            for division in divisions_seed(competition)
            for district in division.districts.all()
        ]
        insert_rows(
            Team,
            ["competition_id", "division_id", "district_id", "name"],
            [
                (competition.id, *districts[i % len(districts)], f"{i // len(districts) + 1}队-{i:05d}")
                for i in range(TEAMS)
            ],
        )
        team_ids = list(
            Team.objects.filter(competition=competition).order_by("id").values_list("id", flat=True)
        )
        insert_rows(
            Registration,
            ["competition_id", "team_id", "name", "code", "role"],
            [
                (
                    competition.id,
                    team,
                    rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                    f"B{t * TEAM_SIZE + m:07d}",
                    "substitute" if m == TEAM_SIZE - 1 else "member",
                )
                for t, team in enumerate(team_ids)
                for m in range(TEAM_SIZE)
            ],
        )
        people = list(
            Registration.objects.filter(competition=competition)
            .order_by("id")
            .values_list("id", "team_id", "name")
        )
        Stage.objects.create(competition=competition, name=QUALIFIER, order=1)
        rounds = []
        for s in range(SITTINGS):
            opened = day + timedelta(hours=s)
            round_ = Round.objects.create(
                competition=competition,
                title=f"{QUALIFIER} 第{s + 1}场",
                stage=QUALIFIER,
                pin=f"{300000 + s}",
                join_mode=Round.JoinMode.REGISTERED,
                phase="revealed",
                version=4 * QUESTIONS,
                current_index=QUESTIONS - 1,
            )
            RoundQuestion.objects.bulk_create(
                RoundQuestion(
                    round=round_,
                    position=q,
                    stem=f"第{q + 1}题：关于科学素质的说法哪项正确？",
                    choices=["甲", "乙", "丙", "丁"],
                    correct=[q % 4],
                    duration_ms=20_000,
                    opened_at=opened + timedelta(minutes=q),
                    deadline=opened + timedelta(minutes=q, seconds=20),
                    closed_at=opened + timedelta(minutes=q, seconds=20),
                    revealed_at=opened + timedelta(minutes=q, seconds=25),
                )
                for q in range(QUESTIONS)
            )
            rounds.append(round_)
        insert_rows(
            Contestant,
            [
                "round_id",
                "nickname",
                "registration_id",
                "team_id",
                "token_nonce",
                "join_key",
                "joined_at",
                "score",
                "correct_count",
                "correct_time_ms",
            ],
            [
                (rounds[i % SITTINGS].id, f"{name}{i:06d}", reg, team, f"n{i}", "", day, 0, 0, 0)
                for i, (reg, team, name) in enumerate(people)
            ],
        )
        questions = {
            (q.round_id, q.position): q
            for q in RoundQuestion.objects.filter(round__in=rounds).only(
                "id", "round_id", "position", "opened_at"
            )
        }
        rows = []
        for cid, round_id in (
            Contestant.objects.filter(round__in=rounds).values_list("id", "round_id").iterator()
        ):
            skill = rng.random()
            for q in range(QUESTIONS):
                question = questions[(round_id, q)]
                right = rng.random() < 0.35 + 0.6 * skill
                elapsed = rng.randrange(800, 19_500)
                choice = q % 4 if right else (q + 1 + rng.randrange(3)) % 4
                received = question.opened_at + timedelta(milliseconds=elapsed)
                rows.append((round_id, question.id, cid, f"[{choice}]", received, elapsed))
        insert_rows(
            Answer, ["round_id", "question_id", "contestant_id", "choices", "received_at", "elapsed_ms"], rows
        )
    populated = time.perf_counter() - started
    say(
        f"  {len(people)} registered contestants, {len(rows)} answers in {populated:.1f} s; "
        "scoring the sittings"
    )

    from quiz import selectors
    from quiz.services.standings import standings_refresh

    started = time.perf_counter()
    for round_ in rounds:
        with transaction.atomic():
            state = selectors.round_state(round_, list(round_.questions.order_by("position")))
            standings_refresh(round_id=round_.id, state=state, event_index=None)
    refreshed = time.perf_counter() - started
    district_stage = play_district_stage(competition)
    return {
        "competition": competition,
        "qualifier": Stage.objects.get(competition=competition, name=QUALIFIER),
        "district_stage": district_stage,
        "sitting": rounds[0],
        "registrations": len(people),
        "answers": len(rows),
        "populate_s": round(populated, 1),
        "all_sittings_refresh_s": round(refreshed, 2),
    }


def play_district_stage(competition):
    """A 16-team single elimination per division, each match's result entered by a host."""
    from competition.engine import MatchResult
    from competition.matches import bracket_create, bracket_view, match_result_correct
    from competition.models import Stage, Team

    stage = Stage.objects.create(
        competition=competition,
        name=DISTRICT_STAGE,
        order=2,
        format=Stage.Format.SINGLE_ELIMINATION,
        options={"third_place": True},
    )
    for division in competition.divisions.all():
        teams = list(Team.objects.filter(division=division).order_by("id")[:16])
        bracket = bracket_create(stage=stage, name=division.name, teams=teams)
        while True:
            view = bracket_view(bracket)
            ready = [
                m for m in view.bracket.matches.values() if m.ready and m.result is None and not m.skipped
            ]
            if not ready:
                break
            for m in ready:
                a, b = m.participants
                row = bracket.matches.get(code=m.id)
                result = MatchResult.of({a: (3000 + a % 7 * 100, 40_000), b: (2500 + b % 5 * 100, 50_000)})
                match_result_correct(match=row, result=result.to_dict(), actor=None, reason="off-line result")
    return stage


def analyze() -> bool:
    """Give PostgreSQL's planner the statistics autovacuum gathers soon after a bulk load; True if run.

    A live database has them (autovacuum is on by default); a database filled by COPY a moment ago has
    none, every table looks empty and the planner joins 100,000 rows by nested loops and spills sorts to
    disk. ``--no-analyze`` measures that case. SQLite keeps no statistics unless asked, so it is left as is.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return True


def time_reveal(sitting, repeat: int) -> dict:
    from dataclasses import replace

    from django.db import transaction

    from quiz import selectors
    from quiz.engine.rounds import Phase
    from quiz.services.standings import standings_refresh

    rows = list(sitting.questions.order_by("position"))
    at_tenth = selectors.round_state(sitting, rows)
    last = at_tenth.questions[-1]
    at_ninth = replace(
        at_tenth, phase=Phase.CLOSED, questions=(*at_tenth.questions[:-1], replace(last, revealed_at=None))
    )
    contestants = list(selectors.active_contestants(sitting.id).values_list("id", flat=True))

    def reveal():
        with transaction.atomic():
            standings_refresh(round_id=sitting.id, state=at_ninth, event_index=None)  # untimed: undo
        start = time.perf_counter()
        with transaction.atomic():
            standings_refresh(round_id=sitting.id, state=at_tenth, event_index=QUESTIONS - 1)
        return time.perf_counter() - start

    reveal()  # warm-up
    runs = sorted(reveal() * 1000 for _ in range(repeat))
    scores_ms, _ = median_ms(lambda: selectors.round_scores(sitting, contestants, state=at_tenth), repeat)
    return {
        "reveal_refresh": {"ms": round(runs[len(runs) // 2], 1), "contestants": len(contestants)},
        "round_scores": {"ms": scores_ms, "answers": len(contestants) * QUESTIONS},
    }


def time_boards(made: dict, repeat: int) -> dict:
    from competition.exports import stage_standings_xlsx
    from competition.leaderboards import division_board, individual_board, team_board

    competition, qualifier = made["competition"], made["qualifier"]
    cases = {
        "stage_individual": lambda: individual_board(competition, qualifier),
        "stage_team": lambda: team_board(competition, qualifier),
        "cumulative_individual": lambda: individual_board(competition),
        "cumulative_team": lambda: team_board(competition),
        "division_ranking": lambda: division_board(competition, qualifier),
        "district_ranking": lambda: division_board(competition, qualifier, by="district"),
        "stage_standings_xlsx": lambda: stage_standings_xlsx(made["district_stage"]),
    }
    out = {}
    for name, fn in cases.items():
        ms, result = median_ms(fn, repeat)
        out[name] = {"ms": ms, "rows": len(result) if isinstance(result, list) else None}
        if isinstance(result, bytes):
            out[name]["bytes"] = len(result)
        say(f"  {name}: {ms} ms")
    return out


def table(result: dict) -> str:
    lines = [
        f"standings benchmark: {result['registrations']:,} contestants x {QUESTIONS} answers "
        f"= {result['answers']:,} answers, stack {result['stack']}"
        f"{'' if result['analyzed'] or result['stack'] != 'postgres' else ', no planner statistics'}",
        "",
        f"{'measure':<52}{'ms':>10}{'rows':>10}",
        "-" * 72,
    ]
    for name, value in result["timings"].items():
        lines.append(f"{name:<52}{value['ms']:>10}{value.get('rows') or value.get('contestants') or '':>10}")
    lines.append(
        f"{'all 10 sittings refreshed once (setup)':<52}{result['all_sittings_refresh_s'] * 1000:>10.0f}"
    )
    slowest = max(v["ms"] for v in result["timings"].values())
    lines += [
        "",
        f"slowest {slowest} ms; target < {TARGET_MS} ms each: {'met' if slowest < TARGET_MS else 'MISSED'}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--no-analyze", action="store_true", help="PostgreSQL: time without planner statistics (see analyze)"
    )
    args = parser.parse_args(argv)

    os.environ.update(
        {
            "DATABASE_URL": prepare_database(args.stack),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "false",
            "SECRET_KEY": "bench-standings",
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("REDIS_URL", None)  # the database board; the Redis write is after commit, not timed
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    say(f"stack: {args.stack} ({connection.vendor}); migrating the scratch database")
    call_command("migrate", verbosity=0, interactive=False)
    say(f"creating {TEAMS * TEAM_SIZE:,} contestants and {TEAMS * TEAM_SIZE * QUESTIONS:,} answers")
    made = populate(random.Random(args.seed))
    analyzed = False if args.no_analyze else analyze()
    say(f"  sittings scored in {made['all_sittings_refresh_s']} s; analyzed: {analyzed}; timing")
    timings = time_reveal(made["sitting"], args.repeat)
    timings |= time_boards(made, args.repeat)
    result = {
        "stack": args.stack,
        "vendor": connection.vendor,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "registrations": made["registrations"],
        "answers": made["answers"],
        "sittings": SITTINGS,
        "questions_per_sitting": QUESTIONS,
        "teams": TEAMS,
        "populate_s": made["populate_s"],
        "all_sittings_refresh_s": made["all_sittings_refresh_s"],
        "repeat": args.repeat,
        "analyzed": analyzed,
        "target_ms": TARGET_MS,
        "timings": timings,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "standings.json" if args.stack == "postgres" else f"standings-{args.stack}.json"
    (RESULTS / name).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    say("")
    say(table(result))
    say(f"\nwritten: {RESULTS / name}")


if __name__ == "__main__":
    main()
