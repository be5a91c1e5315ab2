"""Scratch databases for the benchmarks: dropped and made again for every run, never a real one."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def pg_recreate(name: str) -> str:
    """Drop and create the PostgreSQL database ``name`` through ``BENCH_PG_ADMIN_URL``; its URL."""
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


def sqlite_recreate(filename: str) -> str:
    """Remove ``var/bench/<filename>`` and its journal files; the URL of the empty file to be."""
    VAR.mkdir(parents=True, exist_ok=True)
    path = VAR / filename
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def scratch_database(stack: str, *, pg_name: str, sqlite_file: str) -> str:
    return pg_recreate(pg_name) if stack == "postgres" else sqlite_recreate(sqlite_file)
