"""Every frame the server sends, built here and only here; ``quiz.protocol`` holds their schemas.

The one rule that must never break lives here: nothing for a contestant or a display carries the key
(``correct``) or the explanation of a question before it is revealed. The host sees everything.

Frames are plain dicts; ``dumps`` turns one into the JSON text a socket is sent. Round events are
serialised once per audience (``state_frames``), never per socket.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from quiz.engine.rounds import Event, Phase, RoundState, allowed_commands
from quiz.models import Contestant, RoundQuestion
from quiz.selectors import RoundView, question_state, round_state

Audience = Literal["contestant", "display", "host"]
AUDIENCES: tuple[Audience, ...] = ("contestant", "display", "host")


def dumps(frame: dict[str, Any]) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


def epoch_ms(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


# --- the round, as each audience sees it ---------------------------------------------------------------


def question_image(q: RoundQuestion) -> dict[str, str] | None:
    """The round's copy of the question image: its URL under MEDIA_URL and its description.

    Read from the stored name, not through ``q.image``: the file descriptor would cache a FieldFile that
    points back at the question, a reference cycle per question that only the cyclic garbage collector
    frees, and every command, welcome and snapshot loads the round's questions (stems and all)."""
    field = RoundQuestion._meta.get_field("image")
    name = q.__dict__.get(field.attname)
    name = getattr(name, "name", name)  # a FieldFile, if something did read q.image
    if not name:
        return None
    return {"url": field.storage.url(name), "alt": q.image_alt}


def question_payload(view: RoundView, q: RoundQuestion, audience: Audience, now: datetime) -> dict[str, Any]:
    state = question_state(q)
    number = sum(1 for other in view.questions[: q.position + 1] if not other.skipped)
    payload: dict[str, Any] = {
        "index": q.position,
        "number": number,
        "kind": q.kind,
        "stem": q.stem,
        "choices": list(q.choices),
        "duration_ms": q.duration_ms,
        "deadline": None if state.paused or q.closed_at else epoch_ms(q.deadline),
        "remaining_ms": int(state.remaining(now).total_seconds() * 1000),
        "paused": state.paused,
        "voided": q.voided,
        "image": question_image(q),
    }
    revealed = q.revealed_at is not None
    if audience == "host" or revealed:
        payload["correct"] = list(q.correct)
        payload["explanation"] = q.explanation
    closed = q.closed_at is not None
    if audience == "host" or (closed and audience == "display") or revealed:
        payload["distribution"] = list(view.distribution)
    if audience != "contestant" or revealed:
        payload["answered"] = view.answered  # contestants: with the distribution, for shares of people
    return payload


def round_payload(view: RoundView, audience: Audience, now: datetime) -> dict[str, Any]:
    r = view.round
    current = view.current
    payload: dict[str, Any] = {
        "id": r.id,
        "title": r.title,
        "pin": r.pin,
        "phase": r.phase,
        "question_count": sum(1 for q in view.questions if not q.skipped),
        "current": r.current_index,
        "question": None
        if current is None or current.opened_at is None
        else question_payload(view, current, audience, now),
        "server_time": epoch_ms(now),
        "participants": view.participants,
    }
    if r.phase in (Phase.REVEALED, Phase.LEADERBOARD, Phase.FINISHED):
        payload["leaderboard"] = [
            {"rank": s.rank, "nickname": s.nickname, "team": s.team, "score": s.score}
            for s in view.leaderboard
        ]
        payload["teams"] = view.teams
    if audience == "host":
        # Both from the engine: the console neither works out the next question nor which buttons apply.
        state = round_state(r, view.questions)
        payload["next"] = state.next_playable()
        payload["commands"] = allowed_commands(state, now=now)
        payload["scoring"] = r.scoring
        payload["questions"] = [
            {
                "index": q.position,
                "stem": q.stem,
                "choices": list(q.choices),
                "correct": list(q.correct),
                "opened": q.opened_at is not None,
                "skipped": q.skipped,
                "voided": q.voided,
            }
            for q in view.questions
        ]
    return payload


# --- snapshots and replies -----------------------------------------------------------------------------


def snapshot_frame(view: RoundView, audience: Audience, now: datetime, **extra: Any) -> dict[str, Any]:
    """What a host or display socket is sent first (the host's also lists the contestants)."""
    return {
        "type": "snapshot",
        "version": view.round.version,
        "audience": audience,
        "round": round_payload(view, audience, now),
        **extra,
    }


def me_payload(contestant: Contestant, answer: dict[str, Any] | None) -> dict[str, Any]:
    """A contestant's own standing and their stored answer to the current question (or None)."""
    return {
        "id": contestant.id,
        "nickname": contestant.nickname,
        "team": contestant.team.name if contestant.team_id else None,
        "score": contestant.score,
        "rank": contestant.rank,
        "correct": contestant.correct_count,
        "answer": None
        if answer is None
        else {
            "question": answer["question"],
            "choices": answer["choices"],
            "received_at": epoch_ms(answer["received_at"]),
        },
    }


def welcome_frame(
    view: RoundView, contestant: Contestant, token: str, answer: dict[str, Any] | None, now: datetime
) -> dict[str, Any]:
    return {
        "type": "welcome",
        "version": view.round.version,
        "token": token,
        "round": round_payload(view, "contestant", now),
        "me": me_payload(contestant, answer),
    }


def command_frame(view: RoundView, command: str, changed: bool, now: datetime) -> dict[str, Any]:
    """The host's reply to one command, with the round as it stands after it."""
    return {
        "type": "command",
        "version": view.round.version,
        "command": command,
        "changed": changed,
        "round": round_payload(view, "host", now),
    }


# --- round events --------------------------------------------------------------------------------------


def state_frames(view: RoundView, event: Event, now: datetime) -> dict[str, str]:
    """One ``state`` frame per audience for a round event, serialised once each."""
    return {
        audience: dumps(
            {
                "type": "state",
                "version": view.round.version,
                "event": event.name,
                "index": event.index,
                "reason": event.reason,
                "round": round_payload(view, audience, now),
            }
        )
        for audience in AUDIENCES
    }


def deadline_to_watch(state: RoundState) -> int | None:
    """The clock the hubs should close the round at (epoch ms), or None when no clock runs."""
    q = state.question
    if state.phase != Phase.OPEN or q is None or q.paused:
        return None
    return epoch_ms(q.deadline)


def result_frame(
    *,
    version: int,
    question: int,
    outcome: Any,
    score: int,
    rank: int | None,
    streak: int,
    correct_count: int = 0,
    best_streak: int = 0,
) -> str:
    """A contestant's personal result of a revealed question (``outcome``: the engine's, or None), with
    their round so far: exactly right answers and longest run (the phone's summary at the end)."""
    return dumps(
        {
            "type": "result",
            "version": version,
            "question": question,
            "correct": bool(outcome and outcome.correct),
            "answered": outcome is not None,
            "points": outcome.points if outcome else 0,
            "score": score,
            "rank": rank,
            "streak": streak,
            "correct_count": correct_count,
            "best_streak": best_streak,
        }
    )


def contestant_frame(
    *, version: int, event: Literal["joined", "kicked"], contestant: dict[str, Any], participants: int
) -> str:
    """A contestant joined or was removed (hosts and displays)."""
    return dumps(
        {
            "type": "contestant",
            "version": version,
            "event": event,
            "contestant": contestant,
            "participants": participants,
        }
    )


def kicked_frame(version: int) -> str:
    return dumps({"type": "kicked", "version": version, "message": "the host removed you from this round"})


def answered_frame(version: int, question: int, answered: int, participants: int) -> str:
    return dumps(
        {
            "type": "answered",
            "version": version,
            "question": question,
            "answered": answered,
            "participants": participants,
        }
    )


# --- answers -------------------------------------------------------------------------------------------


def ack_frame(
    *, version: int, question: int, choices: list[int], received_at: datetime, duplicate: bool
) -> dict[str, Any]:
    return {
        "type": "ack",
        "version": version,
        "question": question,
        "choices": list(choices),
        "received_at": epoch_ms(received_at),
        "duplicate": duplicate,
    }


# --- refusals and pings --------------------------------------------------------------------------------


def error_frame(exc: Any, *, version: int | None, ref: str | None = None) -> dict[str, Any]:
    """A refusal (ProtocolError, QuizError, IllegalTransition: anything with ``code`` and ``message``)."""
    frame: dict[str, Any] = {"type": "error", "version": version, "code": exc.code, "message": exc.message}
    if getattr(exc, "field", None):
        frame["field"] = exc.field
    if ref:
        frame["ref"] = ref
    if getattr(exc, "retry_after_ms", None) is not None:
        frame["retry_after_ms"] = exc.retry_after_ms
    return frame


def pong_frame(t: float | None, *, server_time: int, version: int | None) -> dict[str, Any]:
    return {"type": "pong", "version": version, "t": t, "server_time": server_time}
