"""The report as files: an XLSX workbook with every table, and a PDF with the charts and tables.

The workbook (openpyxl) has an "About" sheet (scope, freshness, the disclaimer, the rules) and one sheet
per table; text that a spreadsheet would run as a formula is neutralised. The PDF is HTML rendered by
WeasyPrint (pango lays out the Chinese with the system's Noto CJK fonts, embedded as subsets) with the
charts drawn as SVG on the server (``svgcharts``).
"""

from __future__ import annotations

import io

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from competition.exports.xlsx import safe
from competition.report.charts import report_charts
from competition.report.selectors import Report
from competition.report.svgcharts import chart_svg
from competition.report.tables import COUNT, SHARE, report_tables

# Long tables that the PDF leaves to the workbook (their heat maps are in the PDF).
WORKBOOK_ONLY = ("district-benchmark", "group-dimension", "age-dimension")


def disclaimer() -> str:
    return _(
        "Participants chose to take part: these are competition figures about the people who entered, not a "
        "representative survey of the population. The national science-literacy survey is context only; its "
        "figures are not comparable with these."
    )


def rules_text() -> list[str]:
    return [
        _("Share right: right answers over answers, with its Wilson score interval at 95% (z = 1.96)."),
        _(
            "Minimum sample: a share is read only with at least 30 answers from at least 10 people; below, "
            "it is shown as too few to read and left out of every ranking."
        ),
        _(
            # xgettext:no-python-format
            "Below the average: only readable groups whose whole 95% interval (the upper bound) lies below "
            "the average are named, largest certain shortfall first."
        ),
        _(
            # xgettext:no-python-format
            "Self-test thresholds (the report's own rule): total at least 70; composite: total at least 70 "
            "and every dimension at least 60% of its weight."
        ),
    ]


def scope_text(report: Report) -> str:
    scope = report.scope
    parts = [str(scope.stage.competition), scope.stage.name]
    if scope.division is not None:
        parts.append(scope.division.name)
    if scope.district is not None:
        parts.append(scope.district.name)
    if scope.key_group:
        parts.append(report.names.get(f"group:{scope.key_group}", scope.key_group))
    return " · ".join(parts)


def workbook_bytes(report: Report) -> bytes:
    wb = Workbook()
    about = wb.active
    about.title = "About"
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DCE6F1")
    refreshed = report.refreshed_at.isoformat(timespec="minutes") if report.refreshed_at else _("not yet")
    lines = [
        (_("Literacy report"), bold),
        (scope_text(report), None),
        (_("Figures as of the last refresh: %(at)s") % {"at": refreshed}, None),
        (_("Built at: %(at)s") % {"at": timezone.now().isoformat(timespec="minutes")}, None),
        ("", None),
        (disclaimer(), bold),
        ("", None),
        *[(line, None) for line in rules_text()],
    ]
    for i, (text, font) in enumerate(lines, start=1):
        cell = about.cell(row=i, column=1, value=safe(text))
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if font:
            cell.font = font
    about.column_dimensions["A"].width = 110
    for table in report_tables(report):
        ws = wb.create_sheet(table.slug[:31])
        ws.cell(row=1, column=1, value=safe(table.title)).font = Font(bold=True, size=13)
        if table.note:
            ws.cell(row=2, column=1, value=safe(table.note))
        for j, column in enumerate(table.columns, start=1):
            c = ws.cell(row=3, column=j, value=safe(column.title))
            c.font, c.fill = bold, head_fill
            ws.column_dimensions[get_column_letter(j)].width = 40 if column.title in (_("Stem"),) else 16
        for i, row in enumerate(table.rows, start=4):
            for j, (value, column) in enumerate(zip(row, table.columns, strict=True), start=1):
                c = ws.cell(row=i, column=j, value=safe(value) if isinstance(value, str) else value)
                if column.kind == SHARE and value is not None:
                    c.number_format = "0.0%"
        ws.freeze_panes = "A4"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _fmt(value, kind: str) -> str:
    if value is None:
        return "—"
    if kind == SHARE:
        return f"{100 * value:.1f}%"
    return str(value)


def pdf_html(report: Report) -> str:
    charts = {c.slug: c for c in report_charts(report)}
    sections = []
    for table in report_tables(report):
        chart = charts.get(table.slug)
        sections.append(
            {
                "table": table,
                "svg": chart_svg(chart.kind, chart.title, chart.data) if chart else "",
                "alt": chart.alt if chart else "",
                "rows": []
                if table.slug in WORKBOOK_ONLY
                else [
                    [
                        (_fmt(v, c.kind), c.kind in (COUNT, SHARE))
                        for v, c in zip(row, table.columns, strict=True)
                    ]
                    for row in table.rows
                ],
                "workbook_only": table.slug in WORKBOOK_ONLY,
            }
        )
    return render_to_string(
        "report/report_pdf.html",
        {
            "report": report,
            "scope_text": scope_text(report),
            "disclaimer": disclaimer(),
            "rules": rules_text(),
            "sections": sections,
            "average": _fmt(report.average.share, SHARE),
            "built_at": timezone.now(),
        },
    )


def pdf_bytes(report: Report) -> bytes:
    from weasyprint import HTML  # imported here: pango loads only when a PDF is built

    return HTML(string=pdf_html(report)).write_pdf()
