"""Single elimination: standard seeding (1 v N, 2 v N-1, top seeds meet last), byes to the top seeds.

With N teams the bracket has the next power of two S >= N lines; the S - N top seeds get a bye and
start in round 2 (a bye is not a match, so there are N - 1 matches, plus the 3rd-place match).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from competition.engine.layout import RawMatch, standard_order
from competition.engine.model import BYE, FromMatch


def rounds_for(n: int) -> tuple[int, int]:
    size, rounds = 1, 0
    while size < n:
        size *= 2
        rounds += 1
    return size, rounds


def raw_single(entrants: Sequence[Any], *, third_place: bool, prefix: tuple = (0,)) -> list[RawMatch]:
    """Matches for ``entrants`` (sources in seed order). Losers of round r share tier (-r, 2)."""
    n = len(entrants)
    size, rounds = rounds_for(n)
    order = standard_order(size)

    def seed(k: int) -> Any:
        return entrants[k - 1] if k <= n else BYE

    raw: list[RawMatch] = []
    for r in range(1, rounds + 1):
        if r == rounds and third_place and rounds >= 2:
            raw.append(
                RawMatch(
                    "3RD",
                    "third_place",
                    rounds,
                    [FromMatch(f"W{rounds - 1}-1", 2), FromMatch(f"W{rounds - 1}-2", 2)],
                    {1: (*prefix, -rounds, 3), 2: (*prefix, -rounds, 4)},
                )
            )
        for i in range(1, (size >> r) + 1):
            if r == 1:
                sources = [seed(order[2 * i - 2]), seed(order[2 * i - 1])]
            else:
                sources = [FromMatch(f"W{r - 1}-{2 * i - 1}", 1), FromMatch(f"W{r - 1}-{2 * i}", 1)]
            tiers = {2: (*prefix, -r, 2)}
            if r == rounds:
                tiers[1] = (*prefix, -r, 1)
            raw.append(RawMatch(f"W{r}-{i}", "final" if r == rounds else "winners", r, sources, tiers))
    return raw
