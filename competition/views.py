"""Competition pages for organisers: the printable sheet of contestant join codes, the stage page
(brackets, standings, matches as live rounds, corrections, substitutions), the projector page of a
stage, the leaderboards of a competition (host page, projector) and the exports (result sheets,
standings, leaderboards)."""

from urllib.parse import urlencode

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from competition import engine, exports, leaderboards
from competition.forms import (
    DEFAULT_QUESTIONS,
    MAX_QUESTIONS,
    BoardFilterForm,
    CorrectResultForm,
    JoinCodesFilterForm,
    StageActionForm,
    StartMatchForm,
    SubstitutionForm,
    errors_of,
    is_not_found,
)
from competition.matches import MatchError, match_result_correct, substitution_record
from competition.models import Competition, Match, Registration, Stage
from competition.permissions import may_manage_competition
from competition.selectors import stage_brackets
from competition.services import match_round_start

CARDS_PER_PAGE = 8  # A4, two columns of four


@login_required
def join_codes(request, slug: str):
    """One card per registered contestant with the code and a QR code to the join page;
    ``?team=<id>`` prints one team. Prints as A4 sheets of eight cards."""
    competition = get_object_or_404(Competition, slug=slug)
    if not may_manage_competition(request.user, competition):
        raise PermissionDenied("you may not print the codes of this competition")
    registrations = Registration.objects.filter(competition=competition).select_related(
        "team", "team__district", "team__division"
    )
    filters = JoinCodesFilterForm(request.GET)
    if not filters.is_valid():
        return HttpResponseBadRequest("; ".join(errors_of(filters)))
    if filters.cleaned_data["team"] is not None:
        registrations = registrations.filter(team_id=filters.cleaned_data["team"])
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


# --------------------------------------------------------------------------------------------- stages


def _stage_or_404(slug: str, stage_id: int) -> Stage:
    return get_object_or_404(Stage.objects.select_related("competition"), pk=stage_id, competition__slug=slug)


def _managed_stage(request, slug: str, stage_id: int) -> Stage:
    stage = _stage_or_404(slug, stage_id)
    if not may_manage_competition(request.user, stage.competition):
        raise PermissionDenied("you do not have host rights for this competition")
    return stage


def _stage_post(request, stage: Stage) -> list[str]:
    """One action of the stage page. A service's refusal becomes a message on the page it redirects
    to; what the form refuses is returned, to be shown with status 400."""
    chosen = StageActionForm(request.POST, stage=stage)
    if not chosen.is_valid():
        if is_not_found(chosen):
            raise Http404("no such match in this stage")
        return errors_of(chosen)
    action, match = chosen.cleaned_data["action"], chosen.cleaned_data["match"]
    if action == "start":
        form = StartMatchForm(request.POST)
    elif action == "correct":
        form = CorrectResultForm(request.POST, match=match)
    else:
        form = SubstitutionForm(request.POST, competition=stage.competition)
    if not form.is_valid():
        return [f"{match.code}: {line}" for line in errors_of(form)]
    try:
        messages.success(request, _act(request, action, match, form))
    except MatchError as exc:
        messages.error(request, f"{match.code}: {exc.message} ({exc.code})")
    return []


def _act(request, action: str, match: Match, form) -> str:
    """Call the service of ``action`` with the form's values; the note to show when it succeeded."""
    data = form.cleaned_data
    if action == "start":
        round_ = match_round_start(match=match, count=data["questions"])
        return _("Round started for %(code)s: PIN %(pin)s") % {"code": match.code, "pin": round_.pin}
    if action == "correct":
        try:
            affected = match_result_correct(
                match=match, result=form.result(), actor=request.user, reason=data["reason"]
            )
        except engine.BracketError as exc:
            raise MatchError(exc.code, exc.message) from exc
        note = _("Result of %(code)s corrected.") % {"code": match.code}
        if affected:
            note += " " + _("Check: %(list)s") % {"list": ", ".join(affected)}
        return note
    out_reg, in_reg = data["player_out"], data["player_in"]
    substitution_record(
        match=match,
        team=out_reg.team,
        player_out=out_reg,
        player_in=in_reg,
        actor=request.user,
        reason=data["reason"],
    )
    return _("%(in)s comes on for %(out)s.") % {"in": in_reg.name, "out": out_reg.name}


@login_required
def stage_page(request, slug: str, stage_id: int):
    """The host's page of a stage: brackets, standings, matches with their rounds and the forms."""
    stage = _managed_stage(request, slug, stage_id)
    form_errors: list[str] = []
    if request.method == "POST":
        form_errors = _stage_post(request, stage)
        if not form_errors:
            return redirect(
                reverse("competition-stage", args=[slug, stage.pk]) + f"#m{request.POST.get('match', '')}"
            )
    return render(
        request,
        "competition/stage.html",
        {
            "competition": stage.competition,
            "stage": stage,
            "stages": stage.competition.stages.all(),
            "brackets": stage_brackets(stage, detail=True),
            "form_errors": form_errors,
            "default_questions": DEFAULT_QUESTIONS,
            "max_questions": MAX_QUESTIONS,
            "display_url": request.build_absolute_uri(
                reverse("competition-stage-display", args=[slug, stage.pk])
            ),
        },
        status=400 if form_errors else 200,
    )


def stage_display(request, slug: str, stage_id: int):
    """The projector page of a stage: its brackets, big, refreshed every 5 s (public, like the display)."""
    stage = _stage_or_404(slug, stage_id)
    return render(
        request,
        "competition/stage_display.html",
        {
            "competition": stage.competition,
            "stage": stage,
            "brackets": stage_brackets(stage, detail=False),
            "fragment_url": reverse("competition-stage-display-fragment", args=[slug, stage.pk]),
        },
    )


def stage_display_fragment(request, slug: str, stage_id: int):
    stage = _stage_or_404(slug, stage_id)
    response = render(
        request,
        "competition/_stage_brackets.html",
        {"stage": stage, "brackets": stage_brackets(stage, detail=False)},
    )
    response["Cache-Control"] = "no-store"
    return response


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    # A header value with non-ASCII characters would go out MIME-encoded as a whole, which browsers do
    # not read as an attachment (a PDF opens in the tab, an XLSX is saved as "sheet.xlsx"): Chinese
    # stage and bracket names go in RFC 6266's ``filename*`` only.
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _managed_match(request, slug: str, match_id: int) -> Match:
    match = get_object_or_404(
        Match.objects.select_related("bracket__stage__competition", "round"),
        pk=match_id,
        bracket__stage__competition__slug=slug,
    )
    if not may_manage_competition(request.user, match.bracket.stage.competition):
        raise PermissionDenied("you do not have host rights for this competition")
    return match


@login_required
def match_sheet_xlsx(request, slug: str, match_id: int):
    match = _managed_match(request, slug, match_id)
    name = f"{match.bracket.stage.name}-{match.bracket.name}-{match.code}.xlsx"
    return _download(exports.match_sheet_xlsx(match), XLSX, name)


@login_required
def match_sheet_pdf(request, slug: str, match_id: int):
    match = _managed_match(request, slug, match_id)
    name = f"{match.bracket.stage.name}-{match.bracket.name}-{match.code}.pdf"
    return _download(exports.match_sheet_pdf(match), "application/pdf", name)


@login_required
def stage_standings_xlsx(request, slug: str, stage_id: int):
    stage = _managed_stage(request, slug, stage_id)
    return _download(exports.stage_standings_xlsx(stage), XLSX, f"{stage.name}-standings.xlsx")


# ------------------------------------------------------------------------------------------ standings

STANDINGS_TOP = 100  # rows of a board the host page shows: a stage's board may have 100,000
PROJECTOR_TOP = 10
PROJECTOR_SECONDS = 5  # the projector refreshes this often; its boards are cached as long


def _managed_competition(request, slug: str) -> Competition:
    competition = get_object_or_404(Competition, slug=slug)
    if not may_manage_competition(request.user, competition):
        raise PermissionDenied("you do not have host rights for this competition")
    return competition


def _filters(request, competition: Competition) -> BoardFilterForm:
    """The boards' filters of the request; a stage that is not one of the competition's is not found."""
    form = BoardFilterForm(request.GET, competition=competition)
    if not form.is_valid() and is_not_found(form):
        raise Http404("no such stage")
    return form


def _scope(request, competition: Competition) -> Stage | None:
    """The stage of ``?stage=<id>``, or None for the cumulative boards."""
    return _filters(request, competition).cleaned_data.get("stage")


def _seconds(ms: float) -> str:
    return f"{ms / 1000:.1f}"


def _board_rows(rows: list[leaderboards.Row]) -> list[dict]:
    return [
        {
            "rank": row.rank,
            "name": row.name,
            "detail": row.detail,
            "points": row.points,
            "correct": row.correct,
            "seconds": _seconds(row.correct_time_ms),
        }
        for row in rows
    ]


def _group_rows(rows: list[leaderboards.DivisionRow]) -> list[dict]:
    return [
        {
            "rank": row.rank,
            "name": row.name,
            "points": f"{row.mean_team_points:.2f}",
            "teams": row.teams,
            "registered": row.registered,
            "played": row.played,
            "participation": f"{row.participation * 100:.1f}",
        }
        for row in rows
    ]


def _board_page(board: leaderboards.BoardPage, page: int) -> dict:
    last = max(1, -(-board.matching // STANDINGS_TOP))
    return {
        "rows": _board_rows(board.rows),
        "total": board.total,
        "matching": board.matching,
        "page": page,
        "previous": page - 1 if page > 1 else None,
        "next": page + 1 if page < last else None,
    }


def _scope_query(stage: Stage | None) -> str:
    return f"?{urlencode({'stage': stage.pk})}" if stage is not None else ""


@login_required
def standings_page(request, slug: str):
    """The host's leaderboards of a competition, cumulative or of one stage (``?stage=<id>``):
    individual and team boards (the top rows, or the rows matching ``?q=``) and the division and
    district rankings."""
    competition = _managed_competition(request, slug)
    filters = _filters(request, competition)
    valid = filters.is_valid()
    stage = filters.cleaned_data.get("stage")
    query = filters.cleaned_data.get("q", "")
    page = filters.cleaned_data["page"] if valid else 1
    scope = _scope_query(stage)
    board = {"search": query, "offset": (page - 1) * STANDINGS_TOP, "limit": STANDINGS_TOP}
    return render(
        request,
        "competition/standings.html",
        {
            "competition": competition,
            "stage": stage,
            "stages": competition.stages.all(),
            "query": query,
            "top": STANDINGS_TOP,
            "filter_errors": errors_of(filters),
            "page_query": urlencode({"stage": stage.pk if stage else "", "q": query}),
            "individuals": _board_page(leaderboards.individual_page(competition, stage, **board), page),
            "teams": _board_page(leaderboards.team_page(competition, stage, **board), page),
            "divisions": _group_rows(leaderboards.division_board(competition, stage)),
            "districts": _group_rows(leaderboards.division_board(competition, stage, by="district")),
            "xlsx_url": reverse("competition-standings-xlsx", args=[slug]) + scope,
            "display_url": request.build_absolute_uri(
                reverse("competition-standings-display", args=[slug]) + scope
            ),
        },
        status=200 if valid else 400,
    )


def _projector_boards(competition: Competition, stage: Stage | None) -> dict:
    """The projector's top rows and division ranking, computed at most once per refresh interval
    however many screens show them (a board of a stage sums 100,000 contestants)."""
    key = f"standings-display:{competition.pk}:{stage.pk if stage else 'all'}"
    boards = cache.get(key)
    if boards is None:
        boards = {
            "individuals": _board_rows(
                leaderboards.individual_page(competition, stage, limit=PROJECTOR_TOP).rows
            ),
            "teams": _board_rows(leaderboards.team_page(competition, stage, limit=PROJECTOR_TOP).rows),
            "divisions": _group_rows(leaderboards.division_board(competition, stage)),
        }
        cache.set(key, boards, PROJECTOR_SECONDS)
    return boards


def standings_display(request, slug: str):
    """The projector page of the leaderboards (public, like the round and stage displays)."""
    competition = get_object_or_404(Competition, slug=slug)
    stage = _scope(request, competition)
    return render(
        request,
        "competition/standings_display.html",
        {
            "competition": competition,
            "stage": stage,
            **_projector_boards(competition, stage),
            "fragment_url": reverse("competition-standings-display-fragment", args=[slug])
            + _scope_query(stage),
            "refresh_ms": PROJECTOR_SECONDS * 1000,
        },
    )


def standings_display_fragment(request, slug: str):
    competition = get_object_or_404(Competition, slug=slug)
    stage = _scope(request, competition)
    response = render(
        request,
        "competition/_standings_boards.html",
        {"competition": competition, "stage": stage, **_projector_boards(competition, stage)},
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
def standings_xlsx(request, slug: str):
    competition = _managed_competition(request, slug)
    stage = _scope(request, competition)
    scope = stage.name if stage is not None else "cumulative"
    return _download(
        exports.leaderboards_xlsx(competition, stage), XLSX, f"{competition.slug}-{scope}-leaderboards.xlsx"
    )
