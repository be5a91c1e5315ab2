"""Two admin pages beside the question list: item statistics (with CSV / XLSX export) and a draw preview.

The question admin includes ``stats_urls(admin_site)`` in its URLs (before the model's own patterns),
which serves ``<admin>/questionbank/question/statistics/`` (name ``admin:questionbank_question_statistics``),
``.../statistics/export/`` (``admin:questionbank_question_statistics_export``, ``?format=csv|xlsx`` plus
the page's filters) and ``.../draw/`` (``admin:questionbank_question_draw``). Both need the permission to
view questions; the draw preview writes nothing. Competitions, stages and regions to choose from are
asked of the rounds through ``questionbank.hooks``.
"""

from __future__ import annotations

import json

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _

from questionbank import hooks, statistics
from questionbank.draws import draw_preview
from questionbank.engine.draws import DrawError, SpecError
from questionbank.engine.stats import DEFAULT_THRESHOLDS, letter
from questionbank.models import Question

VIEW_PERMISSION = "questionbank.view_question"
EXAMPLE_SPEC = {
    "count": 10,
    "kinds": ["single", "truefalse"],
    "language": "zh-hans",
    "quotas": [{"tag": "health", "min": 2}],
    "difficulty": {"1": 0.2, "2": 0.3, "3": 0.3, "4": 0.2},
}


def _allowed(request) -> None:
    if not request.user.has_perm(VIEW_PERMISSION):
        raise PermissionDenied


def _filters(request) -> dict:
    competition = None
    raw = request.GET.get("competition", "")
    if raw.isdigit():
        competition = hooks.competition(int(raw))
    stage = request.GET.get("stage")
    region = request.GET.get("region") or None
    return {
        "competition": competition,
        "stage": stage if stage not in (None, "__all__") else None,
        "region": region,
    }


def statistics_view(request, admin_site):
    _allowed(request)
    chosen = _filters(request)
    rows = []
    if chosen["competition"] is not None:
        rows = statistics.item_statistics(
            competition=chosen["competition"], stage=chosen["stage"], region=chosen["region"]
        )
    table = [
        {
            "row": row,
            "key": "".join(letter(i) for i in row.stats.key),
            "mean_s": None if row.stats.mean_ms is None else row.stats.mean_ms / 1000,
            "shares": [
                {"letter": letter(i), "percent": round(share * 100), "is_key": i in row.stats.key}
                for i, share in enumerate(row.stats.shares)
            ],
            # A typed question has no options: its most common wrong answers, normalised, instead.
            "typed": row.typed,
            "wrong": [
                {"answer": w.answer, "count": w.count, "percent": round(w.share * 100)}
                for w in row.stats.wrong_answers
            ],
        }
        for row in rows
    ]
    query = request.GET.urlencode()
    export = reverse(f"{admin_site.name}:questionbank_question_statistics_export")
    context = {
        **admin_site.each_context(request),
        "title": _("Item statistics"),
        "competitions": hooks.competitions(),
        "stages": hooks.stages(chosen["competition"].id) if chosen["competition"] else [],
        "regions": hooks.regions(chosen["competition"].id) if chosen["competition"] else [],
        "chosen": chosen,
        "table": table,
        "flagged": sum(1 for r in rows if r.stats.flags),
        "thresholds": DEFAULT_THRESHOLDS,
        "csv_url": f"{export}?{query}&format=csv" if chosen["competition"] else "",
        "xlsx_url": f"{export}?{query}&format=xlsx" if chosen["competition"] else "",
        "opts": _opts(),
    }
    return TemplateResponse(request, "admin/questionbank/stats.html", context)


def statistics_export_view(request, admin_site):
    _allowed(request)
    chosen = _filters(request)
    if chosen["competition"] is None:
        return HttpResponse("choose a competition", status=400, content_type="text/plain")
    rows = statistics.item_statistics(
        competition=chosen["competition"], stage=chosen["stage"], region=chosen["region"]
    )
    name = f"item-statistics-{chosen['competition'].slug}"
    if request.GET.get("format") == "xlsx":
        response = HttpResponse(
            statistics.to_xlsx(rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    # A byte order mark so Excel opens the Chinese text as UTF-8.
    response = HttpResponse("\ufeff" + statistics.to_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def draw_view(request, admin_site):
    _allowed(request)
    data = request.POST if request.method == "POST" else request.GET
    form = {
        "competition": data.get("competition", ""),
        "stage": data.get("stage", ""),
        "seed": data.get("seed", "1"),
        "spec": data.get("spec") or json.dumps(EXAMPLE_SPEC, ensure_ascii=False, indent=2),
    }
    questions, report, error = [], None, ""
    if request.method == "POST":
        competition = hooks.competition(int(form["competition"])) if form["competition"].isdigit() else None
        seed = form["seed"].strip()
        try:
            if competition is None:
                raise SpecError(str(_("choose a competition")))
            spec = json.loads(form["spec"])
            questions, report = draw_preview(
                spec, competition, form["stage"], int(seed) if seed.lstrip("-").isdigit() else seed
            )
        except json.JSONDecodeError as exc:
            error = _("The spec is not valid JSON: %(error)s") % {"error": exc}
        except SpecError as exc:
            error = _("The spec is wrong: %(error)s") % {"error": exc}
        except DrawError as exc:
            error = _("The spec cannot be met: %(error)s") % {"error": exc.message}
    context = {
        **admin_site.each_context(request),
        "title": _("Draw preview"),
        "competitions": hooks.competitions(),
        "form": form,
        "questions": questions,
        "report": report,
        "error": error,
        "opts": _opts(),
    }
    return TemplateResponse(request, "admin/questionbank/draw.html", context)


def _opts():
    return Question._meta


def stats_urls(admin_site) -> list:
    """URL patterns for the question admin's ``get_urls`` (put them before the model's own)."""

    def bind(view):
        def bound(request):
            return view(request, admin_site)

        bound.__name__ = view.__name__
        bound.__doc__ = view.__doc__
        return admin_site.admin_view(bound)

    return [
        path("statistics/", bind(statistics_view), name="questionbank_question_statistics"),
        path(
            "statistics/export/",
            bind(statistics_export_view),
            name="questionbank_question_statistics_export",
        ),
        path("draw/", bind(draw_view), name="questionbank_question_draw"),
    ]
