"""Item statistics from live answers (selectors) and their CSV / XLSX export.

The answers come from the rounds through ``questionbank.hooks.item_responses`` (the rounds app answers it
with three queries whatever the size: the round questions in scope, their answers, and the contestants
who answered, with their team's division as the region). Answers to the same bank question in several rounds
are pooled (the item is the bank question; a round question whose bank question was deleted is its own
item). Contestants are ranked for discrimination by their round score (``Contestant.score``, the
standings cache written at each reveal) turned into a percentile within their round, so contestants of
different rounds can be ranked together. The numbers and flags are ``questionbank.engine.stats``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from questionbank import hooks
from questionbank.engine.stats import (
    DEFAULT_THRESHOLDS,
    ItemStats,
    Response,
    Thresholds,
    letter,
    percentile_scores,
)
from questionbank.engine.stats import (
    item_statistics as compute,
)
from questionbank.engine.typed_answers import answer_group, typed_correct
from questionbank.hooks import ResponseScope

NO_REGION = "—"
MAX_OPTIONS = 6
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class ItemRow:
    label: str  # bank key, or "round 12 #3" when the bank question is gone
    stem: str
    question_id: int | None
    stats: ItemStats
    typed: bool = False  # a short-answer or numerical question: ``stats.wrong_answers`` instead of options


def _id(value) -> int | None:
    return None if value is None else getattr(value, "pk", value)


def item_statistics(
    *,
    question_ids: Iterable[int] | None = None,
    round=None,
    competition=None,
    stage: str | None = None,
    region: str | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> list[ItemRow]:
    """Statistics per item, overall and per region (or only ``region``'s rows), in round order."""
    scope = ResponseScope(
        question_ids=None if question_ids is None else tuple(question_ids),
        round_id=_id(round),
        competition_id=_id(competition),
        stage=stage,
    )
    found = hooks.item_responses(scope)
    questions, answers, contestants = found.questions, found.answers, found.contestants
    if not questions:
        return []
    item_of: dict[int, object] = {}
    meta: dict[object, tuple[str, str, int | None, int]] = {}
    key_of: dict[int, frozenset[int]] = {}
    for rq_id, round_id, position, source_id, source_key, stem, choices, correct in questions:
        item = source_id if source_id is not None else f"rq{rq_id}"
        item_of[rq_id] = item
        key_of[rq_id] = frozenset(correct or [])
        label = source_key or f"round {round_id} #{position + 1}"
        old = meta.get(item)
        n_options = max(len(choices or []), old[3] if old else 0)
        meta[item] = (label, stem, source_id, n_options)

    region_of: dict[int, str] = {}
    by_round: dict[int, dict[int, float]] = {}
    for cid, round_id, score, division in contestants:
        region_of[cid] = division or NO_REGION
        by_round.setdefault(round_id, {})[cid] = float(score)
    scores = percentile_scores(by_round)

    order = {item: i for i, item in enumerate(dict.fromkeys(item_of.values()))}
    typed = _TypedJudge(found.typed_keys)
    typed_items = {item_of[rq_id] for rq_id in found.typed_keys if rq_id in item_of}
    responses = sorted(
        (
            Response(
                contestant_id=cid,
                region=region_of.get(cid, NO_REGION),
                question_key=item_of[rq_id],
                choices=frozenset(c for c in (choices or []) if isinstance(c, int)),
                correct=key_of[rq_id],
                elapsed_ms=elapsed,
                right=typed.right(rq_id, text),
                group=typed.group(rq_id, text),
            )
            for cid, rq_id, choices, elapsed, text in (_with_text(a) for a in answers)
        ),
        key=lambda r: (order[r.question_key], r.contestant_id),
    )
    counts = {item: m[3] for item, m in meta.items()}
    rows = []
    for stats in compute(responses, scores, choice_counts=counts, thresholds=thresholds):
        if region is not None and stats.region != region:
            continue
        label, stem, source_id, _n = meta[stats.question_key]
        typed_item = stats.question_key in typed_items
        rows.append(ItemRow(label=label, stem=stem, question_id=source_id, stats=stats, typed=typed_item))
    return rows


def _with_text(answer: tuple) -> tuple:
    """An answer row with its typed text (empty for a choice answer, or a provider that sends none)."""
    return answer if len(answer) > 4 else (*answer, "")


class _TypedJudge:
    """Right or wrong, and the group, of typed answers by their round question's key: each distinct text is
    matched once per round question (a season repeats the same few answers many times)."""

    def __init__(self, keys: dict[int, dict]) -> None:
        self.keys = keys
        self.seen: dict[tuple[int, str], tuple[bool, str]] = {}

    def _judged(self, rq_id: int, text: str) -> tuple[bool, str] | None:
        key = self.keys.get(rq_id)
        if key is None:
            return None
        found = self.seen.get((rq_id, text))
        if found is None:
            kind, unit = key["kind"], key.get("unit", "")
            right = bool(text) and typed_correct(
                kind,
                text,
                accepted=key.get("accepted", ()),
                value=key.get("value"),
                tolerance=key.get("tolerance") or 0.0,
                unit=unit,
            )
            found = self.seen[(rq_id, text)] = (right, answer_group(kind, text, unit) if text else "")
        return found

    def right(self, rq_id: int, text: str) -> bool | None:
        judged = self._judged(rq_id, text or "")
        return None if judged is None else judged[0]

    def group(self, rq_id: int, text: str) -> str:
        judged = self._judged(rq_id, text or "")
        return "" if judged is None else judged[1]


def regions(rows: Sequence[ItemRow]) -> list[str]:
    return sorted({r.stats.region for r in rows if r.stats.region is not None})


# --- export ---------------------------------------------------------------------------------------------

HEADER = [
    "question",
    "stem",
    "region",
    "N",
    "facility",
    "discrimination",
    "p_upper",
    "p_lower",
    "key",
    *[f"share_{letter(i)}" for i in range(MAX_OPTIONS)],
    "mean_ms",
    "median_ms",
    "flags",
    "flag_details",
    "common_wrong_answers",
]


def _r(value: float | None, digits: int = 3):
    return None if value is None else round(value, digits)


def safe_cell(value):
    """Text a spreadsheet would run as a formula gets a leading apostrophe (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def export_rows(rows: Sequence[ItemRow]) -> list[list]:
    out: list[list] = [list(HEADER)]
    for row in rows:
        s = row.stats
        shares = [_r(x) for x in s.shares[:MAX_OPTIONS]]
        shares += [None] * (MAX_OPTIONS - len(shares))
        out.append(
            [
                safe_cell(v)
                for v in [
                    row.label,
                    row.stem,
                    s.region if s.region is not None else "(all)",
                    s.n,
                    _r(s.facility),
                    _r(s.discrimination),
                    _r(s.upper_p),
                    _r(s.lower_p),
                    "".join(letter(i) for i in s.key),
                    *shares,
                    _r(s.mean_ms, 0),
                    _r(s.median_ms, 0),
                    ";".join(s.flag_codes),
                    " | ".join(f.message for f in s.flags),
                    " | ".join(f"{w.answer} ({w.count})" for w in s.wrong_answers),
                ]
            ]
        )
    return out


def to_csv(rows: Sequence[ItemRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for line in export_rows(rows):
        writer.writerow(["" if v is None else v for v in line])
    return buffer.getvalue()


def to_xlsx(rows: Sequence[ItemRow]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "item statistics"
    for line in export_rows(rows):
        sheet.append(line)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
