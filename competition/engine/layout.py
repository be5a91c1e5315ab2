"""Laying out a bracket's match slots: raw matches (with byes) become wired ``Match`` slots, and
the seed orders the formats deal teams in.

Pure Python, no Django.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from competition.engine.model import BYE, Feed, FromMatch, Match, Seed


@dataclass
class RawMatch:
    """A match before byes are removed. ``tiers``: place -> final-ranking tier when not fed on."""

    id: str
    section: str
    round: int
    sources: list[Any]  # Seed | FromMatch | FromGroup | BYE
    tiers: dict[int, tuple]
    decisive: int = 2
    group: str | None = None


def assemble(raw: Sequence[RawMatch]) -> dict[str, Match]:
    """Remove matches with a bye (the other team goes straight on), wire feeds, fill seeded slots."""
    out_of: dict[tuple[str, int], Any] = {}  # (collapsed match, place) -> what it passes on
    tier_override: dict[tuple[str, int], tuple] = {}
    kept: list[tuple[RawMatch, list[Any]]] = []
    collapsed: set[str] = set()

    def resolve(src: Any) -> Any:
        while isinstance(src, FromMatch) and src.match_id in collapsed:
            src = out_of[(src.match_id, src.place)]
        return src

    for rm in raw:
        srcs = [resolve(s) for s in rm.sources]
        if any(s is BYE for s in srcs):
            real = [s for s in srcs if s is not BYE]
            collapsed.add(rm.id)
            winner = real[0] if real else BYE
            out_of[(rm.id, 1)] = winner
            out_of[(rm.id, 2)] = BYE
            if isinstance(winner, FromMatch) and 1 in rm.tiers:
                tier_override[(winner.match_id, winner.place)] = rm.tiers[1]
            continue
        kept.append((rm, srcs))

    # A collapsed match's winner may be eliminated there (a 3rd-place match without a 2nd team): its
    # tier then moves to the place that fed it. Resolve chains of such moves.
    feeds: dict[str, list[Feed]] = {rm.id: [] for rm, _ in kept}
    for rm, srcs in kept:
        for slot, s in enumerate(srcs):
            if isinstance(s, FromMatch):
                feeds[s.match_id].append(Feed(s.place, rm.id, slot))
    matches: dict[str, Match] = {}
    for rm, srcs in kept:
        fed = {f.place for f in feeds[rm.id]}
        placements = []
        for place in range(1, len(srcs) + 1):
            if place in fed:
                continue
            tier = tier_override.get((rm.id, place), rm.tiers.get(place))
            if tier is not None:
                placements.append((place, tier))
        matches[rm.id] = Match(
            id=rm.id,
            section=rm.section,
            round=rm.round,
            participants=tuple(s.team if isinstance(s, Seed) else None for s in srcs),
            sources=tuple(srcs),
            feeds=tuple(sorted(feeds[rm.id], key=lambda f: (f.place, f.match_id))),
            placements=tuple(placements),
            decisive=rm.decisive,
            group=rm.group,
        )
    return matches


def standard_order(size: int) -> list[int]:
    """Seed numbers (1-based) in bracket order for a power-of-two ``size``: 1 and 2 meet only in the final."""
    order = [1]
    while len(order) < size:
        n = len(order) * 2
        order = [x for s in order for x in (s, n + 1 - s)]
    return order


def snake(count: int, buckets: int) -> list[int]:
    """Bucket index for each of ``count`` items dealt in snake order: 0,1,2,2,1,0,0,1,..."""
    out = []
    for i in range(count):
        row, col = divmod(i, buckets)
        out.append(col if row % 2 == 0 else buckets - 1 - col)
    return out
