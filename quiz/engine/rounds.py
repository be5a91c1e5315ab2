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
    deadline: datetime | None = None
    closed_at: datetime | None = None
    revealed_at: datetime | None = None
    # While paused the clock is frozen: the time left is kept here and the deadline is set on resume.
    paused_remaining: timedelta | None = None
    voided: bool = False
    skipped: bool = False

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None and self.closed_at is None

    @property
    def paused(self) -> bool:
        return self.paused_remaining is not None

    def accepts_answer_at(self, received_at: datetime) -> bool:
        """True iff an answer received at ``received_at`` counts: opened, clock running, before cutoffs."""
        if self.opened_at is None or self.voided:
            return False
        assert self.deadline is not None
        cutoff = self.deadline
        if self.paused_remaining is not None:
            # Paused: the deadline still holds its pre-pause value, so the pause began at
            # deadline - remaining. An answer received before then (still in a batch) counts.
            cutoff = self.deadline - self.paused_remaining
        if received_at < self.opened_at or received_at >= cutoff:
            return False
        return self.closed_at is None or received_at < self.closed_at

    def remaining(self, now: datetime) -> timedelta:
        if self.paused_remaining is not None:
            return self.paused_remaining
        if self.deadline is None or self.closed_at is not None:
            return timedelta(0)
        return max(self.deadline - now, timedelta(0))


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


def _close(state: RoundState, q: QuestionState, *, at: datetime, reason: CloseReason) -> Transition:
    closed = replace(q, closed_at=at, paused_remaining=None)
    new = _with_question(state, closed, phase=Phase.CLOSED)
    return Transition(new, (Event("question.closed", q.index, reason.value),))


def open_question(state: RoundState, *, index: int, now: datetime) -> Transition:
    """Open question ``index``: it must be the next one to play. Opening it again changes nothing."""
    q = _question(state, index)
    if q.opened_at is not None:
        return _unchanged(state)  # already opened: the second press of "next"
    if state.phase == Phase.FINISHED:
        raise IllegalTransition("round_finished", "the round has finished")
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
    opened = replace(q, opened_at=now, deadline=now + q.duration)
    new = _with_question(state, opened, phase=Phase.OPEN, current=index)
    return Transition(new, (Event("question.opened", index),))


def close_question(state: RoundState, *, index: int, now: datetime) -> Transition:
    """Close the open question early (host). Closing a closed question changes nothing."""
    q = _question(state, index)
    if q.closed_at is not None:
        return _unchanged(state)
    if not q.is_open:
        raise IllegalTransition("question_not_open", f"question {index} is not open")
    assert q.deadline is not None
    return _close(state, q, at=min(now, q.deadline), reason=CloseReason.HOST)


def close_if_due(state: RoundState, *, now: datetime) -> Transition:
    """Close the open question once its deadline has passed. Any process may call this, any time."""
    q = state.question
    if state.phase != Phase.OPEN or q is None or q.paused or q.deadline is None or now < q.deadline:
        return _unchanged(state)
    return _close(state, q, at=q.deadline, reason=CloseReason.DEADLINE)


def close_when_all_answered(state: RoundState, *, index: int, now: datetime) -> Transition:
    """Close early because every active contestant has answered (a round option)."""
    q = _question(state, index)
    if not q.is_open or q.paused or state.current != index:
        return _unchanged(state)
    assert q.deadline is not None
    return _close(state, q, at=min(now, q.deadline), reason=CloseReason.ALL_ANSWERED)


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
    if q.remaining(now) <= timedelta(0):
        raise IllegalTransition("question_not_open", "time is up for this question")
    paused = replace(q, paused_remaining=q.remaining(now))
    return Transition(_with_question(state, paused), (Event("round.paused", q.index),))


def resume(state: RoundState, *, now: datetime) -> Transition:
    """Restart the clock with the time that was left when it was paused."""
    q = state.question
    if q is None or not q.paused:
        return _unchanged(state)
    assert q.paused_remaining is not None
    resumed = replace(q, deadline=now + q.paused_remaining, paused_remaining=None)
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
    if not q.paused and q.remaining(now) <= timedelta(0):
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
        closing = _close(state, q, at=now, reason=CloseReason.VOIDED)
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
        assert q.deadline is not None
        closing = _close(state, q, at=min(now, q.deadline), reason=CloseReason.FINISHED)
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
# is also a host command but concerns a contestant, not the round's state: it is accepted in every phase.
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
