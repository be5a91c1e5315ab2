"""Screen latency in a stage final: from a captain's press to "team X buzzed" on every screen.

    python -m bench.finals_screens                        # 8 teams, 2,000 screens, 100 buzzes
    python -m bench.finals_screens --screens 500 --trials 20

A real daphne process serves one stage final (scratch SQLite database ``var/bench/finals_screens.sqlite3``,
one process, the in-process layer, as ``make run``) on loopback. Watching it: ``--screens`` audience
sockets on the big screen's endpoint (``/ws/final/screen/<pin>/``), spread over ``--workers`` client
processes, plus the 8 captains' phones and the host console in the main process.

A trial is one buzzer question: the host cues 请抢答, one captain (a random team) presses ``--reaction``
seconds later (0.3 s: a quick team's reaction; the cue's own frame has reached the screens), and every
socket's first ``final`` frame naming ``buzz.received`` is the moment that screen can show "team X buzzed"
(the big screen lights the team as soon as ``play.buzzed`` names it). The latency of a screen is its
receipt time minus the time the phone sent the press (one machine, one clock). The host then closes the
question and moves on.

The clients must not add what they measure: a screen socket stamps the time as soon as its bytes are
handed to it, with a substring test for the event, and parses the frames later in the loop (after every
socket that had bytes in the same wake-up has been stamped), so the stamp is not delayed by parsing the
other sockets' frames.

Writes ``bench/results/finals_screens.json`` (deliveries p50/p90/p99/max, the p99 of the last screen per
buzz, lost deliveries, the machine's load before and after) and fails when the p99 of deliveries is over
the target (50 ms).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import platform
import random
import re
import sys
import time
from pathlib import Path

from bench.buzzer import free_port, start_server, wait_port, ws_connect
from bench.buzzer import setup as buzzer_setup

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
TARGET_MS = 50.0
TEAMS = 8
QUESTIONS_PER_SEGMENT = 100
MARKER = b'"buzz.received"'
VERSION = re.compile(rb'"version":\s*(\d+)')


def say(text: str) -> None:
    print(text, flush=True)


def load() -> str:
    """The load average, as ``uptime`` shows it."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 2)


# --- set-up ---------------------------------------------------------------------------------------------


def setup(db_url: str, trials: int) -> dict:
    """One final of ``TEAMS`` teams (Chinese names, as on stage: the frames have their real size)."""
    made = buzzer_setup(
        db_url,
        finals=1,
        phones=TEAMS,
        trials_each=trials,
        name="Screens bench",
        team=lambda f, i: {"name": f"第{i + 1}队", "district": f"District {i + 1}"},
    )
    return {**made["finals"][0], "cookie": made["cookie"]}


# --- the audience: screen sockets in worker processes ---------------------------------------------------


def worker(conn, port: int, pin: str, count: int, concurrency: int) -> None:
    """Open ``count`` screen sockets, say how many are open, stamp every buzz, report the stamps."""
    asyncio.run(_worker(conn, port, pin, count, concurrency))


async def _worker(conn, port: int, pin: str, count: int, concurrency: int) -> None:
    from bench.wsclient import WSClient

    loop = asyncio.get_running_loop()
    stamps: list[dict[int, float]] = []
    lost = [0]

    class StampingClient(WSClient):
        """Stamps a frame's arrival before parsing anything; parses on the next turn of the loop."""

        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.seen: dict[int, float] = {}
            self.pending: list[bytes] = []
            self.snapshot: asyncio.Future = loop.create_future()  # the first frame: the screen is live

        def data_received(self, data: bytes) -> None:
            now = time.time()
            at = data.find(MARKER)
            if at >= 0:
                head = data[:at]
                found = list(VERSION.finditer(head))
                if found:
                    self.seen.setdefault(int(found[-1].group(1)), now)
            if not self.opened.done():
                super().data_received(data)
                if self.opened.done() and data.find(b'"type"') >= 0 and not self.snapshot.done():
                    self.snapshot.set_result(None)
                return
            if not self.snapshot.done():
                self.snapshot.set_result(None)
            if not self.pending:
                loop.call_soon(self._parse)
            self.pending.append(data)

        def _parse(self) -> None:
            data, self.pending = b"".join(self.pending), []
            super().data_received(data)

    semaphore = asyncio.Semaphore(concurrency)

    async def open_one() -> StampingClient | None:
        async with semaphore:
            for attempt in range(5):
                try:
                    client = await StampingClient.connect(
                        "127.0.0.1",
                        port,
                        f"/ws/final/screen/{pin}/",
                        origin="http://127.0.0.1",
                        headers=None,
                        on_text=lambda _text: None,
                        on_lost=lambda _code, _reason: lost.__setitem__(0, lost[0] + 1),
                    )
                except (OSError, ConnectionError):
                    await asyncio.sleep(0.5 * (attempt + 1))
                    continue
                await asyncio.wait_for(client.snapshot, 120)  # its first frame: it watches the final
                return client
            return None

    clients = [c for c in await asyncio.gather(*(open_one() for _ in range(count))) if c is not None]
    conn.send(("ready", len(clients)))
    await loop.run_in_executor(None, conn.recv)  # "stop"
    for client in clients:
        stamps.append(client.seen)
    conn.send(("stamps", [{str(v): t for v, t in s.items()} for s in stamps], lost[0]))
    for client in clients:
        client.abort()


# --- the stage: host and captains -----------------------------------------------------------------------


class Captain:
    def __init__(self, link: str) -> None:
        self.link = link
        self.acks: asyncio.Queue = asyncio.Queue()
        self.stamps: dict[int, float] = {}

    async def connect(self, port: int) -> None:
        self.ws = await ws_connect(
            f"ws://127.0.0.1:{port}/ws/final/team/{self.link}/", max_size=2**22, open_timeout=60
        )
        self.reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        async for text in self.ws:
            now = time.time()
            frame = json.loads(text)
            if frame["type"] == "buzz.ack":
                await self.acks.put(frame)
            elif frame["type"] == "final" and "buzz.received" in frame["events"]:
                self.stamps.setdefault(frame["version"], now)
            elif frame["type"] == "sync":
                await self.ws.send(
                    json.dumps({"type": "sync", "s": frame["s"], "n": frame["n"], "c": time.time() * 1000})
                )

    async def press(self) -> tuple[float, dict]:
        sent = time.time()
        await self.ws.send(json.dumps({"type": "buzz", "t": sent * 1000}))
        ack = await asyncio.wait_for(self.acks.get(), 10)
        return sent, ack


class HostConsole:
    def __init__(self, final_id: int, cookie: str) -> None:
        self.final_id, self.cookie = final_id, cookie
        self.replies: asyncio.Queue = asyncio.Queue()
        self.stamps: dict[int, float] = {}

    async def connect(self, port: int) -> None:
        self.ws = await ws_connect(
            f"ws://127.0.0.1:{port}/ws/final/host/{self.final_id}/",
            additional_headers={"Cookie": self.cookie},
            max_size=2**24,
            open_timeout=60,
        )
        self.reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        async for text in self.ws:
            now = time.time()
            frame = json.loads(text)
            if frame["type"] == "final" and "buzz.received" in frame["events"]:
                self.stamps.setdefault(frame["version"], now)
            elif frame["type"] in ("final.reply", "error"):
                await self.replies.put(frame)

    async def command(self, action: str, **fields) -> dict:
        await self.ws.send(json.dumps({"type": "command", "action": action, **fields}))
        reply = await asyncio.wait_for(self.replies.get(), 10)
        if reply["type"] == "error":
            raise RuntimeError(f"{action}: {reply['code']} {reply['message']}")
        return reply


async def run(args, made: dict, port: int) -> dict:
    ctx = mp.get_context("spawn")
    per_worker = [
        args.screens // args.workers + (i < args.screens % args.workers) for i in range(args.workers)
    ]
    pipes, procs = [], []
    began = time.monotonic()
    for count in per_worker:
        mine, theirs = ctx.Pipe()
        proc = ctx.Process(target=worker, args=(theirs, port, made["pin"], count, args.concurrency))
        proc.start()
        pipes.append(mine)
        procs.append(proc)
    opened = 0
    for pipe in pipes:
        kind, n = await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
        assert kind == "ready"
        opened += n
    joined_s = time.monotonic() - began
    say(f"{opened} screens open in {joined_s:.1f} s; load {load()}")

    captains = [Captain(link) for link in made["links"]]
    for captain in captains:
        await captain.connect(port)
    host = HostConsole(made["id"], made["cookie"])
    await host.connect(port)
    await asyncio.sleep(1.5)  # the captains' first clock probes
    await host.command("start")
    rng = random.Random(args.seed)
    load_before = load()
    presses: dict[int, float] = {}
    segment, question = 0, 0
    for trial in range(args.trials):
        if question == QUESTIONS_PER_SEGMENT:
            segment, question = segment + 1, 0
            await host.command("next_segment", index=segment)
        elif trial:
            await host.command("next_question", index=question)
        await host.command("cue")
        await asyncio.sleep(args.reaction)  # the cue reaches every screen; the team reacts
        sent, ack = await rng.choice(captains).press()
        presses[ack["version"]] = sent
        await asyncio.sleep(args.gap)  # the window decides, every screen has had its frames
        await host.command("close")
        question += 1
        if (trial + 1) % 20 == 0:
            say(f"  {trial + 1} buzzes")
    load_after = load()
    await asyncio.sleep(0.5)
    screens: list[dict[str, float]] = []
    lost_sockets = 0
    for pipe in pipes:
        pipe.send("stop")
    for pipe in pipes:
        kind, stamps, lost = await asyncio.get_running_loop().run_in_executor(None, pipe.recv)
        screens.extend(stamps)
        lost_sockets += lost
    for proc in procs:
        proc.join(10)
    for captain in captains:
        await captain.ws.close()
    await host.ws.close()

    def latencies(stamps: dict, key=str) -> list[float]:
        return [(stamps[key(v)] - t) * 1000 for v, t in presses.items() if key(v) in stamps]

    deliveries: list[float] = []
    last_per_buzz: dict[int, float] = {}
    missing = 0
    for stamps in screens:
        for version, sent in presses.items():
            at = stamps.get(str(version))
            if at is None:
                missing += 1
                continue
            ms = (at - sent) * 1000
            deliveries.append(ms)
            last_per_buzz[version] = max(last_per_buzz.get(version, 0.0), ms)
    phones = [ms for c in captains for ms in latencies(c.stamps, key=int)]
    host_ms = latencies(host.stamps, key=int)
    return {
        "buzzes": len(presses),
        "screens": opened,
        "teams": TEAMS,
        "deliveries": len(deliveries),
        "missing_deliveries": missing,
        "screen_sockets_lost": lost_sockets,
        "target_p99_ms": TARGET_MS,
        "screens_ms": {
            "p50": percentile(deliveries, 0.5),
            "p90": percentile(deliveries, 0.9),
            "p99": percentile(deliveries, 0.99),
            "max": round(max(deliveries), 2) if deliveries else None,
        },
        "last_screen_per_buzz_ms": {
            "p50": percentile(list(last_per_buzz.values()), 0.5),
            "p99": percentile(list(last_per_buzz.values()), 0.99),
        },
        "captains_phones_ms": {"p50": percentile(phones, 0.5), "p99": percentile(phones, 0.99)},
        "host_console_ms": {"p50": percentile(host_ms, 0.5), "p99": percentile(host_ms, 0.99)},
        "screens_joined_s": round(joined_s, 1),
        "load_before": load_before,
        "load_after": load_after,
        "workers": args.workers,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


async def amain(args, made: dict, db_url: str) -> dict:
    port = free_port()
    log = ROOT / "var" / "bench" / "finals-screens-daphne.log"
    server = start_server(db_url, port, log)
    try:
        await wait_port(port)
        return await run(args, made, port)
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--screens", type=int, default=2000, help="audience sockets on the big screen")
    parser.add_argument("--trials", type=int, default=100, help="buzzes")
    parser.add_argument("--workers", type=int, default=2, help="client processes holding the screens")
    parser.add_argument("--concurrency", type=int, default=10, help="screens connecting at once per worker")
    parser.add_argument("--gap", type=float, default=0.8, help="seconds from a press to closing the question")
    parser.add_argument(
        "--reaction", type=float, default=0.3, help="seconds from the host's cue to the press"
    )
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    from bench.scratch import sqlite_recreate

    db_url = sqlite_recreate("finals_screens.sqlite3")
    say(f"setting up a final of {TEAMS} teams on {db_url} ...")
    made = setup(db_url, args.trials)
    result = asyncio.run(amain(args, made, db_url))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "finals_screens.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    s = result["screens_ms"]
    say(
        f"{result['buzzes']} buzzes x {result['screens']} screens: press to 'team X buzzed' "
        f"p50 {s['p50']} ms, p99 {s['p99']} ms (target {TARGET_MS:.0f}), max {s['max']} ms; "
        f"last screen per buzz p99 {result['last_screen_per_buzz_ms']['p99']} ms; "
        f"missing {result['missing_deliveries']}; load {result['load_before']} -> {result['load_after']}; "
        "bench/results/finals_screens.json"
    )
    if s["p99"] is None or s["p99"] > TARGET_MS or result["missing_deliveries"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
