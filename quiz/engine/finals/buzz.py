"""抢答: one buzzer question, from the host's reading to its close.

Phases: ``reading`` (the host reads; a press now is an early buzz) -> ``open`` (after "请抢答"; presses
are collected) -> ``answering`` (the first buzz in fair order answers; the host marks it) -> ``closed``.
A wrong or incomplete answer passes the question to the next team in buzz order when the rules say so,
until ``max_attempts`` answers; no buzz within ``open_seconds`` closes it. Times are server epoch ms.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from quiz.engine.finals.buzzer import Buzz, decide_at, fair_order
from quiz.engine.finals.common import Award, FinalsError, Mark, Step, TeamId, points
from quiz.engine.finals.script import BuzzerRules


class BuzzPhase(enum.StrEnum):
    READING = "reading"
    OPEN = "open"
    ANSWERING = "answering"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class BuzzQuestion:
    teams: tuple[TeamId, ...]  # who may buzz on this question
    phase: BuzzPhase = BuzzPhase.READING
    opened_at: float | None = None
    first_received: float | None = None  # first valid buzz after the cue
    buzzes: tuple[Buzz, ...] = ()  # every accepted press, early ones included
    lockouts: tuple[tuple[TeamId, float], ...] = ()  # team -> mapped time until which it may not buzz
    out: tuple[TeamId, ...] = ()  # teams out for this question (early "out", or answered already)
    answerer: TeamId | None = None
    answer_deadline: float | None = None
    attempts: int = 0  # answers given so far (the current one included)
    closed_reason: str = ""
    decided_at: float | None = None  # when the buzz order was decided (the window's end)

    def valid_buzz(self, team: TeamId) -> Buzz | None:
        return next((b for b in self.buzzes if b.team == team and not b.early), None)

    def locked_until(self, team: TeamId) -> float | None:
        return next((until for t, until in self.lockouts if t == team), None)

    def order(self) -> list[Buzz]:
        return fair_order(self.buzzes)


def question_start(teams: Iterable[TeamId]) -> BuzzQuestion:
    return BuzzQuestion(teams=tuple(teams))


def buzzer_open(q: BuzzQuestion, *, now: float) -> Step:
    """The host's "请抢答". Opening an open question changes nothing."""
    if q.phase is not BuzzPhase.READING:
        if q.phase is BuzzPhase.CLOSED:
            raise FinalsError("question_closed", "This question is closed.")
        return Step(q)
    return Step(replace(q, phase=BuzzPhase.OPEN, opened_at=now), events=("buzzer.opened",))


def press(q: BuzzQuestion, rules: BuzzerRules, *, buzz: Buzz, now: float) -> Step:
    """A team's press (``buzz`` carries its mapped time and evidence; ``buzz.seq`` is ignored)."""
    team = buzz.team
    if team not in q.teams:
        raise FinalsError("buzz_not_eligible", "Your team does not take part in this question.")
    if q.phase is BuzzPhase.CLOSED or (
        q.phase is BuzzPhase.OPEN
        and q.first_received is None
        and q.opened_at is not None
        and buzz.received >= q.opened_at + rules.open_seconds * 1000
    ):
        raise FinalsError("buzz_closed", "The buzzer is closed for this question.")
    if team in q.out:
        raise FinalsError("buzz_locked_out", "Your team may not buzz on this question any more.")
    if q.valid_buzz(team) is not None:
        raise FinalsError("buzz_duplicate", "Your team has already buzzed on this question.")
    until = q.locked_until(team)
    if until is not None and buzz.mapped < until:
        raise FinalsError("buzz_locked_out", "Your team is locked out for a moment after an early buzz.")
    seq = len(q.buzzes) + 1
    early = q.opened_at is None or buzz.mapped < q.opened_at
    if early:
        return _early(q, rules, replace(buzz, seq=seq, early=True))
    buzz = replace(buzz, seq=seq, early=False)
    first = q.first_received if q.first_received is not None else buzz.received
    new = replace(q, buzzes=(*q.buzzes, buzz), first_received=first)
    corrected = _correct_decision(new)
    if corrected is not None:
        return Step(corrected, events=("buzz.received", "buzz.corrected"))
    return Step(new, events=("buzz.received",))


def _correct_decision(q: BuzzQuestion) -> BuzzQuestion | None:
    """A buzz the server received before the decision but handled after it (its processing was queued
    behind the decision) takes the first answer if it maps earlier than the chosen team: the order is by
    press, and receipt before the window's end is what counts, not the order the server got round to them.
    Only while the first answer is unmarked; None when nothing changes."""
    if q.phase is not BuzzPhase.ANSWERING or q.attempts != 1 or q.decided_at is None:
        return None
    counted = [b for b in q.order() if b.received <= q.decided_at]
    if not counted or counted[0].team == q.answerer:
        return None
    return replace(q, answerer=counted[0].team)


def _early(q: BuzzQuestion, rules: BuzzerRules, buzz: Buzz) -> Step:
    team = buzz.team
    buzzes = (*q.buzzes, buzz)
    if rules.early == "points":
        if any(b.team == team and b.early for b in q.buzzes):
            raise FinalsError("buzz_duplicate", "Your team's early buzz on this question is already counted.")
        award = Award(team, points(rules.early_points), "early_buzz")
        return Step(
            replace(q, buzzes=buzzes), awards=(award,) if award.points else (), events=("buzz.early",)
        )
    if rules.early == "lockout":
        kept = tuple((t, u) for t, u in q.lockouts if t != team)
        lockouts = (*kept, (team, buzz.mapped + rules.lockout_ms))
        return Step(replace(q, buzzes=buzzes, lockouts=lockouts), events=("buzz.early",))
    return Step(replace(q, buzzes=buzzes, out=(*q.out, team)), events=("buzz.early",))


def waiting_teams(q: BuzzQuestion) -> list[TeamId]:
    """Teams that could still buzz: eligible, not out, no valid buzz yet."""
    return [t for t in q.teams if t not in q.out and q.valid_buzz(t) is None]


def settle_due_at(q: BuzzQuestion, rules: BuzzerRules, *, bounds: Mapping[TeamId, float]) -> float | None:
    """When the open question's buzz order can be decided (None: no buzz yet, or not open)."""
    if q.phase is not BuzzPhase.OPEN or q.first_received is None:
        return None
    order = q.order()
    return decide_at(
        first_received=q.first_received,
        leader_mapped=order[0].mapped,
        pending_bounds=(bounds.get(t, 0.0) for t in waiting_teams(q)),
        window_ms=rules.window_ms,
        window_max_ms=rules.window_max_ms,
    )


def settle(q: BuzzQuestion, rules: BuzzerRules, *, now: float, bounds: Mapping[TeamId, float]) -> Step:
    """Decide the buzz order once its window has passed: the first buzz in fair order answers."""
    due = settle_due_at(q, rules, bounds=bounds)
    if due is None or now < due:
        return Step(q)
    return _next_answerer(replace(q, decided_at=due), rules, now=now, event="buzz.winner")


def _next_answerer(q: BuzzQuestion, rules: BuzzerRules, *, now: float, event: str) -> Step:
    for buzz in q.order():
        if buzz.team not in q.out:
            return Step(
                replace(
                    q,
                    phase=BuzzPhase.ANSWERING,
                    answerer=buzz.team,
                    answer_deadline=now + rules.answer_seconds * 1000,
                    attempts=q.attempts + 1,
                ),
                events=(event,),
            )
    return Step(
        replace(q, phase=BuzzPhase.CLOSED, answerer=None, closed_reason="no_one_left"),
        events=("question.closed",),
    )


def mark(q: BuzzQuestion, rules: BuzzerRules, *, result: Mark, attempt: int, now: float) -> Step:
    """The host marks the answer of attempt ``attempt`` (1, 2, ...). Marking an attempt already marked
    changes nothing, so a key pressed twice acts once."""
    if attempt < q.attempts or (attempt == q.attempts and q.phase is BuzzPhase.CLOSED and attempt > 0):
        return Step(q)
    if q.phase is not BuzzPhase.ANSWERING or attempt != q.attempts:
        raise FinalsError("no_answer_to_mark", "No team is answering this question now.")
    team = q.answerer
    if result is Mark.RIGHT:
        award = Award(team, points(rules.right), "right")
        closed = replace(q, phase=BuzzPhase.CLOSED, closed_reason="answered", answer_deadline=None)
        return Step(
            closed, awards=(award,) if award.points else (), events=("answer.marked", "question.closed")
        )
    award = Award(team, points(rules.wrong), result.value)
    after = replace(q, out=(*q.out, team), answer_deadline=None)
    awards = (award,) if award.points else ()
    if rules.pass_on and q.attempts < rules.max_attempts:
        step = _next_answerer(after, rules, now=now, event="buzz.passed")
        return Step(step.state, awards=awards, events=("answer.marked", *step.events))
    reason = "attempts_used" if rules.pass_on else "wrong"
    closed = replace(after, phase=BuzzPhase.CLOSED, answerer=None, closed_reason=reason)
    return Step(closed, awards=awards, events=("answer.marked", "question.closed"))


def close_if_due(q: BuzzQuestion, rules: BuzzerRules, *, now: float) -> Step:
    """No buzz within ``open_seconds`` of the cue: the question closes (exactly once)."""
    if (
        q.phase is BuzzPhase.OPEN
        and q.first_received is None
        and q.opened_at is not None
        and now >= q.opened_at + rules.open_seconds * 1000
    ):
        return Step(replace(q, phase=BuzzPhase.CLOSED, closed_reason="no_buzz"), events=("question.closed",))
    return Step(q)


def close(q: BuzzQuestion) -> Step:
    """The host closes the question (skipped, or offered to the audience). Closing twice changes nothing."""
    if q.phase is BuzzPhase.CLOSED:
        return Step(q)
    return Step(
        replace(q, phase=BuzzPhase.CLOSED, answerer=None, closed_reason="host"), events=("question.closed",)
    )
