"""Every write to a live final: one transaction per command, persisted with a conditional update on
``Final.version``, score events and buzzes appended in the same transaction, frames published on commit.

Who may do what: the host (``quiz.finals.commands``) commands; a captain's signed link
(``quiz.finals.links``) buzzes, wagers and answers for its team; a judge's link scores (科普讲解) and
marks answers as the host does, except those of a team it is recused from. Members' links only watch.
A command whose effect already holds (a key pressed twice) changes nothing and the reply says
``changed: false``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from channels.db import database_sync_to_async
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from quiz import broadcast, hooks
from quiz.engine.finals import codec, stage
from quiz.engine.finals.buzzer import Buzz, ClockEstimate, map_press
from quiz.engine.finals.common import Award, FinalsError, Mark, Step
from quiz.engine.finals.scores import ScoreEvent, next_seq
from quiz.engine.finals.script import script_pin
from quiz.finals.frames import final_frames
from quiz.finals.models import Final, FinalBuzz, FinalJudgeScore, FinalScoreEvent
from quiz.finals.selectors import Loaded, current_question_kind, final_load
from quiz.models import Round, RoundLog
from quiz.services.errors import QuizError

logger = logging.getLogger(__name__)

BOUND_TTL = 120  # seconds a socket's one-way bound is remembered for the buzz window


def now_ms() -> float:
    return timezone.now().timestamp() * 1000


# --- applying a command --------------------------------------------------------------------------------


@dataclass
class Outcome:
    version: int
    changed: bool
    events: tuple[str, ...]
    state: stage.StageState
    detail: dict[str, Any]


def refusal(exc: FinalsError) -> QuizError:
    return QuizError(exc.code, exc.message)


def apply_command(
    final_id: int,
    step_fn: Callable[[Loaded], Step],
    *,
    action: str,
    actor: str,
    now: datetime,
    user=None,
    detail: dict[str, Any] | None = None,
    after: Callable[[Loaded, stage.StageState, Step], dict[str, Any] | None] | None = None,
) -> Outcome:
    """Run one engine command and persist it if it changed anything. Call outside a transaction."""
    for _attempt in range(5):
        with transaction.atomic():
            loaded = final_load(final_id)
            if loaded.state.finished and action != "finish":
                raise QuizError("final_finished", "the final has finished")
            try:
                step = step_fn(loaded)
            except FinalsError as exc:
                raise refusal(exc) from None
            if not step.events:
                return Outcome(loaded.state.version, False, (), loaded.state, {})
            new = step.state
            fields: dict[str, Any] = {"version": new.version, "state": codec.state_to_data(new)}
            if "final.started" in step.events:
                fields["script"] = script_pin(loaded.script).to_data()
                fields["started_at"] = now
            if "final.finished" in step.events:
                fields["finished_at"] = now
            if "sudden_death.decided" in step.events and new.sudden is not None:
                fields["sudden_death"] = list(new.sudden.order())
            won = Final.objects.filter(pk=final_id, version=loaded.final.version).update(**fields)
            if not won:
                continue  # another process moved the final first: decide again on what it did
            events = _log_scores(loaded, new, step, actor=actor, now=now)
            extra = after(loaded, new, step) if after else None
            RoundLog.objects.create(
                round_id=loaded.final.round_id,
                version=new.version,
                action=action,
                actor=user,
                at=now,
                detail={**(detail or {}), "by": actor, "events": list(step.events)},
            )
            if "final.finished" in step.events:
                Round.objects.filter(pk=loaded.final.round_id).update(phase="finished", finished_at=now)
                round_id = loaded.final.round_id
                transaction.on_commit(lambda rid=round_id: hooks.send_round_finished(rid))
            for name, value in fields.items():
                setattr(loaded.final, name, value)
            after_load = Loaded(
                loaded.final, loaded.script, new, loaded.teams, loaded.judges, loaded.events + events
            )
            if "final.started" in step.events:
                after_load.script = script_pin(loaded.script)
            message = broadcast.round_message(
                version=new.version, frames=final_frames(after_load, step.events)
            )
            broadcast.publish_on_commit(loaded.final.round_id, message)
            return Outcome(new.version, True, step.events, new, extra or {})
    raise QuizError("busy", "the final changed several times at once; try again")


def _log_scores(
    loaded: Loaded, new: stage.StageState, step: Step, *, actor: str, now: datetime
) -> list[ScoreEvent]:
    seq = next_seq(loaded.events)
    segment, question = loaded.state.question_key
    events = []
    for award in step.awards:
        if isinstance(award, ScoreEvent):
            event = replace(award, seq=seq)
        else:
            assert isinstance(award, Award)
            event = ScoreEvent(
                seq=seq,
                team=award.team,
                points=award.points,
                reason=award.reason,
                rule_version=loaded.script.rule_version,
                actor=actor,
                segment=segment,
                question=question,
            )
        events.append(event)
        seq += 1
    FinalScoreEvent.objects.bulk_create(
        FinalScoreEvent(
            final_id=loaded.final.id,
            seq=e.seq,
            team_id=e.team,
            points=e.points,
            reason=e.reason,
            rule_version=e.rule_version,
            actor=e.actor[:120],
            segment=e.segment,
            question=e.question,
            undoes=e.undoes,
            note=e.note,
            version=new.version,
            at=now,
        )
        for e in events
    )
    return events


# --- the buzzer's clocks -------------------------------------------------------------------------------


def _bound_key(final_id: int, team_id: int) -> str:
    return f"quiz:final:{final_id}:bound:{team_id}"


async def aclock_record(*, final_id: int, team_id: int, clock: ClockEstimate) -> None:
    """Remember a captain socket's one-way bound (shared by every process through the cache)."""
    await cache.aset(_bound_key(final_id, team_id), clock.bound, BOUND_TTL)


def _bounds(final_id: int, team_ids: tuple[int, ...]) -> dict[int, float]:
    got = cache.get_many([_bound_key(final_id, t) for t in team_ids])
    return {t: float(got.get(_bound_key(final_id, t), 0.0)) for t in team_ids}


def settle_first(loaded: Loaded, now: float) -> Step:
    """The final after any due settle (window passed, or no buzz in time): commands see it settled."""
    return stage.settle(
        loaded.state, loaded.script, now=now, bounds=_bounds(loaded.final.id, loaded.team_ids)
    )


def _then(first: Step, fn: Callable[[stage.StageState], Step]) -> Step:
    second = fn(first.state)
    return Step(second.state, first.awards + second.awards, first.events + second.events)


def final_settle(*, final_id: int, now: datetime | None = None) -> int | None:
    """Decide a buzz order whose window has passed, or close a question nobody buzzed on; any process may
    call this any time (a conditional update makes it happen once). Returns the next due time (epoch ms)."""
    now = now or timezone.now()
    ms = now.timestamp() * 1000
    apply_command(final_id, lambda loaded: settle_first(loaded, ms), action="settle", actor="clock", now=now)
    return settle_due(final_id)


def settle_due(final_id: int) -> int | None:
    """When the final's buzzer question next needs a settle (epoch ms), or None."""
    loaded = final_load(final_id)
    due = stage.settle_due_at(loaded.state, loaded.script, bounds=_bounds(final_id, loaded.team_ids))
    return None if due is None else int(due)


asettle = database_sync_to_async(final_settle)


# --- captains -------------------------------------------------------------------------------------------


def buzz_submit(
    *, final_id: int, team_id: int, press_ms: float | None, clock: ClockEstimate, received_ms: float
) -> dict[str, Any]:
    """A captain's press: mapped to the server clock and judged by the rules; returns the ``buzz.ack``."""
    now = timezone.now()
    stamp = received_ms if press_ms is None else press_ms
    mapped = map_press(press=stamp, received=received_ms, clock=clock) if press_ms is not None else None
    buzz = Buzz(
        team=team_id,
        seq=0,
        received=received_ms,
        mapped=received_ms if mapped is None else mapped.mapped,
        press=press_ms,
        offset=clock.offset,
        rtt=clock.rtt,
        bound=clock.bound,
        clamped=bool(mapped and mapped.clamped),
    )

    def step(loaded: Loaded) -> Step:
        settled = settle_first(loaded, received_ms)
        return _then(settled, lambda s: stage.press(s, loaded.script, buzz=buzz, now=received_ms))

    def record(loaded: Loaded, new: stage.StageState, _step: Step) -> dict[str, Any]:
        stored = new.sub.buzzes[-1]
        rules = stage.buzzer_rules(loaded.script, new)
        segment, question = new.question_key
        FinalBuzz.objects.create(
            final_id=final_id,
            version=new.version,
            segment=segment,
            question=question,
            team_id=team_id,
            seq=stored.seq,
            early=stored.early,
            received_ms=stored.received,
            press_ms=stored.press,
            offset_ms=stored.offset,
            rtt_ms=stored.rtt,
            bound_ms=stored.bound,
            mapped_ms=stored.mapped,
            clamped=stored.clamped,
            window_ms=rules.window_ms,
            window_max_ms=rules.window_max_ms,
            at=now,
        )
        due = stage.settle_due_at(new, loaded.script, bounds=_bounds(final_id, loaded.team_ids))
        return {"early": stored.early, "mapped_ms": stored.mapped, "clamped": stored.clamped, "due_at": due}

    outcome = apply_command(
        final_id,
        step,
        action="buzz",
        actor=f"team:{team_id}",
        now=now,
        detail={"team": team_id},
        after=record,
    )
    d = outcome.detail
    return {
        "type": "buzz.ack",
        "version": outcome.version,
        "status": "early" if d.get("early") else "accepted",
        "received_ms": int(received_ms),
        "mapped_ms": round(d.get("mapped_ms", buzz.mapped), 1),
        "clamped": d.get("clamped", False),
        "settle_at": None if d.get("due_at") is None else int(d["due_at"]),
    }


abuzz_submit = database_sync_to_async(buzz_submit)


def wager_submit(*, final_id: int, team_id: int, tier: int) -> dict[str, Any]:
    outcome = apply_command(
        final_id,
        lambda loaded: stage.wager_pick(loaded.state, loaded.script, team=team_id, tier=tier),
        action="wager",
        actor=f"team:{team_id}",
        now=timezone.now(),
        detail={"team": team_id, "tier": tier},
    )
    return reply_frame("wager", outcome)


awager_submit = database_sync_to_async(wager_submit)


def answer_submit(*, final_id: int, team_id: int, choice: Any, received_ms: float) -> dict[str, Any]:
    outcome = apply_command(
        final_id,
        lambda loaded: stage.answer(loaded.state, team=team_id, choice=choice, received=received_ms),
        action="answer",
        actor=f"team:{team_id}",
        now=timezone.now(),
        detail={"team": team_id, "choice": choice},
    )
    return reply_frame("answer", outcome)


aanswer_submit = database_sync_to_async(answer_submit)


# --- judges ---------------------------------------------------------------------------------------------


def judge_score_submit(*, final_id: int, judge_id: int, team_id: int, value: Any) -> dict[str, Any]:
    now = timezone.now()

    def record(loaded: Loaded, new: stage.StageState, _step: Step) -> None:
        score = new.sub.scores_of(team_id)[judge_id]
        FinalJudgeScore.objects.create(
            final_id=final_id, segment=new.segment, judge_id=judge_id, team_id=team_id, value=score, at=now
        )

    outcome = apply_command(
        final_id,
        lambda loaded: stage.judge_score(
            loaded.state, loaded.script, judge=judge_id, team=team_id, value=value
        ),
        action="judge_score",
        actor=f"judge:{judge_id}",
        now=now,
        detail={"judge": judge_id, "team": team_id, "value": str(value)},
        after=record,
    )
    return reply_frame("score", outcome)


ajudge_score_submit = database_sync_to_async(judge_score_submit)


def judge_mark_submit(*, final_id: int, judge_id: int, result: str, attempt: int) -> dict[str, Any]:
    """A judge marks the answer on stage, as the host would (``attempt`` names the buzzer attempt or the
    turn); refused for a team the judge is recused from. Marked already (by anyone): ``changed: false``."""
    now = timezone.now()
    ms = now.timestamp() * 1000

    def step(loaded: Loaded) -> Step:
        settled = settle_first(loaded, ms)
        return _then(
            settled,
            lambda s: stage.judge_mark(
                s,
                loaded.script,
                loaded.context(),
                judge=judge_id,
                result=Mark(result),
                attempt=attempt,
                now=ms,
                question_kind=current_question_kind(loaded),
            ),
        )

    outcome = apply_command(
        final_id,
        step,
        action="mark",
        actor=f"judge:{judge_id}",
        now=now,
        detail={"judge": judge_id, "result": result, "index": attempt},
    )
    return reply_frame("mark", outcome)


ajudge_mark_submit = database_sync_to_async(judge_mark_submit)


def reply_frame(ref: str, outcome: Outcome) -> dict[str, Any]:
    return {"type": "final.reply", "version": outcome.version, "ref": ref, "changed": outcome.changed}
