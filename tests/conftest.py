"""Shared fixtures. The same suite runs on the embedded default and on PostgreSQL + Redis.

Tests marked ``services`` need several processes sharing PostgreSQL and Redis; they run when
DATABASE_URL and REDIS_URL are set (``.ci/run`` sets both) and are deselected otherwise. When the
variables are set but a service does not answer, the run stops with an error instead of skipping.
"""

from __future__ import annotations

import os
import socket
from urllib.parse import urlparse

import pytest

SERVICES = bool(os.environ.get("DATABASE_URL")) and bool(os.environ.get("REDIS_URL"))


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=3
        ):
            return True
    except OSError:
        return False


def pytest_configure(config):
    for name, port in (("DATABASE_URL", 5432), ("REDIS_URL", 6379)):
        url = os.environ.get(name)
        if url and not _reachable(url, port):
            pytest.exit(f"{name}={url} is set but nothing answers there; start the service", returncode=3)


def pytest_collection_modifyitems(config, items):
    if SERVICES:
        return
    kept, dropped = [], []
    for item in items:
        (dropped if item.get_closest_marker("services") else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_report_header(config):
    if SERVICES:
        return "stack: PostgreSQL + Redis (DATABASE_URL, REDIS_URL)"
    return "stack: embedded default (SQLite file, in-process channel layer); multi-process tests deselected"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Forget what earlier tests cached. On Redis only this run's keys (its KEY_PREFIX) are deleted:
    ``cache.clear()`` would flush the whole database, which other runs or a dev server may share."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    cache = caches["default"]
    if isinstance(cache, RedisCache):
        client = cache._cache.get_client(None, write=True)
        stale = list(client.scan_iter(match=f"{cache.key_prefix}:*", count=1000))
        if stale:
            client.delete(*stale)
    else:
        cache.clear()
    yield


@pytest.fixture(autouse=True)
async def _close_worker_thread_connections():
    """Services run in asgiref's worker thread; close its connections so the test database can be dropped."""
    yield
    from asgiref.sync import sync_to_async
    from django.db import connections

    await sync_to_async(connections.close_all)()


@pytest.fixture(scope="session", autouse=True)
def _collected_static_files(tmp_path_factory):
    """Pages link static files by their hashed names (the manifest storage, as in production), so this run
    collects them once into a directory of its own, where whitenoise serves them. Plain manifest storage
    here: the gzip and brotli copies are checked by tests/config/test_static_files.py."""
    from django.core.management import call_command
    from django.test.utils import override_settings

    static_root = tmp_path_factory.mktemp("static")
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "config.storage.HashedStaticFilesUncompressed"},
    }
    with override_settings(STATIC_ROOT=static_root, STORAGES=storages):
        call_command("collectstatic", "--noinput", verbosity=0)
    with override_settings(STATIC_ROOT=static_root):
        yield static_root
