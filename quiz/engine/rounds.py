"""Round phases and the host's commands as pure transitions.

No Django and no sockets here: a transition takes the current ``RoundState`` and ``now`` and returns
the new state with the events it caused. Every change bumps ``version`` by one; a command whose effect
already holds ("next" pressed twice, close after the deadline closed it) returns the state unchanged, so
host commands are idempotent. The services persist a transition with a conditional update on
``version``, which makes the deadline close happen exactly once across processes.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from quiz.engine.clock import epoch_ms, whole_ms

STANDARD_TIME_FACTOR = 100  # percent of a question's time limit; extended time is 150 or 200
TIME_FACTORS = (100, 150, 200)


class Phase(enum.StrEnum):
    LOBBY = "lobby"
    OPEN = "open"  # a question is open for answers (possibly paused)
    CLOSED = "closed"  # time is up; the distribution may be shown; the key is still secret
    REVEALED = "revealed"  # the key and the explanation are shown
    LEADERBOARD = "leaderboard"
    FINISHED = "finished"


class CloseReason(enum.StrEnum):
    HOST = "host"
    DEADLINE = "deadline"
    ALL_ANSWERED = "all_answered"
    VOIDED = "voided"
    FINISHED = "finished"


class IllegalTransition(Exception):
    """The command is not allowed now. ``code`` is the stable error code sent to the host."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class QuestionState:
    index: int
    duration: timedelta
    opened_at: datetime | None = None
    # The deadline of contestants on standard time. Extensions move it; pauses move it on resume.
    deadline: datetime | None = None
    closed_at: datetime | None = None
    revealed_at: datetime | None = None
    # While paused the clock is frozen: the standard time left is kept here (negative when the pause
    # came after the standard deadline, in a contestant's extended time) and the deadline is set on resume.
    paused_remaining: timedelta | None = None
    paused_at: datetime | None = None  # when the pause in progress began
    # The pauses that have ended, as (start, end) in whole epoch ms: answering time leaves them out.
    pauses: tuple[tuple[int, int], ...] = ()
    voided: bool = False
    skipped: bool = False
    # Contestants with extended time on this question, frozen when it opened: (contestant id, percent).
    time_factors: tuple[tuple[int, int], ...] = ()

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None and self.closed_at is None

    @property
    def paused(self) -> bool:
        return self.paused_remaining is not None

    @property
    def duration_ms(self) -> int:
        return whole_ms(self.duration)

    def time_factor(self, contestant_id: int | None) -> int:
        """The contestant's time factor on this question, in percent (100 = standard time)."""
        for cid, percent in self.time_factors:
            if cid == contestant_id:
                return percent
        return STANDARD_TIME_FACTOR

    def time_limit_ms(self, contestant_id: int | None) -> int:
        """The contestant's own time limit: the question's limit times their factor (T of the score)."""
        return self.duration_ms * self.time_factor(contestant_id) // 100

    def extra(self, contestant_id: int | None) -> timedelta:
        """Time the contestant has after the standard deadline."""
        return timedelta(milliseconds=self.time_limit_ms(contestant_id) - self.duration_ms)

    @property
    def longest_extra(self) -> timedelta:
        """The most extended time anyone has on this question: it closes this long after the deadline."""
        percent = max((p for _, p in self.time_factors), default=STANDARD_TIME_FACTOR)
        return timedelta(milliseconds=self.duration_ms * percent // 100 - self.duration_ms)

    @property
    def closes_at(self) -> datetime | None:
        """When the clock, running, closes the question: the last contestant's deadline."""
        return None if self.deadline is None else self.deadline + self.longest_extra

    def pause_began(self) -> datetime | None:
        if self.paused_remaining is None:
            return None
        if self.paused_at is not None:
            return self.paused_at
        assert self.deadline is not None
        return self.deadline - self.paused_remaining  # stored before pauses recorded their start

    def accepts_answer_at(self, received_at: datetime, contestant_id: int | None = None) -> bool:
        """True iff an answer received at ``received_at`` counts: opened, clock running, before cutoffs.

        The cutoff is the contestant's own deadline (the standard one plus their extended time)."""
        if self.opened_at is None or self.voided:
            return False
        assert self.deadline is not None
        cutoff = self.deadline + self.extra(contestant_id)
        began = self.pause_began()
        if began is not None:
            # Paused: an answer received before the pause began (still in a batch) counts.
            cutoff = min(cutoff, began)
        if received_at < self.opened_at or received_at >= cutoff:
            return False
        return self.closed_at is None or received_at < self.closed_at

    @property
    def paused_ms(self) -> int:
        """Whole ms of the pauses that have ended."""
        return sum(end - start for start, end in self.pauses)

    def answering_ms(self, received_at: datetime) -> int:
        """t of the score: whole ms from opening to receipt, less the paused time before receipt.

        An answer is refused while paused, so the pauses before an accepted answer have ended; pauses
        and extensions after it cannot change it."""
        assert self.opened_at is not None
        received = epoch_ms(received_at)
        paused = sum(max(min(end, received) - start, 0) for start, end in self.pauses)
        return max(received - epoch_ms(self.opened_at) - paused, 0)

    def remaining(self, now: datetime, contestant_id: int | None = None) -> timedelta:
        """Time left to the standard deadline (or the contestant's own), frozen while paused."""
        extra = self.extra(contestant_id)
        if self.paused_remaining is not None:
            return max(self.paused_remaining + extra, timedelta(0))
        if self.deadline is None or self.closed_at is not None:
            return timedelta(0)
        return max(self.deadline + extra - now, timedelta(0))

    def remaining_to_close(self, now: datetime) -> timedelta:
        """Time until the question closes (the last contestant's deadline), frozen while paused."""
        if self.paused_remaining is not None:
            return max(self.paused_remaining + self.longest_extra, timedelta(0))
        if self.closes_at is None or self.closed_at is not None:
            return timedelta(0)
        return max(self.closes_at - now, timedelta(0))


@dataclass(frozen=True, slots=True)
class RoundState:
    phase: Phase
    version: int
    current: int | None  # index of the question being played or last played
    questions: tuple[QuestionState, ...]

    @property
    def question(self) -> QuestionState | None:
        return None if self.current is None else self.questions[self.current]

    def next_playable(self) -> int | None:
        start = 0 if self.current is None else self.current + 1
        for q in self.questions[start:]:
            if not q.skipped:
                return q.index
        return None


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened to the round; ``name`` is the dotted event type published to clients."""

    name: str
    index: int | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Transition:
    state: RoundState
    events: tuple[Event, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.events)


def _unchanged(state: RoundState) -> Transition:
    return Transition(state)


def _with_question(state: RoundState, question: QuestionState, **changes) -> RoundState:
    questions = list(state.questions)
    questions[question.index] = question
    return replace(state, questions=tuple(questions), version=state.version + 1, **changes)


def _question(state: RoundState, index: int) -> QuestionState:
    if not 0 <= index < len(state.questions):
        raise IllegalTransition("unknown_question", f"the round has no question {index}")
    return state.questions[index]


def _ended_pause(q: QuestionState, now: datetime) -> tuple[tuple[int, int], ...]:
    """``pauses`` with the pause in progress ended at ``now``."""
    began = q.pause_began()
    assert began is not None
    start = epoch_ms(began)
    return (*q.pauses, (start, max(epoch_ms(now), start)))


def _close_time(q: QuestionState, now: datetime) -> datetime:
    """When a question closed now by a command stopped taking answers: now, the last deadline if that
    came first, or the start of the pause in progress (nobody could answer since)."""
    began = q.pause_began()
    if began is not None:
        return min(began, now)
    assert q.closes_at is not None
    return min(now, q.closes_at)


def _close(state: RoundState, q: QuestionState, *, at: datetime, reason: CloseReason) -> Transition:
    """Close at ``at``; a pause in progress ends there (closing while paused closes at its start)."""
    closed = replace(q, closed_at=at, paused_remaining=None, paused_at=None)
    new = _with_question(state, closed, phase=Phase.CLOSED)
    return Transition(new, (Event("question.closed", q.index, reason.value),))


def open_question(
    state: RoundState,
    *,
    index: int,
    now: datetime,
    time_factors: tuple[tuple[int, int], ...] = (),
) -> Transition:
    """Open question ``index``: it must be the next one to play.

    Opening the current question again changes nothing (the second press of "next"); opening a
    question played before is refused as not the next (``wrong_question``). ``time_factors`` are
    the contestants with extended time (id, percent), frozen on the question for its whole life."""
    q = _question(state, index)
    if state.phase == Phase.FINISHED:
        raise IllegalTransition("round_finished", "the round has finished")
    if q.opened_at is not None:
        if state.current == index:
            return _unchanged(state)  # the current question: the second press of "next"
        raise IllegalTransition("wrong_question", f"question {index} has been played already")
    # A voided question cannot be revealed, so a round left CLOSED by a void moves straight on.
    voided_current = state.question is not None and state.question.voided
    if state.phase == Phase.OPEN or (state.phase == Phase.CLOSED and not voided_current):
        raise IllegalTransition(
            "question_not_revealed", "reveal the current question before opening the next"
        )
    expected = state.next_playable()
    if expected is None:
        raise IllegalTransition("no_more_questions", "every question has been played")
    if index != expected:
        raise IllegalTransition("wrong_question", f"the next question is {expected}, not {index}")
    factors = tuple(sorted((cid, p) for cid, p in time_factors if p != STANDARD_TIME_FACTOR))
    opened = replace(q, opened_at=now, deadline=now + q.duration, time_factors=factors)
    new = _with_question(state, opened, phase=Phase.OPEN, current=index)
    return Transition(new, (Event("question.opened", index),))


def close_question(state: RoundState, *, index: int, now: datetime) -> Transition:
    """Close the open question early (host). Closing a closed question changes nothing."""
    q = _question(state, index)
    if q.closed_at is not None:
        return _unchanged(state)
    if not q.is_open:
        raise IllegalTransition("question_not_open", f"question {index} is not open")
    return _close(state, q, at=_close_time(q, now), reason=CloseReason.HOST)


def close_if_due(state: RoundState, *, now: datetime) -> Transition:
    """Close the open question once its deadline has passed. Any process may call this, any time."""
    q = state.question
    if state.phase != Phase.OPEN or q is None or q.paused or q.closes_at is None or now < q.closes_at:
        return _unchanged(state)
    return _close(state, q, at=q.closes_at, reason=CloseReason.DEADLINE)


def close_when_all_answered(state: RoundState, *, index: int, now: datetime) -> Transition:
    """Close early because every active contestant has answered (a round option)."""
    q = _question(state, index)
    if not q.is_open or q.paused or state.current != index:
        return _unchanged(state)
    return _close(state, q, at=_close_time(q, now), reason=CloseReason.ALL_ANSWERED)


def reveal(state: RoundState, *, index: int, now: datetime) -> Transition:
    """Show the key and the explanation. An open question is closed first."""
    q = _question(state, index)
    if q.revealed_at is not None:
        return _unchanged(state)
    if state.phase == Phase.FINISHED:
        raise IllegalTransition("round_finished", "the round has finished")
    if q.opened_at is None or state.current != index:
        raise IllegalTransition("question_not_played", f"question {index} has not been played")
    if q.voided:
        raise IllegalTransition("question_voided", f"question {index} was voided")
    events: tuple[Event, ...] = ()
    if q.is_open:
        closing = close_question(state, index=index, now=now)
        state, events = closing.state, closing.events
        q = state.questions[index]
    revealed = replace(q, revealed_at=now)
    new = _with_question(state, revealed, phase=Phase.REVEALED)
    return Transition(new, (*events, Event("answer.revealed", index)))


def show_leaderboard(state: RoundState, *, index: int) -> Transition:
    """Show the standings after question ``index`` has been revealed."""
    if state.phase == Phase.LEADERBOARD and state.current == index:
        return _unchanged(state)
    if state.phase != Phase.REVEALED or state.current != index:
        raise IllegalTransition("question_not_revealed", f"reveal question {index} before the leaderboard")
    new = replace(state, phase=Phase.LEADERBOARD, version=state.version + 1)
    return Transition(new, (Event("leaderboard.shown", index),))


def pause(state: RoundState, *, now: datetime) -> Transition:
    """Freeze the clock of the open question. Answers are refused while paused."""
    q = state.question
    if q is not None and q.paused:
        return _unchanged(state)
    if state.phase != Phase.OPEN or q is None:
        raise IllegalTransition("question_not_open", "only an open question can be paused")
    if q.remaining_to_close(now) <= timedelta(0):
        raise IllegalTransition("question_not_open", "time is up for this question")
    assert q.deadline is not None
    paused = replace(q, paused_remaining=q.deadline - now, paused_at=now)
    return Transition(_with_question(state, paused), (Event("round.paused", q.index),))


def resume(state: RoundState, *, now: datetime) -> Transition:
    """Restart the clock with the time that was left when it was paused."""
    q = state.question
    if q is None or not q.paused:
        return _unchanged(state)
    assert q.paused_remaining is not None
    resumed = replace(
        q,
        deadline=now + q.paused_remaining,
        paused_remaining=None,
        paused_at=None,
        pauses=_ended_pause(q, now),
    )
    return Transition(_with_question(state, resumed), (Event("round.resumed", q.index),))


def extend(
    state: RoundState, *, index: int, seconds: int, expected_version: int, now: datetime
) -> Transition:
    """Give the open question more time. ``expected_version`` makes a double press extend once."""
    if expected_version != state.version:
        raise IllegalTransition(
            "stale_version", f"the round is at version {state.version}, not {expected_version}"
        )
    if not 1 <= seconds <= 600:
        raise IllegalTransition("invalid_value", "extend by 1 to 600 seconds")
    q = _question(state, index)
    if state.phase != Phase.OPEN or not q.is_open:
        raise IllegalTransition("question_not_open", f"question {index} is not open")
    if not q.paused and q.remaining_to_close(now) <= timedelta(0):
        raise IllegalTransition("question_not_open", "time is up for this question")
    more = timedelta(seconds=seconds)
    if q.paused_remaining is not None:
        extended = replace(q, paused_remaining=q.paused_remaining + more)
    else:
        assert q.deadline is not None
        extended = replace(q, deadline=q.deadline + more)
    return Transition(_with_question(state, extended), (Event("time.extended", index),))


def skip(state: RoundState, *, index: int) -> Transition:
    """Leave out a question that has not been opened: "next" then goes past it."""
    q = _question(state, index)
    if q.skipped:
        return _unchanged(state)
    if q.opened_at is not None:
        raise IllegalTransition("already_played", f"question {index} has been opened; void it instead")
    if state.phase == Phase.FINISHED:
        raise IllegalTransition("round_finished", "the round has finished")
    return Transition(_with_question(state, replace(q, skipped=True)), (Event("question.skipped", index),))


def void(state: RoundState, *, index: int, now: datetime) -> Transition:
    """Take a played question out of the scores (a wrong key, a broken stem). Closes it if open."""
    q = _question(state, index)
    if q.voided:
        return _unchanged(state)
    if q.opened_at is None:
        raise IllegalTransition(
            "question_not_played", f"question {index} has not been opened; skip it instead"
        )
    events: tuple[Event, ...] = ()
    if q.is_open:
        closing = _close(state, q, at=_close_time(q, now), reason=CloseReason.VOIDED)
        state, events = closing.state, closing.events
        q = state.questions[index]
    new = _with_question(state, replace(q, voided=True))
    return Transition(new, (*events, Event("question.voided", index)))


def finish(state: RoundState, *, now: datetime) -> Transition:
    """End the round. An open question is closed first and still counts."""
    if state.phase == Phase.FINISHED:
        return _unchanged(state)
    events: tuple[Event, ...] = ()
    q = state.question
    if q is not None and q.is_open:
        closing = _close(state, q, at=_close_time(q, now), reason=CloseReason.FINISHED)
        state, events = closing.state, closing.events
    new = replace(state, phase=Phase.FINISHED, version=state.version + 1)
    return Transition(new, (*events, Event("round.finished", state.current)))


def counted_questions(state: RoundState) -> Sequence[QuestionState]:
    """Questions that count towards scores: played to the end, not voided, and revealed or the round over."""
    over = state.phase == Phase.FINISHED
    return [
        q
        for q in state.questions
        if q.closed_at is not None and not q.voided and not q.skipped and (q.revealed_at is not None or over)
    ]


# The round commands a host sends ({"type": <name>, ...}), in the order the console shows them. ``kick``
# and ``time_factor`` are host commands too but concern a contestant, not the round's state.
ROUND_COMMANDS = (
    "open",
    "close",
    "reveal",
    "leaderboard",
    "pause",
    "resume",
    "extend",
    "skip",
    "void",
    "end",
)


def allowed_commands(state: RoundState, *, now: datetime) -> list[str]:
    """The round commands that would change the round now, each aimed where the console aims it.

    Decided by running the transitions themselves, so this can never disagree with them: ``open`` and
    ``skip`` target the next playable question; ``close``, ``reveal``, ``leaderboard``, ``extend`` and
    ``void`` the current one. A command that would be refused or change nothing is left out.
    """
    current, following = state.current, state.next_playable()
    attempts = {
        "open": lambda: open_question(state, index=following, now=now) if following is not None else None,
        "close": lambda: close_question(state, index=current, now=now) if current is not None else None,
        "reveal": lambda: reveal(state, index=current, now=now) if current is not None else None,
        "leaderboard": lambda: show_leaderboard(state, index=current) if current is not None else None,
        "pause": lambda: pause(state, now=now),
        "resume": lambda: resume(state, now=now),
        "extend": lambda: (
            extend(state, index=current, seconds=10, expected_version=state.version, now=now)
            if current is not None
            else None
        ),
        "skip": lambda: skip(state, index=following) if following is not None else None,
        "void": lambda: void(state, index=current, now=now) if current is not None else None,
        "end": lambda: finish(state, now=now),
    }
    allowed = []
    for name in ROUND_COMMANDS:
        try:
            result = attempts[name]()
        except IllegalTransition:
            continue
        if result is not None and result.changed:
            allowed.append(name)
    return allowed
