"""风险: teams pick a tier in the rule's order, then each answers its own question; right adds the tier,
wrong or incomplete deducts it.

The pick order comes from the scoreboard when the segment starts (high to low or low to high; level
teams keep their seeding order). With ``exclusive`` tiers a tier picked by one team is gone for the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from quiz.engine.finals import compulsory
from quiz.engine.finals.common import FinalsError, Mark, Step, TeamId
from quiz.engine.finals.compulsory import Turn, TurnState
from quiz.engine.finals.script import WagerRules


@dataclass(frozen=True, slots=True)
class WagerState:
    order: tuple[TeamId, ...]
    picks: tuple[tuple[TeamId, int], ...] = ()
    answers: TurnState | None = None  # the answer turns, once every team has picked

    def pick_of(self, team: TeamId) -> int | None:
        return next((tier for t, tier in self.picks if t == team), None)

    @property
    def picking(self) -> TeamId | None:
        """The team whose turn it is to pick (None once all have picked)."""
        return self.order[len(self.picks)] if len(self.picks) < len(self.order) else None

    def tiers_left(self, rules: WagerRules) -> tuple[int, ...]:
        taken = {tier for _, tier in self.picks} if rules.exclusive else set()
        return tuple(t for t in rules.tiers if t not in taken)


def pick_order(
    seeding: Sequence[TeamId], board: Mapping[TeamId, Decimal], rules: WagerRules
) -> tuple[TeamId, ...]:
    """The teams in picking order: by score (high to low or low to high), level teams by seeding."""
    sign = -1 if rules.order == "high_to_low" else 1
    seed = {t: i for i, t in enumerate(seeding)}
    return tuple(sorted(seeding, key=lambda t: (sign * board.get(t, Decimal(0)), seed[t])))


def start(order: Sequence[TeamId]) -> WagerState:
    return WagerState(order=tuple(order))


def pick(state: WagerState, rules: WagerRules, *, team: TeamId, tier: int) -> Step:
    """A captain's pick. The same pick again changes nothing; anything else out of place is refused."""
    if team not in state.order:
        raise FinalsError("wager_not_eligible", "Your team does not take part in this segment.")
    placed = state.pick_of(team)
    if placed is not None:
        if placed == tier:
            return Step(state)
        raise FinalsError("wager_already_placed", "Your team has already picked its tier.")
    if isinstance(tier, bool) or tier not in rules.tiers:
        tiers = "/".join(str(t) for t in rules.tiers)
        raise FinalsError("wager_not_a_tier", f"Pick one of the tiers {tiers}.")
    if state.picking != team:
        raise FinalsError("wager_not_your_turn", "Another team picks before yours.")
    if tier not in state.tiers_left(rules):
        raise FinalsError("wager_tier_taken", "Another team has taken this tier.")
    picks = (*state.picks, (team, tier))
    answers = state.answers
    events: tuple[str, ...] = ("wager.placed",)
    if len(picks) == len(state.order):
        answers = compulsory.start(Turn(t) for t in state.order)
        events = (*events, "wager.all_placed")
    return Step(replace(state, picks=picks, answers=answers), events=events)


def cue(state: WagerState, rules: WagerRules, *, index: int, now: float) -> Step:
    if state.answers is None:
        raise FinalsError("wager_picks_open", "Every team must pick its tier first.")
    step = compulsory.cue(state.answers, index=index, seconds=rules.answer_seconds, now=now)
    return Step(replace(state, answers=step.state), step.awards, step.events)


def answer(state: WagerState, *, team: TeamId, choice: object, received: float) -> Step:
    if state.answers is None:
        raise FinalsError("answer_before_cue", "Wait for the host's cue before answering.")
    step = compulsory.answer(state.answers, team=team, choice=choice, received=received)
    return Step(replace(state, answers=step.state), step.awards, step.events)


def mark(state: WagerState, *, index: int, result: Mark) -> Step:
    """Right adds the team's tier; wrong and incomplete deduct it."""
    if state.answers is None:
        raise FinalsError("wager_picks_open", "Every team must pick its tier first.")
    team = state.answers.turns[min(index, len(state.answers.turns) - 1)].team
    tier = state.pick_of(team) or 0
    step = compulsory.mark(state.answers, index=index, result=result, values=(tier, -tier, -tier))
    awards = tuple(replace(a, reason=f"wager_{a.reason}") for a in step.awards)
    return Step(replace(state, answers=step.state), awards, step.events)


def next_turn(state: WagerState, *, index: int) -> Step:
    if state.answers is None:
        raise FinalsError("wager_picks_open", "Every team must pick its tier first.")
    step = compulsory.next_turn(state.answers, index=index)
    return Step(replace(state, answers=step.state), step.awards, step.events)
