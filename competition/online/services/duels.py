"""Duels: create by invitation or random matching, join, answer, move on with the clock, and the frame
each player sees. State changes are conditional updates on ``Duel.version`` (``_save``), published to
the duel's group after commit; each socket then asks for its own frame (``duel_frame``), so a player
never receives the other's answer before the reveal, nor the key before it.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from competition.online import draws
from competition.online.engine import duel as engine
from competition.online.engine import scoring
from competition.online.errors import OnlineError
from competition.online.models import Contestant, Duel, DuelAnswer, DuelSeat, OnlineStage
from competition.online.services.attempts import local_day, rules_of
from questionbank.models import Question

CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"


def group_name(code: str) -> str:
    return f"online-duel-{code}"


def _state(duel: Duel, rules) -> engine.DuelState:
    return engine.DuelState(
        phase=duel.phase,
        position=duel.position,
        count=len(duel.question_ids),
        seconds=rules.duel.seconds,
        pause_seconds=rules.duel.pause_seconds,
        join_by=duel.join_by,
        opened_at=duel.opened_at,
        deadline=duel.deadline,
        next_at=duel.next_at,
    )


def _publish(code: str, version: int, answered: bool = False) -> None:
    """Tell the duel's sockets it changed: to ``version``, or (``answered``) a player answered."""
    layer = get_channel_layer()
    if layer is not None:
        message = {"type": "duel.changed", "version": version, "answered": answered}
        async_to_sync(layer.group_send)(group_name(code), message)


def _save(duel: Duel, state: engine.DuelState) -> bool:
    """Store ``state`` if nobody moved the duel meanwhile; publish after commit. False if someone did."""
    fields = {
        k: v
        for k, v in asdict(state).items()
        if k in ("phase", "position", "opened_at", "deadline", "next_at")
    }
    updated = Duel.objects.filter(pk=duel.pk, version=duel.version).update(version=F("version") + 1, **fields)
    if updated:
        duel.version += 1
        for key, value in fields.items():
            setattr(duel, key, value)
        version = duel.version
        transaction.on_commit(lambda: _publish(duel.code, version))
    return bool(updated)


def duel_create(*, contestant: Contestant, random_match: bool = False, now: datetime | None = None) -> Duel:
    """A new duel with ``contestant`` in seat 1, waiting for a partner until ``join_by``."""
    now = now or timezone.now()
    stage = contestant.stage
    if not stage.opens_on <= local_day(now) <= stage.closes_on:
        raise OnlineError("stage_closed", "the online stage is not open today")
    rules = rules_of(stage)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
    ids = draws.draw({}, count=rules.duel.count, seed=f"duel:{stage.pk}:{code}")
    with transaction.atomic():
        duel = Duel.objects.create(
            stage=stage,
            code=code,
            random_match=random_match,
            question_ids=ids,
            created_at=now,
            join_by=now + timedelta(seconds=rules.duel.join_seconds),
        )
        DuelSeat.objects.create(duel=duel, contestant=contestant, seat=1)
    return duel


def duel_match(*, contestant: Contestant, now: datetime | None = None) -> Duel:
    """Join the longest-waiting random duel of someone else, or open one and wait."""
    now = now or timezone.now()
    with transaction.atomic():
        waiting = (
            Duel.objects.select_for_update(skip_locked=True)
            .filter(
                stage_id=contestant.stage_id, random_match=True, phase=Duel.Phase.WAITING, join_by__gt=now
            )
            .exclude(seats__contestant=contestant)
            .order_by("created_at")
            .first()
        )
        if waiting is not None:
            return _join(waiting, contestant, now)
    mine = Duel.objects.filter(
        stage_id=contestant.stage_id,
        random_match=True,
        phase=Duel.Phase.WAITING,
        join_by__gt=now,
        seats__contestant=contestant,
    ).first()
    return mine or duel_create(contestant=contestant, random_match=True, now=now)


def _join(duel: Duel, contestant: Contestant, now: datetime) -> Duel:
    """Call inside transaction.atomic() with the duel locked."""
    seats = list(duel.seats.all())
    if any(s.contestant_id == contestant.pk for s in seats):
        return duel
    if duel.phase == Duel.Phase.WAITING and now >= duel.join_by:
        _save(duel, engine.advance(_state(duel, rules_of(duel.stage)), now=now, answered=0))
    if duel.phase in (Duel.Phase.EXPIRED, Duel.Phase.FINISHED):
        raise OnlineError("duel_over", "this duel is over")
    if len(seats) >= 2:
        raise OnlineError("duel_full", "this duel has two players")
    try:
        with transaction.atomic():
            DuelSeat.objects.create(duel=duel, contestant=contestant, seat=2)
    except IntegrityError:
        raise OnlineError("duel_full", "this duel has two players") from None
    _save(duel, engine.start(_state(duel, rules_of(duel.stage)), now=now))
    return duel


def duel_join(*, contestant: Contestant, code: str, now: datetime | None = None) -> Duel:
    """Take seat 2 of the duel ``code`` (a seated player just gets the duel back)."""
    now = now or timezone.now()
    with transaction.atomic():
        duel = Duel.objects.select_for_update().filter(code=code, stage_id=contestant.stage_id).first()
        if duel is None:
            raise OnlineError("duel_unknown", "no duel with that code")
        return _join(duel, contestant, now)


def duel_for(*, contestant_id: int, code: str) -> tuple[Duel, DuelSeat]:
    duel = Duel.objects.select_related("stage").filter(code=code).first()
    seat = duel.seats.filter(contestant_id=contestant_id).first() if duel else None
    if duel is None or seat is None:
        raise OnlineError("duel_unknown", "no duel of yours with that code")
    return duel, seat


def duel_tick(*, duel_id: int, now: datetime | None = None) -> None:
    """Apply every transition due by the clock (idempotent; any process may call it)."""
    now = now or timezone.now()
    with transaction.atomic():
        duel = Duel.objects.select_related("stage").select_for_update().get(pk=duel_id)
        _advance(duel, now)


def _advance(duel: Duel, now: datetime) -> None:
    """Call inside transaction.atomic() with the duel locked."""
    rules = rules_of(duel.stage)
    answered = (
        DuelAnswer.objects.filter(duel=duel, position=duel.position).count() if duel.position >= 0 else 0
    )
    before = duel.phase
    state = engine.advance(_state(duel, rules), now=now, answered=answered)
    if state == _state(duel, rules):
        return
    _save(duel, state)
    if state.phase == engine.FINISHED and before != engine.FINISHED:
        _finish(duel, now)


def _finish(duel: Duel, now: datetime) -> None:
    rules = rules_of(duel.stage)
    points = rules.points
    Duel.objects.filter(pk=duel.pk).update(finished_at=now)
    seats = list(duel.seats.select_related("contestant").order_by("seat"))
    if len(seats) != 2:
        return
    a, b = seats
    outcomes = scoring.duel_outcome(a.score, b.score)
    day = local_day(now)
    for seat, outcome in zip(seats, outcomes, strict=True):
        played_today = (
            DuelSeat.objects.filter(
                contestant=seat.contestant, duel__finished_at__date=day, duel__phase=Duel.Phase.FINISHED
            )
            .exclude(duel=duel)
            .count()
        )
        earned = points[f"duel_{outcome}"] if played_today < points["duel_daily_cap"] else 0
        DuelSeat.objects.filter(pk=seat.pk).update(outcome=outcome, points=earned)
        Contestant.objects.filter(pk=seat.contestant_id).update(
            points=F("points") + earned,
            correct=F("correct") + seat.correct,
            answered=F("answered") + duel.position + 1,
            last_active_on=day,
        )


def duel_answer(
    *,
    contestant_id: int,
    code: str,
    position: int,
    choices: list[int],
    submission: uuid.UUID,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Store the player's answer to the open question: ``ack`` (a repeat gets the same ack).

    Refusals: ``duel_unknown``, ``duel_not_open`` (no question open, or not this one), ``too_late``,
    ``invalid_choice``."""
    now = now or timezone.now()
    with transaction.atomic():
        duel, seat = duel_for(contestant_id=contestant_id, code=code)
        duel = Duel.objects.select_related("stage").select_for_update().get(pk=duel.pk)
        stored = DuelAnswer.objects.filter(duel=duel, seat=seat.seat, position=position).first()
        if stored is not None:
            return {"type": "ack", "position": position, "duplicate": True}
        _advance(duel, now)
        if duel.phase != Duel.Phase.OPEN or duel.position != position:
            if duel.position == position and duel.phase in (Duel.Phase.REVEALED, Duel.Phase.FINISHED):
                raise OnlineError("too_late", "the question closed")
            raise OnlineError("duel_not_open", "that question is not open")
        question = Question.objects.get(pk=duel.question_ids[position])
        try:
            correct = scoring.answer_correct(
                kind=question.kind, n_choices=len(question.choices), correct=question.correct, chosen=choices
            )
        except scoring.InvalidAnswer:
            raise OnlineError("invalid_choice", "not a valid answer") from None
        elapsed = int((now - duel.opened_at).total_seconds() * 1000)
        limit = rules_of(duel.stage).duel.seconds * 1000
        points = scoring.duel_points(correct=correct, elapsed_ms=elapsed, limit_ms=limit)
        DuelAnswer.objects.create(
            duel=duel,
            seat=seat.seat,
            position=position,
            question=question,
            choices=sorted(set(choices)),
            correct=correct,
            elapsed_ms=elapsed,
            points=points,
            received_at=now,
            submission=submission,
        )
        DuelSeat.objects.filter(pk=seat.pk).update(
            score=F("score") + points, correct=F("correct") + (1 if correct else 0)
        )
        if not _advance_after_answer(duel, now):
            # the partner sees "answered"
            transaction.on_commit(lambda: _publish(duel.code, duel.version, answered=True))
    return {"type": "ack", "position": position, "duplicate": False}


def _advance_after_answer(duel: Duel, now: datetime) -> bool:
    version = duel.version
    _advance(duel, now)
    return duel.version != version


def duel_frame(*, contestant_id: int, code: str, now: datetime | None = None) -> dict[str, Any]:
    """The duel as this player may see it now (after applying what the clock made due)."""
    now = now or timezone.now()
    duel = Duel.objects.select_related("stage").filter(code=code).first()
    seats = {s.seat: s for s in duel.seats.select_related("contestant")} if duel else {}
    seat = next((s for s in seats.values() if s.contestant_id == contestant_id), None)
    if duel is None or seat is None:
        raise OnlineError("duel_unknown", "no duel of yours with that code")
    wake = engine.next_wake(_state(duel, rules_of(duel.stage)))
    if wake is not None and now >= wake:  # the clock made a change due: apply it (exactly once)
        duel_tick(duel_id=duel.pk, now=now)
        duel.refresh_from_db()
        if duel.phase == Duel.Phase.FINISHED:  # the outcomes were stored with the finish
            seats = {s.seat: s for s in duel.seats.select_related("contestant")}
            seat = seats[seat.seat]
    me, other = seats.get(seat.seat), seats.get(3 - seat.seat)
    answers = {(a.seat, a.position): a for a in DuelAnswer.objects.filter(duel=duel, position=duel.position)}
    frame: dict[str, Any] = {
        "type": "duel",
        "version": duel.version,
        "code": duel.code,
        "phase": duel.phase,
        "position": duel.position,
        "count": len(duel.question_ids),
        "server_time": int(now.timestamp() * 1000),
        "join_by": int(duel.join_by.timestamp() * 1000),
        "deadline": int(duel.deadline.timestamp() * 1000) if duel.deadline and duel.phase == "open" else None,
        "next_at": int(duel.next_at.timestamp() * 1000)
        if duel.next_at and duel.phase == "revealed"
        else None,
        "you": {"seat": seat.seat, "name": me.contestant.display_name, "score": me.score},
        "partner": {"name": other.contestant.display_name, "score": other.score} if other else None,
        "question": None,
        "answered": {
            "you": (seat.seat, duel.position) in answers,
            "partner": (3 - seat.seat, duel.position) in answers,
        },
        "reveal": None,
        "result": None,
    }
    if duel.position >= 0:
        q = Question.objects.get(pk=duel.question_ids[duel.position])
        frame["question"] = {"stem": q.stem, "choices": q.choices, "kind": q.kind}
        if duel.phase in (Duel.Phase.REVEALED, Duel.Phase.FINISHED):
            mine, theirs = (
                answers.get((seat.seat, duel.position)),
                answers.get((3 - seat.seat, duel.position)),
            )
            frame["reveal"] = {
                "correct": q.correct,
                "explanation": q.explanation,
                "you": {"choices": mine.choices, "points": mine.points} if mine else None,
                "partner": {"choices": theirs.choices, "points": theirs.points} if theirs else None,
            }
    if duel.phase == Duel.Phase.FINISHED:
        frame["result"] = {"outcome": me.outcome, "points": me.points}
    return frame


def duel_wake(*, code: str) -> int | None:
    """When the duel next changes by the clock alone (epoch ms), for the sockets' timers."""
    duel = Duel.objects.select_related("stage").filter(code=code).first()
    if duel is None:
        return None
    wake = engine.next_wake(_state(duel, rules_of(duel.stage)))
    return int(wake.timestamp() * 1000) if wake else None


def session_contestant(session) -> int | None:
    """The contestant signed in on this session (reading it may query the session store)."""
    return session.get("online_contestant") if session is not None else None


# Each call is a unit of work of its own (its own queries and transaction), so the sockets' calls run
# side by side in the worker threads rather than one after another on the one thread a consumer's
# thread-sensitive calls share: 1,000 phones of 500 duels ask for their frames at the same moments.
asession_contestant = database_sync_to_async(session_contestant, thread_sensitive=False)
aduel_frame = database_sync_to_async(duel_frame, thread_sensitive=False)
aduel_answer = database_sync_to_async(duel_answer, thread_sensitive=False)
aduel_wake = database_sync_to_async(duel_wake, thread_sensitive=False)


def duels_of(contestant: Contestant) -> list[Duel]:
    return list(Duel.objects.filter(seats__contestant=contestant).order_by("-created_at")[:10])


def stage_for_code(code: str) -> OnlineStage | None:
    duel = Duel.objects.select_related("stage").filter(code=code).first()
    return duel.stage if duel else None
