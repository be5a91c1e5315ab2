"""The bracket model shared by every format: teams, match results, match slots, the bracket, errors.

Pure Python, no Django. A bracket is an immutable value: every operation returns a new ``Bracket``.
A match is one live quiz round between 2..k teams; its result gives each team a score and the total
time of its correct answers, plus an optional sudden-death order for teams still level.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
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


def freeze(d: Mapping) -> Mapping:
    return MappingProxyType(dict(d))
