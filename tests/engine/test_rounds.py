"""Round phases and host commands as pure transitions (quiz.engine.rounds): no database, no sockets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from quiz.engine import rounds
from quiz.engine.rounds import Event, IllegalTransition, Phase, QuestionState, RoundState, Transition

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
DURATION = timedelta(seconds=20)
DEADLINE = NOW + DURATION  # of question 0 when it is opened at NOW
US = timedelta(microseconds=1)


def at(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


# Default times of the steps below: handled 5 s after q0 opens, revealed at 6 s, resumed at 60 s.
T5, T6, T60 = at(5), at(6), at(60)


def make_round(n: int = 3, *, duration: timedelta = DURATION) -> RoundState:
    """A round in the lobby with ``n`` questions of ``duration`` each."""
    return RoundState(
        phase=Phase.LOBBY,
        version=0,
        current=None,
        questions=tuple(QuestionState(index=i, duration=duration) for i in range(n)),
    )


def play(state: RoundState, *steps: Callable[[RoundState], Transition]) -> RoundState:
    for step in steps:
        state = step(state).state
    return state


# Host commands as steps, with the times used throughout: q0 opens at NOW and is handled 5 s later.
def open_(index: int, when: datetime = NOW) -> Callable[[RoundState], Transition]:
    return lambda s: rounds.open_question(s, index=index, now=when)


def close(index: int, when: datetime = T5) -> Callable[[RoundState], Transition]:
    return lambda s: rounds.close_question(s, index=index, now=when)


def close_if_due(when: datetime) -> Callable[[RoundState], Transition]:
    return lambda s: rounds.close_if_due(s, now=when)


def all_answered(index: int, when: datetime = T5) -> Callable[[RoundState], Transition]:
    return lambda s: rounds.close_when_all_answered(s, index=index, now=when)


def reveal(index: int, when: datetime = T6) -> Callable[[RoundState], Transition]:
    return lambda s: rounds.reveal(s, index=index, now=when)


def leaderboard(index: int) -> Callable[[RoundState], Transition]:
    return lambda s: rounds.show_leaderboard(s, index=index)


def pause(when: datetime = T5) -> Callable[[RoundState], Transition]:
    return lambda s: rounds.pause(s, now=when)


def resume(when: datetime = T60) -> Callable[[RoundState], Transition]:
    return lambda s: rounds.resume(s, now=when)


def extend(
    index: int, seconds: int = 30, *, version: int | None = None, when: datetime = T5
) -> Callable[[RoundState], Transition]:
    def step(s: RoundState) -> Transition:
        expected = s.version if version is None else version
        return rounds.extend(s, index=index, seconds=seconds, expected_version=expected, now=when)

    return step


def skip(index: int) -> Callable[[RoundState], Transition]:
    return lambda s: rounds.skip(s, index=index)


def void(index: int, when: datetime = T5) -> Callable[[RoundState], Transition]:
    return lambda s: rounds.void(s, index=index, now=when)


def finish(when: datetime = T5) -> Callable[[RoundState], Transition]:
    return lambda s: rounds.finish(s, now=when)


# Named starting points, each reached through the real transitions.
STATES: dict[str, Callable[[], RoundState]] = {
    "lobby": lambda: make_round(),
    "lobby_q0_skipped": lambda: play(make_round(), skip(0)),
    "lobby_all_skipped": lambda: play(make_round(2), skip(0), skip(1)),
    "open": lambda: play(make_round(), open_(0)),
    "paused": lambda: play(make_round(), open_(0), pause(at(5))),
    "closed": lambda: play(make_round(), open_(0), close(0)),
    "revealed": lambda: play(make_round(), open_(0), close(0), reveal(0)),
    "leaderboard": lambda: play(make_round(), open_(0), close(0), reveal(0), leaderboard(0)),
    "voided_while_open": lambda: play(make_round(), open_(0), void(0)),
    "voided_after_close": lambda: play(make_round(), open_(0), close(0), void(0)),
    "last_revealed": lambda: play(make_round(2), skip(1), open_(0), reveal(0)),
    "second_open": lambda: play(make_round(), open_(0), reveal(0), open_(1, at(8))),
    "second_revealed": lambda: play(make_round(), open_(0), reveal(0), open_(1, at(8)), reveal(1, at(9))),
    "finished_lobby": lambda: play(make_round(), finish()),
    "finished_while_open": lambda: play(make_round(), open_(0), finish()),
    "finished_after_reveal": lambda: play(make_round(), open_(0), reveal(0), finish(at(7))),
}


def closed(index: int, reason: str) -> Event:
    return Event("question.closed", index, reason)


LEGAL = [
    # (start, command, phase after, events)
    ("lobby", open_(0), Phase.OPEN, (Event("question.opened", 0),), "lobby: open the first question"),
    ("lobby", skip(1), Phase.LOBBY, (Event("question.skipped", 1),), "lobby: skip a later question"),
    ("lobby", finish(), Phase.FINISHED, (Event("round.finished", None),), "lobby: finish"),
    ("lobby_q0_skipped", open_(1), Phase.OPEN, (Event("question.opened", 1),), "lobby: open past a skip"),
    ("open", close(0), Phase.CLOSED, (closed(0, "host"),), "open: host closes early"),
    ("open", close_if_due(DEADLINE), Phase.CLOSED, (closed(0, "deadline"),), "open: deadline passes"),
    ("open", all_answered(0), Phase.CLOSED, (closed(0, "all_answered"),), "open: everyone answered"),
    (
        "open",
        reveal(0),
        Phase.REVEALED,
        (closed(0, "host"), Event("answer.revealed", 0)),
        "open: reveal closes first",
    ),
    ("open", pause(), Phase.OPEN, (Event("round.paused", 0),), "open: pause"),
    ("open", extend(0), Phase.OPEN, (Event("time.extended", 0),), "open: extend"),
    ("open", skip(1), Phase.OPEN, (Event("question.skipped", 1),), "open: skip a later question"),
    (
        "open",
        void(0),
        Phase.CLOSED,
        (closed(0, "voided"), Event("question.voided", 0)),
        "open: void closes first",
    ),
    (
        "open",
        finish(),
        Phase.FINISHED,
        (closed(0, "finished"), Event("round.finished", 0)),
        "open: finish closes first",
    ),
    ("paused", resume(), Phase.OPEN, (Event("round.resumed", 0),), "paused: resume"),
    ("paused", extend(0), Phase.OPEN, (Event("time.extended", 0),), "paused: extend"),
    ("paused", close(0), Phase.CLOSED, (closed(0, "host"),), "paused: host closes"),
    (
        "paused",
        reveal(0),
        Phase.REVEALED,
        (closed(0, "host"), Event("answer.revealed", 0)),
        "paused: reveal closes first",
    ),
    (
        "paused",
        void(0),
        Phase.CLOSED,
        (closed(0, "voided"), Event("question.voided", 0)),
        "paused: void closes first",
    ),
    (
        "paused",
        finish(),
        Phase.FINISHED,
        (closed(0, "finished"), Event("round.finished", 0)),
        "paused: finish closes first",
    ),
    ("closed", reveal(0), Phase.REVEALED, (Event("answer.revealed", 0),), "closed: reveal"),
    ("closed", void(0), Phase.CLOSED, (Event("question.voided", 0),), "closed: void"),
    ("closed", skip(2), Phase.CLOSED, (Event("question.skipped", 2),), "closed: skip a later question"),
    ("closed", finish(), Phase.FINISHED, (Event("round.finished", 0),), "closed: finish"),
    (
        "revealed",
        leaderboard(0),
        Phase.LEADERBOARD,
        (Event("leaderboard.shown", 0),),
        "revealed: leaderboard",
    ),
    ("revealed", open_(1, at(10)), Phase.OPEN, (Event("question.opened", 1),), "revealed: open the next"),
    ("revealed", void(0), Phase.REVEALED, (Event("question.voided", 0),), "revealed: void after the key"),
    ("revealed", finish(), Phase.FINISHED, (Event("round.finished", 0),), "revealed: finish"),
    (
        "leaderboard",
        open_(1, at(10)),
        Phase.OPEN,
        (Event("question.opened", 1),),
        "leaderboard: open the next",
    ),
    ("leaderboard", finish(), Phase.FINISHED, (Event("round.finished", 0),), "leaderboard: finish"),
    (
        "voided_while_open",
        open_(1, at(10)),
        Phase.OPEN,
        (Event("question.opened", 1),),
        "voided while open: open the next",
    ),
    (
        "voided_after_close",
        open_(1, at(10)),
        Phase.OPEN,
        (Event("question.opened", 1),),
        "voided after close: open the next",
    ),
    ("voided_while_open", finish(), Phase.FINISHED, (Event("round.finished", 0),), "voided: finish"),
    (
        "finished_while_open",
        void(0),
        Phase.FINISHED,
        (Event("question.voided", 0),),
        "finished: void stays finished",
    ),
]


@pytest.mark.parametrize(
    ("start", "command", "phase", "events"), [c[:4] for c in LEGAL], ids=[c[4] for c in LEGAL]
)
def test_a_legal_command_moves_to_the_expected_phase_with_its_events(start, command, phase, events):
    before = STATES[start]()

    result = command(before)

    assert result.state.phase == phase
    assert result.events == events
    assert result.changed


@pytest.mark.parametrize(("start", "command"), [c[:2] for c in LEGAL], ids=[c[4] for c in LEGAL])
def test_every_change_bumps_the_version_once_per_event(start, command):
    before = STATES[start]()

    result = command(before)

    assert result.state.version == before.version + len(result.events)


ILLEGAL = [
    # (start, command, code)
    ("lobby", open_(1), "wrong_question", "lobby: open out of order"),
    ("lobby", open_(3), "unknown_question", "lobby: open past the end"),
    ("lobby", open_(-1), "unknown_question", "lobby: open a negative index"),
    ("lobby", close(0), "question_not_open", "lobby: close"),
    ("lobby", reveal(0), "question_not_played", "lobby: reveal"),
    ("lobby", leaderboard(0), "question_not_revealed", "lobby: leaderboard"),
    ("lobby", pause(), "question_not_open", "lobby: pause"),
    ("lobby", extend(0), "question_not_open", "lobby: extend"),
    ("lobby", void(0), "question_not_played", "lobby: void an unplayed question"),
    ("lobby", skip(7), "unknown_question", "lobby: skip an unknown question"),
    ("lobby_q0_skipped", open_(0), "wrong_question", "lobby: open a skipped question"),
    ("lobby_all_skipped", open_(0), "no_more_questions", "lobby: every question skipped"),
    ("open", open_(1), "question_not_revealed", "open: open the next"),
    ("open", leaderboard(0), "question_not_revealed", "open: leaderboard"),
    ("open", close(1), "question_not_open", "open: close another question"),
    ("open", close(9), "unknown_question", "open: close an unknown question"),
    ("open", reveal(1), "question_not_played", "open: reveal another question"),
    ("open", extend(0, version=0), "stale_version", "open: extend with a stale version"),
    ("open", extend(0, version=2), "stale_version", "open: extend with a future version"),
    ("open", extend(0, 0), "invalid_value", "open: extend by 0 s"),
    ("open", extend(0, -5), "invalid_value", "open: extend by a negative amount"),
    ("open", extend(0, 601), "invalid_value", "open: extend by more than 600 s"),
    ("open", extend(1), "question_not_open", "open: extend another question"),
    ("open", extend(5), "unknown_question", "open: extend an unknown question"),
    ("open", skip(0), "already_played", "open: skip the open question"),
    ("open", void(1), "question_not_played", "open: void an unplayed question"),
    ("paused", open_(1), "question_not_revealed", "paused: open the next"),
    ("closed", open_(1), "question_not_revealed", "closed: open the next before the reveal"),
    ("closed", pause(), "question_not_open", "closed: pause"),
    ("closed", extend(0), "question_not_open", "closed: extend"),
    ("closed", leaderboard(0), "question_not_revealed", "closed: leaderboard before the reveal"),
    ("closed", skip(0), "already_played", "closed: skip a played question"),
    ("revealed", open_(2), "wrong_question", "revealed: open out of order"),
    ("revealed", leaderboard(1), "question_not_revealed", "revealed: leaderboard for another question"),
    ("revealed", skip(0), "already_played", "revealed: skip a played question"),
    ("revealed", pause(), "question_not_open", "revealed: pause"),
    ("leaderboard", pause(), "question_not_open", "leaderboard: pause"),
    ("leaderboard", reveal(1), "question_not_played", "leaderboard: reveal the next before opening it"),
    ("voided_while_open", reveal(0), "question_voided", "voided: reveal"),
    ("voided_while_open", leaderboard(0), "question_not_revealed", "voided: leaderboard"),
    ("last_revealed", open_(1), "no_more_questions", "last revealed: open a skipped last question"),
    ("finished_lobby", open_(0), "round_finished", "finished: open"),
    ("finished_while_open", open_(0), "round_finished", "finished: open the question played last"),
    ("second_open", open_(0), "wrong_question", "open a question played before the current one"),
    ("second_revealed", open_(0), "wrong_question", "open a played question once the next is revealed"),
    ("finished_lobby", skip(1), "round_finished", "finished: skip"),
    ("finished_while_open", open_(1), "round_finished", "finished: open the next"),
    ("finished_while_open", reveal(0), "round_finished", "finished: reveal"),
    ("finished_while_open", leaderboard(0), "question_not_revealed", "finished: leaderboard"),
    ("finished_while_open", pause(), "question_not_open", "finished: pause"),
    ("finished_while_open", extend(0), "question_not_open", "finished: extend"),
]


@pytest.mark.parametrize(("start", "command", "code"), [c[:3] for c in ILLEGAL], ids=[c[3] for c in ILLEGAL])
def test_an_illegal_command_is_refused_with_its_error_code(start, command, code):
    before = STATES[start]()

    with pytest.raises(IllegalTransition) as refused:
        command(before)

    assert refused.value.code == code
    assert refused.value.message


NO_OPS = [
    # (start, command): the effect already holds, so nothing changes
    ("open", open_(0, at(1)), "open pressed again"),
    ("revealed", open_(0, at(7)), "open an already played question"),
    ("closed", close(0, at(9)), "close a closed question"),
    ("finished_while_open", close(0), "close after the finish"),
    ("open", close_if_due(DEADLINE - US), "deadline not yet reached"),
    ("closed", close_if_due(at(100)), "deadline check after a close"),
    ("lobby", close_if_due(at(100)), "deadline check in the lobby"),
    ("paused", close_if_due(at(100)), "deadline check while paused"),
    ("closed", all_answered(0), "all answered after a close"),
    ("paused", all_answered(0), "all answered while paused"),
    ("open", all_answered(1), "all answered for another question"),
    ("revealed", reveal(0, at(9)), "reveal pressed again"),
    ("finished_after_reveal", reveal(0, at(9)), "reveal a revealed question after the finish"),
    ("leaderboard", leaderboard(0), "leaderboard pressed again"),
    ("paused", pause(at(6)), "pause pressed again"),
    ("open", resume(), "resume when not paused"),
    ("lobby", resume(), "resume in the lobby"),
    ("lobby_q0_skipped", skip(0), "skip pressed again"),
    ("voided_while_open", void(0, at(9)), "void pressed again"),
    ("finished_lobby", finish(at(9)), "finish pressed again"),
]


@pytest.mark.parametrize(("start", "command"), [c[:2] for c in NO_OPS], ids=[c[2] for c in NO_OPS])
def test_a_command_whose_effect_already_holds_changes_nothing(start, command):
    before = STATES[start]()

    result = command(before)

    assert result.state == before
    assert result.state.version == before.version
    assert result.events == ()
    assert not result.changed


def test_open_pressed_twice_moves_once():
    first = rounds.open_question(make_round(), index=0, now=NOW)

    second = rounds.open_question(first.state, index=0, now=at(1))

    assert first.state.version == 1
    assert second.state is first.state
    assert second.events == ()
    assert second.state.question.opened_at == NOW  # the second press did not restart the clock


def test_opening_a_question_starts_its_clock():
    result = rounds.open_question(make_round(), index=0, now=NOW)

    q = result.state.question
    assert result.state.current == 0
    assert q.opened_at == NOW
    assert q.deadline == NOW + DURATION
    assert q.is_open
    assert not q.paused
    assert q.remaining(NOW) == DURATION


def test_each_question_uses_its_own_duration():
    state = RoundState(
        phase=Phase.LOBBY,
        version=0,
        current=None,
        questions=(QuestionState(0, timedelta(seconds=10)), QuestionState(1, timedelta(seconds=45))),
    )
    state = play(state, open_(0), reveal(0, at(3)))

    opened = rounds.open_question(state, index=1, now=at(4)).state.question

    assert opened.deadline == at(4) + timedelta(seconds=45)


@pytest.mark.parametrize(
    ("now", "closes"),
    [
        (DEADLINE - US, False),
        (DEADLINE, True),
        (DEADLINE + US, True),
        (DEADLINE + timedelta(minutes=5), True),
    ],
    ids=["1 us before the deadline", "exactly at the deadline", "1 us after the deadline", "long after"],
)
def test_the_deadline_closes_the_question_exactly_at_the_deadline_and_not_before(now, closes):
    state = STATES["open"]()

    result = rounds.close_if_due(state, now=now)

    assert result.changed is closes
    if closes:
        assert result.state.phase == Phase.CLOSED
        assert result.state.question.closed_at == DEADLINE  # the deadline, not the time of the check
        assert result.events == (closed(0, "deadline"),)
    else:
        assert result.state is state


def test_the_deadline_closes_the_question_once_however_often_it_is_checked():
    state = STATES["open"]()

    first = rounds.close_if_due(state, now=DEADLINE)
    second = rounds.close_if_due(first.state, now=DEADLINE + timedelta(seconds=1))

    assert first.changed
    assert not second.changed
    assert second.state.version == state.version + 1


def test_close_if_due_does_nothing_while_paused():
    state = STATES["paused"]()

    result = rounds.close_if_due(state, now=DEADLINE + timedelta(hours=1))

    assert result.state is state
    assert result.state.phase == Phase.OPEN
    assert result.state.question.paused


def test_close_if_due_follows_an_extended_deadline():
    state = play(STATES["open"](), extend(0, 10))

    at_old_deadline = rounds.close_if_due(state, now=DEADLINE)
    at_new_deadline = rounds.close_if_due(state, now=DEADLINE + timedelta(seconds=10))

    assert not at_old_deadline.changed
    assert at_new_deadline.state.question.closed_at == DEADLINE + timedelta(seconds=10)


@pytest.mark.parametrize(
    ("now", "closed_at"),
    [(at(5), at(5)), (DEADLINE, DEADLINE), (DEADLINE + timedelta(seconds=3), DEADLINE)],
    ids=["before the deadline: now", "at the deadline", "after a missed deadline: the deadline"],
)
def test_a_host_close_records_the_earlier_of_now_and_the_deadline(now, closed_at):
    result = rounds.close_question(STATES["open"](), index=0, now=now)

    assert result.state.question.closed_at == closed_at
    assert result.state.question.remaining(now) == timedelta(0)


def test_close_when_all_answered_closes_at_that_moment():
    result = rounds.close_when_all_answered(STATES["open"](), index=0, now=at(7))

    assert result.state.phase == Phase.CLOSED
    assert result.state.question.closed_at == at(7)
    assert result.events == (closed(0, "all_answered"),)


def test_pause_freezes_the_remaining_time():
    state = rounds.pause(STATES["open"](), now=at(5)).state

    q = state.question
    assert q.paused
    assert q.paused_remaining == timedelta(seconds=15)
    assert q.remaining(at(5)) == timedelta(seconds=15)
    assert q.remaining(at(500)) == timedelta(seconds=15)  # the clock is frozen
    assert state.phase == Phase.OPEN


def test_resume_sets_the_deadline_to_now_plus_the_remaining_time():
    state = rounds.resume(STATES["paused"](), now=at(60)).state

    q = state.question
    assert not q.paused
    assert q.paused_remaining is None
    assert q.deadline == at(60) + timedelta(seconds=15)
    assert q.remaining(at(70)) == timedelta(seconds=5)
    assert not rounds.close_if_due(state, now=at(75) - US).changed
    assert rounds.close_if_due(state, now=at(75)).state.question.closed_at == at(75)


def test_pausing_twice_keeps_the_time_left_at_the_first_pause():
    state = play(STATES["open"](), pause(at(5)), pause(at(8)))

    assert state.question.paused_remaining == timedelta(seconds=15)
    assert state.version == 2


def test_pause_and_resume_twice_lose_only_the_running_time():
    state = play(STATES["open"](), pause(at(5)), resume(at(30)), pause(at(34)), resume(at(100)))

    # 5 s ran before the first pause and 4 s between the pauses: 11 s are left.
    assert state.question.deadline == at(100) + timedelta(seconds=11)


def test_extend_while_running_moves_the_deadline():
    state = STATES["open"]()

    result = rounds.extend(state, index=0, seconds=30, expected_version=state.version, now=at(5))

    assert result.state.question.deadline == DEADLINE + timedelta(seconds=30)
    assert result.state.version == state.version + 1


@pytest.mark.parametrize("seconds", [1, 600], ids=["1 s", "600 s"])
def test_extend_accepts_the_bounds_of_its_range(seconds):
    state = STATES["open"]()

    result = rounds.extend(state, index=0, seconds=seconds, expected_version=state.version, now=at(5))

    assert result.state.question.deadline == DEADLINE + timedelta(seconds=seconds)


def test_extend_while_paused_adds_to_the_remaining_time():
    state = STATES["paused"]()

    extended = rounds.extend(state, index=0, seconds=30, expected_version=state.version, now=at(10)).state

    assert extended.question.paused_remaining == timedelta(seconds=45)
    assert extended.question.deadline == state.question.deadline  # set on resume, not now
    assert rounds.resume(extended, now=at(60)).state.question.deadline == at(60) + timedelta(seconds=45)


def test_extend_pressed_twice_with_the_same_version_extends_once():
    state = STATES["open"]()
    seen = state.version
    first = rounds.extend(state, index=0, seconds=30, expected_version=seen, now=at(5))

    with pytest.raises(IllegalTransition) as second:
        rounds.extend(first.state, index=0, seconds=30, expected_version=seen, now=at(5))

    assert second.value.code == "stale_version"
    assert first.state.question.deadline == DEADLINE + timedelta(seconds=30)


def test_skip_makes_next_playable_jump_over_the_skipped_question():
    state = play(make_round(4), skip(1), skip(2), open_(0))

    assert state.next_playable() == 3
    state = play(state, reveal(0))
    with pytest.raises(IllegalTransition) as refused:
        rounds.open_question(state, index=1, now=at(10))
    assert refused.value.code == "wrong_question"
    assert rounds.open_question(state, index=3, now=at(10)).state.current == 3


def test_next_playable_is_none_when_only_skipped_questions_are_left():
    state = play(make_round(3), skip(1), skip(2), open_(0))

    assert state.next_playable() is None


def test_next_playable_starts_at_the_first_question_in_the_lobby():
    assert make_round().next_playable() == 0
    assert play(make_round(), skip(0)).next_playable() == 1


def test_skip_marks_the_question_skipped():
    state = rounds.skip(make_round(), index=2).state

    assert state.questions[2].skipped
    assert state.questions[2].opened_at is None


def test_void_of_an_open_question_closes_it_and_marks_it_voided():
    result = rounds.void(STATES["open"](), index=0, now=at(5))

    q = result.state.question
    assert q.voided
    assert q.closed_at == at(5)
    assert not q.is_open
    assert result.events == (closed(0, "voided"), Event("question.voided", 0))
    assert not q.accepts_answer_at(at(4))


def test_void_of_a_paused_question_clears_the_pause():
    q = rounds.void(STATES["paused"](), index=0, now=at(9)).state.question

    assert q.voided
    assert not q.paused
    assert q.closed_at == at(5)  # paused at 5 s: nobody could answer after that


def test_void_of_an_earlier_question_leaves_the_open_question_running():
    state = play(STATES["revealed"](), open_(1, at(10)))

    result = rounds.void(state, index=0, now=at(12))

    assert result.state.phase == Phase.OPEN
    assert result.state.questions[0].voided
    assert result.state.questions[1].is_open
    assert result.events == (Event("question.voided", 0),)


def test_the_next_question_can_be_opened_after_the_current_one_is_voided():
    # A voided question can never be revealed, so it must not block "next".
    state = STATES["voided_while_open"]()
    assert state.phase == Phase.CLOSED

    result = rounds.open_question(state, index=1, now=at(10))

    assert result.state.phase == Phase.OPEN
    assert result.state.current == 1


def test_reveal_of_an_open_question_closes_it_then_reveals_it():
    result = rounds.reveal(STATES["open"](), index=0, now=at(6))

    q = result.state.question
    assert [e.name for e in result.events] == ["question.closed", "answer.revealed"]
    assert q.closed_at == at(6)
    assert q.revealed_at == at(6)
    assert result.state.phase == Phase.REVEALED


def test_reveal_after_a_missed_deadline_closes_at_the_deadline():
    q = rounds.reveal(STATES["open"](), index=0, now=DEADLINE + timedelta(seconds=2)).state.question

    assert q.closed_at == DEADLINE
    assert q.revealed_at == DEADLINE + timedelta(seconds=2)


def test_reveal_after_the_finish_is_refused_and_the_round_stays_finished():
    state = STATES["finished_while_open"]()

    with pytest.raises(IllegalTransition) as refused:
        rounds.reveal(state, index=0, now=at(9))

    assert refused.value.code == "round_finished"
    assert state.phase == Phase.FINISHED


def test_finish_closes_an_open_question_and_keeps_it_counted():
    result = rounds.finish(STATES["open"](), now=at(5))

    q = result.state.question
    assert result.state.phase == Phase.FINISHED
    assert q.closed_at == at(5)
    assert q.revealed_at is None
    assert rounds.counted_questions(result.state) == [q]


def test_finish_of_a_paused_question_clears_the_pause():
    q = rounds.finish(STATES["paused"](), now=at(9)).state.question

    assert not q.paused
    assert q.closed_at is not None


COUNTED = [
    ("lobby", [], "nothing played"),
    ("open", [], "open question"),
    ("paused", [], "paused question"),
    ("closed", [], "closed but not revealed"),
    ("revealed", [0], "revealed"),
    ("leaderboard", [0], "leaderboard shown"),
    ("voided_while_open", [], "voided while open"),
    ("voided_after_close", [], "voided after close"),
    ("last_revealed", [0], "the skipped question is left out"),
    ("finished_lobby", [], "finished before any question"),
    ("finished_while_open", [0], "closed by the finish"),
    ("finished_after_reveal", [0], "revealed then finished"),
]


@pytest.mark.parametrize(("start", "indexes"), [c[:2] for c in COUNTED], ids=[c[2] for c in COUNTED])
def test_counted_questions_are_closed_not_voided_not_skipped_and_revealed_or_finished(start, indexes):
    state = STATES[start]()

    assert [q.index for q in rounds.counted_questions(state)] == indexes


def test_a_question_voided_after_the_finish_stops_counting():
    state = play(STATES["finished_while_open"](), void(0, at(30)))

    assert rounds.counted_questions(state) == []
    assert state.phase == Phase.FINISHED


def test_counted_questions_follow_the_order_of_play_across_a_round():
    state = play(
        make_round(4),
        open_(0),
        reveal(0, at(6)),
        skip(1),
        open_(2, at(10)),
        void(2, at(12)),
        open_(3, at(20)),
        finish(at(25)),
    )

    assert [q.index for q in rounds.counted_questions(state)] == [0, 3]


def question(**changes) -> QuestionState:
    base = {"index": 0, "duration": DURATION, "opened_at": NOW, "deadline": DEADLINE}
    return QuestionState(**{**base, **changes})


ACCEPTS = [
    (question(), NOW, True, "at the opening"),
    (question(), at(10), True, "in the middle"),
    (question(), DEADLINE - US, True, "1 us before the deadline"),
    (question(), DEADLINE, False, "exactly at the deadline"),
    (question(), DEADLINE + US, False, "after the deadline"),
    (question(), NOW - US, False, "before the opening"),
    (QuestionState(0, DURATION), NOW, False, "never opened"),
    (question(closed_at=at(5)), at(5) - US, True, "1 us before an early close"),
    (question(closed_at=at(5)), at(5), False, "at an early close"),
    (question(closed_at=at(5)), at(6), False, "after an early close"),
    (question(paused_remaining=timedelta(seconds=15)), at(6), False, "while paused"),
    (
        question(paused_remaining=timedelta(seconds=15)),
        at(4),
        True,
        "received before the pause, written during it",
    ),
    (question(closed_at=at(5), voided=True), at(4), False, "voided"),
    (question(deadline=DEADLINE + timedelta(seconds=30)), DEADLINE + timedelta(seconds=29), True, "extended"),
]


@pytest.mark.parametrize(
    ("q", "received_at", "accepted"), [c[:3] for c in ACCEPTS], ids=[c[3] for c in ACCEPTS]
)
def test_an_answer_counts_only_while_the_question_is_open_and_running(q, received_at, accepted):
    assert q.accepts_answer_at(received_at) is accepted


def test_answers_are_refused_at_the_new_deadline_after_a_deadline_close():
    q = rounds.close_if_due(STATES["open"](), now=DEADLINE + timedelta(seconds=1)).state.question

    assert q.accepts_answer_at(DEADLINE - US)
    assert not q.accepts_answer_at(DEADLINE)


REMAINING = [
    (QuestionState(0, DURATION), NOW, timedelta(0), "not opened"),
    (question(), NOW, DURATION, "just opened"),
    (question(), at(15), timedelta(seconds=5), "running"),
    (question(), DEADLINE + timedelta(seconds=5), timedelta(0), "past the deadline: never negative"),
    (question(closed_at=at(5)), at(6), timedelta(0), "closed early"),
    (question(paused_remaining=timedelta(seconds=7)), at(50), timedelta(seconds=7), "paused"),
]


@pytest.mark.parametrize(("q", "now", "left"), [c[:3] for c in REMAINING], ids=[c[3] for c in REMAINING])
def test_remaining_time_is_frozen_while_paused_and_zero_once_closed(q, now, left):
    assert q.remaining(now) == left


def test_transitions_never_modify_the_state_they_are_given():
    state = STATES["open"]()
    snapshot = (state.phase, state.version, state.questions)

    rounds.reveal(state, index=0, now=at(6))
    rounds.finish(state, now=at(6))
    rounds.pause(state, now=at(6))

    assert (state.phase, state.version, state.questions) == snapshot


def test_a_whole_round_runs_from_lobby_to_finish():
    steps = [
        open_(0),
        close(0, at(5)),
        reveal(0, at(6)),
        leaderboard(0),
        open_(1, at(10)),
        close_if_due(at(30)),
        reveal(1, at(31)),
        open_(2, at(40)),
        finish(at(45)),
    ]
    state = make_round()
    names = []
    for step in steps:
        result = step(state)
        names.extend(e.name for e in result.events)
        state = result.state

    assert state.phase == Phase.FINISHED
    assert state.version == len(names) == 10
    assert [q.index for q in rounds.counted_questions(state)] == [0, 1, 2]
    assert names == [
        "question.opened",
        "question.closed",
        "answer.revealed",
        "leaderboard.shown",
        "question.opened",
        "question.closed",
        "answer.revealed",
        "question.opened",
        "question.closed",
        "round.finished",
    ]
