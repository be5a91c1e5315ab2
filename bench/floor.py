"""What an idle WebSocket costs each server before any application code: the memory floor.

    python -m bench.floor --n 2000

Starts, one after the other, daphne and uvicorn (asyncio's loop, as ``bench.run`` runs them) with an ASGI
application that accepts a socket and reads it until it closes, and a plain ``websockets`` server that does
the same (the raw baseline's library, no compression, no pings). For each, the same client opens N sockets
(200 handshakes in flight), waits two seconds, and reads the server's VmRSS: (after - before) / N x 1,000
is its MB per 1,000 idle connections. ``bench.run`` measures the quiz itself; this says how much of that
is the server's own, which no application can give back. Each server is stopped in a ``finally``.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import subprocess
import sys
import time

import websockets

from bench.procstat import rss_kib

ORIGIN = "http://localhost"


async def application(scope, receive, send) -> None:
    """Accept a WebSocket and read it until it closes; nothing else."""
    if scope["type"] != "websocket":
        return
    while True:
        message = await receive()
        if message["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
        elif message["type"] == "websocket.disconnect":
            return


async def _read_until_closed(socket) -> None:
    async for _ in socket:
        pass


async def _raw_server(port: int) -> None:
    async with websockets.serve(_read_until_closed, "127.0.0.1", port, compression=None, ping_interval=None):
        await asyncio.Future()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(server: str, port: int) -> subprocess.Popen:
    py = [sys.executable, "-m"]
    commands = {
        "daphne": [*py, "daphne", "-v", "0", "-b", "127.0.0.1", "-p", str(port), "bench.floor:application"],
        "uvicorn": [
            *py,
            "uvicorn",
            "--loop",
            "asyncio",
            "--log-level",
            "warning",
            "--no-access-log",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "bench.floor:application",
        ],
        "websockets": [*py, "bench.floor", "--serve-raw", str(port)],
    }
    return subprocess.Popen(commands[server], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def measure(port: int, pid: int, n: int) -> float:
    """Open n sockets, wait, and return the server's growth in MB per 1,000 sockets."""
    deadline = time.monotonic() + 30
    while True:
        try:
            probe = await websockets.connect(f"ws://127.0.0.1:{port}/ws/play/", origin=ORIGIN)
            await probe.close()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)
    await asyncio.sleep(1)
    before = rss_kib(pid)
    sockets = []
    gate = asyncio.Semaphore(200)

    async def one() -> None:
        async with gate:
            sockets.append(
                await websockets.connect(
                    f"ws://127.0.0.1:{port}/ws/play/", origin=ORIGIN, compression=None, ping_interval=None
                )
            )

    await asyncio.wait_for(asyncio.gather(*(one() for _ in range(n))), 120)
    await asyncio.sleep(2)
    after = rss_kib(pid)
    await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)
    return (after - before) / 1024 / n * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--servers", default="websockets,daphne,uvicorn")
    parser.add_argument("--serve-raw", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_raw:
        asyncio.run(_raw_server(args.serve_raw))
        return
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # inherited by the servers
    figures = {}
    for server in args.servers.split(","):
        port = free_port()
        process = start(server, port)
        try:
            figures[server] = asyncio.run(measure(port, process.pid, args.n))
        finally:
            process.kill()
            process.wait()
        print(f"{server:>10}: {figures[server]:6.2f} MB per 1,000 idle sockets", flush=True)
    if "websockets" in figures:
        for server, mb in figures.items():
            print(f"{server:>10}: x{mb / figures['websockets']:.2f} of plain websockets")


if __name__ == "__main__":
    main()
