"""Who is signed in to the online stage (the session), the browser's device cookie, and rate limits."""

from __future__ import annotations

import secrets
import time
from functools import wraps

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect

from competition.online.models import Attempt, Contestant, OnlineStage

SESSION_KEY = "online_contestant"


def client_address(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def device_id(request: HttpRequest) -> str:
    """The browser's device cookie, or a new value to set (``device_cookie_set``)."""
    value = request.COOKIES.get(settings.ONLINE["DEVICE_COOKIE"], "")
    if len(value) == 32 and value.isalnum():
        return value
    if not getattr(request, "_online_device", None):
        request._online_device = secrets.token_hex(16)  # type: ignore[attr-defined]
    return request._online_device  # type: ignore[attr-defined]


def device_cookie_set(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    if getattr(request, "_online_device", None):
        response.set_cookie(
            settings.ONLINE["DEVICE_COOKIE"],
            request._online_device,  # type: ignore[attr-defined]
            max_age=3 * 365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response


def sign_in(request: HttpRequest, contestant: Contestant) -> None:
    request.session.cycle_key()
    request.session[SESSION_KEY] = contestant.pk


def sign_out(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()


def signed_in(
    request: HttpRequest, stage: OnlineStage, related: tuple[str, ...] = ("district", "division")
) -> Contestant | None:
    pk = request.session.get(SESSION_KEY)
    if not pk:
        return None
    return Contestant.objects.select_related("stage", *related).filter(pk=pk, stage=stage).first()


def _signed_in_by_slug(request: HttpRequest, slug: str, related: tuple[str, ...]) -> Contestant | None:
    """The signed-in contestant of the stage ``slug`` with the stage, in one query."""
    pk = request.session.get(SESSION_KEY)
    if not pk:
        return None
    return Contestant.objects.select_related("stage", *related).filter(pk=pk, stage__slug=slug).first()


def attempt_signed_in(request: HttpRequest, slug: str, attempt_id: int) -> Attempt | None:
    """The signed-in contestant's attempt ``attempt_id`` in the stage ``slug``, with the contestant and
    the stage, in one query (the answer path); None when any of that does not hold."""
    pk = request.session.get(SESSION_KEY)
    if not pk:
        return None
    return (
        Attempt.objects.select_related("contestant__stage")
        .filter(pk=attempt_id, contestant_id=pk, contestant__stage__slug=slug)
        .first()
    )


def contestant_required(view=None, *, related: tuple[str, ...] = ("district", "division")):
    """Pass ``stage`` and the signed-in ``contestant``; send anyone else to sign in.

    The contestant and the stage come in one query (``related``: what else the page shows of the
    contestant; the answer path asks for nothing more)."""

    def decorate(view):
        @wraps(view)
        def wrapper(request: HttpRequest, slug: str, *args, **kwargs):
            contestant = _signed_in_by_slug(request, slug, related)
            if contestant is None:
                stage = get_object_or_404(OnlineStage, slug=slug)
                return redirect("online:signin", slug=stage.slug)
            return view(request, contestant.stage, contestant, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate


def _window_counts(keys: list[str], seconds: int, now: float) -> list[int]:
    """Count one more in each key's fixed window of ``seconds``; the counts. On Redis (production) this
    is one pipelined round trip (INCR and EXPIRE per key); on another cache, ``add`` and ``incr``."""
    backend = caches["default"]
    window = int(now // seconds)
    names = [backend.make_and_validate_key(f"online-rate:{key}:{window}") for key in keys]
    if isinstance(backend, RedisCache):
        client = backend._cache.get_client(names[0], write=True)
        pipe = client.pipeline(transaction=False)
        for name in names:
            pipe.incr(name)
            pipe.expire(name, seconds + 1)
        return pipe.execute()[0::2]
    counts = []
    for key in keys:
        raw = f"online-rate:{key}:{window}"
        backend.add(raw, 0, seconds + 1)
        try:
            counts.append(backend.incr(raw))
        except ValueError:  # expired between add and incr
            backend.set(raw, 1, seconds + 1)
            counts.append(1)
    return counts


def answers_limited(
    request: HttpRequest, contestant: Contestant, per_minute: int, now: float | None = None
) -> bool:
    """Over the answer rate per account (``per_minute``) or per address (20 times that): fixed
    one-minute windows counted in the cache, both in one round trip."""
    address = client_address(request) or "-"
    by_account, by_address = _window_counts(
        [f"account:{contestant.pk}", f"address:{address}"], 60, time.time() if now is None else now
    )
    return by_account > per_minute or by_address > per_minute * 20
