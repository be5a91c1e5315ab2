"""Run the load benchmark: the quiz on daphne or uvicorn beside a raw ``websockets`` baseline, same run.

    python -m bench.run --n 5000 --procs 1 --server daphne --k 3      (or: make bench N=5000)

1. Stack: PostgreSQL (127.0.0.1:5432) + Redis (127.0.0.1:6379) if both answer, with a fresh database
   ``jjjquiz_bench`` and a unique channel prefix; else the embedded default (a fresh SQLite file under
   var/bench/, in-process layer, one server process).
2. ``manage.py migrate``, then ``bench.django_tasks setup``: competition, host and session, K questions,
   a round.
3. PROCS server processes on free ports, then the load client (``bench.loadclient``) in its own process.
4. ``bench.django_tasks verify``: stored answers against what was sent and acked; scores recomputed.
5. The raw baseline (``bench.baseline``) with the same load client.
6. A table on stdout and bench/results/latest.json (plus a dated copy). Every process stops by itself.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from bench import procstat, scratch

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
RESULTS = Path(__file__).resolve().parent / "results"
PY = sys.executable
PG_ADMIN_URL = scratch.PG_ADMIN_URL
PG_BENCH_DB = os.environ.get(
    "BENCH_DB", "jjjquiz_bench"
)  # a run of its own: BENCH_DB=..., BENCH_REDIS_URL=...
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
SERVER_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "bench",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SERVE_STATIC": "false",
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "PYTHONUNBUFFERED": "1",
    "METRICS_ALLOWED_NETWORKS": "127.0.0.1/32",  # the scraper below reads /metrics like Prometheus would
}
SCRAPE_SECONDS = 5.0


def say(text: str) -> None:
    print(text, flush=True)


# --- the stack -----------------------------------------------------------------------------------------


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def services_available() -> tuple[bool, str]:
    if not (port_open(5432) and port_open(6379)):
        return False, "PostgreSQL or Redis does not answer on 127.0.0.1"
    try:
        import psycopg
        import redis

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
        redis.Redis.from_url(REDIS_URL, socket_timeout=5).ping()
    except Exception as exc:
        return False, f"services answer but are not usable: {exc}"
    return True, "PostgreSQL + Redis"


def pg_recreate() -> str:
    return scratch.pg_recreate(PG_BENCH_DB)


def redis_cleanup(prefix: str) -> int:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    keys = list(client.scan_iter(match=f"*{prefix}*", count=1000))
    if keys:
        client.delete(*keys)
    return len(keys)


def sqlite_fresh(name: str) -> Path:
    VAR.mkdir(parents=True, exist_ok=True)
    path = VAR / name
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


# --- processes -----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_step(args: list[str], env: dict[str, str], what: str, timeout: float = 600) -> str:
    try:
        done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise SystemExit(f"{what} did not finish within {timeout:.0f} s") from None
    if done.returncode != 0:
        raise SystemExit(f"{what} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return done.stdout


class Processes:
    """Started children, each in its own session; all of them are stopped in ``stop_all``."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen] = []

    def start(self, args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
        handle = log.open("wb")
        proc = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
        handle.close()
        self.procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen) -> None:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        if proc in self.procs:
            self.procs.remove(proc)

    def stop_all(self) -> None:
        for proc in list(self.procs):
            self.stop(proc)


def wait_for_port(port: int, proc: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise SystemExit(
                f"server on {port} exited ({proc.returncode}):\n{log.read_text(errors='replace')[-3000:]}"
            )
        if port_open(port):
            return
        time.sleep(0.1)
    raise SystemExit(f"server on {port} did not listen within {timeout:.0f} s")


def uvicorn_version() -> str:
    """uvicorn comes with the ``bench`` extra (``make bench`` installs it); a run never installs anything."""
    try:
        return importlib.metadata.version("uvicorn")
    except importlib.metadata.PackageNotFoundError:
        raise SystemExit(
            "uvicorn is not installed: it is in the bench extra, `make bench` installs it "
            "(or: .venv/bin/pip install -e '.[bench]')"
        ) from None


def server_command(server: str, port: int) -> list[str]:
    if server == "daphne":
        return [PY, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "-v", "0", "config.asgi:application"]
    return [
        PY,
        "-m",
        "uvicorn",
        "config.asgi:application",
        "--loop",
        "asyncio",  # the loop daphne runs on and the baseline is pinned to
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        "--lifespan",
        "off",
    ]


def log_problems(log: Path) -> dict[str, object]:
    """Count the tracebacks and error lines a server wrote, with the first few for evidence."""
    text = log.read_text(errors="replace") if log.exists() else ""
    lines = text.splitlines()
    errors = [
        ln for ln in lines if "Traceback" in ln or "ERROR" in ln or "Error" in ln or "exception" in ln.lower()
    ]
    return {
        "log": str(log.relative_to(ROOT)),
        "lines": len(lines),
        "error_lines": len(errors),
        "first": errors[:8],
    }


def run_client(cfg: dict, name: str, procs: Processes, env: dict[str, str]) -> dict:
    cfg_path = VAR / f"client-{name}.json"
    out = VAR / f"client-{name}-out.json"
    out.unlink(missing_ok=True)
    cfg["out"] = str(out)
    cfg_path.write_text(json.dumps(cfg, ensure_ascii=False))
    log = VAR / f"client-{name}.log"
    proc = procs.start([PY, "-m", "bench.loadclient", str(cfg_path)], env, log)
    budget = 2 * cfg["join_timeout"] + cfg["phase_timeout"] * (1 + 8 * cfg["k"]) + 120  # joins, the storm
    try:
        proc.wait(timeout=budget)
    except subprocess.TimeoutExpired:
        procs.stop(proc)
        raise SystemExit(f"load client ({name}) did not finish within {budget:.0f} s") from None
    procs.stop(proc)
    if proc.returncode != 0 or not out.exists():
        raise SystemExit(
            f"load client ({name}) failed ({proc.returncode}):\n{log.read_text(errors='replace')[-4000:]}"
        )
    return json.loads(out.read_text())


class Scraper:
    """Reads every server's /metrics every few seconds during the run, as Prometheus would (--metrics on)."""

    def __init__(self, ports: list[int], every: float) -> None:
        import threading

        self.ports, self.every = ports, every
        self.scrapes = self.failures = 0
        self.last: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="metrics-scraper", daemon=True)

    def start(self) -> Scraper:
        # Prometheus reads a process long before a join storm: the first read's one-off allocations
        # (about 3 MB: the exposition code, the process collector) must not count as memory per socket.
        self.scrape()
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.scrape()

    def scrape(self) -> None:
        import urllib.request

        for port in self.ports:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/metrics", headers={"Host": "127.0.0.1"}
            )
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    self.last[port] = response.read().decode()
                self.scrapes += 1
            except Exception:
                self.failures += 1

    def stop(self) -> dict[str, object]:
        self._stop.set()
        self._thread.join(timeout=15)
        self.scrape()  # the final figures, before the servers stop
        totals: dict[str, float] = {}
        wanted = (
            'quiz_joins_total{outcome="welcomed"}',
            'quiz_resumes_total{outcome="welcomed"}',
            'quiz_answers_total{outcome="accepted"}',
            "quiz_answer_ack_seconds_count",
            "quiz_broadcast_fanout_seconds_count",
            "quiz_redis_reconnects_total",
        )
        for text in self.last.values():
            for line in text.splitlines():
                name, _, value = line.rpartition(" ")
                if name in wanted:
                    totals[name] = totals.get(name, 0) + float(value)
        return {"every_s": self.every, "scrapes": self.scrapes, "failures": self.failures, "totals": totals}


def profiling(args) -> dict[str, str | None]:
    """Config for per-phase py-spy profiles of the quiz servers, taken by the load client."""
    if not args.profile:
        return {}
    spy = shutil.which("py-spy", path=str(Path(PY).parent)) or shutil.which("py-spy")
    if spy is None:
        raise SystemExit("--profile needs py-spy in the venv: .venv/bin/pip install py-spy")
    directory = VAR / "profiles" / f"{datetime.now():%Y%m%d-%H%M%S}-n{args.n}-p{args.procs}-{args.server}"
    directory.mkdir(parents=True, exist_ok=True)
    return {"py_spy": spy, "profile_dir": str(directory), "py_spy_native": args.profile == "native"}


# --- figures -------------------------------------------------------------------------------------------


def median_of(result: dict, phase: str, key: str) -> float | None:
    values = [q[phase][key] for q in result["questions"] if q[phase].get(key) is not None]
    return round(statistics.median(values), 2) if values else None


def cpu_us_per(result: dict, phase: str, count_key: str) -> float | None:
    cpu = sum(q[phase]["server_cpu_s"] for q in result["questions"])
    count = sum(q[phase][count_key] for q in result["questions"])
    return round(cpu / count * 1e6, 1) if count else None


def client_busy(result: dict, phase: str) -> float | None:
    """Median share of each window the load client was on CPU (near 1.0: the client set the pace)."""
    values = [
        q[phase]["client_cpu_s"] / q[phase]["wall_s"] for q in result["questions"] if q[phase].get("wall_s")
    ]
    return round(statistics.median(values), 2) if values else None


def reconnect_of(result: dict, key: str):
    """A figure of the reconnect storm (run during the first question), or None if it did not run."""
    storm = (result["questions"][0] if result["questions"] else {}).get("reconnect") or {}
    return storm.get(key)


def cpu_ms_per_resume(result: dict) -> float | None:
    storm = (result["questions"][0] if result["questions"] else {}).get("reconnect") or {}
    return round(storm["server_cpu_s"] / storm["resumed"] * 1000, 3) if storm.get("resumed") else None


def pair(ours: float | None, baseline: float | None) -> dict[str, float | None]:
    ratio = round(ours / baseline, 2) if ours is not None and baseline else None
    return {"ours": ours, "baseline": baseline, "ratio": ratio}


def summarise(args, stack: str, ours: dict, base: dict, verified: dict, extra: dict) -> dict:
    missing = sum(q["broadcast"]["missing"] for q in ours["questions"])
    results_missing = sum(
        q["reveal"]["expected"] - q["reveal"]["results_received"] for q in ours["questions"]
    )
    summary = {
        "n": args.n,
        "k": args.k,
        "procs": args.procs,
        "server": args.server,
        "stack": stack,
        "when": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": procstat.machine(),
        "join_s": ours["join"]["join_s"],
        "joined": ours["join"]["joined"],
        "join_s_baseline": base["join"]["join_s"],
        "join_all_s": pair(ours["join"]["join_s"], base["join"]["join_s"]),
        "reconnect_all_s": pair(reconnect_of(ours, "reconnect_all_s"), reconnect_of(base, "reconnect_all_s")),
        "reconnected": {"ours": reconnect_of(ours, "resumed"), "baseline": reconnect_of(base, "resumed")},
        "reconnect_expected": reconnect_of(ours, "expected"),
        "resume_welcome_answer_mismatch": reconnect_of(ours, "welcome_answer_mismatch"),
        "server_cpu_ms_per_resume": pair(cpu_ms_per_resume(ours), cpu_ms_per_resume(base)),
        "broadcast_last_ms": pair(
            median_of(ours, "broadcast", "last_ms"), median_of(base, "broadcast", "last_ms")
        ),
        "broadcast_p99_ms": pair(
            median_of(ours, "broadcast", "p99_ms"), median_of(base, "broadcast", "p99_ms")
        ),
        "broadcast_missing": missing,
        "answers_sent": verified["answers_sent"],
        "answers_acked": verified["answers_acked"],
        "answers_lost": verified["answers_lost"],
        "answers_refused": {k: v for q in ours["questions"] for k, v in q["answers"]["refusals"].items()},
        "answer_resends": sum(q["answers"]["resends"] for q in ours["questions"]),
        "ack_all_ms": pair(
            median_of(ours, "answers", "ack_all_ms"), median_of(base, "answers", "ack_all_ms")
        ),
        "result_frames_missing": results_missing,
        "dropped_connections": ours["dropped_connections"],
        "dropped_connections_baseline": base["dropped_connections"],
        "server_cpu_us_per_recipient": pair(
            cpu_us_per(ours, "broadcast", "expected"), cpu_us_per(base, "broadcast", "expected")
        ),
        "server_cpu_us_per_answer": pair(
            cpu_us_per(ours, "answers", "sent"), cpu_us_per(base, "answers", "sent")
        ),
        "rss_mb_per_1k": pair(ours["rss_mb_per_1k"], base["rss_mb_per_1k"]),
        "scores_verified": verified["scores_verified"],
        "leaks_before_reveal": ours["leaks_before_reveal"],
        "other_load_cores": {
            "ours_broadcast": median_of(ours, "broadcast", "other_load_cores"),
            "ours_answers": median_of(ours, "answers", "other_load_cores"),
            "baseline_broadcast": median_of(base, "broadcast", "other_load_cores"),
            "baseline_answers": median_of(base, "answers", "other_load_cores"),
            "ours_join": ours["join"].get("other_load_cores"),
        },
        "loadavg": {
            "ours": [ours["loadavg_start"], ours["loadavg_end"]],
            "baseline": [base["loadavg_start"], base["loadavg_end"]],
        },
        "load_client_busy": {
            "ours_broadcast": client_busy(ours, "broadcast"),
            "baseline_broadcast": client_busy(base, "broadcast"),
            "ours_answers": client_busy(ours, "answers"),
            "baseline_answers": client_busy(base, "answers"),
        },
        "load_client_cpu_s": ours["client"]["cpu_s"],
        "load_client_cpu_s_baseline": base["client"]["cpu_s"],
        "per_question": {
            "ours": [
                {p: q[p] for p in ("broadcast", "answers", "reconnect", "reveal", "leaderboard") if p in q}
                | {"index": q["index"]}
                for q in ours["questions"]
            ],
            "baseline": [
                {p: q[p] for p in ("broadcast", "answers", "reconnect", "reveal", "leaderboard") if p in q}
                | {"index": q["index"]}
                for q in base["questions"]
            ],
        },
        "verify": verified,
        "details": {
            "ours": {
                k: ours[k]
                for k in (
                    "join",
                    "drop_reasons",
                    "host_dropped",
                    "host_frames",
                    "leak_examples",
                    "ack_choice_mismatch",
                    "unexpected_errors",
                    "client",
                    "rss_kib_before",
                    "rss_kib_after_join",
                )
            },
            "baseline": {
                k: base[k]
                for k in (
                    "join",
                    "drop_reasons",
                    "client",
                    "baseline_stats",
                    "rss_kib_before",
                    "rss_kib_after_join",
                    "leaks_before_reveal",
                    "ack_choice_mismatch",
                )
            },
        },
        **extra,
    }
    return summary


def table(s: dict) -> str:
    def row(name: str, value: dict | object, unit: str = "") -> str:
        if isinstance(value, dict):
            o, b, r = value["ours"], value["baseline"], value["ratio"]
            return f"  {name:<30} {str(o) + unit:>14} {str(b) + unit:>14} {('x' + str(r)) if r else '-':>8}"
        return f"  {name:<30} {value!s:>14}"

    lines = [
        f"N={s['n']} K={s['k']} procs={s['procs']} server={s['server']} stack={s['stack']} "
        f"loop={s['event_loop']['ours']}/{s['event_loop']['baseline']} metrics={s['metrics']['mode']} "
        f"({s['machine']['nproc']} cores, {s['machine']['model_name']})",
        f"  {'':<30} {'ours':>14} {'baseline':>14} {'ratio':>8}",
        row("broadcast last (median of K)", s["broadcast_last_ms"], " ms"),
        row("broadcast p99 (median of K)", s["broadcast_p99_ms"], " ms"),
        row("all answers acked (median)", s["ack_all_ms"], " ms"),
        row("server CPU per recipient", s["server_cpu_us_per_recipient"], " us"),
        row("server CPU per answer", s["server_cpu_us_per_answer"], " us"),
        row("RSS per 1,000 connections", s["rss_mb_per_1k"], " MB"),
        row("join all (s)", s["join_all_s"], " s"),
        row("reconnect storm, all back (s)", s["reconnect_all_s"], " s"),
        row("server CPU per resume", s["server_cpu_ms_per_resume"], " ms"),
        row("joined", s["joined"]),
        row("reconnected", f"{s['reconnected']['ours']}/{s['reconnect_expected']}"),
        row("resumed answer differs", s["resume_welcome_answer_mismatch"]),
        row("ranks and points verified", s["verify"].get("ranks_verified")),
        row("elapsed within client bounds", s["verify"].get("elapsed_outside_client_bounds") == 0),
        row("answers sent / acked / lost", f"{s['answers_sent']}/{s['answers_acked']}/{s['answers_lost']}"),
        row("answers refused", s["answers_refused"] or 0),
        row("resends after server_error", s["answer_resends"]),
        row("broadcast frames missing", s["broadcast_missing"]),
        row("result frames missing", s["result_frames_missing"]),
        row("dropped connections", s["dropped_connections"]),
        row("scores verified", s["scores_verified"]),
        row("leaks before reveal", s["leaks_before_reveal"]),
        row(
            "other load, broadcast (cores)",
            {
                "ours": s["other_load_cores"]["ours_broadcast"],
                "baseline": s["other_load_cores"]["baseline_broadcast"],
                "ratio": None,
            },
        ),
        row(
            "other load, answers (cores)",
            {
                "ours": s["other_load_cores"]["ours_answers"],
                "baseline": s["other_load_cores"]["baseline_answers"],
                "ratio": None,
            },
        ),
        row(
            "load client busy, broadcast",
            {
                "ours": s["load_client_busy"]["ours_broadcast"],
                "baseline": s["load_client_busy"]["baseline_broadcast"],
                "ratio": None,
            },
        ),
        row(
            "load client CPU (s)",
            {"ours": s["load_client_cpu_s"], "baseline": s["load_client_cpu_s_baseline"], "ratio": None},
        ),
    ]
    return "\n".join(lines)


# --- the run -------------------------------------------------------------------------------------------


def git_state() -> dict[str, object]:
    def git(*a: str) -> str:
        try:
            return subprocess.run(
                ["git", *a], cwd=ROOT, capture_output=True, text=True, timeout=10
            ).stdout.strip()
        except Exception:
            return ""

    dirty = [
        line[3:]
        for line in git("status", "--porcelain").splitlines()
        if line[3:].startswith(("quiz/", "config/"))
    ]
    return {"head": git("rev-parse", "--short", "HEAD"), "uncommitted_in_quiz_or_config": dirty}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=5000, help="contestant sockets")
    parser.add_argument(
        "--procs", type=int, default=1, help="server processes (PostgreSQL + Redis needed for >1)"
    )
    parser.add_argument("--server", choices=["daphne", "uvicorn"], default="daphne")
    parser.add_argument("--k", type=int, default=3, help="questions played")
    parser.add_argument("--concurrency", type=int, default=200, help="joins in flight")
    parser.add_argument("--phase-timeout", type=float, default=120, help="seconds any one phase may take")
    parser.add_argument("--join-timeout", type=float, default=300, help="seconds all N joins may take")
    parser.add_argument(
        "--stack",
        choices=["auto", "embedded"],
        default="auto",
        help="auto: PostgreSQL + Redis when both answer; embedded: SQLite + in-process layer",
    )
    parser.add_argument(
        "--metrics",
        choices=["on", "off"],
        default="on",
        help="on: the servers record metrics and a scraper reads /metrics every 5 s; off: QUIZ_METRICS=off",
    )
    parser.add_argument(
        "--profile",
        nargs="?",
        const="python",
        choices=["python", "native"],
        help="sample the quiz servers with py-spy, one file per phase in var/bench/ (native: with C frames,"
        " e.g. the garbage collector); slows them, so the figures are marked and not written to latest.json",
    )
    args = parser.parse_args()

    nofile = procstat.raise_nofile()  # inherited by the servers and the load client
    VAR.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    extra: dict[str, object] = {"nofile": nofile, "git": git_state()}
    if args.server == "uvicorn":
        extra["uvicorn"] = uvicorn_version()
        say(f"uvicorn {extra['uvicorn']}")

    services, why = services_available() if args.stack == "auto" else (False, "--stack embedded")
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "DATABASE_URL",
            "REDIS_URL",
            "CHANNEL_PREFIX",
            "http_proxy",
            "https_proxy",
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "all_proxy",
            "ALL_PROXY",
        )
    }
    env.update(SERVER_ENV)
    env["QUIZ_METRICS"] = args.metrics
    # Both sides on the same event loop: daphne runs Twisted's asyncio reactor on asyncio's default loop.
    extra["event_loop"] = {"ours": "asyncio", "baseline": "asyncio"}
    prefix = f"jjjbench{secrets.token_hex(3)}"
    if services:
        stack = "postgresql+redis"
        database_url = pg_recreate()
        env.update({"DATABASE_URL": database_url, "REDIS_URL": REDIS_URL, "CHANNEL_PREFIX": prefix})
        baseline_store = database_url
        say(f"Stack: PostgreSQL + Redis (database {PG_BENCH_DB} recreated, channel prefix {prefix})")
    else:
        if args.procs != 1:
            raise SystemExit(
                f"Stack: embedded SQLite ({why}); --procs must be 1 without PostgreSQL and Redis"
            )
        stack = "sqlite+inmemory"
        db = sqlite_fresh("bench.sqlite3")
        env["DATABASE_URL"] = f"sqlite:///{db}"
        baseline_store = f"sqlite:///{sqlite_fresh('baseline.sqlite3')}"
        say(f"Stack: embedded default, SQLite {db.relative_to(ROOT)} + in-process layer ({why})")

    procs = Processes()
    try:
        run_step([PY, "manage.py", "migrate", "--noinput"], env, "migrate")
        setup_path = VAR / "setup.json"
        run_step(
            [PY, "-m", "bench.django_tasks", "setup", "--k", str(args.k), "--out", str(setup_path)],
            env,
            "setup",
        )
        setup = json.loads(setup_path.read_text())
        say(f"Round {setup['round_id']}, PIN {setup['pin']}, {args.k} questions; scoring {setup['scoring']}")

        common = {
            "n": args.n,
            "k": args.k,
            "concurrency": args.concurrency,
            "phase_timeout": args.phase_timeout,
            "join_timeout": args.join_timeout,
            "pin": setup["pin"],
            "questions": setup["questions"],
        }

        # -- ours
        ports, servers, logs = [], [], []
        for i in range(args.procs):
            port = free_port()
            log = VAR / f"server-{args.server}-{i}.log"
            proc = procs.start(server_command(args.server, port), env, log)
            ports.append(port)
            servers.append(proc)
            logs.append(log)
        for port, proc, log in zip(ports, servers, logs, strict=True):
            wait_for_port(port, proc, log)
        say(f"{args.procs} {args.server} process(es) on ports {ports}; {args.n} contestants joining ...")
        scraper = Scraper(ports, SCRAPE_SECONDS).start() if args.metrics == "on" else None
        ours = run_client(
            {
                **common,
                "mode": "ours",
                "ports": ports,
                "server_pids": [p.pid for p in servers],
                "host_path": f"/ws/host/{setup['round_id']}/",
                "play_path": "/ws/play/",
                "session_key": setup["session_key"],
                **profiling(args),
            },
            "ours",
            procs,
            env,
        )
        if args.profile:
            from bench.profile_summary import summarise as profile_text

            extra["profiles"] = {
                str(Path(f).relative_to(ROOT)): profile_text(Path(f)).splitlines()
                for f in ours.get("profiles", [])
                if Path(f).exists()
            }
        extra["metrics"] = {"mode": args.metrics, **(scraper.stop() if scraper else {})}
        alive = [p.poll() is None for p in servers]
        for proc in servers:
            procs.stop(proc)
        extra["server_logs"] = [log_problems(log) for log in logs]
        extra["servers_alive_at_end"] = alive

        record_path = VAR / "record-ours.json"
        record_path.write_text(json.dumps(ours.pop("record"), ensure_ascii=False))
        verify_path = VAR / "verify.json"
        run_step(
            [
                PY,
                "-m",
                "bench.django_tasks",
                "verify",
                "--setup",
                str(setup_path),
                "--record",
                str(record_path),
                "--out",
                str(verify_path),
            ],
            env,
            "verify",
        )
        verified = json.loads(verify_path.read_text())

        # -- the raw baseline, same client
        say("Raw websockets baseline ...")
        questions_path = VAR / "questions.json"
        questions_path.write_text(json.dumps(setup["questions"], ensure_ascii=False))
        base_ports, base_procs, base_logs = [], [], []
        for i in range(args.procs):  # as many baseline processes as quiz servers, each with its own phones
            port = free_port()
            log = VAR / f"server-baseline-{i}.log"
            proc = procs.start(
                [
                    PY,
                    "-m",
                    "bench.baseline",
                    "--port",
                    str(port),
                    "--store",
                    baseline_store,
                    "--questions",
                    str(questions_path),
                    "--loop",
                    extra["event_loop"]["baseline"],
                    "--index",
                    str(i),
                ],
                env,
                log,
            )
            base_ports.append(port)
            base_procs.append(proc)
            base_logs.append(log)
        for port, proc, log in zip(base_ports, base_procs, base_logs, strict=True):
            wait_for_port(port, proc, log)
        base = run_client(
            {
                **common,
                "mode": "baseline",
                "ports": base_ports,
                "server_pids": [p.pid for p in base_procs],
                "host_path": "/host",
                "play_path": "/play",
                "session_key": None,
            },
            "baseline",
            procs,
            env,
        )
        for proc in base_procs:
            procs.stop(proc)
        base.pop("record", None)
        extra["baseline_loop"] = (base_logs[0].read_text().splitlines() or ["?"])[0]

        extra["profiled"] = args.profile or False
        summary = summarise(args, stack, ours, base, verified, extra)
        say(table(summary))
        text = json.dumps(summary, ensure_ascii=False, indent=1)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        name = (
            f"{stamp}-n{args.n}-p{args.procs}-{args.server}{'-profiled' if args.profile else ''}"
            f"{'-metrics-off' if args.metrics == 'off' else ''}.json"
        )
        (RESULTS / name).write_text(text)
        # A profiled run is slower by design, and one without metrics is not how the servers are deployed:
        # neither is the latest figures.
        if not args.profile and args.metrics == "on":
            (RESULTS / "latest.json").write_text(text)
        latest = not args.profile and args.metrics == "on"
        say(f"Written: bench/results/{name}" + (" and bench/results/latest.json" if latest else ""))
    finally:
        procs.stop_all()
        if services:
            with contextlib.suppress(Exception):
                redis_cleanup(prefix)


if __name__ == "__main__":
    main()
