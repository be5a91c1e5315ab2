"""Rounds: creating them, host commands, closing at the deadline, and who may host.

A state change is an engine transition persisted with a conditional update on ``Round.version``: two
processes closing at the same deadline cannot both win, and a lost race is retried on fresh state.
That UPDATE takes the round's row lock until its transaction commits, so the transaction holds only
the round's own rows (phase, questions, log). When the change moves the standings (a reveal, a void,
the finish), they are written after that commit in their own transaction (``quiz.services.standings``),
which also publishes the frames, all before the host gets the reply: another command on the round is
never kept waiting by a standings write.

The transaction of such a change records the version the standings are due for. If their write fails or
the process dies before it, the round stays behind (``standings_version < standings_due_version``) and
``standings_repair`` rewrites them from the round as it stands: at the next host command or host
snapshot of the round, or from ``manage.py refresh_standings``.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from channels.db import database_sync_to_async
from django.db import IntegrityError, transaction
from django.utils import timezone

from questionbank.models import QuestionKind, Status
from questionbank.services import exposure_record, latest_revision
from quiz import boards, broadcast, frames, hooks, selectors
from quiz.engine import rounds as engine
from quiz.engine.clock import whole_ms
from quiz.engine.rounds import Event, Phase, QuestionState, RoundState, Transition
from quiz.engine.scoring import ScoringRule
from quiz.models import Round, RoundLog, RoundQuestion
from quiz.protocol import HostCommand
from quiz.services.contestants import contestant_kick, contestant_set_time_factor
from quiz.services.errors import QuizError
from quiz.services.standings import standings_refresh

logger = logging.getLogger(__name__)

STANDINGS_EVENTS = {"answer.revealed", "question.voided", "round.finished"}

# How long a due standings write may take before a host command or snapshot repeats it: a refresh still
# running takes a second or two at 10,000 contestants, and repeating it would keep the host waiting.
STANDINGS_REPAIR_AFTER = timedelta(seconds=10)


# --- creating rounds -----------------------------------------------------------------------------------


def _new_pin() -> str:
    return f"{secrets.randbelow(900000) + 100000}"


# What a live round plays: choice questions and typed answers. Host-judged questions are for the finals.
PLAYABLE_KINDS = frozenset(
    {
        QuestionKind.SINGLE,
        QuestionKind.MULTIPLE,
        QuestionKind.TRUE_FALSE,
        QuestionKind.SHORT,
        QuestionKind.NUMERICAL,
    }
)


def round_create(
    *,
    competition,
    title: str,
    questions: Sequence[Any],
    scoring: dict[str, Any] | None = None,
    join_mode: str = Round.JoinMode.OPEN,
    close_when_all_answered: bool = False,
    pin: str | None = None,
    stage: str = "",
) -> Round:
    """Create a round in the lobby with frozen copies of ``questions`` (bank questions)."""
    rule = ScoringRule.from_dict(scoring)  # refuses a broken rule before anything is written
    if not questions:
        raise QuizError("no_questions", "a round needs at least one question")
    unplayable = [q.key for q in questions if q.status != Status.APPROVED or q.kind not in PLAYABLE_KINDS]
    if unplayable:
        raise QuizError(
            "question_not_playable",
            f"only approved choice and typed-answer questions can be played: {', '.join(unplayable[:10])}",
        )
    for attempt in range(20):
        try:
            with transaction.atomic():
                round_ = Round.objects.create(
                    competition=competition,
                    title=title,
                    stage=stage,
                    pin=pin or _new_pin(),
                    join_mode=join_mode,
                    scoring=rule.to_dict(),
                    close_when_all_answered=close_when_all_answered,
                )
                RoundQuestion.objects.bulk_create(
                    RoundQuestion(
                        round=round_,
                        position=position,
                        source=q,
                        revision=latest_revision(q),
                        kind=q.kind,
                        stem=q.stem,
                        choices=list(q.choices),
                        correct=sorted(q.correct),
                        accepted_answers=list(q.accepted_answers or []),
                        numeric_value=q.numeric_value,
                        tolerance=q.tolerance or 0,
                        unit=q.unit,
                        explanation=q.explanation,
                        image=q.image.name,
                        image_alt=q.image_alt if q.image else "",
                        duration_ms=q.time_limit * 1000,
                    )
                    for position, q in enumerate(questions)
                )
                return round_
        except IntegrityError:
            if pin is not None or attempt == 19:
                raise QuizError("pin_taken", "that PIN belongs to another live round") from None
    raise AssertionError("unreachable")


# --- round transitions ---------------------------------------------------------------------------------


_QUESTION_FIELDS = (
    "opened_at",
    "deadline",
    "closed_at",
    "revealed_at",
    "paused_at",
    "voided",
    "skipped",
)


def _save_question_changes(rows: list[RoundQuestion], before: RoundState, after: RoundState) -> None:
    for row, old, new in zip(rows, before.questions, after.questions, strict=True):
        if old == new:
            continue
        for name in _QUESTION_FIELDS:
            setattr(row, name, getattr(new, name))
        row.paused_remaining_ms = None if new.paused_remaining is None else whole_ms(new.paused_remaining)
        row.time_factors = [list(pair) for pair in new.time_factors]
        row.pauses = [list(pause) for pause in new.pauses]
        row.save(update_fields=[*_QUESTION_FIELDS, "paused_remaining_ms", "time_factors", "pauses"])


def _state_message(view: selectors.RoundView, event: Event, now: datetime, personal=None) -> dict[str, Any]:
    state = selectors.round_state(view.round, view.questions)
    return broadcast.round_message(
        version=view.round.version,
        deadline=frames.deadline_to_watch(state),
        frames=frames.state_frames(view, event, now),
        personal=personal,
    )


def _apply(
    round_id: int,
    step: Callable[[RoundState], Transition],
    *,
    action: str,
    now: datetime,
    actor=None,
    detail: dict[str, Any] | None = None,
) -> Transition:
    """Run one engine step and persist it if it changed anything. Call outside a transaction."""
    for _attempt in range(5):
        with transaction.atomic():
            round_ = Round.objects.get(pk=round_id)
            rows = list(RoundQuestion.objects.filter(round_id=round_id).order_by("position"))
            before = selectors.round_state(round_, rows)
            result = step(before)
            if not result.changed:
                return result
            after = result.state
            moves_standings = any(e.name in STANDINGS_EVENTS for e in result.events)
            # In the round's own transaction: if the standings write after the commit never happens,
            # the round is known to be behind (standings_repair).
            due = {"standings_due_version": after.version, "standings_due_at": now} if moves_standings else {}
            won = Round.objects.filter(pk=round_id, version=before.version).update(
                phase=after.phase.value,
                version=after.version,
                current_index=after.current,
                finished_at=now if after.phase == Phase.FINISHED else None,
                **due,
            )
            if not won:
                continue  # another process moved the round first: decide again on what it did
            _save_question_changes(rows, before, after)
            for event in result.events:
                if event.name == "question.opened":
                    exposure_record(question_id=rows[event.index].source_id, round_=round_, at=now)
            RoundLog.objects.create(
                round_id=round_id,
                version=after.version,
                action=action,
                actor=actor,
                at=now,
                detail=detail or {},
            )
            if not moves_standings:
                view = selectors.round_view(round_id)
                broadcast.publish_on_commit(round_id, _state_message(view, result.events[-1], now))
                return result
        # Committed: the round's row lock is released before the standings are written.
        try:
            _publish_with_standings(round_id, after, result.events[-1], now)
        finally:
            # The finish has committed: receivers hear of it whatever happened to the frames.
            if any(e.name == "round.finished" for e in result.events):
                _send_round_finished(round_id)
        return result
    raise QuizError("busy", "the round changed several times at once; try again")


def _send_round_finished(round_id: int) -> None:
    # Immediately when called outside a transaction (as it should be); never before a commit.
    transaction.on_commit(lambda: hooks.send_round_finished(round_id))


def _publish_with_standings(round_id: int, state: RoundState, last: Event, now: datetime) -> None:
    """Write the standings of ``state`` and publish the event: its frames carry the ranks just stored.

    The view is read inside the standings transaction (``standings_refresh``), so it is the round as it
    stands now (a command that committed meanwhile included) with the newest standings, and frames go
    out in the order the standings were written. A standings write that fails is logged, the event
    still goes out, and the round stays behind until ``standings_repair`` runs."""

    def publish(personal: dict[str, str] | None) -> None:
        # The database, not the live board: Redis gets these standings only once they have committed.
        view = selectors.round_view(round_id, board=boards.DatabaseBoard())
        broadcast.publish_on_commit(round_id, _state_message(view, last, now, personal))

    try:
        standings_refresh(round_id=round_id, state=state, event_index=last.index, publish=publish)
        return
    except Exception:
        logger.exception("round %s: standings at version %s not written", round_id, state.version)
    try:
        publish(None)  # outside any transaction: sent at once
    except Exception:
        logger.exception("round %s: frames of version %s not published", round_id, state.version)
        raise


def standings_behind(round_: Round, now: datetime) -> bool:
    """Whether the standings write due for ``round_`` failed or never ran (only the round row is read)."""
    return (
        round_.standings_version < round_.standings_due_version
        and round_.standings_due_at is not None
        and now - round_.standings_due_at >= STANDINGS_REPAIR_AFTER
    )


def standings_repair(*, round_id: int, now: datetime | None = None) -> None:
    """Rewrite the cached standings from the round as it stands now, and publish them.

    For a round whose standings write failed or never ran. A finished round's screens get its final
    state again, and ``round_finished`` is sent again (its receivers are idempotent): the first one may
    have acted on a round whose standings were not written."""
    now = now or timezone.now()
    round_ = Round.objects.get(pk=round_id)
    rows = list(RoundQuestion.objects.filter(round_id=round_id).order_by("position"))
    state = selectors.round_state(round_, rows)
    finished = state.phase == Phase.FINISHED

    def publish(personal: dict[str, str]) -> None:
        if finished:  # same version as the screens have: they show the final standings again
            view = selectors.round_view(round_id, board=boards.DatabaseBoard())
            broadcast.publish_on_commit(
                round_id, _state_message(view, Event("round.finished", state.current), now)
            )

    try:
        standings_refresh(round_id=round_id, state=state, event_index=None, publish=publish)
    finally:
        if finished:
            _send_round_finished(round_id)
    logger.info("round %s: standings repaired at version %s", round_id, state.version)


def repair_standings_if_behind(round_: Round, now: datetime) -> None:
    """Catch up a round left behind, as a host command or snapshot starts; a failed repair is logged
    and the host's request goes on (the next one tries again)."""
    if not standings_behind(round_, now):
        return
    try:
        standings_repair(round_id=round_.id, now=now)
    except Exception:
        logger.exception("round %s: standings repair failed", round_.id)


def _step_for(command: HostCommand, now: datetime, round_id: int) -> Callable[[RoundState], Transition]:
    q = command.question
    factors = selectors.time_factors(round_id) if command.action == "open" else ()
    steps: dict[str, Callable[[RoundState], Transition]] = {
        "open": lambda s: engine.open_question(s, index=q, now=now, time_factors=factors),
        "close": lambda s: engine.close_question(s, index=q, now=now),
        "reveal": lambda s: engine.reveal(s, index=q, now=now),
        "leaderboard": lambda s: engine.show_leaderboard(s, index=q),
        "pause": lambda s: engine.pause(s, now=now),
        "resume": lambda s: engine.resume(s, now=now),
        "extend": lambda s: engine.extend(
            s, index=q, seconds=command.seconds, expected_version=command.version, now=now
        ),
        "skip": lambda s: engine.skip(s, index=q),
        "void": lambda s: engine.void(s, index=q, now=now),
        "end": lambda s: engine.finish(s, now=now),
    }
    return steps[command.action]


def access_round_as_host(*, user, round_id: int) -> Round:
    """The round, if ``user`` may host it (the competition's rule, ``quiz.hooks``); QuizError otherwise."""
    round_ = Round.objects.select_related("competition").filter(pk=round_id).first()
    if round_ is None:
        raise QuizError("round_not_found", "no such round")
    if not selectors.user_can_host(user, round_):
        raise QuizError("forbidden", "you do not have host rights for this competition")
    return round_


def round_command(
    *, user, round_id: int, command: HostCommand, now: datetime | None = None
) -> dict[str, Any]:
    """Carry out a host command; returns the ``command`` reply frame with the new state."""
    now = now or timezone.now()
    repair_standings_if_behind(access_round_as_host(user=user, round_id=round_id), now)
    if command.action == "kick":
        assert command.contestant is not None
        changed = contestant_kick(round_id=round_id, contestant_id=command.contestant, actor=user, now=now)
    elif command.action == "time_factor":
        assert command.contestant is not None and command.time_factor is not None
        changed = contestant_set_time_factor(
            round_id=round_id,
            contestant_id=command.contestant,
            percent=command.time_factor,
            actor=user,
            now=now,
        )
    else:
        detail = {k: v for k, v in vars_of(command).items() if v is not None and k != "action"}
        result = _apply(
            round_id,
            _step_for(command, now, round_id),
            action=command.action,
            now=now,
            actor=user,
            detail=detail,
        )
        changed = result.changed
    return frames.command_frame(selectors.round_view(round_id), command.action, changed, now)


def vars_of(command: HostCommand) -> dict[str, Any]:
    return {name: getattr(command, name) for name in command.__slots__}


def round_close_if_due(*, round_id: int, now: datetime | None = None) -> bool:
    """Close the open question if its deadline has passed. Safe to call from every process at once."""
    now = now or timezone.now()
    return _apply(
        round_id, lambda s: engine.close_if_due(s, now=now), action="close.deadline", now=now
    ).changed


def ensure_closed_if_due(round_id: int, now: datetime) -> None:
    """Lazily apply a missed deadline (a restart, or nobody connected when it passed)."""
    round_ = Round.objects.only("phase", "current_index").get(pk=round_id)
    if round_.phase != Phase.OPEN or round_.current_index is None:
        return
    q = RoundQuestion.objects.only(
        "position", "deadline", "paused_remaining_ms", "duration_ms", "time_factors"
    ).get(round_id=round_id, position=round_.current_index)
    if deadline_missed(round_, q, now):
        round_close_if_due(round_id=round_id, now=now)


def deadline_missed(round_: Round, question: RoundQuestion | None, now: datetime) -> bool:
    if round_.phase != Phase.OPEN or question is None or question.paused_remaining_ms is not None:
        return False
    # Only the fields the close time needs (the deadline, the limit, the extended times) are read.
    clock = QuestionState(
        index=question.position,
        duration=timedelta(milliseconds=question.duration_ms),
        deadline=question.deadline,
        time_factors=tuple((int(cid), int(percent)) for cid, percent in question.time_factors or ()),
    )
    return clock.closes_at is not None and clock.closes_at <= now


def round_close_when_all_answered(*, round_id: int, question: int, now: datetime | None = None) -> bool:
    """Close the question early if the round says so and every active contestant has answered it."""
    now = now or timezone.now()
    round_ = Round.objects.only("close_when_all_answered").get(pk=round_id)
    if not round_.close_when_all_answered:
        return False
    q = RoundQuestion.objects.only("id").get(round_id=round_id, position=question)
    if selectors.answered_count(q.id) < selectors.active_contestants(round_id).count():
        return False
    return _apply(
        round_id,
        lambda s: engine.close_when_all_answered(s, index=question, now=now),
        action="close.all_answered",
        now=now,
    ).changed


def round_id_for_pin(*, pin: str) -> int:
    round_ = selectors.round_for_pin(pin)
    if round_ is None:
        raise QuizError("wrong_pin", "no live round has that PIN")
    return round_.id


around_command = database_sync_to_async(round_command)
around_id_for_pin = database_sync_to_async(round_id_for_pin)
around_close_if_due = database_sync_to_async(round_close_if_due)
around_close_when_all_answered = database_sync_to_async(round_close_when_all_answered)
