"""The organisers' literacy report: the page, a CSV per table, the workbook and the PDF.

Who may see it is the competition rule (``competition.permissions.may_manage_competition``): superusers,
organisers, and the season's hosts. The figures come from the summary tables (``selectors``), never from
the answers, so a filter change is a few small GROUP BYs.
"""

from __future__ import annotations

import csv
import io

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from competition.forms import errors_of
from competition.models import Competition
from competition.permissions import may_manage_competition
from competition.report.charts import report_charts
from competition.report.forms import ReportFilters
from competition.report.selectors import Scope, report_get
from competition.report.tables import COUNT, SHARE, report_tables


def _seasons(user):
    seasons = Competition.objects.filter(online_stages__isnull=False).distinct().order_by("-year", "name")
    allowed = [c.pk for c in seasons if may_manage_competition(user, c)]
    return seasons.filter(pk__in=allowed)


def _scope(request) -> tuple[ReportFilters, Scope | None]:
    form = ReportFilters(request.GET, seasons=_seasons(request.user))
    if not form.is_valid():
        return form, None
    d = form.cleaned_data
    return form, Scope(
        stage=d["stage"],
        division=d.get("division"),
        district=d.get("district"),
        key_group=d.get("key_group") or "",
    )


def _query(scope: Scope) -> str:
    params = {"season": scope.stage.competition.slug, "stage": scope.stage.slug}
    if scope.division is not None:
        params["division"] = scope.division.code
    if scope.district is not None:
        params["district"] = scope.district.pk
    if scope.key_group:
        params["key_group"] = scope.key_group
    return urlencode(params)


def _format(value, kind: str) -> str:
    if value is None:
        return "—"
    if kind == SHARE:
        return f"{100 * value:.1f}%"
    return str(value)


@login_required
def report_page(request):
    """The report for the filters in the query string (by default the first season's latest online stage)."""
    form, scope = _scope(request)
    if scope is None:
        if not form.fields["season"].queryset.exists():
            raise Http404("no season with an online stage that you may see")
        return render(
            request, "report/report.html", {"form": form, "filter_errors": errors_of(form)}, status=400
        )
    query = _query(scope)
    if "season" not in request.GET:
        # the default scope, written into the address: the filters show it and the link can be shared
        return redirect(reverse("report") + "?" + query)
    report = report_get(scope)
    tables = report_tables(report)
    charts = {c.slug: c for c in report_charts(report)}
    sections = [
        {
            "table": t,
            "chart": charts.get(t.slug),
            "rows": [
                [(_format(v, c.kind), c.kind in (COUNT, SHARE)) for v, c in zip(row, t.columns, strict=True)]
                for row in t.rows
            ],
            "csv": reverse("report-csv", args=[t.slug]) + "?" + query,
        }
        for t in tables
    ]
    return render(
        request,
        "report/report.html",
        {
            "form": form,
            "report": report,
            "scope": scope,
            "sections": sections,
            "chart_data": {c.slug: {"kind": c.kind, "title": c.title, **c.data} for c in charts.values()},
            "average_text": _format(report.average.share, SHARE),
            "xlsx_url": reverse("report-xlsx") + "?" + query,
            "pdf_url": reverse("report-pdf") + "?" + query,
        },
    )


def _scoped_or_400(request):
    form, scope = _scope(request)
    if scope is None:
        return None, HttpResponse(
            "\n".join(errors_of(form)), status=400, content_type="text/plain; charset=utf-8"
        )
    return scope, None


@login_required
def report_csv(request, table: str):
    """One table as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese)."""
    scope, refused = _scoped_or_400(request)
    if refused:
        return refused
    found = next((t for t in report_tables(report_get(scope)) if t.slug == table), None)
    if found is None:
        raise Http404("no such table")
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([c.title for c in found.columns])
    for row in found.rows:
        writer.writerow([_csv_cell(v) for v in row])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="report-{scope.stage.slug}-{table}.csv"'
    return response


def _csv_cell(value):
    """Numbers as numbers; text that a spreadsheet would run as a formula is quoted with a leading '."""
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + value
    return "" if value is None else value


@login_required
def report_xlsx(request):
    from competition.report.outputs import workbook_bytes

    scope, refused = _scoped_or_400(request)
    if refused:
        return refused
    response = HttpResponse(
        workbook_bytes(report_get(scope)),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="report-{scope.stage.slug}.xlsx"'
    return response


@login_required
def report_pdf(request):
    from competition.report.outputs import pdf_bytes

    scope, refused = _scoped_or_400(request)
    if refused:
        return refused
    response = HttpResponse(pdf_bytes(report_get(scope)), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="report-{scope.stage.slug}.pdf"'
    return response
