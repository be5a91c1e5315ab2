"""Which round commands the engine accepts now (quiz.engine.rounds.allowed_commands), as a table.

The host console enables exactly these buttons, so every row also checks the list against the
transitions themselves: a listed command changes the round, an unlisted one is refused or changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from quiz.engine import rounds
from quiz.engine.rounds import IllegalTransition, Phase, QuestionState, RoundState, Transition

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
Step = Callable[[RoundState], Transition]


def lobby(n: int = 3) -> RoundState:
    return RoundState(
        phase=Phase.LOBBY,
        version=0,
        current=None,
        questions=tuple(QuestionState(index=i, duration=timedelta(seconds=20)) for i in range(n)),
    )


def at(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


OPEN0: Step = lambda s: rounds.open_question(s, index=0, now=NOW)  # noqa: E731
OPEN1: Step = lambda s: rounds.open_question(s, index=1, now=at(30))  # noqa: E731
CLOSE0: Step = lambda s: rounds.close_question(s, index=0, now=at(5))  # noqa: E731
REVEAL0: Step = lambda s: rounds.reveal(s, index=0, now=at(6))  # noqa: E731
BOARD0: Step = lambda s: rounds.show_leaderboard(s, index=0)  # noqa: E731
PAUSE: Step = lambda s: rounds.pause(s, now=at(5))  # noqa: E731
VOID0: Step = lambda s: rounds.void(s, index=0, now=at(5))  # noqa: E731
SKIP1: Step = lambda s: rounds.skip(s, index=1)  # noqa: E731
SKIP2: Step = lambda s: rounds.skip(s, index=2)  # noqa: E731
END: Step = lambda s: rounds.finish(s, now=at(7))  # noqa: E731


def play(*steps: Step, n: int = 3) -> RoundState:
    state = lobby(n)
    for step in steps:
        state = step(state).state
    return state


CASES = [
    ("lobby", (), at(0), ["open", "skip", "end"]),
    ("a question is open", (OPEN0,), at(5), ["close", "reveal", "pause", "extend", "skip", "void", "end"]),
    ("the open question's time is up", (OPEN0,), at(25), ["close", "reveal", "skip", "void", "end"]),
    (
        "the clock is paused",
        (OPEN0, PAUSE),
        at(10),
        ["close", "reveal", "resume", "extend", "skip", "void", "end"],
    ),
    ("closed by the host", (OPEN0, CLOSE0), at(6), ["reveal", "skip", "void", "end"]),
    ("revealed", (OPEN0, REVEAL0), at(7), ["open", "leaderboard", "skip", "void", "end"]),
    ("leaderboard shown", (OPEN0, REVEAL0, BOARD0), at(8), ["open", "skip", "void", "end"]),
    ("voided while open: the round moves straight on", (OPEN0, VOID0), at(6), ["open", "skip", "end"]),
    (
        "the next question skipped",
        (OPEN0, REVEAL0, SKIP1),
        at(7),
        ["open", "leaderboard", "skip", "void", "end"],
    ),
    ("every other question skipped", (OPEN0, REVEAL0, SKIP1, SKIP2), at(7), ["leaderboard", "void", "end"]),
    ("finished: a played question may still be voided", (OPEN0, REVEAL0, END), at(8), ["void"]),
    ("finished before anything was played", (END,), at(1), []),
]


@pytest.mark.parametrize(("steps", "now", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_allowed_commands_are_the_commands_that_would_change_the_round(steps, now, expected):
    state = play(*steps)
    assert rounds.allowed_commands(state, now=now) == expected


def _attempt(state: RoundState, name: str, now: datetime) -> bool:
    """Whether ``name``, aimed as the console aims it, changes the round."""
    current, following = state.current, state.next_playable()
    try:
        match name:
            case "open" | "skip":
                if following is None:
                    return False
                step = rounds.open_question if name == "open" else None
                result = (
                    step(state, index=following, now=now) if step else rounds.skip(state, index=following)
                )
            case "pause":
                result = rounds.pause(state, now=now)
            case "resume":
                result = rounds.resume(state, now=now)
            case "end":
                result = rounds.finish(state, now=now)
            case _:
                if current is None:
                    return False
                result = {
                    "close": lambda: rounds.close_question(state, index=current, now=now),
                    "reveal": lambda: rounds.reveal(state, index=current, now=now),
                    "leaderboard": lambda: rounds.show_leaderboard(state, index=current),
                    "extend": lambda: rounds.extend(
                        state, index=current, seconds=10, expected_version=state.version, now=now
                    ),
                    "void": lambda: rounds.void(state, index=current, now=now),
                }[name]()
    except IllegalTransition:
        return False
    return result.changed


@pytest.mark.parametrize(("steps", "now"), [c[1:3] for c in CASES], ids=[c[0] for c in CASES])
def test_every_listed_command_changes_the_round_and_no_other_does(steps, now):
    state = play(*steps)
    allowed = rounds.allowed_commands(state, now=now)
    for name in rounds.ROUND_COMMANDS:
        assert _attempt(state, name, now) == (name in allowed), name


def test_the_listed_names_are_the_host_frame_types():
    from quiz.protocol import HOST_ACTIONS

    assert set(rounds.ROUND_COMMANDS) == set(HOST_ACTIONS) - {"kick", "time_factor"}
