"""The final's ranking: by score, level teams by the sudden-death order (加赛)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from quiz.engine.finals.common import TeamId


def level_groups(board: Mapping[TeamId, Decimal]) -> list[tuple[TeamId, ...]]:
    """Groups of two or more teams on the same score, best score first."""
    by_score: dict[Decimal, list[TeamId]] = {}
    for team, score in board.items():
        by_score.setdefault(score, []).append(team)
    return [tuple(ts) for score, ts in sorted(by_score.items(), key=lambda kv: -kv[0]) if len(ts) > 1]


def final_ranking(
    board: Mapping[TeamId, Decimal], sudden_death: Sequence[TeamId] = ()
) -> list[tuple[int, TeamId, Decimal]]:
    """(place, team, score) best first. Level teams are ordered by ``sudden_death`` (teams it names come
    first, in its order); level teams it does not separate share a place."""
    sd = {t: i for i, t in enumerate(sudden_death)}
    ordered = sorted(board, key=lambda t: (-board[t], sd.get(t, len(sd))))
    out: list[tuple[int, TeamId, Decimal]] = []
    for i, team in enumerate(ordered):
        if out and board[team] == out[-1][2] and team not in sd and ordered[i - 1] not in sd:
            out.append((out[-1][0], team, board[team]))
        else:
            out.append((i + 1, team, board[team]))
    return out
