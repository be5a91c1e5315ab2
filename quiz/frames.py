"""Outbound frame payloads per audience, built from a ``RoundView``.

The one rule that must never break lives here: nothing for a contestant or a display carries the key
(``correct``) or the explanation of a question before it is revealed. The host sees everything.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from quiz.engine.rounds import Phase
from quiz.models import RoundQuestion
from quiz.selectors import RoundView, question_state

Audience = Literal["contestant", "display", "host"]
AUDIENCES: tuple[Audience, ...] = ("contestant", "display", "host")


def epoch_ms(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


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
    if audience != "contestant":
        payload["answered"] = view.answered
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
        state_next = None
        start = 0 if r.current_index is None else r.current_index + 1
        for q in view.questions[start:]:
            if not q.skipped:
                state_next = q.position
                break
        payload["next"] = state_next
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
