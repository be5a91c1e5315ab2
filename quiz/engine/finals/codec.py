"""A final's state to JSON and back, so the database holds it between commands and across restarts.

Team and judge ids go through unchanged (the services use integer primary keys); points go as strings.
``state_from_data(state_to_data(s)) == s`` for every state the engine builds (tested).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from quiz.engine.finals.buzz import BuzzPhase, BuzzQuestion
from quiz.engine.finals.buzzer import Buzz
from quiz.engine.finals.compulsory import Turn, TurnPhase, TurnState
from quiz.engine.finals.judged import JudgedState
from quiz.engine.finals.scores import Hold
from quiz.engine.finals.stage import StageState
from quiz.engine.finals.sudden_death import SuddenDeathState
from quiz.engine.finals.wager import WagerState

BUZZ_FIELDS = ("team", "seq", "received", "mapped", "press", "offset", "rtt", "bound", "clamped", "early")


def _pairs(items: Any) -> tuple[tuple[Any, Any], ...]:
    return tuple((a, b) for a, b in items)


def buzz_to_data(b: Buzz) -> dict[str, Any]:
    return {name: getattr(b, name) for name in BUZZ_FIELDS}


def buzz_from_data(d: dict[str, Any]) -> Buzz:
    return Buzz(**{name: d[name] for name in BUZZ_FIELDS})


def sub_to_data(sub: Any) -> dict[str, Any] | None:
    if sub is None:
        return None
    if isinstance(sub, BuzzQuestion):
        return {
            "type": "buzz",
            "teams": list(sub.teams),
            "phase": sub.phase.value,
            "opened_at": sub.opened_at,
            "first_received": sub.first_received,
            "buzzes": [buzz_to_data(b) for b in sub.buzzes],
            "lockouts": [list(p) for p in sub.lockouts],
            "out": list(sub.out),
            "answerer": sub.answerer,
            "answer_deadline": sub.answer_deadline,
            "attempts": sub.attempts,
            "closed_reason": sub.closed_reason,
            "decided_at": sub.decided_at,
        }
    if isinstance(sub, TurnState):
        return {
            "type": "turns",
            "turns": [[t.team, t.member] for t in sub.turns],
            "index": sub.index,
            "phase": sub.phase.value,
            "cued_at": sub.cued_at,
            "deadline": sub.deadline,
            "answer": sub.answer,
            "marks": list(sub.marks),
        }
    if isinstance(sub, WagerState):
        return {
            "type": "wager",
            "order": list(sub.order),
            "picks": [list(p) for p in sub.picks],
            "answers": sub_to_data(sub.answers),
        }
    if isinstance(sub, JudgedState):
        return {
            "type": "judged",
            "teams": list(sub.teams),
            "judges": list(sub.judges),
            "recusals": [list(p) for p in sub.recusals],
            "scores": [[j, t, str(v)] for j, t, v in sub.scores],
            "revealed": list(sub.revealed),
        }
    raise TypeError(f"not a segment state: {type(sub).__name__}")


def sub_from_data(d: dict[str, Any] | None) -> Any:
    if d is None:
        return None
    kind = d["type"]
    if kind == "buzz":
        return BuzzQuestion(
            teams=tuple(d["teams"]),
            phase=BuzzPhase(d["phase"]),
            opened_at=d["opened_at"],
            first_received=d["first_received"],
            buzzes=tuple(buzz_from_data(b) for b in d["buzzes"]),
            lockouts=_pairs(d["lockouts"]),
            out=tuple(d["out"]),
            answerer=d["answerer"],
            answer_deadline=d["answer_deadline"],
            attempts=d["attempts"],
            closed_reason=d["closed_reason"],
            decided_at=d.get("decided_at"),
        )
    if kind == "turns":
        return TurnState(
            turns=tuple(Turn(team, member) for team, member in d["turns"]),
            index=d["index"],
            phase=TurnPhase(d["phase"]),
            cued_at=d["cued_at"],
            deadline=d["deadline"],
            answer=d["answer"],
            marks=tuple(d["marks"]),
        )
    if kind == "wager":
        return WagerState(
            order=tuple(d["order"]), picks=_pairs(d["picks"]), answers=sub_from_data(d["answers"])
        )
    if kind == "judged":
        return JudgedState(
            teams=tuple(d["teams"]),
            judges=tuple(d["judges"]),
            recusals=_pairs(d["recusals"]),
            scores=tuple((j, t, Decimal(v)) for j, t, v in d["scores"]),
            revealed=tuple(d["revealed"]),
        )
    raise ValueError(f"unknown segment state type {kind!r}")


def state_to_data(s: StageState) -> dict[str, Any]:
    return {
        "version": s.version,
        "segment": s.segment,
        "question": s.question,
        "kind": s.kind,
        "teams": list(s.teams),
        "sub": sub_to_data(s.sub),
        "hold": {
            "held": s.hold.held,
            "at_seq": s.hold.at_seq,
            "reason": s.hold.reason,
            "ruling": s.hold.ruling,
        },
        "sudden": None
        if s.sudden is None
        else {
            "remaining": list(s.sudden.remaining),
            "top": list(s.sudden.top),
            "bottom": list(s.sudden.bottom),
            "questions": s.sudden.questions,
        },
        "pool": s.pool,
        "finished": s.finished,
    }


def state_from_data(d: dict[str, Any] | None) -> StageState:
    if not d:
        return StageState()
    sd = d.get("sudden")
    return StageState(
        version=d["version"],
        segment=d["segment"],
        question=d["question"],
        kind=d["kind"],
        teams=tuple(d["teams"]),
        sub=sub_from_data(d["sub"]),
        hold=Hold(**d["hold"]),
        sudden=None
        if sd is None
        else SuddenDeathState(
            remaining=tuple(sd["remaining"]),
            top=tuple(sd["top"]),
            bottom=tuple(sd["bottom"]),
            questions=sd["questions"],
        ),
        pool=d.get("pool", 0),
        finished=d["finished"],
    )
