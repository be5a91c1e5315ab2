"""The raw baseline: a plain ``websockets`` server doing the same job with no framework.

It speaks just enough of the quiz protocol for the same load client: contestants ``join`` (``welcome``),
the host sends ``open`` / ``reveal`` / ``leaderboard`` (each one ``websockets.broadcast`` of a frame
to every contestant, plus one ``result`` frame per contestant on reveal). Answers are collected and
written every 5 ms in one statement (PostgreSQL: one ``INSERT ... SELECT FROM unnest`` into a scratch
table; SQLite: ``executemany`` in one transaction), and each is acked only after its batch committed.
No scoring, no rules: this is the ceiling the quiz servers are compared against.

Usage: ``python -m bench.baseline --port P --store postgres://... | sqlite:///path``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from websockets.asyncio.server import broadcast, serve
from websockets.exceptions import ConnectionClosed

from bench import procstat

BATCH_SECONDS = 0.005
TABLE = "bench_baseline_answer"


def dumps(frame: dict) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


class PostgresStore:
    def __init__(self, url: str) -> None:
        self.url = url
        self.conn = None

    async def open(self) -> None:
        import psycopg

        self.conn = await psycopg.AsyncConnection.connect(self.url, autocommit=False)
        async with self.conn.cursor() as cur:
            await cur.execute(f"DROP TABLE IF EXISTS {TABLE}")
            await cur.execute(
                f"CREATE TABLE {TABLE} (contestant integer NOT NULL, question integer NOT NULL,"
                " choices jsonb NOT NULL, received_at timestamptz NOT NULL,"
                " PRIMARY KEY (contestant, question))"
            )
        await self.conn.commit()

    async def write(self, rows: list[tuple[int, int, str, datetime]]) -> None:
        async with self.conn.cursor() as cur:
            await cur.execute(
                f"INSERT INTO {TABLE} (contestant, question, choices, received_at)"
                " SELECT c, q, ch::jsonb, r FROM unnest(%s::int[], %s::int[], %s::text[], %s::timestamptz[])"
                " AS t(c, q, ch, r) ON CONFLICT DO NOTHING",
                ([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows]),
            )
        await self.conn.commit()

    async def count(self) -> int:
        async with self.conn.cursor() as cur:
            await cur.execute(f"SELECT count(*) FROM {TABLE}")
            (n,) = await cur.fetchone()
        await self.conn.commit()
        return n


class SqliteStore:
    """The same group commit on SQLite, in one writer thread (as Django's ORM would run it)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.pool = ThreadPoolExecutor(1)
        self.conn: sqlite3.Connection | None = None

    def _open(self) -> None:
        self.conn = sqlite3.connect(self.path, check_same_thread=False, timeout=20)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
        self.conn.execute(
            f"CREATE TABLE {TABLE} (contestant integer NOT NULL, question integer NOT NULL,"
            " choices text NOT NULL, received_at text NOT NULL, PRIMARY KEY (contestant, question))"
        )
        self.conn.commit()

    def _write(self, rows) -> None:
        with self.conn:
            self.conn.executemany(
                f"INSERT OR IGNORE INTO {TABLE} VALUES (?, ?, ?, ?)",
                [(a, b, c, d.isoformat()) for a, b, c, d in rows],
            )

    def _count(self) -> int:
        return self.conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0]

    async def open(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self.pool, self._open)

    async def write(self, rows) -> None:
        await asyncio.get_running_loop().run_in_executor(self.pool, self._write, rows)

    async def count(self) -> int:
        return await asyncio.get_running_loop().run_in_executor(self.pool, self._count)


class Baseline:
    def __init__(self, store, questions: list[dict]) -> None:
        self.store = store
        self.questions = questions
        self.phones: set = set()
        self.ids: dict = {}
        self.version = 1
        self.current: int | None = None
        self.opened_at = 0.0
        self.pending: list[tuple[tuple, asyncio.Future]] = []
        self.timer: asyncio.TimerHandle | None = None
        self.lock = asyncio.Lock()
        self.next_id = 1
        self.tasks: set[asyncio.Task] = set()

    # --- answers: group commit ---------------------------------------------------------------------------

    async def submit(self, row: tuple) -> bool:
        future = asyncio.get_running_loop().create_future()
        self.pending.append((row, future))
        if self.timer is None:
            self.timer = asyncio.get_running_loop().call_later(BATCH_SECONDS, self._spawn_flush)
        return await future

    def _spawn_flush(self) -> None:
        self.timer = None
        task = asyncio.get_running_loop().create_task(self._flush())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _flush(self) -> None:
        async with self.lock:
            batch, self.pending = self.pending, []
            if not batch:
                return
            try:
                await self.store.write([row for row, _ in batch])
                ok = True
            except Exception:
                ok = False
            for _, future in batch:
                if not future.done():
                    future.set_result(ok)

    # --- sockets -----------------------------------------------------------------------------------------

    def state(self, event: str, index: int, *, reveal: bool = False) -> str:
        q = self.questions[index]
        question = {
            "index": index,
            "kind": q["kind"],
            "stem": q["stem"],
            "choices": q["choices"],
            "duration_ms": q["duration_ms"],
            "deadline": int(time.time() * 1000) + q["duration_ms"],
            "remaining_ms": q["duration_ms"],
        }
        if reveal:
            question["correct"] = []
        return dumps(
            {
                "type": "state",
                "version": self.version,
                "event": event,
                "index": index,
                "round": {"phase": event.split(".")[0], "current": index, "question": question},
            }
        )

    async def handler(self, ws) -> None:
        if ws.request.path.startswith("/host"):
            await self.host(ws)
        else:
            await self.contestant(ws)

    async def contestant(self, ws) -> None:
        try:
            async for text in ws:
                frame = json.loads(text)
                kind = frame.get("type")
                if kind in ("join", "resume"):
                    if kind == "join":
                        cid = self.next_id
                        self.next_id += 1
                    else:  # the token is the id: no signature, no lookup (a ceiling, not a design)
                        cid = int(frame.get("token") or 0)
                    self.ids[ws] = cid
                    self.phones.add(ws)
                    await ws.send(
                        dumps(
                            {
                                "type": "welcome",
                                "version": self.version,
                                "token": str(cid),
                                "me": {"id": cid, "nickname": frame.get("nickname")},
                            }
                        )
                    )
                elif kind == "answer":
                    cid = self.ids.get(ws)
                    index = frame.get("question")
                    if cid is None or index != self.current:
                        await ws.send(
                            dumps(
                                {
                                    "type": "error",
                                    "version": self.version,
                                    "code": "wrong_question",
                                    "message": "not open",
                                    "ref": "answer",
                                }
                            )
                        )
                        continue
                    choices = sorted(frame["choices"])
                    received = datetime.now(UTC)
                    ok = await self.submit((cid, index, json.dumps(choices), received))
                    if ok:
                        await ws.send(
                            dumps(
                                {
                                    "type": "ack",
                                    "version": self.version,
                                    "question": index,
                                    "choices": choices,
                                    "received_at": int(received.timestamp() * 1000),
                                    "duplicate": False,
                                }
                            )
                        )
                    else:
                        await ws.send(
                            dumps(
                                {
                                    "type": "error",
                                    "version": self.version,
                                    "code": "server_error",
                                    "message": "send it again",
                                    "ref": "answer",
                                }
                            )
                        )
                elif kind == "ping":
                    await ws.send(
                        dumps(
                            {
                                "type": "pong",
                                "version": self.version,
                                "t": frame.get("t"),
                                "server_time": int(time.time() * 1000),
                            }
                        )
                    )
        except ConnectionClosed:
            pass
        finally:
            self.phones.discard(ws)
            self.ids.pop(ws, None)

    async def host(self, ws) -> None:
        await ws.send(dumps({"type": "snapshot", "version": self.version, "audience": "host"}))
        async for text in ws:
            frame = json.loads(text)
            action, index = frame.get("type"), frame.get("question")
            if action == "stats":
                await ws.send(
                    dumps(
                        {
                            "type": "command",
                            "command": "stats",
                            "stats": {
                                "answers_stored": await self.store.count(),
                                "contestants": self.next_id - 1,
                            },
                        }
                    )
                )
                continue
            self.version += 1
            if action == "open":
                self.current = index
                broadcast(self.phones, self.state("question.opened", index))
            elif action == "reveal":
                self.current = None
                broadcast(self.phones, self.state("answer.revealed", index, reveal=True))
                for phone in list(self.phones):
                    broadcast(
                        [phone],
                        dumps(
                            {
                                "type": "result",
                                "version": self.version,
                                "question": index,
                                "correct": False,
                                "points": 0,
                                "score": 0,
                                "rank": None,
                            }
                        ),
                    )
            elif action == "leaderboard":
                broadcast(self.phones, self.state("leaderboard.shown", index))
            await ws.send(
                dumps({"type": "command", "version": self.version, "command": action, "changed": True})
            )


async def amain(args, questions: list[dict]) -> None:
    store = (
        PostgresStore(args.store)
        if args.store.startswith("postgres")
        else SqliteStore(args.store.split(":///", 1)[1])
    )
    await store.open()
    server = Baseline(store, questions)
    server.next_id = args.first_id
    # No compression (the load client does not offer it either) and no pings during a run.
    async with serve(
        server.handler,
        "127.0.0.1",
        args.port,
        compression=None,
        ping_interval=None,
        max_size=2**20,
        backlog=4096,
    ):
        print("READY", flush=True)
        await asyncio.Future()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--store", required=True)
    parser.add_argument("--questions", required=True, help="JSON list of the round's questions")
    parser.add_argument(
        "--loop",
        choices=["asyncio", "uvloop"],
        default="asyncio",
        help="the event loop the quiz server ran on",
    )
    parser.add_argument("--index", type=int, default=0, help="which of several baseline processes this is")
    args = parser.parse_args()
    global TABLE
    if args.index:  # each process its own table and its own range of contestant ids
        TABLE = f"{TABLE}_{args.index}"
    args.first_id = 1 + args.index * 10_000_000
    procstat.raise_nofile()
    runner = asyncio.run
    if args.loop == "uvloop":
        import uvloop

        runner = uvloop.run
    print(f"loop: {args.loop}", flush=True)
    questions = json.loads(Path(args.questions).read_text(encoding="utf-8"))
    runner(amain(args, questions))


if __name__ == "__main__":
    main()
