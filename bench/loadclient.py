"""The load client: N contestant sockets and one host socket in one asyncio process.

It runs in its own process so its CPU is not counted as the server's (its own CPU time is reported).
The same phases run against the quiz servers and the raw baseline (``bench/baseline.py``):

1. join: N sockets connect (the lean sans-I/O client in ``bench.wsclient``), ``concurrency`` joins in
   flight, and join with a nickname; ``join_s`` = first connect -> last ``welcome``.
2. for each question i: the host sends ``open``; ``broadcast`` = host send -> each contestant has the
   ``state`` frame with event ``question.opened`` for i. Then every contestant answers at once (resending
   on ``server_error``); ``ack_all`` = first answer sent -> last ack back. Then ``reveal`` (each contestant
   must get its ``result`` frame) and ``leaderboard``.
3. reconnect storm (after the first question's answers, while it is still open): every phone's connection
   is dropped at once, and every phone reconnects (``concurrency`` in flight) and resumes with its token;
   ``reconnect_all_s`` = the drop -> the last ``welcome``. A resumed phone's ``welcome`` must carry the
   answer it had acked (quiz servers).
Throughout: sockets closed by the other side are counted as dropped, and any frame carrying a question's
key (``correct`` / ``explanation``) before that question's reveal, or a ``result`` before it, is a leak.

The server's CPU (per broadcast and per answer) and memory (per 1,000 joined sockets) are read from
/proc for the server pids given in the config. Usage: ``python -m bench.loadclient CONFIG.json``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import resource
import signal
import sys
import time
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from bench import procstat
from bench.wsclient import WSClient

now = time.perf_counter
ORIGIN = "http://localhost"
MAX_RESENDS = 20


def client_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(q * len(ordered)) - 1, 0)]


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


class Waiter:
    """Counts one kind of arrival (e.g. question 2 opened) until every expected phone has it."""

    __slots__ = ("event", "target", "times")

    def __init__(self, target: int) -> None:
        self.target = target
        self.times: list[float] = []
        self.event = asyncio.Event()
        if target <= 0:
            self.event.set()

    def hit(self, t: float) -> None:
        self.times.append(t)
        if len(self.times) >= self.target:
            self.event.set()

    async def wait(self, seconds: float) -> bool:
        try:
            await asyncio.wait_for(self.event.wait(), seconds)
            return True
        except TimeoutError:
            return False


class Phone:
    __slots__ = (
        "acked",
        "acked_at",
        "cid",
        "close_info",
        "done",
        "dropped",
        "idx",
        "joined",
        "opened_at",
        "reconnecting",
        "resends",
        "results",
        "resumed_answer",
        "revealed",
        "seen",
        "sent",
        "sent_at",
        "sent_text",
        "token",
        "welcome",
        "ws",
    )

    def __init__(self, idx: int) -> None:
        self.idx = idx
        self.ws: WSClient | None = None
        self.cid: int | None = None
        self.joined = False
        self.dropped = False
        self.close_info: str | None = None
        self.welcome: asyncio.Future | None = None
        self.revealed: set[int] = set()
        self.seen: set[tuple[str, int]] = set()
        self.opened_at: dict[int, float] = {}
        self.sent: dict[int, list[int]] = {}
        self.sent_text: dict[int, str] = {}
        self.acked: dict[int, dict[str, Any]] = {}
        self.acked_at: dict[int, float] = {}
        self.sent_at: dict[int, float] = {}
        self.token: str | None = None
        self.reconnecting = False
        self.resumed_answer: dict[str, Any] | None = None
        self.results: dict[int, dict[str, Any]] = {}
        self.done: set[int] = set()  # questions whose answer got a final reply (ack or refusal)
        self.resends = 0


class Window:
    """CPU spent in one measured window: the servers', this client's, and everyone else's on the machine.

    ``other_load_cores`` is the machine's busy CPU minus the servers' and the client's, per second of the
    window: other work on a shared machine (a test suite, a browser) competing with the benchmark.
    """

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.t0 = now()
        self.server0 = procstat.cpu_seconds_many(pids)
        self.client0 = client_cpu()
        self.busy0 = procstat.machine_busy_seconds()

    def close(self) -> dict[str, float]:
        wall = now() - self.t0
        server = procstat.cpu_seconds_many(self.pids) - self.server0
        client = client_cpu() - self.client0
        busy = procstat.machine_busy_seconds() - self.busy0
        return {
            "server_cpu_s": round(server, 4),
            "client_cpu_s": round(client, 4),
            "wall_s": round(wall, 4),
            "other_load_cores": round(max(busy - server - client, 0) / wall, 2) if wall > 0 else None,
        }


class Profiler:
    """py-spy sampling the servers during one phase at a time (``bench.run --profile``); else a no-op."""

    def __init__(self, spy: str | None, pids: list[int], directory: str | None, native: bool = False) -> None:
        self.spy, self.pids, self.directory = spy, pids, directory
        self.extra = ["--native"] if native else []
        self.running: list[asyncio.subprocess.Process] = []
        self.files: list[str] = []

    async def start(self, name: str) -> None:
        if not self.spy:
            return
        for i, pid in enumerate(self.pids):
            out = f"{self.directory}/profile-{name}-{i}.txt"
            self.files.append(out)
            self.running.append(
                await asyncio.create_subprocess_exec(
                    self.spy,
                    "record",
                    "--pid",
                    str(pid),
                    "--rate",
                    "100",
                    "--format",
                    "raw",
                    "--threads",
                    *self.extra,
                    "--output",
                    out,
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.DEVNULL,
                )
            )
        await asyncio.sleep(1.5)  # attaching takes a moment; the phase must not start before

    async def stop(self) -> None:
        for proc in self.running:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        for proc in self.running:
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
        self.running = []


class LoadClient:
    def __init__(self, cfg: dict[str, Any]) -> None:
        self.cfg = cfg
        self.n: int = cfg["n"]
        self.k: int = cfg["k"]
        self.ports: list[int] = cfg["ports"]
        self.pids: list[int] = cfg["server_pids"]
        self.timeout: float = cfg["phase_timeout"]
        self.phones = [Phone(i) for i in range(self.n)]
        self.waiters: dict[tuple[str, int], Waiter] = {}
        self.stopping = False
        self.leaks = 0
        self.leak_examples: list[str] = []
        self.refusals: dict[str, int] = {}
        self.ack_mismatch = 0
        self.unexpected_errors: dict[str, int] = {}
        self.join_errors: dict[str, int] = {}
        self.host = None
        self.host_reply: asyncio.Future | None = None
        self.host_frames: dict[str, int] = {}
        self.host_dropped = False
        self.opened_frame_bytes: dict[int, int] = {}
        self.open_sent_at: dict[int, float] = {}
        self.profiler = Profiler(
            cfg.get("py_spy"), self.pids, cfg.get("profile_dir"), cfg.get("py_spy_native")
        )

    # --- frames ----------------------------------------------------------------------------------------

    def _leak(self, phone: Phone, frame: dict[str, Any], what: str) -> None:
        self.leaks += 1
        if len(self.leak_examples) < 5:
            self.leak_examples.append(
                f"phone {phone.idx}: {what}: {json.dumps(frame, ensure_ascii=False)[:300]}"
            )

    def on_frame(self, phone: Phone, text: str, t: float) -> None:
        frame = json.loads(text)
        kind = frame.get("type")
        if kind == "state":
            event, index = frame.get("event"), frame.get("index")
            if event == "answer.revealed" and index is not None:
                phone.revealed.add(index)
            self._check_round(phone, frame)
            if event == "question.opened":
                if index not in phone.opened_at:
                    phone.opened_at[index] = t
                    self.opened_frame_bytes.setdefault(index, len(text.encode()))
                    self._hit(phone, "opened", index, t)
            elif event == "answer.revealed":
                self._hit(phone, "revealed", index, t)
            elif event == "leaderboard.shown":
                self._hit(phone, "leaderboard", index, t)
        elif kind == "result":
            index = frame.get("question")
            if index not in phone.revealed:
                self._leak(phone, frame, "result before the reveal")
            if index not in phone.results:
                phone.results[index] = {
                    "score": frame.get("score"),
                    "points": frame.get("points"),
                    "correct": frame.get("correct"),
                    "rank": frame.get("rank"),
                }
                self._hit(phone, "result", index, t)
        elif kind == "ack":
            index = frame.get("question")
            if index in phone.sent and index not in phone.acked:
                phone.acked[index] = {
                    "choices": frame.get("choices"),
                    "received_at": frame.get("received_at"),
                    "duplicate": frame.get("duplicate"),
                }
                phone.acked_at[index] = t
                if sorted(frame.get("choices") or []) != sorted(phone.sent[index]):
                    self.ack_mismatch += 1
                self._final(phone, index, t)
        elif kind == "error":
            code = frame.get("code", "?")
            if frame.get("ref") == "answer":
                index = self.current_question
                if code == "server_error" and index in phone.sent_text and phone.resends < MAX_RESENDS:
                    phone.resends += 1
                    self._send(phone, phone.sent_text[index])
                    return
                self.refusals[code] = self.refusals.get(code, 0) + 1
                if index is not None and index in phone.sent and index not in phone.acked:
                    self._final(phone, index, t)
            elif phone.welcome is not None and not phone.welcome.done():
                phone.welcome.set_exception(RuntimeError(f"join refused: {code}"))
            else:
                self.unexpected_errors[code] = self.unexpected_errors.get(code, 0) + 1
        elif kind == "welcome":
            phone.cid = (frame.get("me") or {}).get("id")
            phone.token = frame.get("token", phone.token)
            phone.resumed_answer = (frame.get("me") or {}).get("answer")
            self._check_round(phone, frame)
            if phone.welcome is not None and not phone.welcome.done():
                phone.welcome.set_result(t)
        else:
            self._check_round(phone, frame)

    def _check_round(self, phone: Phone, frame: dict[str, Any]) -> None:
        question = (frame.get("round") or {}).get("question")
        keyed = isinstance(question, dict) and ("correct" in question or "explanation" in question)
        if keyed and question.get("index") not in phone.revealed:
            self._leak(phone, frame, "key of an unrevealed question")

    def _hit(self, phone: Phone, what: str, index: int | None, t: float) -> None:
        key = (what, index)
        if key in phone.seen:
            return
        phone.seen.add(key)  # type: ignore[arg-type]
        waiter = self.waiters.get(key)  # type: ignore[arg-type]
        if waiter is not None:
            waiter.hit(t)

    def _final(self, phone: Phone, index: int, t: float) -> None:
        if index not in phone.done:
            phone.done.add(index)
            self._hit(phone, "answered", index, t)

    def _send(self, phone: Phone, text: str) -> None:
        if phone.ws is not None:
            phone.ws.send(text)

    def _received(self, phone: Phone, text: str) -> None:
        try:
            self.on_frame(phone, text, now())
        except Exception as exc:  # a bug in frame handling must not look like a drop
            name = f"client:{type(exc).__name__}: {exc}"[:120]
            self.unexpected_errors[name] = self.unexpected_errors.get(name, 0) + 1

    def _lost(self, phone: Phone, code: int | None, reason: str) -> None:
        if phone.reconnecting:
            return  # the storm dropped it on purpose
        if not self.stopping and phone.joined and not phone.dropped:
            phone.dropped = True
            phone.close_info = f"{code} {reason}"[:120]
        if phone.welcome is not None and not phone.welcome.done():
            phone.welcome.set_exception(ConnectionError(f"closed before welcome: {code} {reason}"[:120]))

    # --- host ------------------------------------------------------------------------------------------

    async def host_connect(self) -> None:
        """One host socket; against several baseline processes one per process (each has its own phones)."""
        ports = self.ports if self.cfg["mode"] == "baseline" else self.ports[:1]
        headers = {"Cookie": f"sessionid={self.cfg['session_key']}"} if self.cfg.get("session_key") else {}
        self.hosts = []
        for port in ports:
            host = await connect(
                f"ws://127.0.0.1:{port}{self.cfg['host_path']}",
                origin=ORIGIN,
                additional_headers=headers,
                compression=None,
                proxy=None,
                ping_interval=None,
                open_timeout=30,
                max_size=2**24,
                max_queue=None,
            )
            first = json.loads(await asyncio.wait_for(host.recv(), 30))
            if first.get("type") not in ("snapshot", "hello"):
                raise RuntimeError(f"host socket refused: {first}")
            self.hosts.append(host)
            asyncio.get_running_loop().create_task(self._host_read(host))
        self.host = self.hosts[0]

    async def _host_read(self, host) -> None:
        try:
            async for text in host:
                frame = json.loads(text)
                kind = frame.get("type")
                self.host_frames[kind] = self.host_frames.get(kind, 0) + 1
                if (
                    kind in ("command", "error")
                    and self.host_reply is not None
                    and not self.host_reply.done()
                ):
                    self.host_replies.append(frame)
                    if len(self.host_replies) >= len(self.hosts):
                        self.host_reply.set_result((now(), frame))
        except ConnectionClosed:
            pass
        finally:
            if not self.stopping:
                self.host_dropped = True

    async def host_send(self, action: str, question: int | None = None) -> tuple[float, asyncio.Future]:
        """Send a host command (to every host socket); the future resolves when all of them replied."""
        self.host_reply = asyncio.get_running_loop().create_future()
        self.host_replies: list[dict[str, Any]] = []
        frame: dict[str, Any] = {"type": action}
        if question is not None:
            frame["question"] = question
        text = json.dumps(frame)
        t0 = now()
        await asyncio.gather(*(host.send(text) for host in self.hosts))
        return t0, self.host_reply

    async def host_reply_within(self, reply: asyncio.Future, t0: float) -> dict[str, Any]:
        try:
            t, frame = await asyncio.wait_for(asyncio.shield(reply), self.timeout)
        except TimeoutError:
            return {"reply": None, "reply_ms": None}
        info = {"reply": frame.get("type"), "reply_ms": ms(t - t0)}
        if frame.get("type") == "error":
            info["error"] = frame.get("code")
        elif "changed" in frame:
            info["changed"] = frame["changed"]
        return info

    # --- phases ----------------------------------------------------------------------------------------

    def live(self) -> list[Phone]:
        return [p for p in self.phones if p.joined and not p.dropped]

    async def join_all(self) -> dict[str, Any]:
        sem = asyncio.Semaphore(self.cfg["concurrency"])
        path = self.cfg["play_path"]
        pin = self.cfg["pin"]
        loop = asyncio.get_running_loop()

        async def join(phone: Phone) -> None:
            async with sem:
                try:
                    await self.connect_and_send(
                        phone,
                        path,
                        json.dumps(
                            {"type": "join", "pin": pin, "nickname": f"选手{phone.idx:05d}"},
                            ensure_ascii=False,
                        ),
                    )
                    phone.joined = phone.ws.is_open
                except Exception as exc:
                    name = type(exc).__name__
                    detail = str(exc)[:80]
                    key = f"{name}: {detail}"
                    self.join_errors[key] = self.join_errors.get(key, 0) + 1

        t0 = now()
        tasks = [loop.create_task(join(p)) for p in self.phones]
        _, pending = await asyncio.wait(tasks, timeout=self.cfg["join_timeout"])
        for task in pending:  # the join phase has its own budget; whoever is not in by then has failed
            task.cancel()
        if pending:
            self.join_errors["join phase budget exceeded"] = len(pending)
            await asyncio.wait(pending, timeout=10)
        elapsed = now() - t0
        last = max((p.welcome.result() for p in self.phones if p.joined), default=t0)
        joined = sum(p.joined for p in self.phones)
        return {
            "join_s": round(last - t0, 3),
            "phase_s": round(elapsed, 3),
            "joined": joined,
            "join_failed": self.n - joined,
            "join_errors": self.join_errors,
            "joins_per_s": round(joined / (last - t0), 1) if last > t0 else None,
        }

    async def connect_and_send(self, phone: Phone, path: str, text: str) -> None:
        """Open the phone's socket (to its process), send ``text``, wait for the ``welcome``."""
        port = self.ports[phone.idx % len(self.ports)]
        phone.welcome = asyncio.get_running_loop().create_future()
        phone.ws = await asyncio.wait_for(
            WSClient.connect(
                "127.0.0.1",
                port,
                path,
                origin=ORIGIN,
                headers=None,
                on_text=lambda text: self._received(phone, text),
                on_lost=lambda code, reason: self._lost(phone, code, reason),
            ),
            self.timeout,
        )
        phone.ws.send(text)
        await asyncio.wait_for(phone.welcome, self.timeout)

    async def reconnect_all(self, index: int) -> dict[str, Any]:
        """Drop every live phone's connection at once, then time until each has resumed (its ``welcome``)."""
        phones = [p for p in self.live() if p.token]
        sem = asyncio.Semaphore(self.cfg["concurrency"])
        errors: dict[str, int] = {}
        mismatched = 0

        async def resume(phone: Phone) -> None:
            nonlocal mismatched
            async with sem:
                try:
                    await self.connect_and_send(
                        phone, self.cfg["play_path"], json.dumps({"type": "resume", "token": phone.token})
                    )
                except Exception as exc:
                    key = f"{type(exc).__name__}: {str(exc)[:80]}"
                    errors[key] = errors.get(key, 0) + 1
                    phone.dropped, phone.close_info = True, f"resume failed: {key}"[:120]
                    return
                finally:
                    phone.reconnecting = False
                acked = phone.acked.get(index)
                if self.cfg["mode"] == "ours" and acked is not None:
                    again = phone.resumed_answer or {}
                    if again.get("question") != index or sorted(again.get("choices") or []) != sorted(
                        acked["choices"]
                    ):
                        mismatched += 1

        await self.profiler.start("reconnect")
        window = Window(self.pids)
        t0 = now()
        for phone in phones:
            phone.reconnecting = True
            phone.ws.abort()
        tasks = [asyncio.get_running_loop().create_task(resume(p)) for p in phones]
        _, pending = await asyncio.wait(tasks, timeout=self.cfg["join_timeout"])
        for task in pending:
            task.cancel()
        if pending:
            errors["reconnect phase budget exceeded"] = len(pending)
            await asyncio.wait(pending, timeout=10)
        cpu = window.close()
        await self.profiler.stop()
        back = [
            p.welcome.result()
            for p in phones
            if p.welcome.done() and not p.welcome.cancelled() and p.welcome.exception() is None
        ]
        return {
            "expected": len(phones),
            "resumed": len(back),
            "reconnect_all_s": round(max(back) - t0, 3) if back else None,
            "resumes_per_s": round(len(back) / (max(back) - t0), 1) if back and max(back) > t0 else None,
            "errors": errors,
            "welcome_answer_mismatch": mismatched,
            **cpu,
        }

    def answer_text(self, phone: Phone, index: int) -> tuple[list[int], str]:
        n_choices = len(self.cfg["questions"][index]["choices"])
        choices = [(phone.idx + index) % n_choices]
        return choices, json.dumps(
            {
                "type": "answer",
                "question": index,
                "choices": choices,
                "client_elapsed_ms": int((now() - phone.opened_at.get(index, now())) * 1000),
            }
        )

    async def question(self, index: int) -> dict[str, Any]:
        self.current_question = index
        out: dict[str, Any] = {"index": index}
        # -- broadcast of the question
        live = self.live()
        waiter = self.waiters[("opened", index)] = Waiter(len(live))
        await self.profiler.start(f"broadcast{index}")
        window = Window(self.pids)
        t0, reply = await self.host_send("open", index)
        self.open_sent_at[index] = t0
        complete = await waiter.wait(self.timeout)
        cpu = window.close()
        await self.profiler.stop()
        delays = [t - t0 for t in waiter.times]
        out["broadcast"] = {
            "expected": len(live),
            "received": len(delays),
            "missing": len(live) - len(delays),
            "complete": complete,
            "first_ms": ms(min(delays) if delays else None),
            "last_ms": ms(max(delays) if delays else None),
            "p50_ms": ms(percentile(delays, 0.5)),
            "p99_ms": ms(percentile(delays, 0.99)),
            **cpu,
            "frame_bytes": self.opened_frame_bytes.get(index),
            "host": await self.host_reply_within(reply, t0),
        }
        # -- the answer burst: everyone who saw the question answers at once
        live = [p for p in self.live() if index in p.opened_at]
        waiter = self.waiters[("answered", index)] = Waiter(len(live))
        refusals_before = dict(self.refusals)
        resends_before = sum(p.resends for p in self.phones)
        texts = []
        for phone in live:
            choices, text = self.answer_text(phone, index)
            phone.sent[index] = choices
            phone.sent_text[index] = text
            texts.append((phone, text))
        await self.profiler.start(f"answers{index}")
        window = Window(self.pids)
        t0 = now()
        for phone, text in texts:
            phone.sent_at[index] = now()
            self._send(phone, text)
        t_sent = now()
        complete = await waiter.wait(self.timeout)
        cpu = window.close()
        await self.profiler.stop()
        acked = [p for p in live if index in p.acked]
        delays = [t - t0 for t in waiter.times]
        out["answers"] = {
            "sent": len(live),
            "acked": len(acked),
            "final_replies": len(delays),
            "complete": complete,
            "send_loop_ms": ms(t_sent - t0),
            "first_ack_ms": ms(min(delays) if delays else None),
            "ack_all_ms": ms(max(delays) if delays else None),
            "p50_ms": ms(percentile(delays, 0.5)),
            "p99_ms": ms(percentile(delays, 0.99)),
            "resends": sum(p.resends for p in self.phones) - resends_before,
            "refusals": {
                c: n - refusals_before.get(c, 0)
                for c, n in self.refusals.items()
                if n - refusals_before.get(c, 0)
            },
            "duplicate_acks": sum(1 for p in acked if p.acked[index].get("duplicate")),
            **cpu,
        }
        # -- the reconnect storm, once, while the first question is still open
        if index == 0 and self.cfg.get("reconnect", True):
            out["reconnect"] = await self.reconnect_all(index)
        # -- reveal: every contestant gets the state frame and its own result
        live = self.live()
        revealed = self.waiters[("revealed", index)] = Waiter(len(live))
        results = self.waiters[("result", index)] = Waiter(len(live))
        await self.profiler.start(f"reveal{index}")
        t0, reply = await self.host_send("reveal", index)
        complete = await results.wait(self.timeout) and await revealed.wait(5)
        await self.profiler.stop()
        out["reveal"] = {
            "expected": len(live),
            "state_received": len(revealed.times),
            "results_received": len(results.times),
            "complete": complete,
            "last_ms": ms(max(results.times) - t0 if results.times else None),
            "host": await self.host_reply_within(reply, t0),
        }
        # -- leaderboard
        live = self.live()
        waiter = self.waiters[("leaderboard", index)] = Waiter(len(live))
        t0, reply = await self.host_send("leaderboard", index)
        complete = await waiter.wait(self.timeout)
        out["leaderboard"] = {
            "expected": len(live),
            "received": len(waiter.times),
            "complete": complete,
            "last_ms": ms(max(waiter.times) - t0 if waiter.times else None),
            "host": await self.host_reply_within(reply, t0),
        }
        return out

    async def baseline_stats(self) -> dict[str, Any] | None:
        if self.cfg["mode"] != "baseline":
            return None
        _, reply = await self.host_send("stats")
        try:
            await asyncio.wait_for(reply, self.timeout)
        except TimeoutError:
            return None
        totals: dict[str, int] = {}
        for frame in self.host_replies:
            for key, value in (frame.get("stats") or {}).items():
                totals[key] = totals.get(key, 0) + value
        return totals

    async def run(self) -> dict[str, Any]:
        self.current_question: int | None = None
        result: dict[str, Any] = {"mode": self.cfg["mode"], "n": self.n, "k": self.k, "ports": self.ports}
        rss0 = procstat.rss_kib_many(self.pids)
        result["loadavg_start"] = procstat.loadavg()
        await self.host_connect()
        await self.profiler.start("join")
        window = Window(self.pids)
        result["join"] = await self.join_all()
        result["join"].update(window.close())
        await self.profiler.stop()
        await asyncio.sleep(0.5)  # let the servers settle (join notifications to the host) before measuring
        rss1 = procstat.rss_kib_many(self.pids)
        joined = result["join"]["joined"]
        result["rss_kib_before"], result["rss_kib_after_join"] = rss0, rss1
        result["rss_mb_per_1k"] = round((rss1 - rss0) / 1024 / joined * 1000, 2) if joined else None
        result["questions"] = []
        for index in range(self.k):
            result["questions"].append(await self.question(index))
        result["baseline_stats"] = await self.baseline_stats()
        result["loadavg_end"] = procstat.loadavg()
        result["profiles"] = self.profiler.files
        result["dropped_connections"] = sum(p.dropped for p in self.phones)
        result["drop_reasons"] = {}
        for p in self.phones:
            if p.dropped:
                result["drop_reasons"][p.close_info] = result["drop_reasons"].get(p.close_info, 0) + 1
        result["host_dropped"] = self.host_dropped
        result["host_frames"] = self.host_frames
        result["leaks_before_reveal"] = self.leaks
        result["leak_examples"] = self.leak_examples
        result["ack_choice_mismatch"] = self.ack_mismatch
        result["unexpected_errors"] = self.unexpected_errors
        result["record"] = {
            "revealed": [q["index"] for q in result["questions"] if q["reveal"]["results_received"]],
            "contestants": [
                {
                    "idx": p.idx,
                    "id": p.cid,
                    "joined": p.joined,
                    "dropped": p.dropped,
                    "sent": {str(i): c for i, c in p.sent.items()},
                    "acked": {str(i): a for i, a in p.acked.items()},
                    # What this client measured of each answer's time on the server's clock: at least from
                    # the question's arrival here to the answer's sending, at most from the host's "open"
                    # to the ack's arrival (bench.django_tasks verify checks the stored elapsed time).
                    "elapsed_bounds_ms": {
                        str(i): [
                            ms(p.sent_at[i] - p.opened_at[i]),
                            ms(p.acked_at[i] - self.open_sent_at[i]),
                        ]
                        for i in p.acked
                        if i in p.sent_at and i in p.opened_at and i in self.open_sent_at
                    },
                    "results": {str(i): r for i, r in p.results.items()},
                }
                for p in self.phones
            ],
        }
        return result

    async def close(self) -> None:
        self.stopping = True
        # Abort: a polite close handshake with 5,000 sockets would only measure itself.
        for phone in self.phones:
            if phone.ws is not None:
                phone.ws.abort()
        for host in getattr(self, "hosts", []):
            transport = getattr(host, "transport", None)
            if transport is not None:
                transport.abort()
        await asyncio.sleep(0.2)


async def amain(cfg: dict[str, Any]) -> dict[str, Any]:
    client = LoadClient(cfg)
    try:
        return await client.run()
    finally:
        await client.close()


def main() -> None:
    cfg = json.loads(Path(sys.argv[1]).read_text())
    nofile = procstat.raise_nofile()
    runner, loop_name = asyncio.run, "asyncio"
    if cfg.get("client_loop", "uvloop") == "uvloop":
        try:
            import uvloop

            runner, loop_name = uvloop.run, "uvloop"
        except ImportError:
            pass
    t0 = now()
    result = runner(amain(cfg))
    result["client"] = {
        "loop": loop_name,
        "nofile": nofile,
        "cpu_s": round(client_cpu(), 3),
        "wall_s": round(now() - t0, 3),
    }
    Path(cfg["out"]).write_text(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
