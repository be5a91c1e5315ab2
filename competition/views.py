"""Competition pages for organisers: the printable sheet of contestant join codes."""

from urllib.parse import urlencode

import segno
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from competition.models import Competition, CompetitionRole, Registration

CARDS_PER_PAGE = 8  # A4, two columns of four


def user_can_manage(user, competition: Competition) -> bool:
    """Staff, or a host of this competition."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser or user.is_staff:
        return True
    return competition.roles.filter(user=user, role=CompetitionRole.Role.HOST).exists()


@login_required
def join_codes(request, slug: str):
    """One card per registered contestant with the code and a QR code to the join page;
    ``?team=<id>`` prints one team. Prints as A4 sheets of eight cards."""
    competition = get_object_or_404(Competition, slug=slug)
    if not user_can_manage(request.user, competition):
        raise PermissionDenied("you may not print the codes of this competition")
    registrations = Registration.objects.filter(competition=competition).select_related(
        "team", "team__district", "team__division"
    )
    team_id = request.GET.get("team", "")
    if team_id.isdigit():
        registrations = registrations.filter(team_id=int(team_id))
    registrations = registrations.order_by(
        "team__division__order", "team__district__order", "team__name", "role", "name"
    )
    play = request.build_absolute_uri(reverse("play"))
    cards = []
    for registration in registrations:
        url = f"{play}?{urlencode({'code': registration.code})}"
        team = registration.team
        cards.append(
            {
                "registration": registration,
                "team": team,
                "captain": team is not None and team.captain_id == registration.id,
                "url": url,
                "qr_svg": segno.make(url, error="m").svg_inline(
                    scale=4, dark="#111", light="#fff", omitsize=True
                ),
            }
        )
    pages = [cards[i : i + CARDS_PER_PAGE] for i in range(0, len(cards), CARDS_PER_PAGE)]
    return render(
        request,
        "competition/codes.html",
        {"competition": competition, "pages": pages, "count": len(cards)},
    )
