"""Who is signed in to the online stage (the session), the browser's device cookie, and rate limits."""

from __future__ import annotations

import secrets
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django_ratelimit.core import is_ratelimited

from competition.online.models import Contestant, OnlineStage

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


def signed_in(request: HttpRequest, stage: OnlineStage) -> Contestant | None:
    pk = request.session.get(SESSION_KEY)
    if not pk:
        return None
    return (
        Contestant.objects.select_related("stage", "district", "division").filter(pk=pk, stage=stage).first()
    )


def contestant_required(view):
    """Pass ``stage`` and the signed-in ``contestant``; send anyone else to sign in."""

    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args, **kwargs):
        stage = get_object_or_404(OnlineStage, slug=slug)
        contestant = signed_in(request, stage)
        if contestant is None:
            return redirect("online:signin", slug=stage.slug)
        return view(request, stage, contestant, *args, **kwargs)

    return wrapper


def answers_limited(request: HttpRequest, contestant: Contestant, per_minute: int) -> bool:
    """Over the answer rate per account or per address (django-ratelimit, counted in the cache)."""
    rate = f"{per_minute}/m"
    by_account = is_ratelimited(
        request, group="online-answer-account", key=lambda g, r: str(contestant.pk), rate=rate, increment=True
    )
    by_address = is_ratelimited(
        request, group="online-answer-address", key="ip", rate=f"{per_minute * 20}/m", increment=True
    )
    return by_account or by_address
