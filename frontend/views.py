"""Pages render a shell and a snapshot source; the live state arrives over the WebSocket."""

import segno
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from competition.online.models import OnlineStage
from competition.permissions import may_manage_competition
from frontend.ui_strings import ERRORS
from quiz import selectors
from quiz.models import Round
from quiz.results import results_xlsx
from quiz.services.snapshots import display_final


def home(request):
    return render(request, "frontend/home.html")


def play(request):
    """The contestant page. ``?pin=`` pre-fills the PIN (the display's QR code links here) and ``?code=``
    the contestant code (the printed code cards link here)."""
    pin = request.GET.get("pin", "")
    code = request.GET.get("code", "").strip().upper()
    return render(
        request,
        "frontend/play.html",
        {
            "pin": pin if pin.isascii() and pin.isdigit() and len(pin) == 6 else "",
            "code": code if code.isascii() and code.isalnum() and len(code) <= 12 else "",
        },
    )


def join_url(request, pin: str) -> str:
    return request.build_absolute_uri(f"{reverse('play')}?pin={pin}")


def display(request, pin: str):
    """The big screen for the live round with this PIN, with a QR code to join."""
    round_ = selectors.round_for_pin(pin)
    if round_ is None:
        # Reloaded after the end: the final results of the round that last had this PIN, no socket.
        final = display_final(pin=pin)
        if final is None:
            raise Http404("no round has that PIN")
        return render(request, "frontend/display.html", {"round": final["round"], "final": final})
    url = join_url(request, pin)
    qr_svg = segno.make(url, error="m").svg_inline(scale=8, dark="#111", light="#fff", omitsize=True)
    return render(request, "frontend/display.html", {"round": round_, "join_url": url, "qr_svg": qr_svg})


@login_required
def host_rounds(request):
    rounds = selectors.rounds_hosted_by(request.user)
    online = [
        stage
        for stage in OnlineStage.objects.select_related("competition").order_by("-opens_on")[:20]
        if may_manage_competition(request.user, stage.competition)
    ]
    return render(request, "frontend/host_rounds.html", {"rounds": rounds, "online_stages": online})


@login_required
def host_console(request, round_id: int):
    round_ = get_object_or_404(Round.objects.select_related("competition"), pk=round_id)
    if not selectors.user_can_host(request.user, round_):
        raise PermissionDenied("you do not have host rights for this competition")
    return render(
        request,
        "frontend/host.html",
        {
            "round": round_,
            "join_url": join_url(request, round_.pin),
            "display_url": request.build_absolute_uri(reverse("display", args=[round_.pin])),
            "stage_url": _match_stage_url(round_),
            "results_url": reverse("host-results-xlsx", args=[round_.id]),
        },
    )


@login_required
def host_results_xlsx(request, round_id: int):
    """The round's results as an XLSX workbook, for whoever may host it (the competition's rule)."""
    round_ = get_object_or_404(Round.objects.select_related("competition"), pk=round_id)
    if not selectors.user_can_host(request.user, round_):
        raise PermissionDenied("you do not have host rights for this competition")
    response = HttpResponse(
        results_xlsx(round_.id),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="round-{round_.id}-results.xlsx"'
    return response


def _match_stage_url(round_) -> str | None:
    """The stage page of the match this round plays, if it is a match's round."""
    from competition.models import Match

    match = Match.objects.filter(round=round_).select_related("bracket__stage__competition").first()
    if match is None:
        return None
    stage = match.bracket.stage
    return reverse("competition-stage", args=[stage.competition.slug, stage.pk]) + f"#m{match.pk}"


# --- stage finals ---------------------------------------------------------------------------------------


def _final_or_404(final_id: int):
    from quiz.finals.models import Final

    return get_object_or_404(Final.objects.select_related("round__competition"), pk=final_id)


@login_required
def final_host(request, final_id: int):
    """The host console of a stage final: the script, the cue keys, the buzz order with its evidence."""
    final = _final_or_404(final_id)
    if not selectors.user_can_host(request.user, final.round):
        raise PermissionDenied("you do not have host rights for this competition")
    screen_url = request.build_absolute_uri(reverse("final-screen", args=[final.round.pin]))
    return render(request, "frontend/final_host.html", {"final": final, "screen_url": screen_url})


@login_required
def final_script(request, final_id: int):
    """The script page of a stage final: the host edits its segments, their order and rule values before
    the match starts (the same service as the host socket's ``script`` command); read-only once started."""
    from quiz.engine.finals.script import script_from_data
    from quiz.finals.commands import final_script_edit
    from quiz.finals.forms import ScriptForm
    from quiz.services.errors import QuizError

    final = _final_or_404(final_id)
    if not selectors.user_can_host(request.user, final.round):
        raise PermissionDenied("you do not have host rights for this competition")
    script = script_from_data(final.script)
    pinned = script.pinned or final.started_at is not None
    refusal, status = "", 200
    form = ScriptForm(script=script)
    if request.method == "POST":
        if pinned:
            refusal, status = str(ERRORS["script_pinned"]), 409
        else:
            form = ScriptForm(request.POST, script=script)
            if form.is_valid():
                try:
                    final_script_edit(
                        user=request.user,
                        final_id=final.id,
                        data=form.script_data(),
                        expected_rule_version=form.cleaned_data["rule_version"],
                    )
                except QuizError as exc:
                    refusal = str(ERRORS.get(exc.code, exc.message))
                    if exc.code == "script_invalid":
                        refusal = f"{refusal} {exc.message}"
                    status = 409 if exc.code in ("script_pinned", "script_stale") else 400
                    if exc.code in ("script_pinned", "script_stale"):  # show the script as it is now
                        final.refresh_from_db()
                        script = script_from_data(final.script)
                        pinned = script.pinned or final.started_at is not None
                        form = ScriptForm(script=script)
                else:
                    return redirect(reverse("final-script", args=[final.id]) + "?saved=1")
            else:
                status = 400
    context = {
        "final": final,
        "script": script,
        "pinned": pinned,
        "form": form,
        "refusal": refusal,
        "saved": request.GET.get("saved") == "1" and status == 200,
    }
    return render(request, "frontend/final_script.html", context, status=status)


def final_screen(request, pin: str):
    """The big screen of the stage final with this PIN: public, read-only."""
    from quiz.finals.models import Final

    if not (pin.isascii() and pin.isdigit() and len(pin) == 6):
        raise Http404("no final has that PIN")
    final = Final.objects.filter(round__pin=pin).select_related("round").order_by("-id").first()
    if final is None:
        raise Http404("no final has that PIN")
    return render(request, "frontend/final_screen.html", {"final": final, "pin": pin})


def final_team(request, token: str):
    """A team's phone: the captain's link buzzes, wagers and answers; a member's link watches."""
    from quiz.finals.links import team_identity
    from quiz.services.errors import QuizError

    try:
        final_id, _team_id, role = team_identity(token)
    except QuizError:
        raise Http404("that link is not valid") from None
    final = _final_or_404(final_id)
    return render(request, "frontend/final_team.html", {"final": final, "token": token, "role": role})


def final_judge(request, token: str):
    """A judge's console: score entry for 科普讲解, recusals shown."""
    from quiz.finals.links import judge_identity
    from quiz.services.errors import QuizError

    try:
        final_id, _judge_id = judge_identity(token)
    except QuizError:
        raise Http404("that link is not valid") from None
    final = _final_or_404(final_id)
    return render(request, "frontend/final_judge.html", {"final": final, "token": token})
