"""The report as named tables and charts: one list that the page, the CSV downloads, the workbook and the
PDF all render, so every chart has its table and every output has every table.

A ``Table`` holds raw values (counts, shares as 0..1, ``None`` for a share too few to read); each
renderer formats them. A ``Chart`` holds the plotted series of one table and its text alternative.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from competition.report import engine
from competition.report.selectors import DIMENSION_OF_DOMAIN, Report, stems

TEXT, COUNT, SHARE = "text", "count", "share"


def too_few() -> str:
    return _("too few to read")


def low_title() -> str:
    # xgettext:no-python-format
    return _("95% low")


def high_title() -> str:
    # xgettext:no-python-format
    return _("95% high")


def step_name(name: str) -> str:
    """A funnel step's name as the page shows it."""
    names = {
        "registered": _("Registered"),
        "active": _("Active"),
        "qualified": _("Qualified"),
        "finalists": _("Finalists"),
    }
    return names.get(name, name)


@dataclass(frozen=True)
class Column:
    title: str
    kind: str = TEXT


@dataclass
class Table:
    slug: str
    title: str
    columns: list[Column]
    rows: list[list[Any]]
    note: str = ""


@dataclass
class Chart:
    slug: str  # the table it plots
    kind: str  # bar, funnel, heatmap, line
    title: str
    alt: str  # the text alternative: what the chart shows, in words
    data: dict[str, Any] = field(default_factory=dict)


def pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def dimension_name(code: str) -> str:
    names = {
        "knowledge": _("knowledge"),
        "method": _("method"),
        "spirit": _("spirit and thought"),
        "application": _("application"),
        "total": _("total"),
    }
    return names.get(code, code)


def _share_columns() -> list[Column]:
    return [
        Column(_("Right"), COUNT),
        Column(_("Answers"), COUNT),
        Column(_("People"), COUNT),
        Column(_("Share right"), SHARE),
        Column(low_title(), SHARE),
        Column(high_title(), SHARE),
        Column(_("Readable")),
    ]


def _share_cells(s: engine.Share) -> list[Any]:
    readable = s.readable
    return [
        s.correct,
        s.answered,
        s.people,
        s.share if readable else None,
        s.low if readable else None,
        s.high if readable else None,
        _("yes") if readable else too_few(),
    ]


def _heat_rows(hm: engine.Heatmap) -> list[list[Any]]:
    return [
        [r, c, *_share_cells(hm.cells[(r, c)])] for r in hm.rows for c in hm.columns if (r, c) in hm.cells
    ]


def report_tables(report: Report) -> list[Table]:
    """Every table of the report, in reading order."""
    names = report.names
    tables = [
        Table(
            "funnel",
            _("Participation funnel"),
            [
                Column(_("Step")),
                Column(_("Contestants"), COUNT),
                Column(_("Of registered"), SHARE),
                Column(_("Of the step before"), SHARE),
            ],
            [[step_name(s.name), s.count, s.of_first, s.of_previous] for s in report.funnel],
        ),
        Table(
            "participation",
            _("Participation by district"),
            [Column(_("District"))]
            + [
                Column(t, COUNT)
                for t in (
                    _("Registered"),
                    _("Active"),
                    _("Completed"),
                    _("Qualified"),
                    _("Finalists"),
                    _("Self-tests"),
                )
            ],
            [
                [
                    r["district"],
                    r.get("registered", 0),
                    r.get("active", 0),
                    r.get("completed", 0),
                    r.get("qualified", 0),
                    r.get("finalists", 0),
                    r.get("selftests", 0),
                ]
                for r in report.participation
            ],
        ),
        Table(
            "weeks",
            _("Registrations by week"),
            [
                Column(_("Week from")),
                Column(_("New"), COUNT),
                Column(_("Total"), COUNT),
                Column(_("Growth"), SHARE),
                Column(_("Active"), COUNT),
            ],
            [[w.start.isoformat(), w.new, w.total, w.growth, w.active] for w in report.weeks],
        ),
        Table(
            "domains",
            _("Share right by survey dimension"),
            [Column(_("Domain")), Column(_("Dimension")), *_share_columns()],
            [
                [s.key, dimension_name(DIMENSION_OF_DOMAIN.get(str(s.key), "")), *_share_cells(s)]
                for s in report.domains
            ],
        ),
        Table(
            "benchmarks",
            _("Share right by benchmark"),
            [Column(_("Benchmark")), Column(_("Name")), *_share_columns()],
            [[s.key, names.get(str(s.key), ""), *_share_cells(s)] for s in report.benchmarks],
        ),
        Table(
            "district-benchmark",
            _("Share right by district and benchmark"),
            [Column(_("District")), Column(_("Benchmark")), *_share_columns()],
            _heat_rows(report.heatmap),
        ),
        Table(
            "group-dimension",
            _("Share right by key group and survey dimension"),
            [Column(_("Key group")), Column(_("Domain")), *_share_columns()],
            _heat_rows(report.group_heatmap),
        ),
        Table(
            "age-dimension",
            _("Share right by age band and survey dimension"),
            [Column(_("Age band")), Column(_("Domain")), *_share_columns()],
            _heat_rows(report.age_heatmap),
            note=_(
                "Age reached in the stage's year, from the year of birth a contestant may give when "
                "registering; those who gave none are a band of their own."
            ),
        ),
    ]
    below_columns = [
        Column(_("Share right"), SHARE),
        Column(low_title(), SHARE),
        Column(high_title(), SHARE),
        Column(_("Average"), SHARE),
        Column(_("Shortfall (average − high)"), SHARE),
        Column(_("Answers"), COUNT),
        Column(_("People"), COUNT),
    ]
    for slug, title, head, rows in (
        ("below-districts", _("Districts wholly below the average"), _("District"), report.below_districts),
        ("below-groups", _("Key groups wholly below the average"), _("Key group"), report.below_groups),
    ):
        tables.append(
            Table(
                slug,
                title,
                [Column(head), *below_columns],
                [
                    [
                        b.share.key,
                        b.share.share,
                        b.share.low,
                        b.share.high,
                        b.average,
                        b.gap,
                        b.share.answered,
                        b.share.people,
                    ]
                    for b in rows
                ],
                note=_(
                    # xgettext:no-python-format
                    "Only groups with enough answers and people whose whole 95% interval lies below the "
                    "average."
                ),
            )
        )
    dims = ["total", *engine.DIMENSIONS]
    hist = {"total": report.histogram, **report.dimension_histograms}
    tables.append(
        Table(
            "selftest",
            _("Self-test scores (percent of each dimension's weight)"),
            [Column(_("Score"))] + [Column(dimension_name(d), COUNT) for d in dims],
            [
                [f"{b.low}–{b.high}", *[hist[d][i].count for d in dims]]
                for i, b in enumerate(report.histogram)
            ],
        )
    )
    tables.append(
        Table(
            "thresholds",
            _("Self-tests over the thresholds"),
            [
                Column(_("Threshold")),
                Column(_("Over"), COUNT),
                Column(_("Self-tests"), COUNT),
                Column(_("Share"), SHARE),
                Column(low_title(), SHARE),
                Column(high_title(), SHARE),
            ],
            [
                [
                    _("total at least 70")
                    if t.name == "total"
                    else _("total at least 70 and every dimension at least 60%"),
                    t.over,
                    t.people,
                    t.share if t.readable else None,
                    t.low if t.readable else None,
                    t.high if t.readable else None,
                ]
                for t in report.thresholds
            ],
            note=_("The report's own thresholds (docs/report.md), not comparable with the national survey."),
        )
    )
    texts = stems([m.question_id for rows in report.missed.values() for m in rows])
    missed_rows = []
    for code, rows in report.missed.items():
        for m in rows:
            stem, options = texts.get(m.question_id, ("", []))
            distractor = ""
            if m.distractor is not None:
                text = options[m.distractor] if m.distractor < len(options) else ""
                distractor = f"{chr(ord('A') + m.distractor)}. {text}".strip()
            missed_rows.append(
                [
                    code,
                    m.label,
                    stem,
                    m.answered,
                    m.share,
                    distractor,
                    m.distractor_share,
                    _("yes") if m.misleads else "",
                ]
            )
    tables.append(
        Table(
            "missed",
            _("Most-missed questions per benchmark"),
            [
                Column(_("Benchmark")),
                Column(_("Question")),
                Column(_("Stem")),
                Column(_("Answers"), COUNT),
                Column(_("Share right"), SHARE),
                Column(_("Strongest distractor")),
                Column(_("Picked by"), SHARE),
                Column(_("Misleads more than it informs")),
            ],
            missed_rows,
        )
    )
    live = report.live
    if live is not None:
        tables.append(
            Table(
                "rounds",
                _("Live rounds"),
                [
                    Column(_("Round")),
                    Column(_("Stage")),
                    Column(_("Finished")),
                    Column(_("Contestants"), COUNT),
                    Column(_("Right"), COUNT),
                    Column(_("Answers"), COUNT),
                    Column(_("Share right"), SHARE),
                    Column(low_title(), SHARE),
                    Column(high_title(), SHARE),
                    Column(_("Readable")),
                ],
                [
                    [
                        r.title,
                        r.stage,
                        r.finished_at.date().isoformat() if r.finished_at else _("not yet"),
                        r.share.people,
                        *[c for i, c in enumerate(_share_cells(r.share)) if i != 2],
                    ]
                    for r in live.rounds
                ],
                note=_(
                    "The season's live rounds, whatever the filters: answers on questions not voided; "
                    "the people are the round's contestants."
                ),
            )
        )
        tables.append(
            Table(
                "finals",
                _("Finals"),
                [
                    Column(_("Final")),
                    Column(_("Stage")),
                    Column(_("Finished")),
                    Column(_("Place"), COUNT),
                    Column(_("Team")),
                    Column(_("District")),
                    Column(_("Score"), COUNT),
                ],
                [
                    [
                        p.final,
                        p.stage,
                        _("yes") if p.finished else _("in progress"),
                        p.rank,
                        p.team,
                        p.district,
                        round(p.score, 1),
                    ]
                    for p in live.finals
                ],
                note=_("Teams by score; a tie is in the order the 加赛 decided."),
            )
        )
    return tables
