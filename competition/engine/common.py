"""The bracket model shared by every format: teams, match results, match slots, errors.

Pure Python, no Django. A bracket is an immutable value: every operation returns a new ``Bracket``.
A match is one live quiz round between 2..k teams; its result gives each team a score and the total
time of its correct answers, plus an optional sudden-death order for teams still level.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

TeamId = Hashable  # str or int in practice; never None


# --------------------------------------------------------------------------------------------- errors


class BracketError(ValueError):
    """Every engine error. ``code`` is stable (for the API and the admin); ``details`` is JSON-able."""

    code = "bracket_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class TooFewTeams(BracketError):
    code = "too_few_teams"


class DuplicateTeam(BracketError):
    code = "duplicate_team"


class TeamInTwoGroups(BracketError):
    code = "team_in_two_groups"


class InvalidOption(BracketError):
    code = "invalid_option"


class UnknownMatch(BracketError):
    code = "unknown_match"


class MatchNotReady(BracketError):
    """The match's teams are not decided yet (or it is a grand-final reset that is not needed)."""

    code = "match_not_ready"


class ResultMismatch(BracketError):
    """The result's teams differ from the match's participants, or a value is malformed."""

    code = "result_mismatch"


class AlreadyPlayed(BracketError):
    code = "already_played"


class NotPlayed(BracketError):
    code = "not_played"


class SuddenDeathRequired(BracketError):
    """Teams are level where the format needs an order: play a sudden-death round, pass its order."""

    code = "sudden_death_required"


class StageNotFinished(BracketError):
    code = "stage_not_finished"


# --------------------------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class TeamScore:
    score: int | float
    correct_time_ms: int = 0


@dataclass(frozen=True)
class MatchResult:
    """What a match (one live round) produced: team -> TeamScore, and a sudden-death order if any.

    ``sudden_death`` lists teams best first; it only orders teams that are level on score (and on
    correct time when the stage uses it). Build one with ``MatchResult.of({"a": (30, 41_200), "b": 20})``.
    """

    scores: Mapping[TeamId, TeamScore]
    sudden_death: tuple[TeamId, ...] = ()

    @classmethod
    def of(cls, scores: Mapping[TeamId, Any], sudden_death: Iterable[TeamId] = ()) -> MatchResult:
        parsed: dict[TeamId, TeamScore] = {}
        for team, value in scores.items():
            if isinstance(value, TeamScore):
                parsed[team] = value
            elif isinstance(value, tuple | list) and len(value) == 2:
                parsed[team] = TeamScore(value[0], value[1])
            elif isinstance(value, Mapping):
                parsed[team] = TeamScore(value.get("score"), value.get("correct_time_ms", 0))
            else:
                parsed[team] = TeamScore(value)
        return cls(MappingProxyType(parsed), tuple(sudden_death))

    def to_dict(self) -> dict[str, Any]:
        return {
            "scores": {
                str(t): {"score": s.score, "correct_time_ms": s.correct_time_ms}
                for t, s in self.scores.items()
            },
            "sudden_death": list(self.sudden_death),
        }


# --------------------------------------------------------------------------------------------- slots


@dataclass(frozen=True, slots=True)
class Seed:
    """A slot filled at generation with this team."""

    team: TeamId


@dataclass(frozen=True, slots=True)
class FromMatch:
    """A slot filled by whoever finishes ``place`` (1 = winner, 2 = loser / runner-up) in a match."""

    match_id: str
    place: int


@dataclass(frozen=True, slots=True)
class FromGroup:
    """A slot filled by the team ranked ``place`` in a group once the group is complete and settled."""

    group: str
    place: int


class _Bye:
    def __repr__(self) -> str:
        return "BYE"


BYE: Any = _Bye()
Source = Seed | FromMatch | FromGroup


@dataclass(frozen=True, slots=True)
class Feed:
    """Where a match sends the team finishing ``place``: slot ``slot`` of match ``match_id``."""

    place: int
    match_id: str
    slot: int


@dataclass(frozen=True)
class Match:
    """One match slot of a bracket.

    ``participants[i]`` is a team or None (not decided yet). ``sources[i]`` says where it comes from.
    ``feeds`` sends finishing places on; ``placements`` maps the other places to a final-ranking tier
    (lower sorts first). ``decisive``: the top places that must be strictly ordered (ties there need a
    sudden-death order in the result). ``needs_review``: a correction upstream changed who should be
    playing here after it was played; its result is kept until someone corrects or clears it.
    """

    id: str
    section: str  # winners | losers | final | third_place | grand_final | grand_final_reset | group | heat
    round: int
    participants: tuple[TeamId | None, ...]
    sources: tuple[Source, ...]
    feeds: tuple[Feed, ...] = ()
    placements: tuple[tuple[int, tuple], ...] = ()
    decisive: int = 2
    group: str | None = None
    result: MatchResult | None = None
    skipped: bool = False
    needs_review: bool = False

    @property
    def ready(self) -> bool:
        return not self.skipped and all(p is not None for p in self.participants)

    @property
    def played(self) -> bool:
        return self.result is not None


@dataclass(frozen=True)
class Bracket:
    """A stage's bracket. ``matches`` is in play order (a match's sources always come before it)."""

    format: str
    teams: tuple[TeamId, ...]  # seed order
    options: Mapping[str, Any]
    matches: Mapping[str, Match]
    groups: Mapping[str, tuple[TeamId, ...]] = field(default_factory=lambda: MappingProxyType({}))
    playoffs: Mapping[str, tuple[tuple[TeamId, ...], ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )

    def match(self, match_id: str) -> Match:
        try:
            return self.matches[match_id]
        except KeyError:
            raise UnknownMatch(f"No match {match_id!r} in this bracket.", match_id=match_id) from None


# --------------------------------------------------------------------------------------------- helpers


def validate_teams(teams: Sequence[TeamId]) -> tuple[TeamId, ...]:
    teams = tuple(teams)
    if any(t is None or isinstance(t, bool) for t in teams):
        raise InvalidOption("A team id may not be None or a boolean.")
    if len(teams) < 2:
        raise TooFewTeams(f"A bracket needs at least 2 teams, got {len(teams)}.", count=len(teams))
    seen: set = set()
    for t in teams:
        if t in seen:
            raise DuplicateTeam(f"Team {t!r} is listed twice.", team=t)
        seen.add(t)
    return teams


MATCH_TIE_BREAKS = ("correct_time",)


def check_match_tie_breaks(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or any(v not in MATCH_TIE_BREAKS for v in value):
        raise InvalidOption(
            f"match_tie_breaks must be a list drawn from {list(MATCH_TIE_BREAKS)}.", value=value
        )
    return tuple(value)


def check_int(options: Mapping, key: str, low: int, high: int | None = None) -> int:
    value = options[key]
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or value < low
        or (high is not None and value > high)
    ):
        bound = f"{low}..{high}" if high is not None else f">= {low}"
        raise InvalidOption(f"{key} must be an integer {bound}, got {value!r}.", option=key, value=value)
    return value


def check_bool(options: Mapping, key: str) -> bool:
    value = options[key]
    if not isinstance(value, bool):
        raise InvalidOption(f"{key} must be true or false, got {value!r}.", option=key, value=value)
    return value


def merge_options(fmt: str, given: Mapping | None, defaults: Mapping[str, Any]) -> dict[str, Any]:
    given = dict(given or {})
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise InvalidOption(
            f"Unknown option(s) for {fmt}: {', '.join(unknown)}.", options=unknown, allowed=sorted(defaults)
        )
    return {**defaults, **given}


def validate_result(match: Match, result: MatchResult) -> None:
    teams = set(match.participants)
    if not isinstance(result, MatchResult):
        raise ResultMismatch("A result must be a MatchResult.", match_id=match.id)
    got = set(result.scores)
    if got != teams:
        raise ResultMismatch(
            f"Match {match.id} is between {sorted(map(str, teams))}, "
            f"the result names {sorted(map(str, got))}.",
            match_id=match.id,
            missing=sorted(map(str, teams - got)),
            unexpected=sorted(map(str, got - teams)),
        )
    for team, s in result.scores.items():
        if not isinstance(s.score, int | float) or isinstance(s.score, bool):
            raise ResultMismatch(f"Score of {team!r} is not a number: {s.score!r}.", match_id=match.id)
        if (
            not isinstance(s.correct_time_ms, int)
            or isinstance(s.correct_time_ms, bool)
            or s.correct_time_ms < 0
        ):
            raise ResultMismatch(
                f"correct_time_ms of {team!r} must be an integer >= 0: {s.correct_time_ms!r}.",
                match_id=match.id,
            )
    sd = result.sudden_death
    if len(set(sd)) != len(sd) or not set(sd) <= teams:
        raise ResultMismatch(
            "The sudden-death order must name distinct teams of this match.", match_id=match.id
        )


def match_order(
    participants: Sequence[TeamId], result: MatchResult, tie_breaks: Sequence[str]
) -> list[list[TeamId]]:
    """The teams of a played match in finishing order, as tiers of teams still level (best first)."""

    def key(team: TeamId) -> tuple:
        s = result.scores[team]
        k: tuple = (-s.score,)
        if "correct_time" in tie_breaks:
            k += (s.correct_time_ms,)
        return k

    tiers: list[list[TeamId]] = []
    ordered = sorted(participants, key=key)  # stable: seed/slot order among equals, for display only
    for team in ordered:
        if tiers and key(tiers[-1][0]) == key(team):
            tiers[-1].append(team)
        else:
            tiers.append([team])
    if result.sudden_death:
        sd = {t: i for i, t in enumerate(result.sudden_death)}
        split: list[list[TeamId]] = []
        for tier in tiers:
            if len(tier) == 1:
                split.append(tier)
                continue
            ranked = sorted((t for t in tier if t in sd), key=sd.__getitem__)
            split.extend([t] for t in ranked)
            rest = [t for t in tier if t not in sd]
            if rest:
                split.append(rest)
        tiers = split
    return tiers


def places(tiers: Sequence[Sequence[TeamId]]) -> dict[TeamId, int]:
    """Competition ranking ("1, 2, 2, 4") from tiers."""
    out: dict[TeamId, int] = {}
    position = 1
    for tier in tiers:
        for team in tier:
            out[team] = position
        position += len(tier)
    return out


def check_decisive(match: Match, tiers: Sequence[Sequence[TeamId]]) -> None:
    position = 1
    for tier in tiers:
        if len(tier) > 1 and position <= match.decisive:
            raise SuddenDeathRequired(
                f"Match {match.id}: {', '.join(map(str, tier))} are level at place {position}; "
                "play a sudden-death round and record its order.",
                match_id=match.id,
                teams=list(tier),
                place=position,
            )
        position += len(tier)


def freeze(d: Mapping) -> Mapping:
    return MappingProxyType(dict(d))


# --------------------------------------------------------------------------------------------- building


@dataclass
class RawMatch:
    """A match before byes are removed. ``tiers``: place -> final-ranking tier when not fed on."""

    id: str
    section: str
    round: int
    sources: list[Any]  # Seed | FromMatch | FromGroup | BYE
    tiers: dict[int, tuple]
    decisive: int = 2
    group: str | None = None


def assemble(raw: Sequence[RawMatch]) -> dict[str, Match]:
    """Remove matches with a bye (the other team goes straight on), wire feeds, fill seeded slots."""
    out_of: dict[tuple[str, int], Any] = {}  # (collapsed match, place) -> what it passes on
    tier_override: dict[tuple[str, int], tuple] = {}
    kept: list[tuple[RawMatch, list[Any]]] = []
    collapsed: set[str] = set()

    def resolve(src: Any) -> Any:
        while isinstance(src, FromMatch) and src.match_id in collapsed:
            src = out_of[(src.match_id, src.place)]
        return src

    for rm in raw:
        srcs = [resolve(s) for s in rm.sources]
        if any(s is BYE for s in srcs):
            real = [s for s in srcs if s is not BYE]
            collapsed.add(rm.id)
            winner = real[0] if real else BYE
            out_of[(rm.id, 1)] = winner
            out_of[(rm.id, 2)] = BYE
            if isinstance(winner, FromMatch) and 1 in rm.tiers:
                tier_override[(winner.match_id, winner.place)] = rm.tiers[1]
            continue
        kept.append((rm, srcs))

    # A collapsed match's winner may be eliminated there (a 3rd-place match without a 2nd team): its
    # tier then moves to the place that fed it. Resolve chains of such moves.
    feeds: dict[str, list[Feed]] = {rm.id: [] for rm, _ in kept}
    for rm, srcs in kept:
        for slot, s in enumerate(srcs):
            if isinstance(s, FromMatch):
                feeds[s.match_id].append(Feed(s.place, rm.id, slot))
    matches: dict[str, Match] = {}
    for rm, srcs in kept:
        fed = {f.place for f in feeds[rm.id]}
        placements = []
        for place in range(1, len(srcs) + 1):
            if place in fed:
                continue
            tier = tier_override.get((rm.id, place), rm.tiers.get(place))
            if tier is not None:
                placements.append((place, tier))
        matches[rm.id] = Match(
            id=rm.id,
            section=rm.section,
            round=rm.round,
            participants=tuple(s.team if isinstance(s, Seed) else None for s in srcs),
            sources=tuple(srcs),
            feeds=tuple(sorted(feeds[rm.id], key=lambda f: (f.place, f.match_id))),
            placements=tuple(placements),
            decisive=rm.decisive,
            group=rm.group,
        )
    return matches


def standard_order(size: int) -> list[int]:
    """Seed numbers (1-based) in bracket order for a power-of-two ``size``: 1 and 2 meet only in the final."""
    order = [1]
    while len(order) < size:
        n = len(order) * 2
        order = [x for s in order for x in (s, n + 1 - s)]
    return order


def snake(count: int, buckets: int) -> list[int]:
    """Bucket index for each of ``count`` items dealt in snake order: 0,1,2,2,1,0,0,1,..."""
    out = []
    for i in range(count):
        row, col = divmod(i, buckets)
        out.append(col if row % 2 == 0 else buckets - 1 - col)
    return out
