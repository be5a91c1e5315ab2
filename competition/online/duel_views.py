"""The duel pages: invite a friend (link and QR code), random matching, and the duel itself."""

from __future__ import annotations

import segno
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from competition.online import access
from competition.online.errors import OnlineError
from competition.online.forms import EmptyForm
from competition.online.models import Contestant, OnlineStage
from competition.online.services import duels
from competition.online.views import refuse


@access.contestant_required
def duel_home(request: HttpRequest, stage: OnlineStage, contestant: Contestant) -> HttpResponse:
    context = {"stage": stage, "form": EmptyForm(), "recent": duels.duels_of(contestant)}
    return render(request, "online/duels.html", context)


@require_POST
@access.contestant_required
def duel_new(
    request: HttpRequest, stage: OnlineStage, contestant: Contestant, random_match: bool
) -> HttpResponse:
    if not EmptyForm(request.POST).is_valid():  # pragma: no cover - only the CSRF token
        return redirect("online:duels", slug=stage.slug)
    try:
        if random_match:
            duel = duels.duel_match(contestant=contestant)
        else:
            duel = duels.duel_create(contestant=contestant)
    except OnlineError as exc:
        return refuse(request, stage, exc, back="home")
    return redirect("online:duel", slug=stage.slug, code=duel.code)


@access.contestant_required
def duel_page(request: HttpRequest, stage: OnlineStage, contestant: Contestant, code: str) -> HttpResponse:
    """A seated player sees the duel; anyone else is offered to join it (POST)."""
    try:
        if request.method == "POST" and EmptyForm(request.POST).is_valid():
            duels.duel_join(contestant=contestant, code=code)
            return redirect("online:duel", slug=stage.slug, code=code)
        duel, seat = duels.duel_for(contestant_id=contestant.pk, code=code)
    except OnlineError as exc:
        if exc.code != "duel_unknown" or duels.stage_for_code(code) != stage:
            return refuse(request, stage, exc, back="home")
        return render(request, "online/duel_join.html", {"stage": stage, "code": code, "form": EmptyForm()})
    link = request.build_absolute_uri(reverse("online:duel", args=[stage.slug, code]))
    qr = segno.make(link, error="m").svg_inline(scale=5, dark="#111", light="#fff", omitsize=True)
    context = {"stage": stage, "duel": duel, "seat": seat, "link": link, "qr_svg": qr}
    return render(request, "online/duel.html", context)
