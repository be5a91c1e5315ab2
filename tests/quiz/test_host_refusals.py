"""Every refusal in the host command table of docs/protocol.md (section 4.3), checked against the server.

The table is read from the document itself: each (command, code) pair it lists must have a case here
that makes the server refuse with exactly that code, and every case here must be in the table. A case
is a round played through the same parse and service a host socket uses.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async

from quiz import protocol
from quiz.engine.rounds import IllegalTransition
from quiz.models import Contestant, Round
from quiz.services.errors import QuizError
from quiz.services.rounds import round_command
from tests.live import contestant, host

pytestmark = [pytest.mark.django_db(transaction=True)]

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def documented_refusals() -> set[tuple[str, str]]:
    """(command, code) for every code in the "Refused with" column of the host command table."""
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("### 4.3 Host") : text.index("### 4.4 Display")]
    pairs = set()
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or not cells[0].startswith("`"):
            continue
        command = cells[0].strip("`")
        for code in re.findall(r"`([a-z_]+)`", cells[3]):
            pairs.add((command, code))
    return pairs


OPEN0 = {"type": "open", "question": 0}
REVEAL0 = {"type": "reveal", "question": 0}
END = {"type": "end"}

# (command, code, frames sent before, the refused frame, what it shows)
CASES = [
    ("open", "wrong_question", [], {"type": "open", "question": 1}, "not the next question"),
    (
        "open",
        "wrong_question",
        [OPEN0, REVEAL0, {"type": "open", "question": 1}],
        OPEN0,
        "a question played before the current one",
    ),
    ("open", "question_not_revealed", [OPEN0], {"type": "open", "question": 1}, "current one still open"),
    (
        "open",
        "no_more_questions",
        [OPEN0, REVEAL0, {"type": "skip", "question": 1}, {"type": "skip", "question": 2}],
        {"type": "open", "question": 2},
        "every question played or skipped",
    ),
    ("open", "round_finished", [END], OPEN0, "after the end"),
    ("open", "round_finished", [OPEN0, END], OPEN0, "the question played last, after the end"),
    ("open", "unknown_question", [], {"type": "open", "question": 7}, "no such question"),
    ("close", "question_not_open", [], {"type": "close", "question": 0}, "never opened"),
    ("close", "unknown_question", [OPEN0], {"type": "close", "question": 7}, "no such question"),
    ("reveal", "question_not_played", [], REVEAL0, "not opened"),
    ("reveal", "question_not_played", [OPEN0], {"type": "reveal", "question": 1}, "not the current one"),
    ("reveal", "question_voided", [OPEN0, {"type": "void", "question": 0}], REVEAL0, "voided"),
    ("reveal", "round_finished", [END], REVEAL0, "after the end"),
    ("reveal", "unknown_question", [], {"type": "reveal", "question": 7}, "no such question"),
    ("leaderboard", "question_not_revealed", [OPEN0], {"type": "leaderboard", "question": 0}, "unrevealed"),
    ("pause", "question_not_open", [], {"type": "pause"}, "in the lobby"),
    (
        "extend",
        "stale_version",
        [OPEN0],
        {"type": "extend", "question": 0, "seconds": 5, "version": 1},
        "old",
    ),
    ("extend", "question_not_open", [], {"type": "extend", "question": 0, "seconds": 5}, "in the lobby"),
    ("extend", "unknown_question", [OPEN0], {"type": "extend", "question": 7, "seconds": 5}, "no question"),
    ("skip", "already_played", [OPEN0], {"type": "skip", "question": 0}, "opened"),
    ("skip", "round_finished", [END], {"type": "skip", "question": 1}, "after the end"),
    ("skip", "unknown_question", [], {"type": "skip", "question": 7}, "no such question"),
    ("void", "question_not_played", [], {"type": "void", "question": 0}, "never opened"),
    ("void", "unknown_question", [OPEN0], {"type": "void", "question": 7}, "no such question"),
    ("kick", "unknown_contestant", [], {"type": "kick", "contestant": 99_999}, "not in the round"),
    (
        "time_factor",
        "invalid_field",
        [],
        {"type": "time_factor", "contestant": "ANN", "time_factor": 1.25},
        "not 1, 1.5 or 2",
    ),
    (
        "time_factor",
        "unknown_contestant",
        [],
        {"type": "time_factor", "contestant": 99_999, "time_factor": 2},
        "not in the round",
    ),
    (
        "time_factor",
        "unknown_contestant",
        [{"type": "kick", "contestant": "ANN"}],
        {"type": "time_factor", "contestant": "ANN", "time_factor": 2},
        "removed",
    ),
    (
        "time_factor",
        "round_finished",
        [END],
        {"type": "time_factor", "contestant": "ANN", "time_factor": 2},
        "end",
    ),
]


def test_every_documented_refusal_has_a_case_and_every_case_is_documented():
    assert {(command, code) for command, code, *_ in CASES} == documented_refusals()


def send(user, round_id: int, frame: dict, ann: int) -> dict:
    """What a host socket does with ``frame``: parse, one service call; a refusal becomes its code."""
    frame = {k: (ann if v == "ANN" else v) for k, v in frame.items()}
    if frame["type"] == "extend" and "version" not in frame:
        frame["version"] = Round.objects.get(pk=round_id).version
    try:
        command = protocol.parse_host(frame)
        return round_command(user=user, round_id=round_id, command=command)
    except (protocol.ProtocolError, QuizError, IllegalTransition) as exc:
        return {"type": "error", "code": exc.code}


@sync_to_async
def refused(round_, user, before: list[dict], frame: dict) -> dict:
    ann = Contestant.objects.create(round=round_, nickname="Ann").id
    for step in before:
        reply = send(user, round_.id, step, ann)
        assert reply["type"] == "command", (step, reply)
    return send(user, round_.id, frame, ann)


@pytest.mark.parametrize(
    ("command", "code", "before", "frame"), [c[:4] for c in CASES], ids=[f"{c[0]}: {c[4]}" for c in CASES]
)
async def test_a_host_command_is_refused_with_the_documented_code(make_round, command, code, before, frame):
    round_, user = await make_round(questions=3)

    reply = await refused(round_, user, before, frame)

    assert reply == {"type": "error", "code": code}


# --- the same refusals as frames, and what phones get ------------------------------------------------------


async def test_the_refusal_reaches_the_host_as_an_error_frame_naming_the_command(make_round):
    round_, user = await make_round()
    console, _ = await host(round_.id, user)
    await console.request(OPEN0, "command")
    await console.request(REVEAL0, "command")
    await console.request({"type": "open", "question": 1}, "command")

    error = await console.request(OPEN0, "error")

    assert (error["code"], error["ref"]) == ("wrong_question", "open")
    await console.close()


@pytest.mark.parametrize("kind", sorted(set(protocol.HOST_ACTIONS) - protocol.CONTESTANT_TYPES))
async def test_a_host_command_sent_on_a_phone_is_not_allowed(make_round, kind):
    round_, _ = await make_round()
    sock, _ = await contestant(round_.pin, "Ann")

    error = await sock.request({"type": kind, "question": 0}, "error")

    assert (error["code"], error["ref"]) == ("not_allowed", kind)
    await sock.close()


async def test_an_answer_to_a_skipped_question_is_a_wrong_question(make_round):
    round_, user = await make_round()
    console, _ = await host(round_.id, user)
    sock, _ = await contestant(round_.pin, "Ann")
    await console.request({"type": "skip", "question": 1}, "command")
    await console.request(OPEN0, "command")

    error = await sock.request({"type": "answer", "question": 1, "choices": [0]}, "error")

    assert (error["code"], error["ref"]) == ("wrong_question", "answer")
    await sock.close()
    await console.close()
