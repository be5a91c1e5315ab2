"""The report's charts: the plotted series of its tables (``competition.report.tables``), each with a text
alternative computed from the same figures. The page draws them with ECharts, the PDF as server-built SVG.
"""

from __future__ import annotations

from dataclasses import replace

from django.utils.translation import gettext as _

from competition.report import engine
from competition.report.selectors import DIMENSION_OF_DOMAIN, Report
from competition.report.tables import Chart, dimension_name, pct, step_name


def report_charts(report: Report) -> list[Chart]:
    """The plotted tables, each with a text alternative computed from the same figures."""
    charts = []
    steps = report.funnel
    charts.append(
        Chart(
            "funnel",
            "funnel",
            _("Participation funnel"),
            "; ".join(
                f"{step_name(s.name)} {s.count}" + (f" ({pct(s.of_first)})" if s.of_first is not None else "")
                for s in steps
            ),
            {"labels": [step_name(s.name) for s in steps], "values": [s.count for s in steps]},
        )
    )
    weeks = report.weeks
    if weeks:
        peak = max(weeks, key=lambda w: w.new)
        alt = _(
            "%(weeks)d weeks, %(total)d registered; most new registrations in the week from %(peak)s "
            "(%(new)d)."
        ) % {
            "weeks": len(weeks),
            "total": weeks[-1].total,
            "peak": peak.start.isoformat(),
            "new": peak.new,
        }
    else:
        alt = _("No registrations yet.")
    charts.append(
        Chart(
            "weeks",
            "weeks",
            _("Registrations by week"),
            alt,
            {
                "labels": [w.start.isoformat() for w in weeks],
                "series": [
                    {"name": _("New"), "values": [w.new for w in weeks]},
                    {"name": _("Active"), "values": [w.active for w in weeks]},
                ],
            },
        )
    )
    charts.append(
        _bar_chart(
            "domains",
            _("Share right by survey dimension"),
            report.domains,
            lambda k: f"{k} {dimension_name(DIMENSION_OF_DOMAIN.get(str(k), ''))}",
        )
    )
    charts.append(_bar_chart("benchmarks", _("Share right by benchmark"), report.benchmarks, str))
    charts.append(
        _heat_chart("district-benchmark", _("Share right by district and benchmark"), report.heatmap)
    )
    charts.append(
        _heat_chart(
            "group-dimension", _("Share right by key group and survey dimension"), report.group_heatmap
        )
    )
    charts.append(
        _heat_chart("age-dimension", _("Share right by age band and survey dimension"), report.age_heatmap)
    )
    h = report.histogram
    total = sum(b.count for b in h)
    charts.append(
        Chart(
            "selftest",
            "bar",
            _("Self-test totals"),
            _("%(n)d self-tests; %(share)s scored 70 or more.")
            % {"n": total, "share": pct(sum(b.count for b in h[7:]) / total if total else None)},
            {"labels": [f"{b.low}–{b.high}" for b in h], "values": [b.count for b in h], "percent": False},
        )
    )
    if report.live is not None and report.live.rounds:
        charts.append(
            _bar_chart(
                "rounds",
                _("Share right by live round"),
                [replace(r.share, key=r.title) for r in report.live.rounds],
                str,
            )
        )
    return charts


def _bar_chart(slug: str, title: str, rows: list[engine.Share], label) -> Chart:
    readable = [s for s in rows if s.readable and s.share is not None]
    if readable:
        low = min(readable, key=lambda s: s.share)
        high = max(readable, key=lambda s: s.share)
        alt = _("Highest %(high)s (%(hs)s), lowest %(low)s (%(ls)s); %(few)d too few to read.") % {
            "high": label(high.key),
            "hs": pct(high.share),
            "low": label(low.key),
            "ls": pct(low.share),
            "few": len(rows) - len(readable),
        }
    else:
        alt = _("Nothing to read yet.")
    return Chart(
        slug,
        "bar",
        title,
        alt,
        {
            "labels": [label(s.key) for s in rows],
            "values": [round(100 * s.share, 1) if s.readable and s.share is not None else None for s in rows],
            "low": [round(100 * s.low, 1) if s.readable else None for s in rows],
            "high": [round(100 * s.high, 1) if s.readable else None for s in rows],
            "percent": True,
        },
    )


def _heat_chart(slug: str, title: str, hm: engine.Heatmap) -> Chart:
    values = []
    readable = []
    for (r, c), s in hm.cells.items():
        ok = s.readable and s.share is not None
        values.append([hm.columns.index(c), hm.rows.index(r), round(100 * s.share, 1) if ok else None])
        if ok:
            readable.append((s.share, r, c))
    if readable:
        lo, hi = min(readable), max(readable)
        alt = _(
            "%(rows)d rows by %(cols)d columns; highest %(hr)s × %(hc)s (%(hs)s), "
            "lowest %(lr)s × %(lc)s (%(ls)s); grey cells are too few to read."
        ) % {
            "rows": len(hm.rows),
            "cols": len(hm.columns),
            "hr": hi[1],
            "hc": hi[2],
            "hs": pct(hi[0]),
            "lr": lo[1],
            "lc": lo[2],
            "ls": pct(lo[0]),
        }
    else:
        alt = _("Nothing to read yet.")
    return Chart(
        slug,
        "heatmap",
        title,
        alt,
        {"rows": [str(r) for r in hm.rows], "columns": [str(c) for c in hm.columns], "values": values},
    )
