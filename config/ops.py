"""Endpoints for operators: ``/health/`` for load balancers, ``/metrics`` for Prometheus (docs/operations.md).

``/health/`` says whether this process can serve: it answers at all (the process is up), PostgreSQL
answers ``SELECT 1`` and Redis answers ``PING`` (when the deployment uses Redis). 200 with
``"status": "ok"`` when all pass, 503 with ``"status": "unavailable"`` and the failing check otherwise. It
costs one query and one round trip to Redis, no more: cheap enough to ask every few seconds.
"""

from __future__ import annotations

import ipaddress
import secrets
import time
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from quiz import metrics


def _timed(check) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:
        return {"ok": False, "ms": _ms(started), "error": f"{type(exc).__name__}: {exc}"[:200]}
    elapsed = _ms(started)
    if elapsed > settings.HEALTH_TIMEOUT_SECONDS * 1000:
        return {"ok": False, "ms": elapsed, "error": "too slow"}
    return {"ok": True, "ms": elapsed}


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


@lru_cache(maxsize=1)
def _redis_client(url: str):
    import redis

    timeout = settings.HEALTH_TIMEOUT_SECONDS
    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)


def _redis() -> None:
    _redis_client(settings.REDIS_URL).ping()


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """200 when this process, PostgreSQL and Redis all answer; 503 naming the check that failed."""
    checks = {"database": _timed(_database)}
    if settings.REDIS_URL:
        checks["redis"] = _timed(_redis)
    ok = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503
    )


@lru_cache(maxsize=8)
def _networks(spec: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in spec if item.strip())


def metrics_allowed(request: HttpRequest) -> bool:
    """A request with the bearer token, or from an allowed network; nobody when neither is configured."""
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and secrets.compare_digest(header[7:].strip(), token):
        return True
    networks = _networks(tuple(settings.METRICS_ALLOWED_NETWORKS))
    if not networks:
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in networks)


@never_cache
@require_GET
def prometheus_metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus' text format: this process's metrics, or all processes' with PROMETHEUS_MULTIPROC_DIR."""
    if not metrics_allowed(request):
        raise Http404  # the endpoint does not advertise itself to those who may not read it
    if metrics.MULTIPROCESS:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
