"""Double elimination: a winners bracket (standard seeding, byes to top seeds), a losers bracket that
takes every winners-bracket loser, and a grand final; with ``grand_final_reset`` a second final
("GF2") is played only when the losers-bracket champion wins the first one.

Losers-bracket rounds for S = 2^R lines: L1 pairs the losers of W1; L(2k) pits the winners of
L(2k-1) against the losers of W(k+1) (order reversed every other round to delay rematches);
L(2k+1) pairs the winners of L(2k). Teams knocked out in a later losers round finish higher.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from competition.engine.layout import RawMatch, standard_order
from competition.engine.model import BYE, FromMatch
from competition.engine.single import rounds_for


def raw_double(entrants: Sequence[Any], *, reset: bool, prefix: tuple = (0,)) -> list[RawMatch]:
    n = len(entrants)
    size, rounds = rounds_for(n)
    order = standard_order(size)

    def seed(k: int) -> Any:
        return entrants[k - 1] if k <= n else BYE

    raw: list[RawMatch] = []
    for r in range(1, rounds + 1):
        for i in range(1, (size >> r) + 1):
            if r == 1:
                sources = [seed(order[2 * i - 2]), seed(order[2 * i - 1])]
            else:
                sources = [FromMatch(f"W{r - 1}-{2 * i - 1}", 1), FromMatch(f"W{r - 1}-{2 * i}", 1)]
            raw.append(RawMatch(f"W{r}-{i}", "winners", r, sources, {}))
    if rounds >= 2:
        lb: list[RawMatch] = []
        for i in range(1, size // 4 + 1):
            lb.append(
                RawMatch(
                    f"L1-{i}", "losers", 1, [FromMatch(f"W1-{2 * i - 1}", 2), FromMatch(f"W1-{2 * i}", 2)], {}
                )
            )
        for k in range(1, rounds):
            j = 2 * k
            count = size >> (k + 1)
            for i in range(1, count + 1):
                drop = count + 1 - i if k % 2 == 1 else i
                lb.append(
                    RawMatch(
                        f"L{j}-{i}",
                        "losers",
                        j,
                        [FromMatch(f"L{j - 1}-{i}", 1), FromMatch(f"W{k + 1}-{drop}", 2)],
                        {},
                    )
                )
            if k < rounds - 1:
                for i in range(1, (size >> (k + 2)) + 1):
                    lb.append(
                        RawMatch(
                            f"L{j + 1}-{i}",
                            "losers",
                            j + 1,
                            [FromMatch(f"L{j}-{2 * i - 1}", 1), FromMatch(f"L{j}-{2 * i}", 1)],
                            {},
                        )
                    )
        for m in lb:
            m.tiers = {2: (*prefix, -m.round, 2)}
        # Interleave so that every match comes after its sources: L(2k-1), L(2k) after W(k+1).
        by_round: dict[int, list[RawMatch]] = {}
        for m in lb:
            by_round.setdefault(m.round, []).append(m)
        ordered: list[RawMatch] = []
        for r in range(1, rounds + 1):
            ordered.extend(m for m in raw if m.round == r)
            if r >= 2:
                ordered.extend(by_round.get(2 * (r - 1) - 1, []))
                ordered.extend(by_round.get(2 * (r - 1), []))
        raw = ordered
        lb_champion = FromMatch(f"L{2 * (rounds - 1)}-1", 1)
    else:
        lb_champion = FromMatch("W1-1", 2)
    top = 2 * rounds
    final_tiers = {1: (*prefix, -top, 1), 2: (*prefix, -top, 2)}
    raw.append(
        RawMatch("GF", "grand_final", 1, [FromMatch(f"W{rounds}-1", 1), lb_champion], dict(final_tiers))
    )
    if reset:
        raw.append(
            RawMatch(
                "GF2", "grand_final_reset", 2, [FromMatch("GF", 1), FromMatch("GF", 2)], dict(final_tiers)
            )
        )
    return raw
