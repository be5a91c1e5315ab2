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
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from competition import engine, exports, leaderboards, svg
from competition.matches import (
    MatchError,
    bracket_view,
    match_result_correct,
    match_start,
    substitution_record,
)
from competition.models import Competition, CompetitionRole, Match, Registration, Stage, Team

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


# --------------------------------------------------------------------------------------------- stages

DEFAULT_QUESTIONS = 10
MAX_QUESTIONS = 60


def _stage_or_404(slug: str, stage_id: int) -> Stage:
    return get_object_or_404(Stage.objects.select_related("competition"), pk=stage_id, competition__slug=slug)


def _managed_stage(request, slug: str, stage_id: int) -> Stage:
    stage = _stage_or_404(slug, stage_id)
    if not user_can_manage(request.user, stage.competition):
        raise PermissionDenied("you do not have host rights for this competition")
    return stage


def _team_names(competition: Competition) -> dict[int, str]:
    return dict(Team.objects.filter(competition=competition).values_list("id", "name"))


def _brackets(stage: Stage, *, detail: bool) -> list[dict]:
    """Each bracket of the stage with its SVG, standings and (for the host page) its matches."""
    names = _team_names(stage.competition)
    out = []
    for bracket in stage.brackets.all():
        view = bracket_view(bracket)
        state = view.bracket
        item = {
            "bracket": bracket,
            "svg": svg.render(state, names, set(view.unfit)),
            "unfit": view.unfit,
            "finished": engine.is_finished(state),
        }
        if detail:
            table = engine.standings(state) if state.groups else None
            item["groups"] = (
                []
                if table is None
                else [
                    {
                        "name": group,
                        "complete": table.complete.get(group, False),
                        "rows": [(row, names.get(row.team, f"#{row.team}")) for row in rows],
                    }
                    for group, rows in table.groups.items()
                ]
            )
            item["sudden_death"] = [
                (sd.group, sd.place, [names.get(t, f"#{t}") for t in sd.teams])
                for sd in (table.sudden_death if table else ())
            ]
            item["ranking"] = (
                [(p.place, names.get(p.team, f"#{p.team}")) for p in engine.final_ranking(state)]
                if item["finished"]
                else []
            )
            item["matches"] = _match_rows(stage, view, names)
        out.append(item)
    return out


def _match_rows(stage: Stage, view, names: dict[int, str]) -> list[dict]:
    rows = []
    regs = {}
    team_ids = {t for row in view.rows.values() for t in row.teams}
    for reg in Registration.objects.filter(team_id__in=team_ids).order_by("team_id", "role", "name"):
        regs.setdefault(reg.team_id, []).append(reg)
    for code, m in view.bracket.matches.items():
        row = view.rows.get(code)
        if row is None:
            continue
        status = svg.status_of(m, set(view.unfit))
        teams = [t for t in m.participants if t is not None]
        stored = (row.result or {}).get("scores", {})
        rows.append(
            {
                "row": row,
                "engine": m,
                "status": status,
                "status_label": svg.STATUS[status],
                "teams": [
                    {
                        "id": t,
                        "name": names.get(t, f"#{t}"),
                        "score": stored.get(str(t), {}).get("score", ""),
                        "time": stored.get(str(t), {}).get("correct_time_ms", ""),
                        "sd": (
                            (row.result or {}).get("sudden_death", []).index(t) + 1
                            if t in (row.result or {}).get("sudden_death", [])
                            else ""
                        ),
                        "members": [r for r in regs.get(t, []) if r.role != Registration.Role.SUBSTITUTE],
                        "substitutes": [r for r in regs.get(t, []) if r.role == Registration.Role.SUBSTITUTE],
                    }
                    for t in teams
                ],
                "can_start": row.round_id is None and m.ready and m.result is None,
                "can_correct": m.ready or row.result is not None,
                "corrections": list(row.corrections.select_related("actor")),
                "substitutions": list(
                    row.substitutions.select_related("player_out", "player_in", "team", "actor")
                ),
            }
        )
    return rows


def _draw(stage: Stage, match: Match, count: int) -> list:
    """The questions for a match's round: the bank's draw (approved, playable, zh-hans, not yet shown in
    this stage), seeded by the match so a retry draws the same."""
    try:
        from questionbank.draws import draw_questions
    except ImportError:  # pragma: no cover - the draw module is optional
        draw_questions = None
    if draw_questions is not None:
        return draw_questions(
            {"count": count, "language": "zh-hans", "order": "random"},
            stage.competition,
            stage.name,
            f"{stage.pk}:{match.bracket_id}:{match.code}",
        )
    from questionbank.models import Exposure, Question, QuestionKind, Status

    shown = Exposure.objects.filter(competition=stage.competition, stage=stage.name).values("question_id")
    return list(
        Question.objects.filter(status=Status.APPROVED, language="zh-hans")
        .exclude(kind=QuestionKind.JUDGED)
        .exclude(pk__in=shown)
        .order_by("id")[:count]
    )


def _int(value: str, default: int | None = None) -> int | None:
    value = (value or "").strip()
    try:
        return int(value)
    except ValueError:
        return default


def _stage_post(request, stage: Stage) -> None:
    """One action of the stage page; errors become messages."""
    action = request.POST.get("action", "")
    match = get_object_or_404(
        Match.objects.select_related("bracket"), pk=_int(request.POST.get("match"), 0), bracket__stage=stage
    )
    try:
        if action == "start":
            count = _int(request.POST.get("questions"), DEFAULT_QUESTIONS)
            if count is None or not 1 <= count <= MAX_QUESTIONS:
                raise MatchError(
                    "bad_count", _("Choose between 1 and %(max)s questions.") % {"max": MAX_QUESTIONS}
                )
            try:
                questions = _draw(stage, match, count)
            except Exception as exc:  # SpecError / DrawError: not enough questions for the stage
                raise MatchError("draw_failed", str(exc)) from exc
            if len(questions) < count:
                raise MatchError(
                    "draw_failed",
                    _("Only %(n)s questions are left for this stage.") % {"n": len(questions)},
                )
            from quiz.services import QuizError

            try:
                round_ = match_start(match=match, questions=questions)
            except QuizError as exc:
                raise MatchError(exc.code, str(exc)) from exc
            messages.success(
                request,
                _("Round started for %(code)s: PIN %(pin)s") % {"code": match.code, "pin": round_.pin},
            )
        elif action == "correct":
            scores = {}
            order = []
            for team in match.teams:
                score = request.POST.get(f"score_{team}", "").strip()
                try:
                    value = float(score) if "." in score else int(score)
                except ValueError:
                    raise MatchError("bad_score", _("Give every team a score.")) from None
                time_ms = _int(request.POST.get(f"time_{team}"), 0)
                scores[str(team)] = {"score": value, "correct_time_ms": max(time_ms or 0, 0)}
                place = _int(request.POST.get(f"sd_{team}"))
                if place is not None:
                    order.append((place, team))
            result = {"scores": scores, "sudden_death": [t for _p, t in sorted(order)]}
            try:
                affected = match_result_correct(
                    match=match, result=result, actor=request.user, reason=request.POST.get("reason", "")
                )
            except engine.BracketError as exc:
                raise MatchError(exc.code, exc.message) from exc
            note = _("Result of %(code)s corrected.") % {"code": match.code}
            if affected:
                note += " " + _("Check: %(list)s") % {"list": ", ".join(affected)}
            messages.success(request, note)
        elif action == "substitute":
            out_reg = get_object_or_404(
                Registration, pk=_int(request.POST.get("player_out"), 0), competition=stage.competition
            )
            in_reg = get_object_or_404(
                Registration, pk=_int(request.POST.get("player_in"), 0), competition=stage.competition
            )
            if out_reg.team is None:
                raise MatchError("not_team_member", _("That player has no team."))
            substitution_record(
                match=match,
                team=out_reg.team,
                player_out=out_reg,
                player_in=in_reg,
                actor=request.user,
                reason=request.POST.get("reason", "")[:200],
            )
            messages.success(
                request, _("%(in)s comes on for %(out)s.") % {"in": in_reg.name, "out": out_reg.name}
            )
        else:
            messages.error(request, _("Unknown action."))
    except MatchError as exc:
        messages.error(request, f"{match.code}: {exc.message} ({exc.code})")


@login_required
def stage_page(request, slug: str, stage_id: int):
    """The host's page of a stage: brackets, standings, matches with their rounds and the forms."""
    stage = _managed_stage(request, slug, stage_id)
    if request.method == "POST":
        _stage_post(request, stage)
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
            "brackets": _brackets(stage, detail=True),
            "default_questions": DEFAULT_QUESTIONS,
            "max_questions": MAX_QUESTIONS,
            "display_url": request.build_absolute_uri(
                reverse("competition-stage-display", args=[slug, stage.pk])
            ),
        },
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
            "brackets": _brackets(stage, detail=False),
            "fragment_url": reverse("competition-stage-display-fragment", args=[slug, stage.pk]),
        },
    )


def stage_display_fragment(request, slug: str, stage_id: int):
    stage = _stage_or_404(slug, stage_id)
    response = render(
        request,
        "competition/_stage_brackets.html",
        {"stage": stage, "brackets": _brackets(stage, detail=False)},
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
    if not user_can_manage(request.user, match.bracket.stage.competition):
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
SEARCH_MAX = 50


def _managed_competition(request, slug: str) -> Competition:
    competition = get_object_or_404(Competition, slug=slug)
    if not user_can_manage(request.user, competition):
        raise PermissionDenied("you do not have host rights for this competition")
    return competition


def _scope(request, competition: Competition) -> Stage | None:
    """The stage of ``?stage=<id>``, or None for the cumulative boards."""
    value = request.GET.get("stage", "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise Http404("no such stage")
    return get_object_or_404(Stage, pk=int(value), competition=competition)


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


def matching(rows: list[leaderboards.Row], query: str) -> list[leaderboards.Row]:
    """The rows whose name or detail (a contestant's team, a team's division) contains the query, case
    aside. Filtered after ranking, so every row keeps its rank on the whole board."""
    needle = query.strip().casefold()
    if not needle:
        return rows
    return [row for row in rows if needle in row.name.casefold() or needle in row.detail.casefold()]


def _board_page(rows: list[leaderboards.Row], query: str) -> dict:
    found = matching(rows, query)
    return {"rows": _board_rows(found[:STANDINGS_TOP]), "total": len(rows), "matching": len(found)}


def _scope_query(stage: Stage | None) -> str:
    return f"?{urlencode({'stage': stage.pk})}" if stage is not None else ""


@login_required
def standings_page(request, slug: str):
    """The host's leaderboards of a competition, cumulative or of one stage (``?stage=<id>``):
    individual and team boards (the top rows, or the rows matching ``?q=``) and the division and
    district rankings."""
    competition = _managed_competition(request, slug)
    stage = _scope(request, competition)
    query = request.GET.get("q", "").strip()[:SEARCH_MAX]
    scope = _scope_query(stage)
    return render(
        request,
        "competition/standings.html",
        {
            "competition": competition,
            "stage": stage,
            "stages": competition.stages.all(),
            "query": query,
            "top": STANDINGS_TOP,
            "individuals": _board_page(leaderboards.individual_board(competition, stage), query),
            "teams": _board_page(leaderboards.team_board(competition, stage), query),
            "divisions": _group_rows(leaderboards.division_board(competition, stage)),
            "districts": _group_rows(leaderboards.division_board(competition, stage, by="district")),
            "xlsx_url": reverse("competition-standings-xlsx", args=[slug]) + scope,
            "display_url": request.build_absolute_uri(
                reverse("competition-standings-display", args=[slug]) + scope
            ),
        },
    )


def _projector_boards(competition: Competition, stage: Stage | None) -> dict:
    """The projector's top rows and division ranking, computed at most once per refresh interval
    however many screens show them (a board of a stage sums 100,000 contestants)."""
    key = f"standings-display:{competition.pk}:{stage.pk if stage else 'all'}"
    boards = cache.get(key)
    if boards is None:
        boards = {
            "individuals": _board_rows(leaderboards.individual_board(competition, stage)[:PROJECTOR_TOP]),
            "teams": _board_rows(leaderboards.team_board(competition, stage)[:PROJECTOR_TOP]),
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
