"""Heats: k teams per match, the top m go on, until one final heat (tables)."""

from __future__ import annotations

import pytest

from competition.engine import (
    InvalidOption,
    MatchResult,
    SuddenDeathRequired,
    final_ranking,
    generate,
    is_finished,
    promote,
    ready_matches,
    record_result,
)


def better_seed_wins(bracket):
    """The lower team number always scores more."""
    while ready := ready_matches(bracket):
        m = ready[0]
        scores = {t: (1000 - t, 10_000) for t in m.participants}
        bracket = record_result(bracket, m.id, MatchResult.of(scores))
    return bracket


@pytest.mark.parametrize(
    "n, heat_size, advance, rounds",
    [
        (3, 3, 1, [[3]]),
        (6, 6, 2, [[6]]),
        (7, 4, 2, [[3, 4], [4]]),
        (9, 3, 1, [[3, 3, 3], [3]]),
        (10, 3, 1, [[3, 3, 2, 2], [2, 2], [2]]),
        (11, 5, 2, [[4, 4, 3], [3, 3], [4]]),
        (13, 4, 2, [[3, 3, 3, 4], [4, 4], [4]]),
        (17, 5, 2, [[5, 4, 4, 4], [4, 4], [4]]),
        (18, 6, 3, [[6, 6, 6], [5, 4], [6]]),
    ],
)
def test_heats_are_dealt_in_snake_order_and_shrink_to_one_final(n, heat_size, advance, rounds):
    bracket = generate("heats", list(range(1, n + 1)), {"heat_size": heat_size, "advance": advance})
    got: dict[int, list[int]] = {}
    for m in bracket.matches.values():
        got.setdefault(m.round, []).append(len(m.participants))
    assert [sorted(v) for v in got.values()] == [sorted(r) for r in rounds]
    played = better_seed_wins(bracket)
    assert is_finished(played)
    ranking = final_ranking(played)
    assert ranking[0].team == 1 and len(ranking) == n
    assert sorted(p.team for p in ranking) == list(range(1, n + 1))
    assert [p.place for p in ranking] == sorted(p.place for p in ranking)


def test_round_one_puts_the_top_seeds_in_different_heats():
    bracket = generate("heats", list(range(1, 13)), {"heat_size": 4, "advance": 2})
    assert [m.participants for m in bracket.matches.values() if m.round == 1] == [
        (1, 6, 7, 12),
        (2, 5, 8, 11),
        (3, 4, 9, 10),
    ]


def test_teams_out_in_the_same_round_at_the_same_heat_place_share_a_place():
    played = better_seed_wins(generate("heats", list(range(1, 10)), {"heat_size": 3, "advance": 1}))
    assert [(p.team, p.place) for p in final_ranking(played)] == [
        (1, 1), (2, 2), (3, 3),  # the final heat
        (4, 4), (5, 4), (6, 4),  # 2nd in a first-round heat
        (7, 7), (8, 7), (9, 7),  # 3rd in a first-round heat
    ]  # fmt: skip


def test_a_tie_across_the_advance_line_needs_a_sudden_death_order():
    bracket = generate("heats", list(range(1, 7)), {"heat_size": 3, "advance": 1})
    heat = bracket.matches["H1-1"]
    a, b, c = heat.participants
    level = {a: (40, 9_000), b: (40, 9_000), c: (10, 1_000)}
    with pytest.raises(SuddenDeathRequired) as err:
        record_result(bracket, "H1-1", MatchResult.of(level))
    assert set(err.value.details["teams"]) == {a, b}
    after = record_result(bracket, "H1-1", MatchResult.of(level, sudden_death=[b, a]))
    assert b in after.matches["H2-1"].participants


def test_a_tie_below_the_advance_line_is_a_shared_place():
    bracket = generate("heats", list(range(1, 7)), {"heat_size": 3, "advance": 1})
    a, b, c = bracket.matches["H1-1"].participants
    after = record_result(bracket, "H1-1", MatchResult.of({a: 50, b: 10, c: 10}))
    assert a in after.matches["H2-1"].participants


def test_heats_then_a_final_stage_chain_through_promotion():
    heats = better_seed_wins(generate("heats", list(range(1, 16)), {"heat_size": 5, "advance": 2}))
    assert len([m for m in heats.matches.values() if m.round == 1]) == 3
    last_heat = heats.matches[list(heats.matches)[-1]]
    finalists = promote(heats, {"top": 4})
    assert finalists == sorted(last_heat.participants) == [1, 2, 3, 5]
    final = generate("heats", finalists, {"heat_size": 6, "advance": 1})
    assert list(final.matches) == ["H1-1"]
    assert final_ranking(better_seed_wins(final))[0].team == 1


@pytest.mark.parametrize(
    "options",
    [
        {"heat_size": 3, "advance": 3},
        {"heat_size": 4, "advance": 5},
        {"heat_size": 1, "advance": 1},
        {"heat_size": 3, "advance": 0},
        {"heat_size": "4", "advance": 1},
        {"heat_size": 3, "advance": 2},  # 7 teams: heats of 3, 2, 2 cannot send on 2
    ],
)
def test_impossible_heat_options_are_rejected(options):
    with pytest.raises(InvalidOption) as err:
        generate("heats", list(range(1, 8)), options)
    assert err.value.code == "invalid_option"
