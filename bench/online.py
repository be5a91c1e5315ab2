"""Online stage benchmark: a season at full size on PostgreSQL, the boards and the qualifier list, and
sustained answer submissions through the real pages.

    python -m bench.online                                   # 740,000 contestants, 7,400,000 answers
    python -m bench.online --contestants 20000 --sessions 200 --duration 20    # a quick check

Setup (the scratch PostgreSQL database ``jjj_online_bench`` or ``BENCH_ONLINE_DB``, dropped and made
again): the competition with its 3 divisions and their districts, the demo bank's Chinese questions, one
online stage, then with
COPY: ``--contestants`` contestants (districts, key groups and 2,000 units drawn at random, 85% of them
active), two finished attempts each (a daily set; a fifth of them a timed challenge instead) with
``--answers`` answers in all, the contestants' running figures consistent with their attempts. VACUUM
(ANALYZE) after the load, as autovacuum would after so many inserts.

Timed, each the median of ``--repeat`` runs after a warm-up: the individual board overall and within a
division, a district, a key group and a unit (``competition.online.selectors.board``); participation by
district, division, key group and unit (``selectors.participation``); one contestant's rank
(``selectors.rank_of``); the qualifier list by season points and by challenge results, top 6 per district
(``services.qualification.qualifiers_compute``). Target: each under 2 s.

Sustained submissions: ``--procs`` daphne processes on PostgreSQL and Redis, ``--sessions`` signed-in
contestants (sessions made in the database), each playing a daily set of 50 questions as a phone does it
over HTTP (GET the served question as JSON, POST the answer with its submission id), for ``--duration``
seconds. Reported: answers acknowledged per second, the p50 and p99 of the answer POST, and ``lost``
(acknowledged answers missing from the database afterwards). Beside them, the same clients POST to a
bench-only view that does nothing but the same INSERT (``bench/online_urls.py``), for the cost per
submission of everything else (session, CSRF, form, locks, scoring).

Duels (``--duels``, 500): as many duels by invitation on one daphne process, the inviter's phone
connected first, then each friend takes the seat (the service the invitation page calls) and connects;
every phone answers each question 0.3-1.5 s after it arrives. Timed: from a question's opening on the
server (its deadline minus the answering time; same machine, same clock) to its frame on each phone,
and per duel to the later of the two phones, over the questions that opened with both phones connected.
A handshake the server drops is retried (``connect_retries``); ``lost``: phones that never connected or
whose socket closed before the end.

Writes ``bench/results/online.json`` (``registered``, ``answers_stored``, ``boards_ms``,
``submissions_per_s``, ``p99_ms``, ``lost``, ``duels`` and the detail).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.bank import median_ms, say
from bench.scratch import PG_ADMIN_URL, pg_recreate

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
PG_DB = os.environ.get("BENCH_ONLINE_DB", "jjj_online_bench")
TARGET_MS = 2000
GROUPS = ["youth", "farmer", "worker", "senior", "official", "other"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
CSRF = "benchcsrftokenbenchcsrftoken0000"  # 32 characters: a valid unmasked CSRF secret


def _copy(table: str, columns: list[str], lines) -> None:
    """COPY text-format lines (tab-separated, newline-terminated) into ``table``."""
    from django.db import connection

    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        batch: list[str] = []
        for line in lines:
            batch.append(line)
            if len(batch) >= 20_000:
                copy.write("".join(batch).encode())
                batch.clear()
        if batch:
            copy.write("".join(batch).encode())


def load_bank() -> list[tuple[int, list[int], int]]:
    """The demo bank's Chinese questions, approved and tagged; (id, correct, choices) of each."""
    from competition.management.commands.demo_setup import DEMO_QUESTIONS, TAXONOMY
    from questionbank.models import Question, Tag, TaggedQuestion
    from questionbank.services import taxonomy_load

    taxonomy_load(TAXONOMY)
    items = json.loads(DEMO_QUESTIONS.read_text(encoding="utf-8"))
    made = Question.objects.bulk_create(
        Question(
            key=i["key"],
            kind=i["kind"],
            stem=i["stem"],
            choices=i["choices"],
            correct=sorted(i["correct"]),
            explanation=i.get("explanation", ""),
            difficulty=i.get("difficulty", 3),
            status="approved",
            language="zh-hans",
        )
        for i in items
    )
    tags = {t.code: t.pk for t in Tag.objects.exclude(code="")}
    TaggedQuestion.objects.bulk_create(
        TaggedQuestion(content_object_id=q.pk, tag_id=tags[c])
        for q, i in zip(made, items, strict=True)
        for c in {*i.get("benchmarks", []), *i.get("themes", [])}
        if c in tags
    )
    return [(q.pk, list(q.correct), len(q.choices)) for q in made]


def populate(n: int, answers: int, rng: random.Random) -> dict:
    from django.db import connection

    from competition.models import Competition, District
    from competition.online.models import OnlineStage
    from competition.services import divisions_seed

    started = time.perf_counter()
    competition = Competition.objects.create(name="2026 京津冀公民科学素质大赛", slug="bench-2026", year=2026)
    divisions_seed(competition)
    bank = load_bank()
    today = datetime.now(UTC).date()
    stage = OnlineStage.objects.create(
        competition=competition,
        name="线上答题",
        slug="bench",
        opens_on=today - timedelta(days=40),
        closes_on=today + timedelta(days=10),
        rules={"daily": {"count": 50}, "limits": {"answers_per_minute": 600}},
    )
    districts = list(
        District.objects.filter(division__competition=competition).values_list("id", "division_id")
    )
    units = [f"单位{u:04d}" for u in range(2000)]
    per = max(1, round(answers / (2 * n * 0.85)))  # answers per attempt (85% of contestants play)
    season = datetime.now(UTC) - timedelta(days=30)
    say(f"  COPY {n:,} contestants")
    plan = []  # (contestant index, mode, day offset, correct, ms, points)

    def contestants():
        for i in range(n):
            district, division = districts[rng.randrange(len(districts))]
            active = rng.random() < 0.85
            rows = []
            if active:
                for a in range(2):
                    mode = "challenge" if a == 1 and rng.random() < 0.2 else "daily"
                    right = sum(1 for _ in range(per) if rng.random() < 0.7)
                    ms = right * rng.randint(2500, 9000)
                    pts = right * 10 + 10 if mode == "daily" else (30 if right >= 5 else 0)
                    rows.append((mode, a, right, ms, pts))
            plan.append(rows)
            pts = sum(r[4] for r in rows)
            cor = sum(r[2] for r in rows)
            ms = sum(r[3] for r in rows)
            dd = sum(1 for r in rows if r[0] == "daily")
            ch = [r for r in rows if r[0] == "challenge"]
            best, best_ms = (ch[0][2], ch[0][3]) if ch else (0, 0)
            reg = (season + timedelta(seconds=rng.randrange(30 * 86400))).isoformat()
            unit = units[rng.randrange(len(units))] if rng.random() < 0.6 else ""
            streak = min(dd, 1)
            yield (
                f"{stage.pk}\t{rng.choice(SURNAMES)}某某\t{rng.choice(SURNAMES)}**\t13{i:09d}\t"
                f"{division}\t{district}\t{unit}\t{rng.choice(GROUPS)}\t{reg}\t2026-1\t{reg}\t{pts}\t"
                f"{cor}\t{per * len(rows)}\t{ms}\t{dd}\t{streak}\t{streak}\t{best}\t{best_ms}\t"
                f"{1 if ch else 0}\tf\n"
            )

    _copy(
        "online_contestant",
        [
            "stage_id",
            "name",
            "display_name",
            "mobile",
            "division_id",
            "district_id",
            "unit",
            "key_group",
            "consent_at",
            "privacy_version",
            "registered_at",
            "points",
            "correct",
            "answered",
            "answer_ms",
            "daily_days",
            "streak",
            "best_streak",
            "challenge_best",
            "challenge_best_ms",
            "challenge_successes",
            "held",
        ],
        contestants(),
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM online_contestant WHERE stage_id = %s ORDER BY id", [stage.pk])
        ids = [r[0] for r in cursor.fetchall()]
    say(f"  COPY attempts ({sum(len(p) for p in plan):,})")
    attempt_rows: list[tuple[int, int, list[int]]] = []  # (contestant id, number of answers, correct pattern)

    def attempts():
        for cid, rows in zip(ids, plan, strict=True):
            for mode, a, right, ms, pts in rows:
                day = (season + timedelta(days=a * 7 + rng.randrange(7))).date().isoformat()
                qids = [bank[rng.randrange(len(bank))][0] for _ in range(per)]
                attempt_rows.append((cid, right, qids))
                finished = f"{day} 12:00:00+00"
                yield (
                    f"{cid}\t{mode}\t\t{day}\t{json.dumps(qids)}\t[]\t{per}\t\\N\t{finished}\t\\N\t{finished}\t"
                    f"completed\t{right}\t{per}\t{ms}\t{pts}\t{{}}\t\n"
                )

    _copy(
        "online_attempt",
        [
            "contestant_id",
            "mode",
            "theme",
            "day",
            "question_ids",
            "dimensions",
            "position",
            "served_at",
            "started_at",
            "deadline",
            "finished_at",
            "outcome",
            "correct",
            "answered",
            "answer_ms",
            "points",
            "result",
            "fingerprint",
        ],
        attempts(),
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.id FROM online_attempt a JOIN online_contestant c ON c.id = a.contestant_id "
            "WHERE c.stage_id = %s ORDER BY a.id",
            [stage.pk],
        )
        attempt_ids = [r[0] for r in cursor.fetchall()]
    total = len(attempt_ids) * per
    say(f"  COPY answers ({total:,})")
    keys = {q: (c, k) for q, c, k in bank}

    def answer_lines():
        for aid, (_cid, right, qids) in zip(attempt_ids, attempt_rows, strict=True):
            for p, q in enumerate(qids):
                ok = p < right
                correct, k = keys[q]
                choice = correct[0] if ok else (correct[0] + 1) % k
                yield (
                    f"{aid}\t{p}\t{q}\t[{choice}]\t{'t' if ok else 'f'}\t2026-11-20 12:00:00+00\t"
                    f"{rng.randint(1500, 20000)}\t{uuid.UUID(int=rng.getrandbits(128), version=4)}\n"
                )

    _copy(
        "online_answer",
        [
            "attempt_id",
            "position",
            "question_id",
            "choices",
            "correct",
            "received_at",
            "elapsed_ms",
            "submission",
        ],
        answer_lines(),
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    return {
        "stage": stage,
        "registered": n,
        "answers": total,
        "populate_s": round(time.perf_counter() - started, 1),
    }


def pg_url(name: str) -> str:
    return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


def reused() -> dict:
    from competition.online.models import Answer, Contestant, OnlineStage

    stage = OnlineStage.objects.get(slug="bench")
    registered = Contestant.objects.filter(stage=stage).count()
    return {"stage": stage, "registered": registered, "answers": Answer.objects.count(), "populate_s": None}


def time_reads(stage, repeat: int) -> dict[str, float]:
    from django.utils import timezone

    from competition.models import District, Division
    from competition.online import selectors
    from competition.online.models import Contestant
    from competition.online.services.qualification import qualifiers_compute

    division = Division.objects.filter(competition=stage.competition).first()
    district = District.objects.filter(division=division).first()
    unit = Contestant.objects.filter(stage=stage).exclude(unit="").values_list("unit", flat=True).first()
    someone = (
        Contestant.objects.filter(stage=stage)
        .order_by("id")[Contestant.objects.filter(stage=stage).count() // 2 :][:1]
        .get()
    )
    cutoff = timezone.now()
    jobs = {
        "board_all": lambda: selectors.board(stage),
        "board_division": lambda: selectors.board(stage, by="division", key=str(division.pk)),
        "board_district": lambda: selectors.board(stage, by="district", key=str(district.pk)),
        "board_group": lambda: selectors.board(stage, by="group", key="worker"),
        "board_unit": lambda: selectors.board(stage, by="unit", key=unit),
        "participation_district": lambda: selectors.participation(stage, by="district"),
        "participation_division": lambda: selectors.participation(stage, by="division"),
        "participation_group": lambda: selectors.participation(stage, by="group"),
        "participation_unit": lambda: selectors.participation(stage, by="unit"),
        "rank_of": lambda: selectors.rank_of(someone),
        "qualification_points": lambda: qualifiers_compute(
            stage=stage, rule="points", per_district=6, cutoff=cutoff
        ),
        "qualification_points_past_cutoff": lambda: qualifiers_compute(
            stage=stage, rule="points", per_district=6, cutoff=cutoff - timedelta(days=20)
        ),
        "qualification_challenge": lambda: qualifiers_compute(
            stage=stage, rule="challenge", per_district=6, cutoff=cutoff
        ),
    }
    timings = {}
    for name, job in jobs.items():
        timings[name], _ = median_ms(job, repeat)
        say(f"  {name:<26} {timings[name]:>9.1f} ms")
    return timings


# --- sustained submissions ---------------------------------------------------------------------------
class Http:
    """A minimal HTTP/1.1 keep-alive client (one connection per session): enough for this bench."""

    def __init__(self, port: int, cookie: str) -> None:
        self.port, self.cookie = port, cookie
        self.reader = self.writer = None

    async def request(
        self, method: str, path: str, body: bytes = b"", json_reply: bool = True
    ) -> tuple[int, dict]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nCookie: {self.cookie}\r\n"
            f"Accept: application/json\r\nX-CSRFToken: {CSRF}\r\nContent-Length: {len(body)}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length, headers_done = 0, False
        location = ""
        while not headers_done:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                headers_done = True
            elif line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
            elif line.lower().startswith(b"location:"):
                location = line.split(b":", 1)[1].strip().decode()
        data = await self.reader.readexactly(length) if length else b""
        if location:
            return status, {"location": location}
        try:
            return status, json.loads(data) if json_reply and data else {}
        except ValueError:
            return status, {}


async def play(port: int, session: tuple[str, str], stop: float, out: dict, baseline: bool) -> None:
    cookie, path = session
    client = Http(port, cookie)
    try:
        if baseline:
            while time.perf_counter() < stop:
                t = time.perf_counter()
                status, _ = await client.request("POST", "/bench/insert/", b"x=1")
                (out["lat"] if status == 200 else out["errors"]).append((time.perf_counter() - t) * 1000)
                if status == 200:
                    out["acked"] += 1
            return
        while time.perf_counter() < stop:
            status, served = await client.request("GET", path)
            if status != 200 or "question" not in served:
                break
            body = f"position={served['position']}&submission={served['submission']}&choice=0".encode()
            t = time.perf_counter()
            status, result = await client.request("POST", path, body)
            if status == 200:
                out["lat"].append((time.perf_counter() - t) * 1000)
                out["acked"] += 1
            else:
                out["errors"].append(status)
            if result.get("finished"):
                break
    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
        out["errors"].append(repr(exc)[:40])
    finally:
        if client.writer is not None:
            client.writer.close()


def sessions_for(stage, count: int) -> list[tuple[str, str]]:
    """``count`` signed-in contestants with today's daily set started (untimed): (cookie, attempt path)."""
    from importlib import import_module

    from django.conf import settings

    from competition.online.models import Attempt, Contestant
    from competition.online.services.attempts import daily_start

    store = import_module(settings.SESSION_ENGINE).SessionStore
    people = list(Contestant.objects.filter(stage=stage).order_by("?")[:count])
    Attempt.objects.filter(contestant__in=people, mode="daily", day=datetime.now(UTC).date()).delete()
    sessions = []
    for person in people:
        session = store()
        session["online_contestant"] = person.pk
        session.create()
        attempt = daily_start(contestant=person)
        sessions.append(
            (f"sessionid={session.session_key}; csrftoken={CSRF}", f"/online/bench/attempts/{attempt.pk}/")
        )
    return sessions


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_servers(procs: int, env: dict) -> tuple[list[subprocess.Popen], list[int]]:
    ports = [free_port() for _ in range(procs)]
    logs = ROOT / "var" / "bench"
    logs.mkdir(parents=True, exist_ok=True)
    servers = []
    for n, port in enumerate(ports):
        with open(logs / f"online-server-{n}.log", "w") as log:  # the child keeps its own descriptor
            servers.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "daphne",
                        "-b",
                        "127.0.0.1",
                        "-p",
                        str(port),
                        "config.asgi:application",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                )
            )
    for port in ports:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
    time.sleep(2)
    return servers, ports


def stop_servers(servers: list[subprocess.Popen]) -> None:
    for server in servers:
        server.send_signal(signal.SIGTERM)
    for server in servers:
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


async def run_load(ports: list[int], cookies: list[tuple[str, str]], duration: float, baseline: bool) -> dict:
    out = {"lat": [], "errors": [], "acked": 0}
    stop = time.perf_counter() + duration
    started = time.perf_counter()
    await asyncio.gather(
        *(play(ports[i % len(ports)], c, stop, out, baseline) for i, c in enumerate(cookies))
    )
    elapsed = time.perf_counter() - started
    lat = sorted(out["lat"])
    pick = lambda q: round(lat[min(len(lat) - 1, int(q * len(lat)))], 1) if lat else None  # noqa: E731
    return {
        "acked": out["acked"],
        "per_s": round(out["acked"] / elapsed, 1),
        "p50_ms": pick(0.5),
        "p99_ms": pick(0.99),
        "mean_ms": round(statistics.fmean(lat), 1) if lat else None,
        "errors": len(out["errors"]),
        "error_sample": [str(e) for e in out["errors"][:5]],
        "seconds": round(elapsed, 1),
    }


def sustained(stage, args, env: dict) -> dict:
    from django.db import connection

    from competition.online.models import Answer

    cookies = sessions_for(stage, args.sessions)
    run_start = datetime.now(UTC)
    connection.close()
    servers, ports = start_servers(args.procs, env)
    try:
        say(f"  {args.sessions} sessions on {args.procs} daphne processes for {args.duration} s")
        real = asyncio.run(run_load(ports, cookies, args.duration, baseline=False))
        say(f"  answers: {real['per_s']}/s, p50 {real['p50_ms']} ms, p99 {real['p99_ms']} ms")
        say(f"  errors: {real['errors']} {real['error_sample']}")
        bare = asyncio.run(run_load(ports, cookies, min(args.duration, 15), baseline=True))
        say(f"  bare INSERT view: {bare['per_s']}/s, p50 {bare['p50_ms']} ms, p99 {bare['p99_ms']} ms")
    finally:
        stop_servers(servers)
    # the bare view writes positions from 1000 up (and may skip a clash): count the pages' answers only
    stored = Answer.objects.filter(received_at__gte=run_start, position__lt=1000).count()
    real["lost"] = max(0, real["acked"] - stored)
    real["stored"] = stored
    real["bare_insert"] = bare
    if bare["per_s"]:
        real["cost_vs_bare_insert"] = round(bare["per_s"] / real["per_s"], 1) if real["per_s"] else None
    return real


# --- duels ------------------------------------------------------------------------------------------
def duels_setup(stage, pairs: int) -> list[dict]:
    """``pairs`` duels by invitation, the inviter seated, each player with a signed-in session."""
    from importlib import import_module

    from django.conf import settings

    from competition.online.models import Contestant
    from competition.online.services.duels import duel_create

    store = import_module(settings.SESSION_ENGINE).SessionStore
    people = list(Contestant.objects.filter(stage=stage).order_by("?")[: 2 * pairs])

    def cookie(person) -> str:
        session = store()
        session["online_contestant"] = person.pk
        session.create()
        return f"sessionid={session.session_key}"

    duels = []
    for a, b in zip(people[0::2], people[1::2], strict=True):
        duel = duel_create(contestant=a)
        duels.append({"code": duel.code, "friend": b.pk, "cookies": [cookie(a), cookie(b)]})
    return duels


def duel_join_one(friend: int, code: str) -> str:
    """The friend takes their seat (the service, as the invitation page does); the refusal's code."""
    from competition.online.errors import OnlineError
    from competition.online.models import Contestant
    from competition.online.services.duels import duel_join

    try:
        duel_join(contestant=Contestant.objects.get(pk=friend), code=code)
    except OnlineError as exc:
        return exc.code
    return ""


async def duels_play(port: int, stage_pk: int, duels: list[dict], seconds: int, wait_s: float) -> dict:
    """Two phones per duel on one server process; each answers every question after 0.3-1.5 s. Timed:
    from a question's opening on the server (its deadline minus the answering time) to its frame on
    each phone, and per duel to the later of the two phones."""
    from bench.wsclient import WSClient

    rng = random.Random(5)
    loop = asyncio.get_running_loop()
    seen: dict[tuple[int, int], float] = {}  # (phone, position) -> latency ms
    both: dict[tuple[int, int], list[float]] = {}  # (duel, position) -> latencies
    finished: set[int] = set()
    lost: list[str] = []
    sockets: list[WSClient] = []
    done = asyncio.Event()
    expected = [2 * len(duels)]  # phones that will finish: those connected

    def handler(phone: int, duel: int):
        def on_text(text: str) -> None:
            now_ms = time.time() * 1000
            frame = json.loads(text)
            if frame.get("type") != "duel":
                return
            position = frame["position"]
            if frame["phase"] == "open" and (phone, position) not in seen:
                opened = frame["deadline"] - seconds * 1000
                latency = now_ms - opened
                seen[phone, position] = latency
                if opened > max(connected.get(2 * duel, 1e18), connected.get(2 * duel + 1, 1e18)):
                    both.setdefault((duel, position), []).append(latency)  # both phones were there
                answer = {"type": "answer", "position": position, "choices": [0], "id": str(uuid.uuid4())}
                loop.call_later(rng.uniform(0.3, 1.5), lambda: sockets[phone].send(json.dumps(answer)))
            elif frame["phase"] in ("finished", "expired"):
                finished.add(phone)
                if len(finished) >= expected[0]:
                    done.set()

        return on_text

    def on_lost(phone: int):
        def lost_(code, reason) -> None:
            if phone in connected and phone not in finished:  # a refused handshake is retried instead
                lost.append(f"{phone}:{code}")

        return lost_

    gate = asyncio.Semaphore(50)
    connected: dict[int, float] = {}  # phone -> epoch ms its socket was open
    retried: list[str] = []
    join_refused: list[str] = []

    async def connect(phone: int, duel: int) -> None:
        for attempt in range(3):  # the server drops a handshake it cannot take within 5 s
            try:
                sockets[phone] = await WSClient.connect(
                    "127.0.0.1",
                    port,
                    f"/ws/online/duel/{duels[duel]['code']}/",
                    origin=f"http://127.0.0.1:{port}",
                    headers={"Cookie": duels[duel]["cookies"][phone % 2]},
                    on_text=handler(phone, duel),
                    on_lost=on_lost(phone),
                )
                connected[phone] = time.time() * 1000
                return
            except OSError as exc:
                retried.append(f"{phone}:{exc!r}"[:60])
                await asyncio.sleep(0.5 * (attempt + 1))

    async def inviter(duel: int) -> None:
        async with gate:
            await connect(2 * duel, duel)

    async def friend(duel: int) -> None:
        async with gate:
            refused = await asyncio.to_thread(duel_join_one, duels[duel]["friend"], duels[duel]["code"])
            if refused:
                join_refused.append(refused)
                return
            await connect(2 * duel + 1, duel)

    sockets.extend([None] * (2 * len(duels)))  # type: ignore[list-item]
    started = time.perf_counter()
    await asyncio.gather(*(inviter(i) for i in range(len(duels))))
    connected_s = time.perf_counter() - started
    started = time.perf_counter()
    await asyncio.gather(*(friend(i) for i in range(len(duels))))
    join_s = time.perf_counter() - started
    never = [phone for phone, sock in enumerate(sockets) if sock is None]
    expected[0] = len(sockets) - len(never)
    if len(finished) >= expected[0]:
        done.set()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(done.wait(), wait_s)
    for sock in sockets:
        if sock is not None:
            sock.abort()
    per_phone = sorted(seen.values())
    per_duel = sorted(max(v) for v in both.values() if len(v) == 2)

    def pick(values: list[float], q: float) -> float | None:
        return round(values[min(len(values) - 1, int(q * len(values)))], 1) if values else None

    return {
        "duels": len(duels),
        "phones": len(sockets),
        "inviters_connect_s": round(connected_s, 1),
        "friends_join_and_connect_s": round(join_s, 1),
        "questions_opened": len(per_duel),
        "both_phones_p50_ms": pick(per_duel, 0.5),
        "both_phones_p99_ms": pick(per_duel, 0.99),
        "both_phones_max_ms": round(per_duel[-1], 1) if per_duel else None,
        "per_phone_p99_ms": pick(per_phone, 0.99),
        "finished_phones": len(finished),
        "joins_refused": len(join_refused),
        "connect_retries": len(retried),
        "connect_retry_sample": retried[:3],
        "never_connected": len(never),
        "lost": len(lost) + len(never),
        "lost_sample": (lost + [f"{p}:never connected" for p in never])[:5],
    }


def duels_phase(stage, args, env: dict) -> dict:
    from django.db import connection

    from competition.online.services.attempts import rules_of

    # the friends join once every inviter is connected, which takes longer than the usual join window
    stage.rules = {**stage.rules, "duel": {**stage.rules.get("duel", {}), "join_seconds": 3600}}
    stage.save(update_fields=["rules"])
    rules = rules_of(stage).duel
    say(f"  setting up {args.duels} duels")
    duels = duels_setup(stage, args.duels)
    connection.close()
    servers, ports = start_servers(1, env)
    try:
        timeout = rules.count * (rules.seconds + rules.pause_seconds) + 60
        result = asyncio.run(duels_play(ports[0], stage.pk, duels, rules.seconds, timeout))
    finally:
        stop_servers(servers)
    say(
        f"  {result['duels']} duels: question to both phones p50 {result['both_phones_p50_ms']} ms, "
        f"p99 {result['both_phones_p99_ms']} ms over {result['questions_opened']} questions; "
        f"{result['finished_phones']}/{result['phones']} finished, {result['lost']} lost"
    )
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contestants", type=int, default=740_000)
    parser.add_argument("--answers", type=int, default=7_400_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sessions", type=int, default=5000)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--procs", type=int, default=2)
    parser.add_argument("--duels", type=int, default=500, help="duels at once on one process (0: skip)")
    parser.add_argument("--skip-sustained", action="store_true", help="time the reads and the duels only")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--reuse", action="store_true", help="time the database the last run loaded (migrated, not reloaded)"
    )
    args = parser.parse_args(argv)

    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
    env = {
        **os.environ,
        "DATABASE_URL": pg_url(PG_DB) if args.reuse else pg_recreate(PG_DB),
        "REDIS_URL": redis_url,
        "CHANNEL_PREFIX": "jjjonlinebench",
        "DJANGO_SETTINGS_MODULE": "bench.online_settings",
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "SECRET_KEY": "bench-online-secret-key-bench-online-secret-key-0123456789",
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # a pool per process: without one, a burst opens a connection per request in flight
        "DATABASE_POOL_MAX": os.environ.get("BENCH_POOL_MAX", "8"),
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    say("migrating the scratch database")
    call_command("migrate", verbosity=0, interactive=False)
    if args.reuse:
        made = reused()
        say(f"reusing {made['registered']:,} contestants and {made['answers']:,} answers")
    else:
        say(f"creating {args.contestants:,} contestants and {args.answers:,} answers")
        made = populate(args.contestants, args.answers, random.Random(args.seed))
    say(f"  loaded in {made['populate_s']} s; timing the boards and the qualifier list")
    timings = time_reads(made["stage"], args.repeat)
    load = (
        sustained(made["stage"], args, env)
        if not args.skip_sustained
        else {"per_s": None, "p99_ms": None, "lost": None, "skipped": True}
    )
    duels = duels_phase(made["stage"], args, env) if args.duels else None
    boards = {k: v for k, v in timings.items() if k.startswith(("board", "participation"))}
    result = {
        "registered": made["registered"],
        "answers_stored": made["answers"],
        "boards_ms": boards,
        "qualification_ms": {k: v for k, v in timings.items() if k.startswith("qualification")},
        "rank_of_ms": timings["rank_of"],
        "submissions_per_s": load["per_s"],
        "p99_ms": load["p99_ms"],
        "lost": load["lost"],
        "submissions": load,
        "duels": duels,
        "target_ms": TARGET_MS,
        "populate_s": made["populate_s"],
        "sessions": args.sessions,
        "procs": args.procs,
        "duration_s": args.duration,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "online.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    say(
        json.dumps(
            {k: result[k] for k in ("registered", "answers_stored", "submissions_per_s", "p99_ms", "lost")}
        )
    )
    say(f"written: {RESULTS / 'online.json'}")


if __name__ == "__main__":
    main()
