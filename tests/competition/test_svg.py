"""The bracket SVG: valid XML, every match drawn, text escaped, winners and reviews marked."""

import xml.etree.ElementTree as ET

import pytest

from competition import engine
from competition.svg import TBD, render

NS = "{http://www.w3.org/2000/svg}"

CASES = [
    ("single_elimination", 6, {"third_place": True}),
    ("double_elimination", 4, {}),
    ("round_robin", 4, {"groups": 1}),
    ("heats", 7, {"heat_size": 4, "advance": 2}),
    ("groups_then_knockout", 8, {}),
]


def names(n):
    return {i: f'<队{i}> & "Co"' for i in range(1, n + 1)}


def first_played(fmt, n, options):
    bracket = engine.generate(fmt, list(range(1, n + 1)), options)
    match = engine.ready_matches(bracket)[0]
    scores = {team: (10 * (i + 1), 1000) for i, team in enumerate(match.participants)}
    return engine.record_result(bracket, match.id, scores), match


@pytest.mark.parametrize(("fmt", "n", "options"), CASES)
def test_every_format_draws_valid_svg_with_each_match_and_escaped_names(fmt, n, options):
    bracket, _ = first_played(fmt, n, options)
    text = render(bracket, names(n), set())
    root = ET.fromstring(text)
    assert root.tag == f"{NS}svg"
    drawn = {g.get("data-match") for g in root.iter(f"{NS}g") if g.get("data-match")}
    assert drawn == set(bracket.matches)
    all_text = "".join(root.itertext())
    assert '<队1> & "Co"' in all_text
    assert "<队1>" not in text  # escaped in the source


@pytest.mark.parametrize(("fmt", "n", "options"), CASES)
def test_the_winner_of_a_played_match_is_marked(fmt, n, options):
    bracket, played = first_played(fmt, n, options)
    root = ET.fromstring(render(bracket, names(n), set()))
    box = next(g for g in root.iter(f"{NS}g") if g.get("data-match") == played.id)
    winners = [g for g in box.iter(f"{NS}g") if g.get("data-winner") == "true"]
    assert len(winners) == 1
    assert "winner" in winners[0].get("class")
    assert "status-played" in box.get("class")


def test_unknown_teams_read_to_be_decided_and_unplayed_matches_mark_no_winner():
    bracket = engine.generate("single_elimination", [1, 2, 3, 4], {})
    text = render(bracket, names(4), set())
    root = ET.fromstring(text)
    final = next(g for g in root.iter(f"{NS}g") if g.get("data-match") == "W2-1")
    assert TBD in "".join(final.itertext())
    assert "data-winner" not in text


def test_a_match_listed_as_unfit_or_needing_review_is_flagged():
    bracket, played = first_played("single_elimination", 4, {})
    root = ET.fromstring(render(bracket, names(4), {played.id}))
    box = next(g for g in root.iter(f"{NS}g") if g.get("data-match") == played.id)
    assert "status-review" in box.get("class")
    assert "需复核" in "".join(box.itertext())


def test_a_drawn_round_robin_match_has_no_winner_and_shows_both_scores():
    bracket = engine.generate("round_robin", [1, 2, 3], {})
    match = engine.ready_matches(bracket)[0]
    a, b = match.participants
    bracket = engine.record_result(bracket, match.id, {a: (20, 100), b: (20, 100)})
    root = ET.fromstring(render(bracket, names(3), set()))
    row = next(g for g in root.iter(f"{NS}g") if g.get("data-match") == match.id)
    assert "20 : 20" in "".join(row.itertext())
    assert not [g for g in row.iter(f"{NS}g") if g.get("data-winner")]
