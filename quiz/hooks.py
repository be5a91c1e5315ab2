"""What live rounds ask of the app that runs competitions, without importing it.

Rounds belong to a competition, but quiz imports nothing from the competition app (the dependency
direction is questionbank <- quiz <- competition). Where a round needs competition rules, it asks
through this module, and the competition app registers its answers in ``CompetitionConfig.ready``:

- ``host_rule``: who may host a round (and which rounds a user hosts). With nothing registered only
  active superusers may.
- ``join_policy``: what a contestant code names in a round's competition (a ``CodeCard``), whether
  that card may join this round (a match's round admits only the match's teams) and whether its player
  is on court (a match's round admits only the players on court: the team's members, less those a
  substitution took off, plus the substitutes it brought on). With nothing registered no code is
  known, so only nickname joins work.
- ``round_finished``: a Django signal sent with ``round_id`` once a round's finish has committed and
  the write of its final standings was attempted, whatever happened to that write and to the frames.
  If the write failed, it is sent again when the standings are repaired
  (``quiz.services.rounds.standings_repair``), so receivers must be idempotent. Every receiver runs;
  one that fails is logged and the round, its frames and the host's reply are unaffected.

Each registration replaces the previous one (registering twice, as tests and reloads do, is harmless).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

from django.db.models import QuerySet
from django.dispatch import Signal

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CodeCard:
    """A registered contestant found by their code: the rows a contestant is linked to, and their name."""

    registration_id: int
    name: str
    team_id: int | None
    team_name: str | None
    time_factor: int = 100  # extended time on the card, in percent of each question's time limit


class HostRule(Protocol):
    def may_host(self, user: Any, round_: Any) -> bool: ...

    def hosted_rounds(self, user: Any, rounds: QuerySet) -> QuerySet: ...


class JoinPolicy(Protocol):
    def code_card(self, round_: Any, code: str) -> CodeCard | None: ...

    def may_join(self, round_: Any, card: CodeCard) -> bool: ...

    def on_court(self, round_: Any, card: CodeCard) -> bool: ...


def _active(user: Any) -> bool:
    return bool(user) and user.is_authenticated and user.is_active


class SuperusersOnly:
    """The host rule when no competition rules are registered."""

    def may_host(self, user: Any, round_: Any) -> bool:
        return _active(user) and user.is_superuser

    def hosted_rounds(self, user: Any, rounds: QuerySet) -> QuerySet:
        return rounds if _active(user) and user.is_superuser else rounds.none()


class NoCodes:
    """The join policy when no competition rules are registered: nobody is registered."""

    def code_card(self, round_: Any, code: str) -> CodeCard | None:
        return None

    def may_join(self, round_: Any, card: CodeCard) -> bool:
        return True

    def on_court(self, round_: Any, card: CodeCard) -> bool:
        return True


class _Registry:
    def __init__(self) -> None:
        self.host_rule: HostRule = SuperusersOnly()
        self.join_policy: JoinPolicy = NoCodes()


registry = _Registry()

round_finished = Signal()  # sender: "quiz"; keyword: round_id


def register_host_rule(rule: HostRule) -> None:
    registry.host_rule = rule


def register_join_policy(policy: JoinPolicy) -> None:
    registry.join_policy = policy


def reset() -> None:
    """Back to the rules of a quiz with no competition app (tests)."""
    registry.host_rule = SuperusersOnly()
    registry.join_policy = NoCodes()


def may_host(user: Any, round_: Any) -> bool:
    return registry.host_rule.may_host(user, round_)


def hosted_rounds(user: Any, rounds: QuerySet) -> QuerySet:
    return registry.host_rule.hosted_rounds(user, rounds)


def code_card(round_: Any, code: str) -> CodeCard | None:
    return registry.join_policy.code_card(round_, code)


def may_join(round_: Any, card: CodeCard) -> bool:
    return registry.join_policy.may_join(round_, card)


def on_court(round_: Any, card: CodeCard) -> bool:
    """Whether the card's player may play this round now (a policy without the rule: everyone may)."""
    rule = getattr(registry.join_policy, "on_court", None)
    return True if rule is None else rule(round_, card)


def send_round_finished(round_id: int) -> None:
    """Tell every receiver that ``round_id`` finished; log, never raise, what a receiver raised."""
    for receiver, outcome in round_finished.send_robust(sender="quiz", round_id=round_id):
        if isinstance(outcome, Exception):
            logger.error(
                "round %s finished but %s failed: %r",
                round_id,
                getattr(receiver, "__qualname__", receiver),
                outcome,
                exc_info=outcome,
            )
