"""Competition ranking ("1, 2, 2, 4"): the one place that turns an ordered list into ranks.

Every board in the product (a round's leaderboard, team tables, stage, cumulative and division boards,
group tables of a bracket) ranks the same way: rows equal on the whole tie-break chain share a rank, and
the next row's rank counts every row above it. Callers sort; this module only numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def ranked(rows: Iterable[T], key: Callable[[T], Hashable]) -> Iterator[tuple[int, T]]:
    """``(rank, row)`` for ``rows`` already in order; rows whose ``key`` is equal share a rank.

    >>> list(ranked([10, 8, 8, 5], key=lambda points: points))
    [(1, 10), (2, 8), (2, 8), (4, 5)]
    """
    previous: object = _NOTHING
    rank = 0
    for position, row in enumerate(rows, start=1):
        current = key(row)
        if current != previous:
            rank, previous = position, current
        yield rank, row


_NOTHING = object()
