"""Round-robin groups: everyone meets everyone in its group (once or twice), then standings.

Standings apply the tie-break chain one link at a time to the teams still level: each link splits a
level set, and the next link only sees the parts still level. What is still level at the end is
settled by a sudden-death round (``record_sudden_death``); until then the teams share a rank and
``standings`` reports a ``SuddenDeath`` marker instead of an arbitrary order.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from competition.engine.layout import RawMatch, snake
from competition.engine.model import Bracket, InvalidOption, Seed, TeamId, TeamInTwoGroups, TooFewTeams
from competition.engine.rules import places

TIE_BREAKS = ("points", "head_to_head", "score_difference", "score", "wins", "correct_time")
DEFAULT_TIE_BREAKS = ("points", "head_to_head", "score_difference", "correct_time")
DEFAULT_POINTS = {"win": 3, "draw": 1, "loss": 0}


def group_names(count: int) -> list[str]:
    letters = string.ascii_uppercase
    return [letters[i] if i < 26 else f"{letters[i // 26 - 1]}{letters[i % 26]}" for i in range(count)]


def make_groups(teams: Sequence[TeamId], spec: Any) -> dict[str, tuple[TeamId, ...]]:
    """Groups from a count (snake seeding: seeds 1..g one per group, then back) or explicit lists."""
    seed_index = {t: i for i, t in enumerate(teams)}
    if isinstance(spec, int) and not isinstance(spec, bool):
        if spec < 1 or spec > len(teams) // 2:
            raise InvalidOption(
                f"groups must be 1..{len(teams) // 2} for {len(teams)} teams "
                f"(at least 2 per group), got {spec}.",
                option="groups",
                value=spec,
            )
        names = group_names(spec)
        out: dict[str, list[TeamId]] = {n: [] for n in names}
        for team, bucket in zip(teams, snake(len(teams), spec), strict=True):
            out[names[bucket]].append(team)
        return {n: tuple(m) for n, m in out.items()}
    if not isinstance(spec, Mapping) or not spec:
        raise InvalidOption("groups must be a number or a mapping of group name to teams.", option="groups")
    owner: dict[TeamId, str] = {}
    result: dict[str, tuple[TeamId, ...]] = {}
    for name, members in spec.items():
        if not isinstance(name, str) or not name or not isinstance(members, list | tuple):
            raise InvalidOption(
                "groups must map a group name to a list of teams.", option="groups", group=name
            )
        for team in members:
            if team not in seed_index:
                raise InvalidOption(
                    f"Group {name} names {team!r}, which is not in the stage.", group=name, team=team
                )
            if team in owner:
                raise TeamInTwoGroups(
                    f"Team {team!r} is in group {owner[team]} and group {name}.",
                    team=team,
                    groups=[owner[team], name],
                )
            owner[team] = name
        if len(members) < 2:
            raise TooFewTeams(f"Group {name} needs at least 2 teams, got {len(members)}.", group=name)
        result[name] = tuple(sorted(members, key=seed_index.__getitem__))
    missing = [t for t in teams if t not in owner]
    if missing:
        raise InvalidOption(
            f"Teams in no group: {', '.join(map(str, missing))}.", option="groups", teams=missing
        )
    return result


def circle(members: Sequence[TeamId]) -> list[list[tuple[TeamId, TeamId]]]:
    """Rounds of pairings by the circle method (a bye when the count is odd)."""
    ts: list[Any] = list(members)
    if len(ts) % 2:
        ts.append(None)
    n = len(ts)
    rounds = []
    for r in range(n - 1):
        pairs = []
        for i in range(n // 2):
            a, b = ts[i], ts[n - 1 - i]
            if a is not None and b is not None:
                pairs.append((a, b) if (r + i) % 2 == 0 else (b, a))
        rounds.append(pairs)
        ts = [ts[0], ts[-1], *ts[1:-1]]
    return rounds


def raw_round_robin(groups: Mapping[str, Sequence[TeamId]], legs: int) -> list[RawMatch]:
    schedules = {}
    for name, members in groups.items():
        rounds = circle(members)
        if legs == 2:
            rounds = rounds + [[(b, a) for a, b in pairs] for pairs in rounds]
        schedules[name] = rounds
    counters = dict.fromkeys(groups, 0)
    raw = []
    for r in range(max(len(s) for s in schedules.values())):
        for name, rounds in schedules.items():
            if r >= len(rounds):
                continue
            for a, b in rounds[r]:
                counters[name] += 1
                raw.append(
                    RawMatch(f"G-{name}-{counters[name]}", "group", r + 1, [Seed(a), Seed(b)], {}, 0, name)
                )
    return raw


@dataclass(frozen=True)
class StandingRow:
    team: TeamId
    group: str
    rank: int  # shared by teams still level after the whole chain
    played: int
    won: int
    drawn: int
    lost: int
    points: int | float
    score_for: int | float
    score_against: int | float
    correct_time_ms: int

    @property
    def score_difference(self) -> int | float:
        return self.score_for - self.score_against


@dataclass(frozen=True)
class SuddenDeath:
    """Teams of a complete group still level after the whole chain: play a sudden-death round."""

    group: str
    place: int
    teams: tuple[TeamId, ...]


@dataclass(frozen=True)
class Standings:
    groups: Mapping[str, tuple[StandingRow, ...]]
    complete: Mapping[str, bool]
    sudden_death: tuple[SuddenDeath, ...]


def group_table(bracket: Bracket, group: str) -> tuple[list[StandingRow], list[list[TeamId]], bool]:
    """Rows (best first), the tiers of level teams, and whether every match of the group is played."""
    members = bracket.groups[group]
    seed = {t: i for i, t in enumerate(bracket.teams)}
    pts = bracket.options.get("points", DEFAULT_POINTS)
    stats = {t: dict(played=0, won=0, drawn=0, lost=0, points=0, sf=0, sa=0, ct=0) for t in members}
    games: list[tuple[TeamId, TeamId, Any, Any]] = []
    complete = True
    for m in bracket.matches.values():
        if m.group != group or m.section != "group":
            continue
        if m.result is None:
            complete = False
            continue
        a, b = m.participants
        sa, sb = m.result.scores[a], m.result.scores[b]
        games.append((a, b, sa.score, sb.score))
        for me, mine, theirs in ((a, sa, sb), (b, sb, sa)):
            s = stats[me]
            s["played"] += 1
            s["sf"] += mine.score
            s["sa"] += theirs.score
            s["ct"] += mine.correct_time_ms
            if mine.score > theirs.score:
                s["won"] += 1
                s["points"] += pts["win"]
            elif mine.score == theirs.score:
                s["drawn"] += 1
                s["points"] += pts["draw"]
            else:
                s["lost"] += 1
                s["points"] += pts["loss"]

    def h2h(team: TeamId, among: set) -> float:
        total = 0
        for a, b, xa, xb in games:
            if a in among and b in among and team in (a, b):
                mine, theirs = (xa, xb) if team == a else (xb, xa)
                total += pts["win"] if mine > theirs else pts["draw"] if mine == theirs else pts["loss"]
        return total

    def key(link: str, team: TeamId, among: set) -> Any:
        s = stats[team]
        return {
            "points": lambda: -s["points"],
            "head_to_head": lambda: -h2h(team, among),
            "score_difference": lambda: -(s["sf"] - s["sa"]),
            "score": lambda: -s["sf"],
            "wins": lambda: -s["won"],
            "correct_time": lambda: s["ct"],
        }[link]()

    def refine(level: list[TeamId], links: Sequence[str]) -> list[list[TeamId]]:
        if len(level) <= 1 or not links:
            return [level]
        among = set(level)
        keyed = sorted(level, key=lambda t: (key(links[0], t, among), seed[t]))
        parts: list[list[TeamId]] = []
        last = object()
        for t in keyed:
            k = key(links[0], t, among)
            if parts and k == last:
                parts[-1].append(t)
            else:
                parts.append([t])
            last = k
        return [tier for part in parts for tier in refine(part, links[1:])]

    chain = bracket.options.get("tie_breaks", DEFAULT_TIE_BREAKS)
    tiers = refine(sorted(members, key=seed.__getitem__), chain)
    orders = bracket.playoffs.get(group, ())
    settled: list[list[TeamId]] = []
    for tier in tiers:
        order = next((o for o in reversed(orders) if len(tier) > 1 and set(tier) <= set(o)), None)
        if order is None:
            settled.append(tier)
        else:
            settled.extend([t] for t in sorted(tier, key=order.index))
    rank = places(settled)
    rows = [
        StandingRow(
            team=t,
            group=group,
            rank=rank[t],
            played=stats[t]["played"],
            won=stats[t]["won"],
            drawn=stats[t]["drawn"],
            lost=stats[t]["lost"],
            points=stats[t]["points"],
            score_for=stats[t]["sf"],
            score_against=stats[t]["sa"],
            correct_time_ms=stats[t]["ct"],
        )
        for tier in settled
        for t in tier
    ]
    return rows, settled, complete


def standings_of(bracket: Bracket) -> Standings:
    groups, complete, sudden = {}, {}, []
    for name in bracket.groups:
        rows, tiers, done = group_table(bracket, name)
        groups[name] = tuple(rows)
        complete[name] = done
        if done:
            position = 1
            for tier in tiers:
                if len(tier) > 1:
                    sudden.append(SuddenDeath(name, position, tuple(tier)))
                position += len(tier)
    return Standings(groups, complete, tuple(sudden))
