"""Reads for the report: the summary tables summed for a scope (stage and filters), turned into the
engine's tallies and results. A few GROUP BYs over a few thousand rows; never the answers themselves.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from competition.models import District, Division
from competition.online.models import KeyGroup, OnlineStage
from competition.report import engine
from competition.report.models import (
    GroupCell,
    ItemCell,
    LiteracyCell,
    LiteracyPeople,
    RefreshState,
    WeekCell,
)
from questionbank.models import Question, Tag

# The survey's four dimensions and the benchmark domains the self-test draws them from.
DIMENSION_OF_DOMAIN = {"D1": "spirit", "D2": "method", "D3": "knowledge", "D4": "application"}


@dataclass(frozen=True)
class Scope:
    """What the page shows: one online stage, optionally narrowed to a division, district or key group."""

    stage: OnlineStage
    division: Division | None = None
    district: District | None = None
    key_group: str = ""

    def filters(self, prefix: str = "") -> dict[str, Any]:
        out: dict[str, Any] = {f"{prefix}stage": self.stage}
        if self.district is not None:
            out[f"{prefix}district"] = self.district
        elif self.division is not None:
            out[f"{prefix}district__division"] = self.division
        if self.key_group:
            out[f"{prefix}key_group"] = self.key_group
        return out


@dataclass
class Report:
    scope: Scope
    refreshed_at: Any
    average: engine.Share
    funnel: list[engine.FunnelStep]
    participation: list[dict]
    weeks: list[engine.Week]
    benchmarks: list[engine.Share]
    domains: list[engine.Share]
    heatmap: engine.Heatmap
    group_heatmap: engine.Heatmap
    below_districts: list[engine.Below]
    below_groups: list[engine.Below]
    histogram: list[engine.Bin]
    dimension_histograms: dict[str, list[engine.Bin]]
    thresholds: list[engine.Threshold]
    missed: dict[str, list[engine.MissedItem]]
    names: dict[str, str] = field(default_factory=dict)
    age_heatmap: engine.Heatmap = field(default_factory=lambda: engine.heatmap([]))
    live: Live | None = None


@dataclass(frozen=True)
class LiveRound:
    round_id: int
    title: str
    stage: str
    finished_at: Any
    share: engine.Share  # its people are the round's contestants


@dataclass(frozen=True)
class FinalPlace:
    final: str
    stage: str
    finished: bool
    rank: int
    team: str
    district: str
    score: float


@dataclass(frozen=True)
class Live:
    """The season's live rounds (played on phones in a venue) and its finals: they follow the season
    only, not the stage or the filters."""

    rounds: list[LiveRound]
    finals: list[FinalPlace]

    @property
    def contestants(self) -> int:
        return sum(r.share.people for r in self.rounds)


def age_label(band: str) -> str:
    return str(_("not given")) if band == engine.UNKNOWN_AGE else band


def live_get(competition, *, minimum: engine.MinimumSample = engine.DEFAULT_MINIMUM) -> Live:
    """Rounds played in the season (with at least one contestant), each with its contestants and its share
    right over the answers on questions not voided; and every final begun, its teams by score (ties in
    the 加赛 order). Live rounds are small (thousands of answers), so this reads them directly."""
    from quiz.finals.models import Final
    from quiz.finals.selectors import final_load
    from quiz.models import Answer as LiveAnswer
    from quiz.models import Contestant as LiveContestant
    from quiz.models import Round

    finals_rounds = Final.objects.filter(round__competition=competition).values("round_id")
    rounds = list(
        Round.objects.filter(competition=competition)
        .exclude(pk__in=finals_rounds)
        .order_by("created_at", "pk")
        .values("pk", "title", "stage", "finished_at")
    )
    ids = [r["pk"] for r in rounds]
    people = dict(
        LiveContestant.objects.filter(round__in=ids, kicked_at__isnull=True)
        .values("round")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("round", "n")
    )
    right = dict(
        LiveContestant.objects.filter(round__in=ids)
        .values("round")
        .annotate(right=Sum("correct_count"))
        .order_by()
        .values_list("round", "right")
    )
    answers = dict(
        LiveAnswer.objects.filter(round__in=ids, question__voided=False)
        .values("round")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("round", "n")
    )
    live_rounds = []
    for r in rounds:
        if not people.get(r["pk"]):
            continue
        answered = answers.get(r["pk"], 0)
        tally = engine.Tally(r["pk"], min(right.get(r["pk"]) or 0, answered), answered, people[r["pk"]])
        live_rounds.append(
            LiveRound(r["pk"], r["title"], r["stage"], r["finished_at"], engine.share_of(tally, minimum))
        )
    places = []
    for final in (
        Final.objects.filter(round__competition=competition, started_at__isnull=False)
        .select_related("round")
        .order_by("started_at", "pk")
    ):
        loaded = final_load(final.pk)
        board = loaded.board()
        decided = {team: i for i, team in enumerate(final.sudden_death or [])}
        teams = sorted(
            loaded.teams, key=lambda t: (-board.get(t.id, 0), decided.get(t.id, len(decided)), t.seed)
        )
        for rank, team in enumerate(teams, start=1):
            places.append(
                FinalPlace(
                    final=final.round.title,
                    stage=final.stage,
                    finished=final.finished_at is not None,
                    rank=rank,
                    team=team.name,
                    district=team.district,
                    score=float(board.get(team.id, 0)),
                )
            )
    return Live(live_rounds, places)


def _district_names(stage: OnlineStage) -> dict[int, str]:
    return dict(District.objects.filter(division__competition=stage.competition_id).values_list("id", "name"))


def _group_names() -> dict[str, str]:
    return {value: str(label) for value, label in KeyGroup.choices}


def report_get(scope: Scope, *, minimum: engine.MinimumSample = engine.DEFAULT_MINIMUM) -> Report:
    """Everything the page, the workbook and the PDF show for ``scope``."""
    stage = scope.stage
    districts = _district_names(stage)
    groups = _group_names()
    tag_names = dict(Tag.objects.filter(kind__in=["benchmark", "domain"]).values_list("code", "name"))
    state = RefreshState.objects.filter(stage=stage).first()

    cells = LiteracyCell.objects.filter(**scope.filters())
    people = LiteracyPeople.objects.filter(**scope.filters())

    def tallies(kind: str, by: tuple[str, ...], people_kind: str = "") -> list[engine.Tally]:
        sums = cells.filter(kind=kind).values(*by).annotate(c=Sum("correct"), n=Sum("answered")).order_by(*by)
        heads = {
            tuple(r[k] for k in by): r["p"]
            for r in people.filter(kind=people_kind or kind).values(*by).annotate(p=Sum("people")).order_by()
        }
        return [
            engine.Tally(
                tuple(r[k] for k in by) if len(by) > 1 else r[by[0]],
                r["c"],
                r["n"],
                heads.get(tuple(r[k] for k in by), 0),
            )
            for r in sums
        ]

    benchmark_tallies = tallies("benchmark", ("code",))
    domain_tallies = tallies("domain", ("code",))
    # The average and the group rankings pool the domain rows: each answer is in exactly one domain.
    by_district = tallies("domain", ("district",), "all")
    by_group = tallies("domain", ("key_group",), "all")
    overall = engine.pooled(by_district)
    average = engine.share_of(overall, minimum)

    heat = engine.heatmap(
        [
            engine.Tally((districts.get(t.key[0], t.key[0]), t.key[1]), t.correct, t.answered, t.people)
            for t in tallies("benchmark", ("district", "code"))
        ],
        minimum,
    )
    band_order = {band: i for i, band in enumerate(engine.age_bands())}
    age_tallies = []
    for t in tallies("age", ("code",)):
        band, _sep, domain = str(t.key).partition("/")
        age_tallies.append(engine.Tally((band, domain), t.correct, t.answered, t.people))
    age_tallies.sort(key=lambda t: (band_order.get(t.key[0], len(band_order)), t.key[1]))
    age_heat = engine.heatmap(
        [engine.Tally((age_label(t.key[0]), t.key[1]), t.correct, t.answered, t.people) for t in age_tallies],
        minimum,
    )
    group_heat = engine.heatmap(
        [
            engine.Tally((groups.get(t.key[0], t.key[0]), t.key[1]), t.correct, t.answered, t.people)
            for t in tallies("domain", ("key_group", "code"))
        ],
        minimum,
    )
    below_districts = below_groups = []
    if average.share is not None:
        below_districts = engine.furthest_below(
            [engine.Tally(districts.get(t.key, t.key), t.correct, t.answered, t.people) for t in by_district],
            average=average.share,
            minimum=minimum,
        )
        below_groups = engine.furthest_below(
            [engine.Tally(groups.get(t.key, t.key), t.correct, t.answered, t.people) for t in by_group],
            average=average.share,
            minimum=minimum,
        )

    group_cells = list(GroupCell.objects.filter(**scope.filters()))
    total = defaultdict(int)
    bins: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    per_district: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for g in group_cells:
        for name in (
            "registered",
            "active",
            "completed",
            "qualified",
            "finalists",
            "selftests",
            "over_total",
            "over_composite",
        ):
            total[name] += getattr(g, name)
            per_district[g.district_id][name] += getattr(g, name)
        for dim, counts in (g.bins or {}).items():
            for index, count in counts.items():
                bins[dim][int(index)] += count
    funnel = engine.funnel([(n, total[n]) for n in ("registered", "active", "qualified", "finalists")])
    participation = sorted(
        (
            {"district": districts.get(d, d), **{k: v for k, v in row.items()}}
            for d, row in per_district.items()
        ),
        key=lambda r: (-r.get("registered", 0), r["district"]),
    )
    week_rows = (
        WeekCell.objects.filter(**scope.filters())
        .values("week")
        .annotate(r=Sum("registered"), a=Sum("active"))
        .order_by("week")
    )
    weeks = engine.weekly_growth(
        {r["week"]: r["r"] for r in week_rows}, {r["week"]: r["a"] for r in week_rows}
    )

    item_filters: dict[str, Any] = {"stage": stage}
    if scope.district is not None:
        item_filters["division"] = scope.district.division_id
    elif scope.division is not None:
        item_filters["division"] = scope.division
    missed = _missed(ItemCell.objects.filter(**item_filters), minimum)

    return Report(
        scope=scope,
        refreshed_at=state.refreshed_at if state else None,
        average=average,
        funnel=funnel,
        participation=participation,
        weeks=weeks,
        benchmarks=engine.shares(benchmark_tallies, minimum),
        domains=engine.shares(domain_tallies, minimum),
        heatmap=heat,
        group_heatmap=group_heat,
        below_districts=below_districts,
        below_groups=below_groups,
        histogram=engine.histogram(bins.get("total", {})),
        dimension_histograms={d: engine.histogram(bins.get(d, {})) for d in engine.DIMENSIONS},
        thresholds=[
            engine.threshold_share("total", total["over_total"], total["selftests"], minimum),
            engine.threshold_share("composite", total["over_composite"], total["selftests"], minimum),
        ],
        missed=missed,
        age_heatmap=age_heat,
        live=live_get(stage.competition, minimum=minimum),
        names={**tag_names, **{f"group:{k}": v for k, v in groups.items()}},
    )


def _missed(items, minimum: engine.MinimumSample) -> dict[str, list[engine.MissedItem]]:
    sums: dict[int, dict] = {}
    for question, correct, answered, picks in items.values_list("question", "correct", "answered", "picks"):
        s = sums.setdefault(question, {"correct": 0, "answered": 0, "picks": defaultdict(int)})
        s["correct"] += correct
        s["answered"] += answered
        for option, count in (picks or {}).items():
            s["picks"][int(option)] += count
    if not sums:
        return {}
    questions = {
        q.pk: q
        for q in Question.objects.filter(pk__in=sums)
        .prefetch_related("tags")
        .only("id", "key", "stem", "correct")
    }
    tallies = []
    for qid, s in sums.items():
        q = questions.get(qid)
        if q is None:
            continue
        codes = sorted(t.code for t in q.tags.all() if t.kind == "benchmark") or ["—"]
        for code in codes:
            tallies.append(
                engine.ItemTally(
                    qid,
                    q.key,
                    code,
                    s["answered"],
                    s["correct"],
                    dict(s["picks"]),
                    frozenset(q.correct or []),
                )
            )
    return engine.most_missed(tallies, minimum_answers=minimum.answers)


def stems(question_ids) -> dict[int, tuple[str, list[str]]]:
    """Each question's stem and options, for the tables of most-missed questions."""
    return {q.pk: (q.stem, list(q.choices or [])) for q in Question.objects.filter(pk__in=question_ids)}
