"""Round-robin groups, the tie-break chain, snake seeding, groups into knockout, chained stages."""

from __future__ import annotations

from itertools import combinations

import pytest

from competition.engine import (
    MatchResult,
    StageNotFinished,
    SuddenDeath,
    SuddenDeathRequired,
    correct_result,
    final_ranking,
    generate,
    is_finished,
    promote,
    ready_matches,
    record_result,
    record_sudden_death,
    standings,
)


def play_table(bracket, results):
    """``results``: {(x, y): (score_x, score_y[, time_x, time_y])} for every match of the bracket."""
    for m in list(bracket.matches.values()):
        if m.section != "group":
            continue
        a, b = m.participants
        key = (a, b) if (a, b) in results else (b, a)
        sx, sy, *times = results[key]
        tx, ty = times or (0, 0)
        scores = {key[0]: (sx, tx), key[1]: (sy, ty)}
        bracket = record_result(bracket, m.id, MatchResult.of(scores))
    return bracket


def order(bracket, group="A"):
    return [(r.team, r.rank) for r in standings(bracket).groups[group]]


def better_seed_wins(bracket):
    while ready := ready_matches(bracket):
        m = ready[0]
        bracket = record_result(bracket, m.id, MatchResult.of({t: (100 - t, 0) for t in m.participants}))
    return bracket


@pytest.mark.parametrize("n", range(3, 8))
@pytest.mark.parametrize("legs", [1, 2])
def test_everyone_meets_everyone_in_the_group_once_per_leg(n, legs):
    bracket = generate("round_robin", list(range(1, n + 1)), {"legs": legs})
    pairs = [frozenset(m.participants) for m in bracket.matches.values()]
    assert len(pairs) == legs * n * (n - 1) // 2
    assert all(pairs.count(frozenset(p)) == legs for p in combinations(range(1, n + 1), 2))
    rounds = legs * (n - 1 if n % 2 == 0 else n)
    assert max(m.round for m in bracket.matches.values()) == rounds
    for r in range(1, rounds + 1):  # nobody plays twice in one round
        teams = [t for m in bracket.matches.values() if m.round == r for t in m.participants]
        assert len(teams) == len(set(teams))
    played = better_seed_wins(bracket)
    assert is_finished(played)
    assert [p.team for p in final_ranking(played)] == list(range(1, n + 1))


# Each case is decided by one link of the default chain (points, head-to-head, score difference,
# correct time) and would come out differently without it.
CHAIN_CASES = {
    "points": (
        ["a", "b", "c"],
        {("a", "b"): (20, 10), ("a", "c"): (20, 10), ("b", "c"): (20, 10)},
        [("a", 1), ("b", 2), ("c", 3)],
    ),
    "head_to_head": (
        ["a", "b", "c", "d"],
        {
            ("a", "b"): (11, 10),
            ("c", "a"): (1, 0),
            ("a", "d"): (1, 0),
            ("b", "c"): (50, 0),
            ("b", "d"): (50, 0),
            ("d", "c"): (1, 0),
        },
        [("a", 1), ("b", 2), ("d", 3), ("c", 4)],
    ),
    "score_difference": (
        ["a", "b", "c"],
        {("a", "b"): (30, 10), ("b", "c"): (20, 10), ("c", "a"): (15, 10)},
        [("a", 1), ("c", 2), ("b", 3)],
    ),
    "correct_time": (
        ["a", "b", "c"],
        {
            ("a", "b"): (20, 10, 20_000, 9_000),
            ("b", "c"): (20, 10, 11_000, 10_000),
            ("c", "a"): (20, 10, 15_000, 10_000),
        },
        [("b", 1), ("c", 2), ("a", 3)],
    ),
}


@pytest.mark.parametrize("link", list(CHAIN_CASES))
def test_each_link_of_the_tie_break_chain_separates_level_teams(link):
    teams, results, expected = CHAIN_CASES[link]
    bracket = play_table(generate("round_robin", teams), results)
    assert order(bracket) == expected
    assert standings(bracket).sudden_death == ()


def test_head_to_head_only_counts_matches_between_the_level_teams():
    teams, results, _ = CHAIN_CASES["head_to_head"]
    without = play_table(
        generate("round_robin", teams, {"tie_breaks": ["points", "score_difference"]}), results
    )
    assert order(without)[:2] == [("b", 1), ("a", 2)]


def test_teams_level_after_the_whole_chain_share_a_rank_and_need_a_sudden_death_round():
    results = {("a", "b"): (20, 10, 5, 5), ("b", "c"): (20, 10, 5, 5), ("c", "a"): (20, 10, 5, 5)}
    bracket = play_table(generate("round_robin", ["a", "b", "c"]), results)
    assert order(bracket) == [("a", 1), ("b", 1), ("c", 1)]
    assert standings(bracket).sudden_death == (SuddenDeath("A", 1, ("a", "b", "c")),)
    with pytest.raises(SuddenDeathRequired):
        promote(bracket, {"top": 1})
    settled, affected = record_sudden_death(bracket, "A", ["c", "a", "b"])
    assert affected == []
    assert order(settled) == [("c", 1), ("a", 2), ("b", 3)]
    assert promote(settled, {"top": 1}) == ["c"]


def test_draws_earn_the_configured_points():
    results = {("a", "b"): (10, 10), ("a", "c"): (10, 10), ("b", "c"): (30, 0)}
    bracket = play_table(
        generate("round_robin", ["a", "b", "c"], {"points": {"win": 2, "draw": 1, "loss": 0}}), results
    )
    rows = {r.team: r for r in standings(bracket).groups["A"]}
    assert (rows["a"].points, rows["b"].points, rows["c"].points) == (2, 3, 1)
    assert (rows["a"].drawn, rows["b"].won, rows["c"].lost) == (2, 1, 1)
    assert order(bracket) == [("b", 1), ("a", 2), ("c", 3)]


def test_sudden_death_is_only_reported_for_complete_groups():
    bracket = generate("round_robin", ["a", "b", "c"])
    assert standings(bracket).sudden_death == ()
    assert [r.rank for r in standings(bracket).groups["A"]] == [1, 1, 1]


def test_snake_seeding_keeps_the_top_seeds_in_different_groups():
    bracket = generate("round_robin", list(range(1, 17)), {"groups": 4})
    assert dict(bracket.groups) == {
        "A": (1, 8, 9, 16),
        "B": (2, 7, 10, 15),
        "C": (3, 6, 11, 14),
        "D": (4, 5, 12, 13),
    }
    odd = generate("round_robin", list(range(1, 12)), {"groups": 3})
    assert [len(m) for m in odd.groups.values()] == [3, 4, 4]  # the last row runs back from C


def test_explicit_groups_are_kept_in_seed_order():
    bracket = generate("round_robin", ["a", "b", "c", "d"], {"groups": {"X": ["d", "a"], "Y": ["b", "c"]}})
    assert dict(bracket.groups) == {"X": ("a", "d"), "Y": ("b", "c")}
    assert {m.id for m in bracket.matches.values()} == {"G-X-1", "G-Y-1"}


def test_groups_feed_a_knockout_with_group_winners_against_other_groups_runners_up():
    bracket = generate("groups_then_knockout", list(range(1, 9)), {"groups": 2, "advance_per_group": 2})
    assert bracket.matches["W1-1"].participants == (None, None)
    played_groups = bracket
    for m in list(bracket.matches.values()):
        if m.section == "group":
            played_groups = record_result(played_groups, m.id, {t: 100 - t for t in m.participants})
    # A = 1, 4, 5, 8 and B = 2, 3, 6, 7: A1 v B2 and B1 v A2.
    assert played_groups.matches["W1-1"].participants == (1, 3)
    assert played_groups.matches["W1-2"].participants == (2, 4)
    done = better_seed_wins(played_groups)
    assert [(p.team, p.place) for p in final_ranking(done)] == [
        (1, 1), (2, 2), (3, 3), (4, 3), (5, 5), (6, 5), (7, 7), (8, 7)
    ]  # fmt: skip


def test_no_first_round_knockout_match_pairs_two_teams_of_one_group():
    for groups, per in [(3, 2), (4, 2), (2, 3), (4, 3), (5, 2)]:
        bracket = generate(
            "groups_then_knockout",
            list(range(1, groups * 4 + 1)),
            {"groups": groups, "advance_per_group": per},
        )
        firsts = [m.sources for m in bracket.matches.values() if m.round == 1 and m.section != "group"]
        assert all(a.group != b.group for a, b in firsts), (groups, per)


def test_a_level_group_holds_its_knockout_slot_until_the_sudden_death_round():
    cyclic = {(1, 2): (20, 10), (2, 3): (20, 10), (3, 1): (20, 10)}
    bracket = generate(
        "groups_then_knockout",
        [1, 2, 3, 4, 5, 6],
        {"groups": {"A": [1, 2, 3], "B": [4, 5, 6]}, "advance_per_group": 1},
    )
    bracket = play_table(bracket, {**cyclic, (4, 5): (9, 1), (4, 6): (9, 1), (5, 6): (9, 1)})
    final = next(m for m in bracket.matches.values() if m.section == "final")
    assert final.participants == (None, 4)
    settled, affected = record_sudden_death(bracket, "A", [2, 1, 3])
    assert affected == [final.id]
    assert settled.matches[final.id].participants == (2, 4)


def test_correcting_a_group_match_moves_an_unplayed_knockout_slot():
    bracket = generate("groups_then_knockout", [1, 2, 3, 4], {"groups": 2, "advance_per_group": 1})
    for m in list(bracket.matches.values()):
        if m.section == "group":
            bracket = record_result(bracket, m.id, {t: 100 - t for t in m.participants})
    final = next(m for m in bracket.matches.values() if m.section == "final")
    assert final.participants == (1, 2)
    group_a = next(m for m in bracket.matches.values() if m.group == "A")
    fixed, affected = correct_result(bracket, group_a.id, {1: 0, 4: 10})
    assert affected == [final.id]
    assert fixed.matches[final.id].participants == (4, 2)


def test_group_stage_then_knockout_stage_chain_through_promotion_per_group():
    groups = better_seed_wins(generate("round_robin", list(range(1, 13)), {"groups": 3}))
    assert is_finished(groups)
    qualified = promote(groups, {"top": 2, "per": "group"})
    assert qualified == [1, 2, 3, 4, 5, 6]  # every group winner, then every runner-up
    knockout = better_seed_wins(generate("single_elimination", qualified, {"third_place": True}))
    assert [p.team for p in final_ranking(knockout)] == [1, 2, 3, 4, 5, 6]


def test_promotion_per_division_uses_team_metadata():
    teams = ["bj1", "tj1", "hb1", "bj2", "tj2", "hb2", "bj3", "tj3"]
    info = {t: {"division": t[:2]} for t in teams}
    bracket = generate("single_elimination", teams, {"third_place": True})
    while ready := ready_matches(bracket):
        m = ready[0]
        bracket = record_result(bracket, m.id, {t: 100 - teams.index(t) for t in m.participants})
    assert promote(bracket, {"top": 1, "per": "division"}, info) == ["bj1", "tj1", "hb1"]
    assert promote(bracket, {"top": 3, "per": "division"}, info) == [
        "bj1",
        "tj1",
        "hb1",
        "bj2",
        "tj2",
        "hb2",
        "tj3",
        "bj3",
    ]  # fmt: skip (tj2 and tj3 share 2nd in Tianjin)
    with pytest.raises(SuddenDeathRequired) as err:  # tj2 and tj3 both lost a quarter-final
        promote(bracket, {"top": 2, "per": "division"}, info)
    assert set(err.value.details["teams"]) == {"tj2", "tj3"}
    assert promote(bracket, {"top": 4}) == ["bj1", "tj1", "hb1", "bj2"]


def test_promotion_from_an_unfinished_stage_is_refused():
    bracket = generate("round_robin", [1, 2, 3])
    with pytest.raises(StageNotFinished) as err:
        promote(bracket, {"top": 2})
    assert err.value.code == "stage_not_finished"
