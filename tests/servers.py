"""Real server processes for tests: daphne processes sharing this run's database, and a private Redis.

The fault tests stop, kill and restart these, so each helper can do that to its own processes only:
they run in their own process groups, and the Redis here is never the system one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_database_url() -> str:
    """The URL of the database this test run is using (pytest-django's test database)."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    )


class DaphneFleet:
    """Daphne processes on free ports; ``ports[i]`` is served by ``procs[i]`` (None once stopped).

    Each process writes its stderr to a file of its own (``logs[port]``, read with ``log(port)``): a pipe
    nobody reads would block a server that logs a lot, for instance while Redis is down.
    """

    def __init__(self, env: dict[str, str] | None = None, args: tuple[str, ...] = ()) -> None:
        self.args = args  # more daphne options, e.g. --proxy-headers as the systemd unit runs it
        self.env = {
            **os.environ,
            "DATABASE_URL": test_database_url(),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONUNBUFFERED": "1",
            # The static files this run collected (tests/conftest.py): pages name them by their hashed
            # names, so a server without the manifest would answer 500.
            "STATIC_ROOT": str(settings.STATIC_ROOT),
            **(env or {}),
        }
        self.ports: list[int] = []
        self.procs: list[subprocess.Popen | None] = []
        self.logs: dict[int, Any] = {}

    @property
    def live_ports(self) -> list[int]:
        return [port for port, proc in zip(self.ports, self.procs, strict=True) if proc is not None]

    def start(self, count: int) -> list[int]:
        """Start ``count`` more processes; returns their ports once each accepts connections."""
        ports = [free_port() for _ in range(count)]
        procs = [self._spawn(port) for port in ports]
        self.ports += ports
        self.procs += procs
        for port, proc in zip(ports, procs, strict=True):
            wait_for_port(port, proc, lambda port=port: self.log(port))
        return ports

    def start_again(self) -> None:
        """A new process on every port whose process was stopped or killed: clients find the same address."""
        again = [i for i, proc in enumerate(self.procs) if proc is None]
        for i in again:
            self.procs[i] = self._spawn(self.ports[i])
        for i in again:
            port = self.ports[i]
            wait_for_port(port, self.procs[i], lambda port=port: self.log(port))

    def _spawn(self, port: int) -> subprocess.Popen:
        command = [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "-v", "0", *self.args]
        if port not in self.logs:  # a restarted process writes on after its predecessor
            self.logs[port] = tempfile.TemporaryFile()  # noqa: SIM115  (lives as long as the fleet; close() closes it)
        return subprocess.Popen(
            [*command, "config.asgi:application"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.logs[port],
            start_new_session=True,
        )

    def log(self, port: int) -> str:
        """What the process on ``port`` wrote to stderr so far."""
        log = self.logs[port]
        log.seek(0)
        return log.read().decode(errors="replace")

    def kill(self, port: int) -> None:
        """``kill -9`` the process serving ``port``: no shutdown, its sockets just vanish."""
        index = self.ports.index(port)
        proc = self.procs[index]
        assert proc is not None, f"nothing serves {port}"
        _signal_group(proc, signal.SIGKILL)
        proc.wait()
        self.procs[index] = None

    def stop_all(self) -> None:
        """Stop every process (SIGTERM, then SIGKILL after 10 s)."""
        running = [proc for proc in self.procs if proc is not None]
        for proc in running:
            _signal_group(proc, signal.SIGTERM)
        for proc in running:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait()
        self.procs = [None] * len(self.procs)

    def close(self) -> None:
        self.stop_all()
        for log in self.logs.values():
            log.close()


def _signal_group(proc: subprocess.Popen, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


@contextlib.contextmanager
def daphne_fleet(
    count: int, env: dict[str, str] | None = None, args: tuple[str, ...] = ()
) -> Iterator[DaphneFleet]:
    """Start ``count`` daphne processes (``env`` on top of this run's, ``args`` added to daphne's command
    line); stops whatever runs at the end."""
    fleet = DaphneFleet(env, args)
    try:
        fleet.start(count)
        yield fleet
    finally:
        fleet.close()


@contextlib.contextmanager
def daphne_servers(count: int) -> Iterator[list[int]]:
    """Start ``count`` daphne processes on free ports; yields their ports; stops them all.

    They share this test run's database; with REDIS_URL set they share the Redis channel layer too
    (without it each has its own in-process layer, so use one server).
    """
    with daphne_fleet(count) as fleet:
        yield fleet.ports


def wait_for_port(port: int, proc: subprocess.Popen, log: Callable[[], str], timeout: float = 20) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"server on {port} exited: {log()[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"server on {port} did not start within {timeout} s")


REDIS_EPHEMERAL = ("--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning")


class PrivateRedis:
    """A redis-server of our own on a free port, with nothing saved to disk, that can be restarted."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.binary = binary
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115  (closed by private_redis())

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        assert self.proc is None, "already running"
        self.proc = subprocess.Popen(
            [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), *REDIS_EPHEMERAL],
            stdout=subprocess.DEVNULL,
            stderr=self.stderr,
            start_new_session=True,
        )
        wait_for_port(self.port, self.proc, self._log)

    def _log(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")

    def stop(self) -> None:
        """Stop it hard: every client connection drops and every subscription on the server is gone."""
        if self.proc is not None:
            _signal_group(self.proc, signal.SIGKILL)
            self.proc.wait()
            self.proc = None

    def restart(self, down_for: float = 0.0) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()


@contextlib.contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    redis = PrivateRedis()
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()
        redis.stderr.close()
