"""Buzzer fairness: phones far and near, presses at known true times, who wins.

    python -m bench.buzzer                       # 1,000 trials (make bench-buzzer)
    python -m bench.buzzer --trials 200 --finals 2

A real daphne process serves stage finals on a scratch SQLite database (``var/bench/buzzer.sqlite3``).
Each final has ``--phones`` captains' phones, real WebSocket clients in this process, each behind a delay
proxy: every frame to or from the phone waits a one-way delay drawn once per phone from 5-250 ms, plus
jitter (a normal draw, sd ``--jitter`` ms, never below 1 ms) per frame, in order, as a phone's link would.
Each phone's own clock is off the server's by a random ±5 s; it answers the server's clock probes and
stamps its presses with that clock, as the captain's page does.

A trial is one buzzer question: the host cues 请抢答; 2-4 phones press at known true times (the first at
the trial's start, the others 30-200 ms after it, so the true press times of the first two always differ
by 30 ms or more); the host console's ``final`` frame then names the team that won (``play.answerer``, the
fair order) and lists every buzz with its receipt time. Counted per trial:

- ``rate_fair``: the team the server chose is the earliest true presser;
- ``rate_arrival_order``: the earliest presser is also the first buzz the server received (what a
  buzzer that takes the first arrival would have chosen), measured on the same buzzes.

The finals run side by side (``--finals``) so 1,000 trials take a few minutes. Writes
``bench/results/buzzer.json`` (``trials``, ``rate_fair``, ``rate_arrival_order`` and the details) and
prints a summary. Target: ``rate_fair`` >= 0.99.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import subprocess
import sys
import time
from collections import deque
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
TARGET = 0.99
QUESTIONS_PER_SEGMENT = 100
MIN_GAP_MS = 30  # trials count when the first two true press times differ by at least this much


def say(text: str) -> None:
    print(text, flush=True)


# --- set-up: a scratch database, the finals, a host session ---------------------------------------------


def setup(
    db_url: str, finals: int, phones: int, trials_each: int, *, name: str = "Buzzer bench", team=None
) -> dict:
    """A scratch competition with ``finals`` finals of ``phones`` teams each, scripted as buzzer segments
    enough for ``trials_each`` questions; ``team(f, i)`` gives a team's fields (a name by default)."""
    team = team or (lambda f, i: {"name": f"Team {f + 1}-{i + 1}"})
    os.environ["DATABASE_URL"] = db_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from django.utils.text import slugify

    from competition.models import Competition
    from quiz.finals.links import team_token
    from quiz.finals.setup import final_create

    call_command("migrate", verbosity=0)
    competition = Competition.objects.create(name=name, slug=slugify(name), year=2026)
    user = get_user_model().objects.create_superuser("bench-host", password="bench-host-pw")
    segments = -(-trials_each // QUESTIONS_PER_SEGMENT)
    script = {
        "segments": [
            {"kind": "buzzer", "rules": {"questions": QUESTIONS_PER_SEGMENT, "open_seconds": 30}}
            for _ in range(segments)
        ]
    }
    made = []
    for f in range(finals):
        final = final_create(
            competition=competition,
            title=f"Bench final {f + 1}",
            teams=[team(f, i) for i in range(phones)],
            script=script,
        )
        teams = list(final.teams.order_by("seed"))
        made.append(
            {
                "id": final.id,
                "pin": final.round.pin,
                "teams": [t.id for t in teams],
                "links": [team_token(t, "captain") for t in teams],
            }
        )
    client = Client()
    client.force_login(user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    return {"finals": made, "cookie": cookie}


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db_url: str, port: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REDIS_URL", None)  # one process, the in-process layer: the measured part is the rule, not Redis
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "-v",
            "0",
            "config.asgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )


async def ws_connect(url: str, **kwargs):
    """Open a WebSocket, trying again a few times (a server under load may drop a handshake)."""
    import websockets

    for attempt in range(5):
        try:
            return await websockets.connect(url, origin="http://127.0.0.1", **kwargs)
        except (OSError, websockets.exceptions.InvalidMessage, websockets.exceptions.InvalidHandshake):
            if attempt == 4:
                raise
            await asyncio.sleep(0.5 * (attempt + 1))
    raise AssertionError("unreachable")


async def wait_port(port: int, within: float = 30) -> None:
    end = time.monotonic() + within
    while time.monotonic() < end:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.2)
    raise RuntimeError(f"the server did not listen on {port}")


# --- phones behind a delay proxy ------------------------------------------------------------------------


class DelayedLink:
    """Frames in one direction, each delivered after the link's delay plus jitter, never out of order."""

    def __init__(self, base_ms: float, jitter_ms: float, rng: random.Random, deliver) -> None:
        self.base, self.jitter, self.rng, self.deliver = base_ms, jitter_ms, rng, deliver
        self.queue: deque = deque()
        self.last_due = 0.0
        self.task = asyncio.get_running_loop().create_task(self._run())
        self.wake = asyncio.Event()

    def delay(self) -> float:
        return max(1.0, self.base + self.rng.gauss(0, self.jitter))

    def put(self, item) -> None:
        due = max(time.monotonic() + self.delay() / 1000, self.last_due)
        self.last_due = due
        self.queue.append((due, item))
        self.wake.set()

    async def _run(self) -> None:
        from websockets.exceptions import ConnectionClosed

        while True:
            if not self.queue:
                self.wake.clear()
                await self.wake.wait()
                continue
            due, item = self.queue[0]
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            self.queue.popleft()
            try:
                await self.deliver(item)
            except ConnectionClosed:
                return  # the phone or the server closed the socket: frames still in flight go nowhere


class Phone:
    """A captain's phone: its own clock, a delayed link both ways, answers to clock probes, presses."""

    def __init__(self, link: str, team: int, one_way_ms: float, jitter_ms: float, rng: random.Random) -> None:
        self.link, self.team = link, team
        self.one_way_ms = one_way_ms
        self.skew_ms = rng.uniform(-5_000, 5_000)
        self.jitter_ms, self.rng = jitter_ms, rng
        self.ws = None

    def clock(self) -> float:
        return time.time() * 1000 + self.skew_ms

    async def connect(self, port: int) -> None:
        self.ws = await ws_connect(f"ws://127.0.0.1:{port}/ws/final/team/{self.link}/", max_size=2**22)
        self.up = DelayedLink(self.one_way_ms, self.jitter_ms, self.rng, self.ws.send)
        self.down = DelayedLink(self.one_way_ms, self.jitter_ms, self.rng, self._received)
        self.reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        async for text in self.ws:
            self.down.put(text)

    async def _received(self, text: str) -> None:
        frame = json.loads(text)
        if frame["type"] == "sync":  # answered at once, on the phone's own clock
            self.up.put(json.dumps({"type": "sync", "s": frame["s"], "n": frame["n"], "c": self.clock()}))

    def press(self) -> None:
        self.up.put(json.dumps({"type": "buzz", "t": self.clock()}))


class Host:
    def __init__(self, final_id: int, cookie: str) -> None:
        self.final_id, self.cookie = final_id, cookie
        self.frames: asyncio.Queue = asyncio.Queue()
        self.replies: asyncio.Queue = asyncio.Queue()
        self.timings: dict[str, list[float]] = {}

    async def connect(self, port: int) -> None:
        self.ws = await ws_connect(
            f"ws://127.0.0.1:{port}/ws/final/host/{self.final_id}/",
            additional_headers={"Cookie": self.cookie},
            max_size=2**24,
        )
        self.reader = asyncio.get_running_loop().create_task(self._read())
        self.latest = await self.frames.get()

    async def _read(self) -> None:
        async for text in self.ws:
            frame = json.loads(text)
            if frame["type"] == "final":
                await self.frames.put(frame)
            elif frame["type"] in ("final.reply", "error"):
                await self.replies.put(frame)

    async def command(self, action: str, **fields) -> dict:
        began = time.perf_counter()
        try:
            return await self._command(action, **fields)
        finally:
            self.timings.setdefault(action, []).append((time.perf_counter() - began) * 1000)

    async def _command(self, action: str, **fields) -> dict:
        await self.ws.send(json.dumps({"type": "command", "action": action, **fields}))
        reply = await asyncio.wait_for(self.replies.get(), 10)
        if reply["type"] == "error":
            raise RuntimeError(f"{action}: {reply['code']} {reply['message']}")
        return reply

    async def drain(self, event: str) -> dict | None:
        """The latest frame already received; the last one naming ``event`` if any."""
        found = None
        while not self.frames.empty():
            frame = self.frames.get_nowait()
            self.latest = frame
            if event in frame["events"]:
                found = frame
        return found

    async def until(self, event: str, within: float = 10) -> dict:
        end = time.monotonic() + within
        while True:
            frame = await asyncio.wait_for(self.frames.get(), max(end - time.monotonic(), 0.01))
            self.latest = frame
            if event in frame["events"]:
                return frame


# --- trials ---------------------------------------------------------------------------------------------


async def press_at(phone: Phone, at: float, true_ms: dict[int, float]) -> None:
    """Press at the true time ``at`` (this machine's clock, which the server shares), noting it."""
    await asyncio.sleep(max(at - time.time(), 0))
    true_ms[phone.team] = time.time() * 1000
    phone.press()


async def run_final(
    final: dict, cookie: str, port: int, shared: dict, args, rng: random.Random
) -> list[dict]:
    phones = [
        Phone(link, team, rng.uniform(5, 250), args.jitter, random.Random(rng.random()))
        for link, team in zip(final["links"], final["teams"], strict=True)
    ]
    for phone in phones:
        await phone.connect(port)
    host = Host(final["id"], cookie)
    await host.connect(port)
    await asyncio.sleep(args.warmup)  # the first clock probes
    await host.command("start")
    results = []
    segment, question = 0, 0
    trial = 0
    while shared["qualifying"] < shared["target"] and trial < shared["limit"]:
        if question == QUESTIONS_PER_SEGMENT:
            segment, question = segment + 1, 0
            await host.command("next_segment", index=segment)
        elif trial:
            await host.command("next_question", index=question)
        await host.command("cue")
        pressers = rng.sample(phones, rng.randint(2, min(4, len(phones))))
        start = time.time() + 0.05
        offsets = [0.0, *sorted(rng.uniform(30, 200) for _ in pressers[1:])]
        true_ms: dict[int, float] = {}
        await asyncio.gather(
            *(press_at(p, start + o / 1000, true_ms) for p, o in zip(pressers, offsets, strict=True))
        )
        frame = await host.until("buzz.winner", within=30)
        decided_after = time.time() * 1000 - min(true_ms.values())
        await asyncio.sleep(0.3)  # a buzz received before the decision but handled after it may correct it
        corrected = await host.drain("buzz.corrected")
        if corrected is not None:
            frame = corrected
        play, buzzes = frame["final"]["play"], host.latest["final"]["buzzes"]
        earliest = min(true_ms, key=true_ms.get)
        valid = [b for b in buzzes if not b["early"]]
        first_arrival = min(valid, key=lambda b: b["received_ms"])["team"] if valid else None
        ordered = sorted(true_ms.values())
        if ordered[1] - ordered[0] >= MIN_GAP_MS:
            shared["qualifying"] += 1
        trial += 1
        results.append(
            {
                "fair": play["answerer"] == earliest,
                "arrival": first_arrival == earliest,
                "gap_ms": ordered[1] - ordered[0],
                "pressers": len(true_ms),
                "buzzes": len(valid),
                "one_way_ms": {str(p.team): round(p.one_way_ms, 1) for p in pressers},
                "decided_after_ms": round(decided_after, 1),
                "corrected": corrected is not None,
            }
        )
        await host.command("close")
        question += 1
    for phone in phones:
        await phone.ws.close()
    await host.ws.close()
    if results:
        results[0]["command_ms"] = {k: round(sorted(v)[len(v) // 2], 1) for k, v in host.timings.items()}
    return results


async def run(args, db_url: str, made: dict) -> dict:
    each = -(-int(args.trials * 1.3) // args.finals)  # room for trials that do not count
    port = free_port()
    log = ROOT / "var" / "bench" / "buzzer-daphne.log"
    server = start_server(db_url, port, log)
    started = time.monotonic()
    try:
        await wait_port(port)
        rng = random.Random(args.seed)
        # Presses are scheduled 30 ms or more apart, but a busy machine can wake two of them together:
        # trials go on until ``--trials`` of them have true press times 30 ms or more apart.
        shared = {"qualifying": 0, "target": args.trials, "limit": each}
        parts = await asyncio.gather(
            *(
                run_final(final, made["cookie"], port, shared, args, random.Random(rng.random()))
                for final in made["finals"]
            )
        )
    finally:
        server.terminate()
        server.wait(10)
    everything = [t for part in parts for t in part]
    trials = [t for t in everything if t["gap_ms"] >= MIN_GAP_MS]
    n = len(trials)
    decided = sorted(t["decided_after_ms"] for t in trials)
    return {
        "trials": n,
        "trials_run": len(everything),
        "min_gap_counted_ms": MIN_GAP_MS,
        "corrected_after_decision": sum(t["corrected"] for t in trials),
        "rate_fair": round(sum(t["fair"] for t in trials) / n, 4),
        "rate_arrival_order": round(sum(t["arrival"] for t in trials) / n, 4),
        "target_rate_fair": TARGET,
        "min_gap_ms": round(min(t["gap_ms"] for t in trials), 1) if trials else None,
        "one_way_delay_ms": [5, 250],
        "jitter_sd_ms": args.jitter,
        "phones_per_final": args.phones,
        "finals": args.finals,
        "window_ms": 150,
        "window_max_ms": 600,
        "decided_after_first_press_ms": {
            "median": decided[n // 2],
            "p99": decided[min(n - 1, int(n * 0.99))],
        },
        "unfair_trials": [t for t in trials if not t["fair"]][:20],
        "seconds": round(time.monotonic() - started, 1),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--finals", type=int, default=4, help="finals played side by side")
    parser.add_argument("--phones", type=int, default=8, help="captains' phones per final")
    parser.add_argument("--jitter", type=float, default=8.0, help="sd of the per-frame jitter, ms")
    parser.add_argument(
        "--warmup", type=float, default=3.0, help="seconds of clock probes before the first trial"
    )
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    from bench.scratch import sqlite_recreate

    db_url = sqlite_recreate("buzzer.sqlite3")
    say(f"setting up {args.finals} finals of {args.phones} phones on {db_url} ...")
    made = setup(db_url, args.finals, args.phones, -(-int(args.trials * 1.3) // args.finals))
    result = asyncio.run(run(args, db_url, made))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "buzzer.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    say(
        f"trials {result['trials']}: fair order {result['rate_fair']:.1%} (target {TARGET:.0%}), "
        f"arrival order {result['rate_arrival_order']:.1%}; "
        f"decided {result['decided_after_first_press_ms']['median']} ms "
        f"after the first press (median), {result['seconds']} s; bench/results/buzzer.json"
    )
    if result["rate_fair"] < TARGET:
        sys.exit(1)


if __name__ == "__main__":
    main()
