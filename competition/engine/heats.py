"""Heats: k teams play one match (a live round on stage) and the top m go on.

Round 1 deals the teams into ceil(N / k) heats in snake order (seed 1 in heat 1, seed 2 in heat 2, ...,
back again), so heats differ in size by at most one. The qualifiers are dealt again in snake order
(all heat winners first, then all runners-up, ...) until at most k remain: they play the final heat.
A team knocked out in a later round finishes above one knocked out earlier; within a round, the
better heat place finishes higher, shared across heats.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from competition.engine.layout import RawMatch, snake
from competition.engine.model import FromMatch, InvalidOption


def raw_heats(entrants: Sequence[Any], *, heat_size: int, advance: int, final_strict: int) -> list[RawMatch]:
    if advance >= heat_size:
        raise InvalidOption(
            f"advance ({advance}) must be smaller than heat_size ({heat_size}).",
            option="advance",
            value=advance,
        )
    raw: list[RawMatch] = []
    entrants = list(entrants)
    r = 1
    while True:
        count = len(entrants)
        if count <= heat_size:
            tiers = {p: (0, -r, p) for p in range(1, count + 1)}
            raw.append(RawMatch(f"H{r}-1", "final", r, entrants, tiers, decisive=min(final_strict, count)))
            return raw
        heats_n = -(-count // heat_size)
        heats: list[list[Any]] = [[] for _ in range(heats_n)]
        for entrant, bucket in zip(entrants, snake(count, heats_n), strict=True):
            heats[bucket].append(entrant)
        smallest = min(len(h) for h in heats)
        if smallest <= advance:
            raise InvalidOption(
                f"Round {r}: {count} teams in heats of at most {heat_size} leaves a heat of {smallest} "
                f"teams, which cannot send on {advance} and knock anyone out; choose another heat_size "
                "or advance.",
                option="heat_size",
                round=r,
                teams=count,
            )
        ids = [f"H{r}-{j + 1}" for j in range(heats_n)]
        for hid, members in zip(ids, heats, strict=True):
            tiers = {p: (0, -r, p) for p in range(advance + 1, len(members) + 1)}
            raw.append(RawMatch(hid, "heat", r, members, tiers, decisive=advance))
        entrants = [FromMatch(hid, p) for p in range(1, advance + 1) for hid in ids]
        r += 1
