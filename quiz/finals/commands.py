"""The host's commands on a final, the script edit before the start, and the first frame of each socket."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from channels.db import database_sync_to_async
from django.db import transaction
from django.utils import timezone

from quiz import broadcast
from quiz.engine.finals import codec, stage
from quiz.engine.finals.common import FinalsError, Mark, Step
from quiz.engine.finals.scores import next_seq, undo
from quiz.engine.finals.script import script_edit
from quiz.finals.frames import final_frame, final_frames
from quiz.finals.links import judge_identity, team_identity
from quiz.finals.models import Final
from quiz.finals.selectors import Loaded, current_question_kind, final_id_for_pin, final_load
from quiz.finals.services import apply_command, final_settle, refusal, reply_frame, settle_due, settle_first
from quiz.models import RoundLog
from quiz.services.errors import QuizError
from quiz.services.rounds import access_round_as_host


def _host_step(command, now_ms_: float) -> Callable[[Loaded], Step]:
    action = command.action

    def step(loaded: Loaded) -> Step:
        s, script = loaded.state, loaded.script
        settled = (
            settle_first(loaded, now_ms_) if action not in ("start", "undo", "hold", "release") else Step(s)
        )
        s = settled.state
        if action == "start":
            nxt = stage.start(s, script, loaded.context())
        elif action == "next_segment":
            nxt = stage.segment_next(s, script, _context_at(loaded, settled), index=command.index)
        elif action == "next_question":
            nxt = stage.question_next(s, script, index=command.index)
        elif action == "cue":
            nxt = stage.cue(s, script, now=now_ms_)
        elif action == "mark":
            nxt = stage.mark(
                s,
                script,
                result=Mark(command.result),
                attempt=command.index,
                now=now_ms_,
                question_kind=current_question_kind(loaded),
            )
        elif action == "close":
            nxt = stage.close_question(s)
        elif action == "hold":
            nxt = stage.hold(s, last_seq=next_seq(loaded.events) - 1, reason=command.text)
        elif action == "release":
            nxt = stage.release(s, ruling=command.text)
        elif action == "sudden_death":
            nxt = stage.sudden_death_start(s, teams=tuple(command.teams))
        elif action == "finish":
            nxt = stage.finish(s)
        elif action == "undo":
            nxt = _undo_step(loaded, command)
        else:  # pragma: no cover - the protocol admits only the actions above
            raise FinalsError("unknown_type", f"unknown command {action}")
        return Step(nxt.state, settled.awards + nxt.awards, settled.events + nxt.events)

    return step


def _context_at(loaded: Loaded, settled: Step) -> stage.Context:
    ctx = loaded.context()
    if not settled.awards:
        return ctx
    board = dict(ctx.board)
    for award in settled.awards:
        board[award.team] = board.get(award.team, 0) + award.points
    return replace(ctx, board=board)


def _undo_step(loaded: Loaded, command) -> Step:
    if any(e.undoes == command.index for e in loaded.events):
        return Step(loaded.state)  # undone already: the key pressed twice acts once
    event = undo(
        loaded.events,
        seq=command.index,
        note=command.text,
        actor="host",
        rule_version=loaded.script.rule_version,
    )
    state = replace(loaded.state, version=loaded.state.version + 1)
    return Step(state, awards=(event,), events=("score.undone",))


def final_command(*, user, final_id: int, command, now: datetime | None = None) -> dict[str, Any]:
    """Carry out a host command on a final; returns the ``final.reply`` frame."""
    now = now or timezone.now()
    final = Final.objects.filter(pk=final_id).only("round_id").first()
    if final is None:
        raise QuizError("final_not_found", "no such final")
    access_round_as_host(user=user, round_id=final.round_id)
    if command.action == "script":
        return _script_edit(final_id, command.script, user=user, now=now)
    actor = f"host:{getattr(user, 'username', '')}"
    fields = {name: getattr(command, name) for name in ("index", "result", "text", "teams")}
    detail = {k: list(v) if isinstance(v, tuple) else v for k, v in fields.items() if v not in (None, "", ())}
    outcome = apply_command(
        final_id,
        _host_step(command, now.timestamp() * 1000),
        action=command.action,
        actor=actor,
        now=now,
        user=user,
        detail=detail,
    )
    frame = reply_frame(command.action, outcome)
    frame["settle_at"] = settle_due(final_id)
    return frame


afinal_command = database_sync_to_async(final_command)


def final_script_edit(
    *,
    user,
    final_id: int,
    data: Mapping[str, Any],
    expected_rule_version: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Replace a final's script before the match starts (the host's ``script`` command and the script
    page both come here). ``expected_rule_version``: the version the editor started from; if the script
    changed meanwhile the edit is refused with ``script_stale`` rather than overwrite the other change."""
    final = Final.objects.filter(pk=final_id).only("round_id").first()
    if final is None:
        raise QuizError("final_not_found", "no such final")
    access_round_as_host(user=user, round_id=final.round_id)
    return _script_edit(
        final_id, data, user=user, now=now or timezone.now(), expected_rule_version=expected_rule_version
    )


def _script_edit(
    final_id: int,
    data: Mapping[str, Any],
    *,
    user,
    now: datetime,
    expected_rule_version: int | None = None,
) -> dict[str, Any]:
    with transaction.atomic():
        final = Final.objects.select_for_update().get(pk=final_id)
        loaded = final_load(final_id)
        if loaded.state.started:
            raise QuizError("script_pinned", "The match has started: its script can no longer change.")
        if expected_rule_version is not None and expected_rule_version != loaded.script.rule_version:
            raise QuizError(
                "script_stale",
                f"The script was changed meanwhile (now rule version {loaded.script.rule_version}).",
            )
        try:
            new = script_edit(loaded.script, data)
        except FinalsError as exc:
            raise refusal(exc) from None
        final.script = new.to_data()
        final.version = loaded.state.version + 1
        final.state = codec.state_to_data(replace(loaded.state, version=final.version))
        final.save(update_fields=["script", "version", "state"])
        RoundLog.objects.create(
            round_id=final.round_id,
            version=final.version,
            action="script",
            actor=user,
            at=now,
            detail={"rule_version": new.rule_version},
        )
        after_load = final_load(final_id)
        message = broadcast.round_message(
            version=final.version, frames=final_frames(after_load, ("script.changed",))
        )
        broadcast.publish_on_commit(final.round_id, message)
    return {"type": "final.reply", "version": final.version, "ref": "script", "changed": True}


# --- snapshots ------------------------------------------------------------------------------------------


def final_snapshot(*, final_id: int, audience: str) -> dict[str, Any]:
    """What a socket is sent first (after any settle that fell due while nobody was watching)."""
    try:
        final_settle(final_id=final_id)
    except QuizError as exc:
        if exc.code != "final_finished":
            raise
    return final_frame(final_load(final_id), audience)


afinal_snapshot = database_sync_to_async(final_snapshot)


def host_final_snapshot(*, user, final_id: int) -> dict[str, Any]:
    final = Final.objects.filter(pk=final_id).only("round_id").first()
    if final is None:
        raise QuizError("final_not_found", "no such final")
    access_round_as_host(user=user, round_id=final.round_id)
    return final_snapshot(final_id=final_id, audience="host")


ahost_final_snapshot = database_sync_to_async(host_final_snapshot)


def final_round_id(*, final_id: int) -> int:
    final = Final.objects.filter(pk=final_id).only("round_id").first()
    if final is None:
        raise QuizError("final_not_found", "no such final")
    return final.round_id


afinal_round_id = database_sync_to_async(final_round_id)


def team_session(*, token: str) -> dict[str, Any]:
    """The team link's final, round, team and role, and its first frame (with ``me``)."""
    final_id, team_id, role = team_identity(token)
    frame = final_snapshot(final_id=final_id, audience="team")
    frame["me"] = {"team": team_id, "role": role}
    return {
        "final_id": final_id,
        "round_id": final_round_id(final_id=final_id),
        "team_id": team_id,
        "role": role,
        "frame": frame,
    }


ateam_session = database_sync_to_async(team_session)


def judge_session(*, token: str) -> dict[str, Any]:
    final_id, judge_id = judge_identity(token)
    frame = final_snapshot(final_id=final_id, audience="judge")
    frame["me"] = {"judge": judge_id}
    return {
        "final_id": final_id,
        "round_id": final_round_id(final_id=final_id),
        "judge_id": judge_id,
        "frame": frame,
    }


ajudge_session = database_sync_to_async(judge_session)


def screen_session(*, pin: str) -> dict[str, Any]:
    final_id = final_id_for_pin(pin)
    return {
        "final_id": final_id,
        "round_id": final_round_id(final_id=final_id),
        "frame": final_snapshot(final_id=final_id, audience="screen"),
    }


ascreen_session = database_sync_to_async(screen_session)
