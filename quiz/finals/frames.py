"""What each audience of a final is sent: one ``final`` frame per change, built once per audience.

- ``screen`` and ``team`` (captains' and members' phones): the public view. Scores as the board shows
  them (frozen during a hold), the question's stem and choices (the reference answer only once the
  question is closed), buzzes in order without evidence, judges' scores only once revealed.
- ``judge``: the public view plus the panel: judges, recusals, who has scored whom (not the values), and
  the question's key and reference answer, since judges mark spoken answers.
- ``host``: everything: the script, the key and reference answer, every buzz with its evidence, the score
  event log, judges' scores.
"""

from __future__ import annotations

from typing import Any

from quiz import frames as quiz_frames
from quiz.engine.finals import buzz as bq
from quiz.engine.finals.compulsory import TurnState
from quiz.engine.finals.judged import JudgedState, judged_points
from quiz.engine.finals.ranking import final_ranking
from quiz.engine.finals.script import Kind
from quiz.engine.finals.stage import SUDDEN, buzzer_rules, mark_recused
from quiz.engine.finals.wager import WagerState
from quiz.finals.models import FinalBuzz, FinalQuestion
from quiz.finals.selectors import Loaded, current_question

# In the order the hub writes them: the few sockets of the stage (host, judges, captains) before the
# audience's screens, so the host and the phones never wait behind thousands of screen writes.
AUDIENCES = ("host", "judge", "team", "screen")


def _num(value: Any) -> float:
    return float(value)


def _question(q: FinalQuestion | None, *, closed: bool, host: bool) -> dict[str, Any] | None:
    if q is None:
        return None
    view: dict[str, Any] = {"id": q.id, "kind": q.kind, "stem": q.stem, "choices": list(q.choices)}
    if host or closed:
        view["correct"] = list(q.correct)
        view["reference_answer"] = q.reference_answer
        view["explanation"] = q.explanation
    return view


def _closed(sub: Any) -> bool:
    if isinstance(sub, bq.BuzzQuestion):
        return sub.phase is bq.BuzzPhase.CLOSED
    if isinstance(sub, TurnState):
        return sub.phase.value == "marked"
    if isinstance(sub, WagerState):
        return sub.answers is not None and sub.answers.phase.value == "marked"
    return False


def _turns(sub: TurnState) -> dict[str, Any]:
    turn = sub.turn
    return {
        "type": "turns",
        "index": sub.index,
        "count": len(sub.turns),
        "team": None if turn is None else turn.team,
        "member": None if turn is None else turn.member,
        "phase": sub.phase.value,
        "cued_at": sub.cued_at,
        "deadline": sub.deadline,
        "answered": sub.answer is not None,
        "answer": sub.answer,
        "marks": list(sub.marks),
    }


def _segment_view(loaded: Loaded, *, host: bool) -> dict[str, Any] | None:
    state, script = loaded.state, loaded.script
    sub = state.sub
    if sub is None:
        return None
    if isinstance(sub, bq.BuzzQuestion):
        rules = buzzer_rules(script, state)
        decided = sub.phase in (bq.BuzzPhase.ANSWERING, bq.BuzzPhase.CLOSED) and sub.attempts > 0
        order = [b.team for b in sub.order()] if decided else []
        return {
            "type": "buzz",
            "phase": sub.phase.value,
            "opened_at": sub.opened_at,
            "open_until": None if sub.opened_at is None else sub.opened_at + rules.open_seconds * 1000,
            "buzzed": [b.team for b in sub.buzzes if not b.early],
            "early": [b.team for b in sub.buzzes if b.early],
            "order": order,
            "out": list(sub.out),
            "locked_until": {str(t): until for t, until in sub.lockouts},
            "answerer": sub.answerer,
            "answer_deadline": sub.answer_deadline,
            "attempt": sub.attempts,
            "closed_reason": sub.closed_reason,
            "right": rules.right,
            "wrong": rules.wrong,
        }
    if isinstance(sub, TurnState):
        return _turns(sub)
    if isinstance(sub, WagerState):
        rules = script.segments[state.segment].rules
        return {
            "type": "wager",
            "order": list(sub.order),
            "picks": {str(t): tier for t, tier in sub.picks},
            "picking": sub.picking,
            "tiers": list(rules.tiers),
            "tiers_left": list(sub.tiers_left(rules)),
            "answers": None if sub.answers is None else _turns(sub.answers),
        }
    if isinstance(sub, JudgedState):
        rules = script.segments[state.segment].rules
        teams = {}
        for team in sub.teams:
            got = sub.scores_of(team)
            entry: dict[str, Any] = {"scored": len(got), "panel": len(sub.panel(team))}
            if team in sub.revealed or host:
                entry["scores"] = {str(j): _num(v) for j, v in got.items()}
            if team in sub.revealed:
                entry["points"] = _num(judged_points(list(got.values()), rules))
            teams[str(team)] = entry
        return {
            "type": "judged",
            "presenter": sub.teams[state.question] if state.question < len(sub.teams) else None,
            "low": rules.low,
            "high": rules.high,
            "teams": teams,
            "revealed": list(sub.revealed),
        }
    return None


_UNREAD = object()


def final_view(loaded: Loaded, audience: str, question: Any = _UNREAD) -> dict[str, Any]:
    """The final as ``audience`` sees it. ``question``: the question on stage, if the caller read it
    already (one read for every audience's frame)."""
    host = audience == "host"
    if question is _UNREAD:
        question = current_question(loaded)
    final, state, script = loaded.final, loaded.state, loaded.script
    board = loaded.board() if host else loaded.board_shown()
    segment = None
    if state.started and state.kind != SUDDEN:
        seg = script.segments[state.segment]
        segment = {"index": state.segment, "kind": seg.kind.value, "title": seg.title}
    elif state.kind == SUDDEN:
        segment = {"index": state.segment, "kind": Kind.SUDDEN_DEATH.value, "title": "加赛"}
    view: dict[str, Any] = {
        "id": final.id,
        "pin": final.round.pin,
        "title": final.round.title,
        "stage": final.stage,
        "started": state.started,
        "finished": state.finished,
        "segments": [{"kind": s.kind.value, "title": s.title} for s in script.segments],
        "segment": segment,
        "question_index": state.question,
        "question": _question(question, closed=_closed(state.sub), host=audience in ("host", "judge")),
        "participants": list(state.teams),
        "play": _segment_view(loaded, host=host),
        "teams": [
            {
                "id": t.id,
                "seed": t.seed,
                "name": t.name,
                "district": t.district,
                "unit": t.unit,
                "members": list(t.members),
                "score": _num(board[t.id]),
            }
            for t in loaded.teams
        ],
        "hold": {"held": state.hold.held, "reason": state.hold.reason, "ruling": state.hold.ruling},
        "sudden_death": None
        if state.sudden is None
        else {
            "teams": list(state.sudden.order()) if state.sudden.finished else list(state.teams),
            "order": list(state.sudden.order()) if state.sudden.finished else None,
            "top": list(state.sudden.top),
            "bottom": list(state.sudden.bottom),
        },
        "ranking": [
            {"place": p, "team": t, "score": _num(s)}
            for p, t, s in final_ranking(board, list(final.sudden_death))
        ]
        if state.finished
        else None,
    }
    if audience in ("judge", "host"):
        view["judges"] = [
            {"id": j.id, "name": j.name, "district": j.district, "unit": j.unit} for j in loaded.judges
        ]
        sub = state.sub
        if isinstance(sub, JudgedState):
            view["recusals"] = [list(p) for p in sub.recusals]
        else:  # who may not mark whose answers (the same rule, by the script's 科普讲解 rules)
            ctx = loaded.context()
            view["recusals"] = [
                [j.id, t.id]
                for j in loaded.judges
                for t in loaded.teams
                if mark_recused(script, ctx, judge=j.id, team=t.id)
            ]
    if host:
        view["script"] = script.to_data()
        view["rule_version"] = script.rule_version
        view["score_events"] = [
            {
                "seq": e.seq,
                "team": e.team,
                "points": _num(e.points),
                "reason": e.reason,
                "actor": e.actor,
                "segment": e.segment,
                "question": e.question,
                "undoes": e.undoes,
                "note": e.note,
                "rule_version": e.rule_version,
            }
            for e in loaded.events
        ]
        view["buzzes"] = _evidence(loaded)
    return view


def _evidence(loaded: Loaded) -> list[dict[str, Any]]:
    """The current question's buzzes with their evidence, in fair order (early ones last)."""
    state = loaded.state
    if not isinstance(state.sub, bq.BuzzQuestion):
        return []
    segment, question = state.question_key
    rows = FinalBuzz.objects.filter(final_id=loaded.final.id, segment=segment, question=question)
    ordered = sorted(rows, key=lambda r: (r.early, r.mapped_ms, r.received_ms, r.seq))
    return [
        {
            "team": r.team_id,
            "seq": r.seq,
            "early": r.early,
            "received_ms": r.received_ms,
            "press_ms": r.press_ms,
            "offset_ms": r.offset_ms,
            "rtt_ms": r.rtt_ms,
            "bound_ms": r.bound_ms,
            "mapped_ms": r.mapped_ms,
            "clamped": r.clamped,
            "window_ms": r.window_ms,
            "window_max_ms": r.window_max_ms,
        }
        for r in ordered
    ]


def final_frame(
    loaded: Loaded, audience: str, events: tuple[str, ...] = (), question: Any = _UNREAD
) -> dict[str, Any]:
    return {
        "type": "final",
        "version": loaded.state.version,
        "audience": audience,
        "events": list(events),
        "final": final_view(loaded, audience, question),
    }


def final_frames(loaded: Loaded, events: tuple[str, ...]) -> dict[str, str]:
    """Each audience's frame, serialised once (hub audiences are ``final.<audience>``); the question on
    stage is read once for all of them."""
    question = current_question(loaded)
    return {f"final.{a}": quiz_frames.dumps(final_frame(loaded, a, events, question)) for a in AUDIENCES}
