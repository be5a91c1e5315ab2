"""The public API of the bracket engine: generate a bracket, record results, correct them, rank, promote.

Every function is pure: it returns a new ``Bracket`` (or a value) and never changes its argument, so
a failed call (any ``BracketError``) leaves nothing changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from competition.engine.double import raw_double
from competition.engine.heats import raw_heats
from competition.engine.layout import assemble, standard_order
from competition.engine.model import (
    AlreadyPlayed,
    Bracket,
    BracketError,
    FromGroup,
    FromMatch,
    InvalidOption,
    Match,
    MatchNotReady,
    MatchResult,
    NotPlayed,
    ResultMismatch,
    Seed,
    StageNotFinished,
    SuddenDeathRequired,
    TeamId,
    freeze,
)
from competition.engine.roundrobin import (
    DEFAULT_POINTS,
    DEFAULT_TIE_BREAKS,
    TIE_BREAKS,
    Standings,
    group_table,
    make_groups,
    raw_round_robin,
    standings_of,
)
from competition.engine.rules import (
    check_bool,
    check_decisive,
    check_int,
    check_match_tie_breaks,
    match_order,
    merge_options,
    places,
    validate_result,
    validate_teams,
)
from competition.engine.single import raw_single, rounds_for
from quiz.engine.ranking import ranked

FORMATS = (
    "single_elimination",
    "double_elimination",
    "round_robin",
    "heats",
    "groups_then_knockout",
)

_MATCH = {"match_tie_breaks": ["correct_time"]}
DEFAULTS: dict[str, dict[str, Any]] = {
    "single_elimination": {"third_place": False, **_MATCH},
    "double_elimination": {"grand_final_reset": True, **_MATCH},
    "round_robin": {"groups": 1, "legs": 1, "tie_breaks": list(DEFAULT_TIE_BREAKS), "points": DEFAULT_POINTS},
    "heats": {"heat_size": 4, "advance": 2, "final_strict_places": 3, **_MATCH},
    "groups_then_knockout": {
        "groups": 2,
        "legs": 1,
        "tie_breaks": list(DEFAULT_TIE_BREAKS),
        "points": DEFAULT_POINTS,
        "advance_per_group": 2,
        "knockout": {"third_place": False},
        **_MATCH,
    },
}


@dataclass(frozen=True)
class Placing:
    team: TeamId
    place: int  # shared by teams the format does not separate ("1, 2, 3, 3, 5")


# --------------------------------------------------------------------------------------------- options


def _round_robin_options(opts: dict[str, Any]) -> None:
    opts["legs"] = check_int(opts, "legs", 1, 2)
    chain = opts["tie_breaks"]
    if (
        not isinstance(chain, list | tuple)
        or any(c not in TIE_BREAKS for c in chain)
        or len(set(chain)) != len(chain)
    ):
        raise InvalidOption(
            f"tie_breaks must be distinct names from {list(TIE_BREAKS)}.", option="tie_breaks", value=chain
        )
    opts["tie_breaks"] = tuple(chain)
    pts = opts["points"]
    if (
        not isinstance(pts, Mapping)
        or set(pts) != {"win", "draw", "loss"}
        or any(not isinstance(v, int | float) or isinstance(v, bool) for v in pts.values())
    ):
        raise InvalidOption("points must be {win, draw, loss} numbers.", option="points", value=pts)
    opts["points"] = freeze(pts)


def _knockout_entrants(groups: Mapping[str, Sequence[TeamId]], per: int) -> list[FromGroup]:
    """Group winners first (group order), then runners-up...; swap within a row so that no first-round
    knockout match is between two teams of the same group when another order avoids it."""
    names = list(groups)
    entrants = [FromGroup(g, p) for p in range(1, per + 1) for g in names]
    size, _ = rounds_for(len(entrants))
    order = standard_order(size)
    pairs = [(order[i] - 1, order[i + 1] - 1) for i in range(0, size, 2)]
    pairs = [(a, b) for a, b in pairs if a < len(entrants) and b < len(entrants)]

    def clash(a: int, b: int) -> bool:
        return entrants[a].group == entrants[b].group

    for a, b in pairs:
        if not clash(a, b):
            continue
        row = [i for i, e in enumerate(entrants) if e.place == entrants[b].place and i != b]
        for other in row:
            entrants[b], entrants[other] = entrants[other], entrants[b]
            if not any(clash(x, y) for x, y in pairs):
                break
            entrants[b], entrants[other] = entrants[other], entrants[b]
    return entrants


def generate(format: str, teams: Sequence[TeamId], options: Mapping[str, Any] | None = None) -> Bracket:
    """A new bracket for ``teams`` (best seed first) in ``format`` with ``options`` (Stage.options)."""
    if format not in FORMATS:
        raise InvalidOption(
            f"No bracket for format {format!r}; formats: {', '.join(FORMATS)}.", option="format", value=format
        )
    teams = validate_teams(teams)
    opts = merge_options(format, options, DEFAULTS[format])
    if "match_tie_breaks" in opts:
        opts["match_tie_breaks"] = check_match_tie_breaks(opts["match_tie_breaks"])
    groups: dict[str, tuple[TeamId, ...]] = {}
    seeds = [Seed(t) for t in teams]
    if format == "single_elimination":
        raw = raw_single(seeds, third_place=check_bool(opts, "third_place"))
    elif format == "double_elimination":
        raw = raw_double(seeds, reset=check_bool(opts, "grand_final_reset"))
    elif format == "heats":
        raw = raw_heats(
            seeds,
            heat_size=check_int(opts, "heat_size", 2),
            advance=check_int(opts, "advance", 1),
            final_strict=check_int(opts, "final_strict_places", 1),
        )
    elif format == "round_robin":
        _round_robin_options(opts)
        groups = make_groups(teams, opts["groups"])
        raw = raw_round_robin(groups, opts["legs"])
    else:  # groups_then_knockout
        _round_robin_options(opts)
        groups = make_groups(teams, opts["groups"])
        per = check_int(opts, "advance_per_group", 1)
        smallest = min(len(m) for m in groups.values())
        if per > smallest:
            raise InvalidOption(
                f"advance_per_group ({per}) is more than the smallest group ({smallest} teams).",
                option="advance_per_group",
                value=per,
            )
        if per * len(groups) < 2:
            raise InvalidOption("The knockout needs at least 2 teams.", option="advance_per_group", value=per)
        ko = merge_options("knockout", opts["knockout"], {"third_place": False})
        opts["knockout"] = freeze({"third_place": check_bool(ko, "third_place")})
        raw = raw_round_robin(groups, opts["legs"]) + raw_single(
            _knockout_entrants(groups, per), third_place=ko["third_place"]
        )
    matches = assemble(raw)
    if "GF2" in matches:  # the first final ranks its teams when no reset is needed
        gf = next(r for r in raw if r.id == "GF")
        matches["GF"] = replace(matches["GF"], placements=tuple(sorted(gf.tiers.items())))
    return Bracket(
        format=format,
        teams=teams,
        options=freeze(opts),
        matches=MappingProxyType(matches),
        groups=freeze(groups),
    )


# --------------------------------------------------------------------------------------------- play


def _coerce(result: Any) -> MatchResult:
    if isinstance(result, MatchResult):
        return result
    if isinstance(result, Mapping):
        if "scores" in result and isinstance(result["scores"], Mapping):
            return MatchResult.of(result["scores"], result.get("sudden_death", ()))
        return MatchResult.of(result)
    raise ResultMismatch("A result must be a MatchResult or a mapping of team to score.")


def _tie_breaks(bracket: Bracket) -> tuple[str, ...]:
    return bracket.options.get("match_tie_breaks", ("correct_time",))


def _team_at(bracket: Bracket, matches: Mapping[str, Match], src: Any) -> TeamId | None:
    if isinstance(src, Seed):
        return src.team
    if isinstance(src, FromMatch):
        m = matches[src.match_id]
        if m.result is None or m.skipped:
            return None
        placed = places(match_order(m.participants, m.result, _tie_breaks(bracket)))
        at = [t for t, p in placed.items() if p == src.place]
        return at[0] if len(at) == 1 else None
    if isinstance(src, FromGroup):
        trial = replace(bracket, matches=matches)
        _, tiers, complete = group_table(trial, src.group)
        if not complete:
            return None
        position = 1
        for tier in tiers:
            if position == src.place:
                return tier[0] if len(tier) == 1 else None
            position += len(tier)
        return None
    return None


def _expected(bracket: Bracket, matches: Mapping[str, Match], m: Match) -> tuple[tuple, bool]:
    """Who should be playing ``m`` given everything upstream, and whether it is skipped."""
    if m.section == "grand_final_reset":
        gf = matches["GF"]
        if gf.result is None:
            return (None, None), False
        winner = _team_at(bracket, matches, FromMatch("GF", 1))
        if winner == gf.participants[0]:  # the winners-bracket champion won: no reset
            return (None, None), True
        return gf.participants, False
    return tuple(_team_at(bracket, matches, s) for s in m.sources), False


def _propagate(bracket: Bracket, matches: dict[str, Match], changed: Sequence[str]) -> list[str]:
    targets: list[str] = []
    for mid in changed:
        m = matches[mid]
        targets.extend(f.match_id for f in m.feeds)
        if m.group is not None:
            targets.extend(
                k.id
                for k in matches.values()
                if any(isinstance(s, FromGroup) and s.group == m.group for s in k.sources)
            )
    affected: list[str] = []
    for tid in dict.fromkeys(targets):
        t = matches[tid]
        expected, skipped = _expected(bracket, matches, t)
        if expected == t.participants and skipped == t.skipped:
            if t.needs_review:
                matches[tid] = replace(t, needs_review=False)
                affected.append(tid)
            continue
        if t.result is None:
            matches[tid] = replace(t, participants=expected, skipped=skipped)
        else:
            matches[tid] = replace(t, needs_review=True)
        affected.append(tid)
    return affected


def _settle(bracket: Bracket, m: Match, participants: tuple, result: Any) -> MatchResult:
    result = _coerce(result)
    validate_result(replace(m, participants=participants), result)
    check_decisive(m, match_order(participants, result, _tie_breaks(bracket)))
    return result


def record_result(bracket: Bracket, match_id: str, result: MatchResult | Mapping) -> Bracket:
    """Record the result of a ready, unplayed match and send its teams on."""
    m = bracket.match(match_id)
    if m.skipped or not m.ready:
        raise MatchNotReady(
            f"Match {match_id} cannot be played yet: its teams are not decided"
            + (" (the reset final is not needed)." if m.skipped else "."),
            match_id=match_id,
        )
    if m.result is not None:
        raise AlreadyPlayed(f"Match {match_id} already has a result; use correct_result.", match_id=match_id)
    res = _settle(bracket, m, m.participants, result)
    matches = dict(bracket.matches)
    matches[match_id] = replace(m, result=res)
    _propagate(bracket, matches, [match_id])
    return replace(bracket, matches=MappingProxyType(matches))


def correct_result(
    bracket: Bracket, match_id: str, result: MatchResult | Mapping
) -> tuple[Bracket, list[str]]:
    """Replace a played match's result. Returns the new bracket and the later matches whose teams changed:
    unplayed ones get the new teams; played ones keep their result and are flagged ``needs_review``.
    On a flagged match, the result must name the teams that should now be playing it."""
    m = bracket.match(match_id)
    if m.result is None:
        raise NotPlayed(f"Match {match_id} has no result to correct; use record_result.", match_id=match_id)
    participants = m.participants
    if m.needs_review:
        participants, skipped = _expected(bracket, bracket.matches, m)
        if skipped or any(p is None for p in participants):
            raise MatchNotReady(
                f"Match {match_id} should not be played any more as things stand; clear its result.",
                match_id=match_id,
            )
    res = _settle(bracket, m, participants, result)
    matches = dict(bracket.matches)
    matches[match_id] = replace(m, participants=participants, result=res, needs_review=False)
    affected = _propagate(bracket, matches, [match_id])
    return replace(bracket, matches=MappingProxyType(matches)), affected


def clear_result(bracket: Bracket, match_id: str) -> tuple[Bracket, list[str]]:
    """Remove a result (the match is to be replayed). Returns the new bracket and affected matches."""
    m = bracket.match(match_id)
    if m.result is None:
        raise NotPlayed(f"Match {match_id} has no result.", match_id=match_id)
    participants, skipped = _expected(bracket, bracket.matches, m)
    matches = dict(bracket.matches)
    matches[match_id] = replace(
        m, participants=participants, skipped=skipped, result=None, needs_review=False
    )
    affected = _propagate(bracket, matches, [match_id])
    return replace(bracket, matches=MappingProxyType(matches)), affected


def record_sudden_death(bracket: Bracket, group: str, order: Sequence[TeamId]) -> tuple[Bracket, list[str]]:
    """Settle teams level in a complete group by a sudden-death round's order (best first). Returns the
    new bracket and the knockout matches whose teams changed."""
    if group not in bracket.groups:
        raise InvalidOption(f"No group {group!r} in this bracket.", group=group)
    order = tuple(order)
    stand = standings_of(bracket)
    if not stand.complete[group]:
        raise StageNotFinished(f"Group {group} still has matches to play.", group=group)
    ties = [sd.teams for sd in stand.sudden_death if sd.group == group]
    if len(set(order)) != len(order) or not any(set(order) == set(t) for t in ties):
        raise ResultMismatch(
            f"The order must name exactly the teams level in group {group}: {[list(t) for t in ties]}.",
            group=group,
            ties=[list(t) for t in ties],
        )
    playoffs = dict(bracket.playoffs)
    playoffs[group] = (*playoffs.get(group, ()), order)
    new = replace(bracket, playoffs=MappingProxyType(playoffs))
    matches = dict(new.matches)
    some = next(m.id for m in matches.values() if m.group == group)
    affected = _propagate(new, matches, [some])
    return replace(new, matches=MappingProxyType(matches)), affected


# --------------------------------------------------------------------------------------------- reading


def ready_matches(bracket: Bracket) -> list[Match]:
    """Matches whose teams are known and that have no result yet, in play order."""
    return [m for m in bracket.matches.values() if m.ready and m.result is None]


def review_needed(bracket: Bracket) -> list[Match]:
    return [m for m in bracket.matches.values() if m.needs_review]


def standings(bracket: Bracket) -> Standings:
    """Group standings (round_robin and groups_then_knockout) with the tie-break chain."""
    if not bracket.groups:
        raise InvalidOption(f"A {bracket.format} bracket has no group standings.", format=bracket.format)
    return standings_of(bracket)


def is_finished(bracket: Bracket) -> bool:
    """Every match is played (or is a reset final that was not needed) and nothing awaits review."""
    return all((m.result is not None or m.skipped) and not m.needs_review for m in bracket.matches.values())


def final_ranking(bracket: Bracket) -> list[Placing]:
    """Final places, best first. Teams the format does not separate share a place."""
    if not is_finished(bracket):
        raise StageNotFinished("The stage still has matches to play (or to review).", format=bracket.format)
    tiers: dict[TeamId, tuple] = {}
    if bracket.groups:
        outside = (0,) if bracket.format == "round_robin" else (1,)
        for name in bracket.groups:
            rows, _, _ = group_table(bracket, name)
            for row in rows:
                tiers[row.team] = (*outside, row.rank)
    for m in bracket.matches.values():
        if m.result is None or m.skipped or m.section == "group":
            continue
        if m.id == "GF" and "GF2" in bracket.matches and not bracket.matches["GF2"].skipped:
            continue
        placed = places(match_order(m.participants, m.result, _tie_breaks(bracket)))
        tier_of = dict(m.placements)
        for team, place in placed.items():
            if place in tier_of:
                tiers[team] = tier_of[place]
    missing = [t for t in bracket.teams if t not in tiers]
    if missing:  # pragma: no cover - a structural bug, not bad input
        raise BracketError(f"No final place for {missing}.")
    seed = {t: i for i, t in enumerate(bracket.teams)}
    ordered = sorted(bracket.teams, key=lambda t: (tiers[t], seed[t]))
    return [Placing(team, place) for place, team in ranked(ordered, key=tiers.__getitem__)]


def promote(
    bracket: Bracket, rule: Mapping[str, Any], team_info: Mapping[TeamId, Mapping[str, Any]] | None = None
) -> list[TeamId]:
    """The teams going on to the next stage, in seed order for it (Stage.promotion as ``rule``).

    ``{"top": 8}``: the best 8. ``{"top": 4, "per": "division"}``: the best 4 of each division, where
    ``team_info[team]["division"]`` says which; ``"per": "group"`` uses the bracket's groups. The result
    lists every partition's 1st, then every 2nd, ... (better overall place first within a row).
    Raises StageNotFinished before the end, SuddenDeathRequired when teams share the place at the cut.
    """
    if not isinstance(rule, Mapping) or set(rule) - {"top", "per"} or "top" not in rule:
        raise InvalidOption(
            'A promotion rule is {"top": N} or {"top": N, "per": "<key>"}.', rule=dict(rule or {})
        )
    top = check_int(rule, "top", 1)
    per = rule.get("per")
    if per is not None and not isinstance(per, str):
        raise InvalidOption("per must be a string (group, division, ...).", rule=dict(rule))
    if per == "group" and not bracket.groups:
        raise InvalidOption(f"A {bracket.format} bracket has no groups.", rule=dict(rule))
    if per not in (None, "group"):
        info = team_info or {}
        lacking = [t for t in bracket.teams if per not in info.get(t, {})]
        if lacking:
            raise InvalidOption(f"No {per!r} given for {lacking}.", rule=dict(rule), teams=lacking)
    ranking = final_ranking(bracket)
    group_of = {t: g for g, members in bracket.groups.items() for t in members}
    seed = {t: i for i, t in enumerate(bracket.teams)}

    def part(team: TeamId) -> Any:
        if per is None:
            return None
        if per == "group":
            return group_of[team]
        return team_info[team][per]  # type: ignore[index]

    parts: dict[Any, list[Placing]] = {}
    for p in ranking:
        parts.setdefault(part(p.team), []).append(p)
    chosen: list[tuple[int, int, int, TeamId]] = []
    for key, members in parts.items():
        inner = {p.team: 1 + sum(1 for q in members if q.place < p.place) for p in members}
        picked = [p for p in members if inner[p.team] <= top]
        if len(picked) > top:
            last = max(inner[p.team] for p in picked)
            level = [p.team for p in picked if inner[p.team] == last]
            raise SuddenDeathRequired(
                f"{', '.join(map(str, level))} share place {last}"
                + (f" in {per} {key}" if per else "")
                + f"; only {top - (len(picked) - len(level))} of them can go on.",
                teams=level,
                place=last,
                partition=key,
            )
        chosen.extend((inner[p.team], p.place, seed[p.team], p.team) for p in picked)
    return [t for *_, t in sorted(chosen, key=lambda c: c[:3])]
