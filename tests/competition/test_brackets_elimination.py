"""Single and double elimination: seeding, byes, 3rd place, grand-final reset, places (tables)."""

from __future__ import annotations

import math

import pytest

from competition.engine import (
    MatchResult,
    SuddenDeathRequired,
    final_ranking,
    generate,
    is_finished,
    ready_matches,
    record_result,
)


def better_seed_wins(bracket, upset=frozenset()):
    """Play every ready match: the lower team number wins unless the match id is in ``upset``."""
    while ready := ready_matches(bracket):
        m = ready[0]
        order = sorted(m.participants, reverse=m.id in upset)
        scores = {t: (100 - i * 10, 5_000) for i, t in enumerate(order)}
        bracket = record_result(bracket, m.id, MatchResult.of(scores))
    return bracket


def places(bracket):
    return [(p.team, p.place) for p in final_ranking(bracket)]


@pytest.mark.parametrize("n", [*range(2, 18), 1024])
@pytest.mark.parametrize("third_place", [False, True])
def test_single_elimination_has_n_minus_one_matches_plus_a_third_place_match_from_four_teams(n, third_place):
    bracket = generate("single_elimination", list(range(1, n + 1)), {"third_place": third_place})
    extra = 1 if third_place and n >= 4 else 0
    assert len(bracket.matches) == n - 1 + extra
    size = 2 ** math.ceil(math.log2(n))
    byes = size - n
    # Byes go to the top seeds: they first appear in round 2.
    round_one = {
        t
        for m in bracket.matches.values()
        if m.round == 1 and m.section != "third_place"
        for t in m.participants
    }
    assert round_one.isdisjoint(range(1, byes + 1))
    assert round_one == set(range(byes + 1, n + 1)) or n == 2
    played = better_seed_wins(bracket)
    assert is_finished(played)
    final = [m for m in played.matches.values() if m.section == "final"]
    assert len(final) == 1 and set(final[0].participants) == {1, 2}


@pytest.mark.parametrize(
    "n, third_place, expected",
    [
        (2, False, [(1, 1), (2, 2)]),
        (3, False, [(1, 1), (2, 2), (3, 3)]),
        (3, True, [(1, 1), (2, 2), (3, 3)]),
        (4, False, [(1, 1), (2, 2), (3, 3), (4, 3)]),
        (4, True, [(1, 1), (2, 2), (3, 3), (4, 4)]),
        (5, False, [(1, 1), (2, 2), (3, 3), (4, 3), (5, 5)]),
        (6, True, [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 5)]),
        (8, False, [(1, 1), (2, 2), (3, 3), (4, 3), (5, 5), (6, 5), (7, 5), (8, 5)]),
    ],
)
def test_losing_semi_finalists_share_third_place_unless_a_third_place_match_is_played(
    n, third_place, expected
):
    bracket = better_seed_wins(
        generate("single_elimination", list(range(1, n + 1)), {"third_place": third_place})
    )
    assert places(bracket) == expected


@pytest.mark.parametrize(
    "n, first_round",
    [
        (4, [(1, 4), (2, 3)]),
        (8, [(1, 8), (4, 5), (2, 7), (3, 6)]),
        (5, [(4, 5)]),
        (6, [(4, 5), (3, 6)]),
    ],
)
def test_standard_seeding_pairs_one_with_n_and_keeps_top_seeds_apart(n, first_round):
    bracket = generate("single_elimination", list(range(1, n + 1)))
    assert [m.participants for m in bracket.matches.values() if m.round == 1] == first_round


def test_an_upset_sends_the_winner_on_and_the_favourite_out():
    bracket = better_seed_wins(generate("single_elimination", list(range(1, 9))), upset={"W1-1"})
    assert bracket.matches["W2-1"].participants == (8, 4)
    assert places(bracket)[:2] == [(2, 1), (4, 2)]


def test_a_level_elimination_match_is_decided_by_correct_time_then_by_sudden_death():
    bracket = generate("single_elimination", ["a", "b"])
    quicker = record_result(bracket, "W1-1", MatchResult.of({"a": (50, 9_000), "b": (50, 8_000)}))
    assert places(quicker) == [("b", 1), ("a", 2)]
    with pytest.raises(SuddenDeathRequired) as err:
        record_result(bracket, "W1-1", MatchResult.of({"a": (50, 8_000), "b": (50, 8_000)}))
    assert err.value.code == "sudden_death_required" and set(err.value.details["teams"]) == {"a", "b"}
    settled = record_result(bracket, "W1-1", MatchResult.of({"a": (50, 8_000), "b": (50, 8_000)}, ["b", "a"]))
    assert places(settled) == [("b", 1), ("a", 2)]


def test_score_alone_decides_when_correct_time_is_not_a_match_tie_break():
    bracket = generate("single_elimination", ["a", "b"], {"match_tie_breaks": []})
    with pytest.raises(SuddenDeathRequired):
        record_result(bracket, "W1-1", MatchResult.of({"a": (50, 9_000), "b": (50, 8_000)}))


@pytest.mark.parametrize("n", range(2, 10))
@pytest.mark.parametrize("reset", [False, True])
def test_double_elimination_plays_two_n_minus_two_matches_and_a_reset_only_when_needed(n, reset):
    teams = list(range(1, n + 1))
    bracket = generate("double_elimination", teams, {"grand_final_reset": reset})
    assert len(bracket.matches) == 2 * n - 2 + (1 if reset else 0)
    played = better_seed_wins(bracket)
    assert is_finished(played)
    assert sum(1 for m in played.matches.values() if m.result) == 2 * n - 2
    ranking = places(played)
    assert ranking[:2] == [(1, 1), (2, 2)]
    assert sorted(t for t, _ in ranking) == teams
    # Every team but the champion lost twice, except the runner-up when there is no reset.
    losses = dict.fromkeys(teams, 0)
    for m in played.matches.values():
        if m.result:
            losses[max(m.participants)] += 1
    assert losses[1] == 0 and all(losses[t] == 2 for t in teams[2:])


@pytest.mark.parametrize(
    "n, expected",
    [
        (4, [(1, 1), (2, 2), (3, 3), (4, 4)]),
        (6, [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 5)]),
        (8, [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 5), (7, 7), (8, 7)]),
    ],
)
def test_double_elimination_places_follow_the_losers_bracket_round_of_the_second_loss(n, expected):
    assert places(better_seed_wins(generate("double_elimination", list(range(1, n + 1))))) == expected


def test_the_grand_final_is_reset_when_the_losers_bracket_champion_wins_it():
    bracket = better_seed_wins(generate("double_elimination", [1, 2, 3, 4]), upset={"GF"})
    gf2 = bracket.matches["GF2"]
    assert gf2.result is not None and not gf2.skipped
    assert is_finished(bracket) and places(bracket)[:2] == [(1, 1), (2, 2)]
    champion_loses_twice = better_seed_wins(generate("double_elimination", [1, 2, 3, 4]), upset={"GF", "GF2"})
    assert places(champion_loses_twice)[:2] == [(2, 1), (1, 2)]


def test_without_a_reset_the_grand_final_decides_the_title():
    bracket = better_seed_wins(
        generate("double_elimination", [1, 2, 3, 4], {"grand_final_reset": False}), upset={"GF"}
    )
    assert "GF2" not in bracket.matches
    assert places(bracket)[:2] == [(2, 1), (1, 2)]


def test_the_reset_final_is_skipped_when_the_winners_bracket_champion_wins_the_grand_final():
    bracket = better_seed_wins(generate("double_elimination", [1, 2, 3]))
    assert bracket.matches["GF2"].skipped and bracket.matches["GF2"].result is None


def test_a_1024_team_bracket_can_be_played_through_to_a_full_ranking():
    """The speed of this is measured by bench/brackets.py, not here."""
    import random

    rng = random.Random(7)
    bracket = generate("single_elimination", [f"team-{i}" for i in range(1024)], {"third_place": True})
    for match_id in list(bracket.matches):
        a, b = bracket.matches[match_id].participants
        scores = {
            a: (rng.randrange(0, 200), rng.randrange(60_000)),
            b: (rng.randrange(0, 200), rng.randrange(60_000)),
        }
        bracket = record_result(bracket, match_id, MatchResult.of(scores, sudden_death=[a, b]))
    assert is_finished(bracket) and len(final_ranking(bracket)) == 1024
