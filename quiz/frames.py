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

from quiz.engine import clock
from quiz.engine.rounds import Event, Phase, QuestionState, RoundState, allowed_commands
from quiz.engine.typed import TYPED_KINDS
from quiz.models import Contestant, RoundQuestion
from quiz.selectors import RoundView, question_state, round_state

Audience = Literal["contestant", "display", "host"]
AUDIENCES: tuple[Audience, ...] = ("contestant", "display", "host")


def dumps(frame: dict[str, Any]) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


def epoch_ms(moment: datetime | None) -> int | None:
    """Whole epoch milliseconds, rounded down (``quiz.engine.clock``), or None."""
    return None if moment is None else clock.epoch_ms(moment)


def time_factor_value(percent: int) -> int | float:
    """A time factor as the protocol writes it: 1, 1.5 or 2."""
    return percent // 100 if percent % 100 == 0 else percent / 100


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
        "remaining_ms": clock.whole_ms(state.remaining(now)),
        "extra_ms": clock.whole_ms(state.longest_extra),
        "paused": state.paused,
        "voided": q.voided,
        "image": question_image(q),
    }
    typed = q.kind in TYPED_KINDS
    if q.kind == "numerical":
        payload["unit"] = q.unit  # shown beside the keypad: part of the question, not of the key
    revealed = q.revealed_at is not None
    if audience == "host" or revealed:
        payload["correct"] = list(q.correct)
        payload["explanation"] = q.explanation
        if typed:
            payload["key"] = typed_key_payload(q)
    closed = q.closed_at is not None
    if audience == "host" or (closed and audience == "display") or revealed:
        payload["distribution"] = list(view.distribution)
    # The most common typed answers say which is right, so only the host sees them before the reveal.
    if typed and (audience == "host" or revealed):
        payload["answers"] = [
            {"answer": row.answer, "count": row.count, "correct": row.correct} for row in view.common
        ]
    if audience != "contestant" or revealed:
        payload["answered"] = view.answered  # contestants: with the distribution, for shares of people
    return payload


def typed_key_payload(q: RoundQuestion) -> dict[str, Any]:
    """The key of a typed question as the host and the reveal show it."""
    if q.kind == "short":
        return {"accepted": list(q.accepted_answers or [])}
    return {"value": q.numeric_value, "tolerance": q.tolerance or 0, "unit": q.unit}


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
                "kind": q.kind,
                "stem": q.stem,
                "choices": list(q.choices),
                "correct": list(q.correct),
                **({"key": typed_key_payload(q)} if q.kind in TYPED_KINDS else {}),
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


def own_clock(question: QuestionState | None, contestant_id: int, now: datetime) -> dict[str, Any]:
    """The contestant's own deadline and time left on the current question (extended time included)."""
    if question is None or question.opened_at is None:
        return {"deadline": None, "remaining_ms": 0}
    running = question.closed_at is None and not question.paused and question.deadline is not None
    own = question.deadline + question.extra(contestant_id) if running and question.deadline else None
    return {
        "deadline": epoch_ms(own),
        "remaining_ms": clock.whole_ms(question.remaining(now, contestant_id)),
    }


def me_payload(
    contestant: Contestant, answer: dict[str, Any] | None, question: QuestionState | None, now: datetime
) -> dict[str, Any]:
    """A contestant's own standing, their stored answer to the current question (or None), their time
    factor and their own clock on the current question."""
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
            **({"text": answer["text"]} if answer.get("text") else {}),
            "received_at": epoch_ms(answer["received_at"]),
        },
        "time_factor": time_factor_value(contestant.time_factor),
        **own_clock(question, contestant.id, now),
    }


def welcome_frame(
    view: RoundView, contestant: Contestant, token: str, answer: dict[str, Any] | None, now: datetime
) -> dict[str, Any]:
    return {
        "type": "welcome",
        "version": view.round.version,
        "token": token,
        "round": round_payload(view, "contestant", now),
        "me": me_payload(
            contestant, answer, question_state(view.current) if view.current is not None else None, now
        ),
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
    return epoch_ms(q.closes_at)


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
    correct_time_ms: int = 0,
) -> str:
    """A contestant's personal result of a revealed question (``outcome``: the engine's, or None), with
    their round so far (exactly right answers, longest run: the phone's summary at the end) and the
    exact whole-ms quantities the points and the tie-breaks used."""
    return dumps(
        {
            "type": "result",
            "version": version,
            "question": question,
            "correct": bool(outcome and outcome.correct),
            "answered": outcome is not None,
            "points": outcome.points if outcome else 0,
            "elapsed_ms": outcome.elapsed_ms if outcome else None,
            "time_limit_ms": outcome.time_limit_ms if outcome else None,
            "score": score,
            "rank": rank,
            "streak": streak,
            "correct_count": correct_count,
            "best_streak": best_streak,
            "correct_time_ms": correct_time_ms,
        }
    )


def time_factor_frame(*, version: int, percent: int) -> str:
    """The contestant's time factor changed: it applies from the next question opened."""
    return dumps({"type": "time_factor", "version": version, "time_factor": time_factor_value(percent)})


def contestant_frame(
    *,
    version: int,
    event: Literal["joined", "kicked", "time_factor"],
    contestant: dict[str, Any],
    participants: int,
) -> str:
    """A contestant joined, was removed, or had their time factor changed (hosts and displays)."""
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
    *,
    version: int,
    question: int,
    choices: list[int],
    received_at: datetime,
    duplicate: bool,
    text: str = "",
) -> dict[str, Any]:
    """The stored answer: its choices, or (a typed answer) empty choices and the text as stored."""
    frame = {
        "type": "ack",
        "version": version,
        "question": question,
        "choices": list(choices),
        "received_at": epoch_ms(received_at),
        "duplicate": duplicate,
    }
    if text:
        frame["text"] = text
    return frame


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
