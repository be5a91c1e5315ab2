"""Question bank benchmark: draws, the admin question list and (if present) the XLSX import at scale.

    python -m bench.bank --n 100000                  # scratch SQLite file var/bench/bank.sqlite3
    python -m bench.bank --n 100000 --stack postgres # scratch PostgreSQL database jjjquiz_bankbench

It builds its own database (the SQLite file is recreated; the PostgreSQL database is dropped and created
through ``BENCH_PG_ADMIN_URL``, default ``postgres://postgres@127.0.0.1:5432/postgres``), migrates it, and
bulk-creates N questions with the taxonomy's tags: 26 benchmarks under 5 domains, 8 themes; every
question has one benchmark, 60% also a theme, 20% a second benchmark; 80% approved; kinds 70% single,
15% true/false, 10% multiple, 5% host-judged; 85% Chinese; difficulty 1-5 uniform. 500 of them were
already shown in an earlier round of the benchmarked stage (``Exposure``).

Timed, each the median of ``--repeat`` (5) runs after one warm-up:

- ``draw_five_quotas``: ``questionbank.draws.draw_questions`` end to end (spec validation against the
  taxonomy, the bank token, the exclusions of the stage, the draw, loading the drawn questions) for 30
  questions with five quotas, a difficulty mix, two kinds and a language. ``ms`` is a draw from the pool
  kept for the bank's state; ``cold_ms`` a draw just after a write to the bank (the pool is rebuilt);
  ``engine_ms`` the pure draw from the pool.
- ``draw_each_benchmark``: the same with "one from each of the 26 benchmarks" plus "2 on health".
- ``admin``: the question list filtered and searched,
  ``/admin/questionbank/question/?status__exact=approved&difficulty__exact=3&q=<word>``,
  through Django's test ``Client`` logged in as a superuser (status code reported as well).
- ``import``: a 10,000-row XLSX in our template, ``import_preview`` then ``import_commit`` (once).

Writes ``bench/results/bank-latest.json`` and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

from bench.scratch import scratch_database

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
PG_DB = "jjjquiz_bankbench"
STAGE = "初赛"
SEARCH_WORD = "细胞"
WORDS = [
    "细胞", "基因", "疫苗", "病毒", "气候", "碳排放", "地震", "火山", "月球", "卫星", "光合作用", "电路",
    "磁场", "能量", "营养", "睡眠", "血压", "抗生素", "垃圾分类", "节水", "森林", "湿地", "海洋", "沙尘",
    "雾霾", "火灾", "急救", "心肺复苏", "食品安全", "维生素", "蛋白质", "网络安全", "人工智能", "芯片",
    "量子", "恐龙", "化石", "星系", "黑洞", "声音",
]  # fmt: skip
DOMAINS = [f"D{i}" for i in range(1, 6)]
BENCHMARKS = [f"B{i:02d}" for i in range(1, 27)]
THEMES = ["health", "environment", "safety", "space", "energy", "food", "digital", "emergency"]

FIVE_QUOTAS = {
    "count": 30,
    "kinds": ["single", "truefalse"],
    "language": "zh-hans",
    "quotas": [
        {"tag": "B03", "min": 2},
        {"tag": "B11", "min": 2},
        {"tag": "health", "min": 3},
        {"tags": ["B20", "B21"], "min": 2, "max": 4},
        {"tag": "environment", "max": 3},
    ],
    "difficulty": {"1": 0.2, "2": 0.3, "3": 0.3, "4": 0.2},
}
EACH_BENCHMARK = {
    "count": 30,
    "kinds": ["single", "truefalse"],
    "language": "zh-hans",
    "quotas": [{"each": "benchmark", "min": 1}, {"tag": "health", "min": 2}],
}


def say(text: str) -> None:
    print(text, flush=True)


def prepare_database(stack: str) -> str:
    return scratch_database(stack, pg_name=PG_DB, sqlite_file="bank.sqlite3")


def median_ms(fn, repeat: int) -> tuple[float, object]:
    result = fn()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 1), result


def populate(n: int, rng: random.Random) -> dict:
    from django.db import transaction
    from django.utils import timezone

    from competition.models import Competition
    from questionbank.models import Exposure, Question, Tag, TaggedQuestion
    from quiz.models import Round

    started = time.perf_counter()
    with transaction.atomic():
        domains = [
            Tag.objects.create(
                name=f"领域{code}", slug=f"domain-{code.lower()}", code=code, kind=Tag.Kind.DOMAIN
            )
            for code in DOMAINS
        ]
        tags = {}
        for i, code in enumerate(BENCHMARKS):
            tags[code] = Tag.objects.create(
                name=f"基准{code}",
                slug=f"benchmark-{code.lower()}",
                code=code,
                kind=Tag.Kind.BENCHMARK,
                parent=domains[i % len(domains)],
                order=i,
            )
        for i, code in enumerate(THEMES):
            tags[code] = Tag.objects.create(
                name=f"主题{code}", slug=f"theme-{code}", code=code, kind=Tag.Kind.THEME, order=i
            )

        kinds = ["single"] * 70 + ["truefalse"] * 15 + ["multiple"] * 10 + ["judged"] * 5
        batch = []
        for i in range(n):
            kind = rng.choice(kinds)
            stem = f"关于{rng.choice(WORDS)}和{rng.choice(WORDS)}，下列说法正确的是（{i}）？"
            if kind == "truefalse":
                choices, correct = ["正确", "错误"], [rng.randrange(2)]
            elif kind == "judged":
                choices, correct = [], []
            else:
                choices = [f"{rng.choice(WORDS)}选项{j}" for j in range(4)]
                correct = [0, 2] if kind == "multiple" else [rng.randrange(4)]
            batch.append(
                Question(
                    key=f"bq-{i:06d}",
                    kind=kind,
                    status="approved" if rng.random() < 0.8 else rng.choice(["draft", "review"]),
                    language="zh-hans" if rng.random() < 0.85 else "en",
                    stem=stem,
                    choices=choices,
                    correct=correct,
                    reference_answer="参考答案" if kind == "judged" else "",
                    source="bench",
                    difficulty=rng.randint(1, 5),
                    search_text="\n".join([stem, *choices]),
                )
            )
        Question.objects.bulk_create(batch, batch_size=2000)
        ids = list(Question.objects.order_by("id").values_list("id", flat=True))
        links = []
        for qid in ids:
            first = rng.choice(BENCHMARKS)
            links.append(TaggedQuestion(content_object_id=qid, tag_id=tags[first].id))
            if rng.random() < 0.2:
                second = rng.choice(BENCHMARKS)
                if second != first:
                    links.append(TaggedQuestion(content_object_id=qid, tag_id=tags[second].id))
            if rng.random() < 0.6:
                links.append(TaggedQuestion(content_object_id=qid, tag_id=tags[rng.choice(THEMES)].id))
        TaggedQuestion.objects.bulk_create(links, batch_size=5000)

        competition = Competition.objects.create(name="Bank bench", slug="bank-bench", year=2026)
        earlier = Round.objects.create(competition=competition, title="earlier", stage=STAGE, pin="100001")
        now = timezone.now()
        Exposure.objects.bulk_create(
            Exposure(question_id=qid, competition=competition, stage=STAGE, round=earlier, shown_at=now)
            for qid in rng.sample(ids, min(500, len(ids)))
        )
    return {
        "competition": competition,
        "questions": len(ids),
        "tag_links": len(links),
        "populate_s": round(time.perf_counter() - started, 1),
    }


def time_draws(competition, repeat: int) -> dict:
    """Warm draws (the pool for this bank state is kept) and cold ones (the bank was just written, so the
    first draw rebuilds the pool), each the median of ``repeat``."""
    from questionbank.draws import _no_gc_pauses, draw_questions, draw_spec, excluded_ids, pool_for, resolved
    from questionbank.engine.draws import draw_from
    from questionbank.models import Question

    touched = Question.objects.order_by("id").values_list("id", flat=True)[:1].get()

    def bank_written():
        # A write no draw cares about still changes the bank token: the next draw must rebuild.
        Question.objects.filter(pk=touched).update(time_limit=20)

    out = {}
    for name, spec in (("draw_five_quotas", FIVE_QUOTAS), ("draw_each_benchmark", EACH_BENCHMARK)):
        seeds = iter(range(10_000))
        ms, drawn = median_ms(
            lambda spec=spec, seeds=seeds: draw_questions(spec, competition, STAGE, next(seeds)), repeat
        )
        cold = []
        for seed in range(repeat):
            bank_written()
            start = time.perf_counter()
            draw_questions(spec, competition, STAGE, 50_000 + seed)
            cold.append((time.perf_counter() - start) * 1000)
        parsed = resolved(draw_spec(spec))
        pool = pool_for(parsed)
        gone = excluded_ids(competition, STAGE)
        with _no_gc_pauses():
            engine_ms, _ = median_ms(lambda parsed=parsed, p=pool, g=gone: draw_from(p, parsed, 7, g), repeat)
        out[name] = {
            "ms": ms,
            "cold_ms": round(statistics.median(cold), 1),
            "engine_ms": engine_ms,
            "candidates": len(pool) - len(gone & set(pool.by_id)),
            "drawn": len(drawn),
        }
    return out


def time_admin(repeat: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client

    user = get_user_model().objects.create_superuser("bench-admin", "bench@example.org", "bench-pw")
    client = Client()
    client.force_login(user)
    url = f"/admin/questionbank/question/?status__exact=approved&difficulty__exact=3&q={SEARCH_WORD}"
    statuses = []

    def get():
        response = client.get(url, secure=True)
        statuses.append(response.status_code)
        return response

    ms, response = median_ms(get, repeat)
    text = response.content.decode("utf-8", "replace") if response.status_code == 200 else ""
    return {
        "url": url,
        "ms": ms,
        "status": statuses[-1],
        "all_statuses": sorted(set(statuses)),
        "bytes": len(response.content),
        "has_result_list": 'id="result_list"' in text,
    }


def time_import(rng: random.Random) -> dict:
    """A 10,000-row XLSX in our template: preview (parse and check every row, near-duplicates included)
    then commit, as the admin and ``import_questions`` do. The stems are distinct questions (a topic word
    and random characters): rows that are near-duplicates of many others cost more to check, since each
    is compared with all of them."""
    from questionbank.engine.formats import ParsedQuestion, write
    from questionbank.imports import import_commit, import_preview

    rows = [
        ParsedQuestion(
            row=i + 2,
            key=f"imp-{i:05d}",
            stem=f"{rng.choice(WORDS)}：{''.join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(18))}？",
            choices=("甲", "乙", "丙", "丁"),
            correct=(1,),
            explanation="解析。",
            source="基准测试",
            difficulty=1 + i % 5,
            tags=(rng.choice(BENCHMARKS), rng.choice(THEMES)),
        )
        for i in range(10_000)
    ]
    data = write("xlsx", rows)
    start = time.perf_counter()
    preview = import_preview(data, fmt="xlsx", filename="import-10k.xlsx")
    previewed = time.perf_counter()
    result = import_commit(preview, allow_duplicates=True)
    done = time.perf_counter()
    return {
        "s": round(done - start, 2),
        "preview_s": round(previewed - start, 2),
        "commit_s": round(done - previewed, 2),
        "rows": 10_000,
        "file_bytes": len(data),
        "result": str(result)[:200],
    }


def table(result: dict) -> str:
    lines = [f"question bank benchmark: {result['n']} questions, stack {result['stack']}", ""]
    lines.append(f"{'measure':<44}{'value':>14}")
    lines.append("-" * 58)
    for name, value in (
        ("populate (bulk_create, s)", result["populate_s"]),
        ("draw, five quotas (ms, median of 5)", result["draw_five_quotas"]["ms"]),
        ("  just after a bank write (ms)", result["draw_five_quotas"]["cold_ms"]),
        ("  pure draw (ms)", result["draw_five_quotas"]["engine_ms"]),
        ("draw, each of 26 benchmarks + health (ms)", result["draw_each_benchmark"]["ms"]),
        ("  just after a bank write (ms)", result["draw_each_benchmark"]["cold_ms"]),
        ("  pure draw (ms)", result["draw_each_benchmark"]["engine_ms"]),
        ("candidates considered", result["draw_five_quotas"]["candidates"]),
        (f"admin changelist (ms, HTTP {result['admin']['status']})", result["admin"]["ms"]),
        ("import 10k XLSX, preview + commit (s)", result["import"]["s"]),
        ("  preview (s)", result["import"]["preview_s"]),
        ("  commit (s)", result["import"]["commit_s"]),
    ):
        text = str(value)
        lines.append(f"{name:<44}{text:>14}" if len(text) <= 14 else f"{name:<44} {text}")
    lines.append("")
    for what, ok in (
        ("draw with five quotas < 200 ms", result["draw_five_quotas"]["ms"] < 200),
        ("admin list with two filters and a search < 500 ms", result["admin"]["ms"] < 500),
        ("10,000-row XLSX import < 30 s", result["import"]["s"] < 30),
    ):
        lines.append(f"{what}: {'met' if ok else 'MISSED'}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--stack", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    os.environ.update(
        {
            "DATABASE_URL": prepare_database(args.stack),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "false",
            "SECRET_KEY": "bench-bank",
            "ALLOWED_HOSTS": "testserver,localhost,127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    say(f"stack: {args.stack} ({connection.vendor}); migrating the scratch database")
    call_command("migrate", verbosity=0, interactive=False)
    rng = random.Random(args.seed)
    say(f"creating {args.n} questions")
    made = populate(args.n, rng)
    say(f"  done in {made['populate_s']} s; timing draws")
    draws = time_draws(made["competition"], args.repeat)
    say("timing the admin question list")
    admin = time_admin(args.repeat)
    say("timing the import")
    imported = time_import(rng)
    result = {
        "n": args.n,
        "stack": args.stack,
        "vendor": connection.vendor,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "questions": made["questions"],
        "tag_links": made["tag_links"],
        "populate_s": made["populate_s"],
        **draws,
        "admin": admin,
        "import": imported,
        "specs": {"five_quotas": FIVE_QUOTAS, "each_benchmark": EACH_BENCHMARK},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bank-latest.json").write_text(
        json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    say("")
    say(table(result))
    say(f"\nwritten: {RESULTS / 'bank-latest.json'}")


if __name__ == "__main__":
    main()
