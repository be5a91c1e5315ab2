"""Every write to a live round goes through here. Each function is one transaction; events go out on commit.

Round state changes are engine transitions persisted with a conditional update on ``Round.version``:
no lock is held on the round row, two processes closing at the same deadline cannot both win, and a
lost race is retried on fresh state. Answers never touch the round row at all (``answers_record``).
Async twins (``a`` prefix) hop to a thread once around a whole unit of work.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from channels.db import database_sync_to_async
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from competition.matches import match_team_ids
from competition.models import Registration
from questionbank.models import QuestionKind, Status
from questionbank.services import exposure_record, latest_revision
from quiz import boards, broadcast, nicknames, selectors
from quiz.engine import rounds as engine
from quiz.engine.rounds import Event, Phase, RoundState, Transition
from quiz.engine.scoring import ScoringRule, rank
from quiz.frames import AUDIENCES, epoch_ms, round_payload
from quiz.models import Answer, Contestant, Round, RoundLog, RoundQuestion
from quiz.protocol import HostCommand, dumps

logger = logging.getLogger(__name__)

TOKEN_SALT = "quiz.contestant"
_STANDINGS_EVENTS = {"answer.revealed", "question.voided", "round.finished"}


class QuizError(Exception):
    """A refused request. ``code`` is stable and documented in docs/protocol.md."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# --- creating rounds -----------------------------------------------------------------------------------


def _new_pin() -> str:
    return f"{secrets.randbelow(900000) + 100000}"


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
    unplayable = [q.key for q in questions if q.status != Status.APPROVED or q.kind == QuestionKind.JUDGED]
    if unplayable:
        raise QuizError(
            "question_not_playable",
            f"only approved choice questions can be played: {', '.join(unplayable[:10])}",
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


_QUESTION_FIELDS = ("opened_at", "deadline", "closed_at", "revealed_at", "voided", "skipped")


def _save_question_changes(rows: list[RoundQuestion], before: RoundState, after: RoundState) -> None:
    for row, old, new in zip(rows, before.questions, after.questions, strict=True):
        if old == new:
            continue
        for name in _QUESTION_FIELDS:
            setattr(row, name, getattr(new, name))
        row.paused_remaining_ms = (
            None if new.paused_remaining is None else int(new.paused_remaining.total_seconds() * 1000)
        )
        row.save(update_fields=[*_QUESTION_FIELDS, "paused_remaining_ms"])


def _deadline_to_watch(state: RoundState) -> int | None:
    q = state.question
    if state.phase != Phase.OPEN or q is None or q.paused:
        return None
    return epoch_ms(q.deadline)


def _state_message(view: selectors.RoundView, event: Event, now: datetime, personal=None) -> dict[str, Any]:
    frames = {
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
    questions = view.questions
    state = selectors.round_state(view.round, questions)
    return broadcast.round_message(
        version=view.round.version, deadline=_deadline_to_watch(state), frames=frames, personal=personal
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
            won = Round.objects.filter(pk=round_id, version=before.version).update(
                phase=after.phase.value,
                version=after.version,
                current_index=after.current,
                finished_at=now if after.phase == Phase.FINISHED else None,
            )
            if not won:
                continue  # another process moved the round first: decide again on what it did
            _save_question_changes(rows, before, after)
            for event in result.events:
                if event.name == "question.opened":
                    exposure_record(question_id=rows[event.index].source_id, round_=round_, at=now)
                if event.name == "round.finished":
                    transaction.on_commit(lambda: _match_finished(round_id))
            RoundLog.objects.create(
                round_id=round_id,
                version=after.version,
                action=action,
                actor=actor,
                at=now,
                detail=detail or {},
            )
            last = result.events[-1]
            personal = None
            if any(e.name in _STANDINGS_EVENTS for e in result.events):
                personal = standings_refresh(round_id=round_id, state=after, event_index=last.index)
            # The database, not the live board: Redis gets these standings only once this commits.
            view = selectors.round_view(round_id, board=boards.DatabaseBoard())
            broadcast.publish_on_commit(round_id, _state_message(view, last, now, personal))
            return result
    raise QuizError("busy", "the round changed several times at once; try again")


def _match_finished(round_id: int) -> None:
    """A match's round ended: its team scores go into the bracket (a tie waits for the host)."""
    from competition.matches import MatchError, match_round_finished

    try:
        match_round_finished(round_id=round_id)
    except MatchError as exc:
        logger.warning("round %s finished but its match result waits: %s", round_id, exc.message)


def _step_for(command: HostCommand, now: datetime) -> Callable[[RoundState], Transition]:
    q = command.question
    steps: dict[str, Callable[[RoundState], Transition]] = {
        "open": lambda s: engine.open_question(s, index=q, now=now),
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
    """The round, if ``user`` may host it; QuizError otherwise."""
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
    access_round_as_host(user=user, round_id=round_id)
    changed = False
    if command.action == "kick":
        assert command.contestant is not None
        changed = contestant_kick(round_id=round_id, contestant_id=command.contestant, actor=user, now=now)
    else:
        detail = {k: v for k, v in vars_of(command).items() if v is not None and k != "action"}
        result = _apply(
            round_id, _step_for(command, now), action=command.action, now=now, actor=user, detail=detail
        )
        changed = result.changed
    view = selectors.round_view(round_id)
    return {
        "type": "command",
        "version": view.round.version,
        "command": command.action,
        "changed": changed,
        "round": round_payload(view, "host", now),
    }


def vars_of(command: HostCommand) -> dict[str, Any]:
    return {name: getattr(command, name) for name in command.__slots__}


def round_close_if_due(*, round_id: int, now: datetime | None = None) -> bool:
    """Close the open question if its deadline has passed. Safe to call from every process at once."""
    now = now or timezone.now()
    return _apply(
        round_id, lambda s: engine.close_if_due(s, now=now), action="close.deadline", now=now
    ).changed


def _ensure_closed_if_due(round_id: int, now: datetime) -> None:
    """Lazily apply a missed deadline (a restart, or nobody connected when it passed)."""
    round_ = Round.objects.only("phase", "current_index").get(pk=round_id)
    if round_.phase != Phase.OPEN or round_.current_index is None:
        return
    q = RoundQuestion.objects.only("deadline", "paused_remaining_ms").get(
        round_id=round_id, position=round_.current_index
    )
    if _deadline_missed(round_, q, now):
        round_close_if_due(round_id=round_id, now=now)


def _deadline_missed(round_: Round, question: RoundQuestion | None, now: datetime) -> bool:
    return (
        round_.phase == Phase.OPEN
        and question is not None
        and question.paused_remaining_ms is None
        and question.deadline is not None
        and question.deadline <= now
    )


# --- standings -----------------------------------------------------------------------------------------


def standings_refresh(*, round_id: int, state: RoundState, event_index: int | None) -> dict[str, str]:
    """Rescore from the answer log, cache the standings on each contestant, and build personal frames.

    Cached: score, rank, correct answers and correct time (the round's chain, which the stage and
    cumulative boards sum, competition/leaderboards.py).

    Call inside the transaction that changed the round. Returns contestant id -> ``result`` frame text.
    """
    round_ = Round.objects.get(pk=round_id)
    rule = ScoringRule.from_dict(round_.scoring)
    # Plain rows, not model instances: a sitting has 10,000 contestants.
    cached = {
        cid: (score, rank_, correct, correct_time, nickname, team)
        for cid, score, rank_, correct, correct_time, nickname, team in selectors.active_contestants(round_id)
        .order_by()
        .values_list("id", "score", "rank", "correct_count", "correct_time_ms", "nickname", "team__name")
    }
    scores = selectors.round_scores(round_, cached, state=state)
    changed: list[tuple[int, int, int, int, int]] = []
    board: list[boards.Standing] = []
    personal: dict[str, str] = {}
    for ranked in rank(scores.values(), rule.tie_breaks):
        s = ranked.score
        score, old_rank, correct, correct_time, nickname, team = cached[s.contestant_id]
        new = (s.points, ranked.rank, s.correct, s.correct_time_ms)
        if (score, old_rank, correct, correct_time) != new:
            changed.append((s.contestant_id, *new))
        board.append(boards.Standing(s.contestant_id, nickname, team, s.points, ranked.rank, s.correct))
        if event_index is not None:
            outcome = s.outcomes.get(event_index)
            personal[str(s.contestant_id)] = dumps(
                {
                    "type": "result",
                    "version": state.version,
                    "question": event_index,
                    "correct": bool(outcome and outcome.correct),
                    "answered": outcome is not None,
                    "points": outcome.points if outcome else 0,
                    "score": s.points,
                    "rank": ranked.rank,
                    "streak": s.streak,
                }
            )
    _write_standings(changed)
    boards.live_board().publish_on_commit(round_id, state.version, board)
    return personal


def _write_standings(changed: list[tuple[int, int, int, int, int]]) -> None:
    """Write (id, score, rank, correct count, correct time) for every changed contestant in one statement.

    ``bulk_update`` builds a CASE expression per column and took most of a reveal at 5,000 contestants;
    an ``executemany`` of one UPDATE per row took 0.55-0.65 s for 10,000 on PostgreSQL, one UPDATE
    joined to the new values as arrays takes 0.25-0.3 s, most of it the database updating rows and
    their indexes (docs/performance.md). SQLite runs in the process, so its ``executemany`` of prepared
    UPDATEs costs no round trips.
    """
    if not changed:
        return
    table = connection.ops.quote_name(Contestant._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            columns = [list(column) for column in zip(*changed, strict=True)]
            cursor.execute(
                f"UPDATE {table} AS c SET score = v.score, rank = v.rank, correct_count = v.correct,"
                " correct_time_ms = v.correct_time"
                " FROM unnest(%s::bigint[], %s::integer[], %s::integer[], %s::integer[], %s::integer[])"
                " AS v(id, score, rank, correct, correct_time) WHERE c.id = v.id",
                columns,
            )
        else:
            cursor.executemany(
                f"UPDATE {table} SET score = %s, rank = %s, correct_count = %s, correct_time_ms = %s"
                " WHERE id = %s",
                [(*values, cid) for cid, *values in changed],
            )


# --- contestants ---------------------------------------------------------------------------------------


def contestant_token(contestant: Contestant) -> str:
    return signing.dumps(
        {"c": contestant.id, "r": contestant.round_id, "n": contestant.token_nonce}, salt=TOKEN_SALT
    )


def _me(contestant: Contestant, round_: Round) -> dict[str, Any]:
    answer = None
    if round_.current_index is not None:
        stored = (
            Answer.objects.filter(
                contestant=contestant, question__round_id=round_.id, question__position=round_.current_index
            )
            .values("choices", "received_at")
            .first()
        )
        if stored:
            answer = {
                "question": round_.current_index,
                "choices": stored["choices"],
                "received_at": epoch_ms(stored["received_at"]),
            }
    return {
        "id": contestant.id,
        "nickname": contestant.nickname,
        "team": contestant.team.name if contestant.team_id else None,
        "score": contestant.score,
        "rank": contestant.rank,
        "correct": contestant.correct_count,
        "answer": answer,
    }


@dataclass(frozen=True, slots=True)
class Welcome:
    contestant_id: int
    round_id: int
    frame: dict[str, Any]


def _welcome(contestant: Contestant, now: datetime) -> Welcome:
    """The snapshot for a contestant just read from the database (a join storm runs this per phone, so it
    reads the round once: the missed-deadline check uses the same view)."""
    view = selectors.round_view(contestant.round_id, for_contestant=True)
    if _deadline_missed(view.round, view.current, now):
        round_close_if_due(round_id=contestant.round_id, now=now)
        view = selectors.round_view(contestant.round_id, for_contestant=True)
    frame = {
        "type": "welcome",
        "version": view.round.version,
        "token": contestant_token(contestant),
        "round": round_payload(view, "contestant", now),
        "me": _me(contestant, view.round),
    }
    return Welcome(contestant.id, contestant.round_id, frame)


@dataclass(frozen=True, slots=True)
class Joined:
    contestant_id: int
    round_id: int
    token: str


def contestant_join(
    *, pin: str, nickname: str | None = None, code: str | None = None, key: str | None = None
) -> Joined:
    """Join a live round by PIN with a nickname (open rounds) or a contestant code (registered).

    Returns the contestant's identity and reconnect token; the snapshot comes from ``contestant_resume``,
    taken after the socket has subscribed to the round so no event can fall between the two.

    ``key`` is the phone's own random join key. A phone whose connection dropped before the ``welcome``
    sends the same join again: with the same nickname and key it is the same contestant, not a clash.
    """
    round_ = selectors.round_for_pin(pin)
    if round_ is None:
        raise QuizError("wrong_pin", "no live round has that PIN")
    if code is not None:
        if round_.join_mode == Round.JoinMode.OPEN:
            raise QuizError("join_mode", "this round is open: join with a nickname")
        registration = (
            Registration.objects.select_related("team")
            .filter(competition_id=round_.competition_id, code=code.strip().upper())
            .first()
        )
        if registration is None:
            raise QuizError("code_unknown", "no contestant is registered with that code")
        allowed = match_team_ids(round_)
        if allowed is not None and registration.team_id not in allowed:
            raise QuizError("not_in_match", "your team does not play in this match")
        contestant = Contestant.objects.filter(round=round_, registration=registration).first()
        if contestant is not None:  # joining again with one's code is a resume
            _refuse_if_kicked(contestant)
        else:
            name = nicknames.normalise(registration.name)[: nicknames.MAX_LENGTH]
            contestant = _create_contestant(round_, name, registration=registration, team=registration.team)
    else:
        if round_.join_mode == Round.JoinMode.REGISTERED:
            raise QuizError("join_mode", "this round is for registered contestants: join with your code")
        try:
            name = nicknames.validate(nickname or "")
        except nicknames.NicknameError as exc:
            raise QuizError(exc.code, exc.message) from None
        # A repeated join is found only when the nickname clashes, so a first join costs no extra query.
        contestant = _create_contestant(round_, name, registration=None, team=None, key=key)
    return Joined(contestant.id, round_.id, contestant_token(contestant))


def _repeated_join(round_: Round, nickname: str, key: str | None) -> Contestant | None:
    """The contestant this phone already made with this nickname, if the join is a repeat."""
    if not key:
        return None
    contestant = Contestant.objects.filter(round=round_, nickname=nickname, join_key=key).first()
    if contestant is not None:
        _refuse_if_kicked(contestant)
    return contestant


def _refuse_if_kicked(contestant: Contestant) -> None:
    """A contestant the host removed stays out, whether they join again or resume."""
    if contestant.kicked_at is not None:
        raise QuizError("kicked", "the host removed you from this round")


def _create_contestant(
    round_: Round, nickname: str, *, registration, team, key: str | None = None
) -> Contestant:
    try:
        with transaction.atomic():
            contestant = Contestant.objects.create(
                round=round_, nickname=nickname, registration=registration, team=team, join_key=key or ""
            )
            participants = selectors.active_contestants(round_.id).count()
            info = {"id": contestant.id, "nickname": nickname, "team": team.name if team else None}
            frame = {
                "type": "contestant",
                "version": round_.version,
                "event": "joined",
                "contestant": info,
                "participants": participants,
            }
            broadcast.publish_on_commit(
                round_.id,
                broadcast.round_message(
                    version=round_.version, frames={"host": dumps(frame), "display": dumps(frame)}
                ),
            )
    except IntegrityError:
        repeated = _repeated_join(round_, nickname, key)
        if repeated is not None:
            return repeated
        raise QuizError("nickname_taken", "someone in this round already has that nickname") from None
    return contestant


def _token_data(token: str) -> tuple[int, int, str]:
    try:
        data = signing.loads(token, salt=TOKEN_SALT)
        return int(data["c"]), int(data["r"]), str(data["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise QuizError("invalid_token", "that reconnect token is not valid; join again") from None


def token_identity(token: str) -> tuple[int, int]:
    """(contestant id, round id) from a reconnect token, checking only its signature (no database)."""
    contestant_id, round_id, _ = _token_data(token)
    return contestant_id, round_id


def contestant_resume(*, token: str, now: datetime | None = None) -> Welcome:
    """Reconnect with the signed token from ``welcome``: the same contestant, a fresh snapshot."""
    now = now or timezone.now()
    contestant_id, round_id, nonce = _token_data(token)
    contestant = Contestant.objects.select_related("team").filter(pk=contestant_id, round_id=round_id).first()
    if contestant is None:
        raise QuizError("invalid_token", "that reconnect token is not valid; join again")
    _refuse_if_kicked(contestant)
    if not secrets.compare_digest(contestant.token_nonce, nonce):
        raise QuizError("invalid_token", "that reconnect token is not valid; join again")
    return _welcome(contestant, now)


def contestant_kick(*, round_id: int, contestant_id: int, actor, now: datetime) -> bool:
    """Remove a contestant: their token stops working and their sockets are closed. Idempotent."""
    with transaction.atomic():
        contestant = (
            Contestant.objects.select_related("team").filter(pk=contestant_id, round_id=round_id).first()
        )
        if contestant is None:
            raise QuizError("unknown_contestant", "no such contestant in this round")
        if contestant.kicked_at is not None:
            return False
        Contestant.objects.filter(pk=contestant_id).update(
            kicked_at=now, token_nonce=secrets.token_urlsafe(9), rank=None
        )
        boards.live_board().forget_on_commit(round_id)  # the next read rebuilds it without them
        round_ = Round.objects.only("version").get(pk=round_id)
        RoundLog.objects.create(
            round_id=round_id,
            version=round_.version,
            action="kick",
            actor=actor,
            at=now,
            detail={"contestant": contestant_id, "nickname": contestant.nickname},
        )
        participants = selectors.active_contestants(round_id).count()
        info = {
            "id": contestant.id,
            "nickname": contestant.nickname,
            "team": contestant.team.name if contestant.team else None,
        }
        frame = dumps(
            {
                "type": "contestant",
                "version": round_.version,
                "event": "kicked",
                "contestant": info,
                "participants": participants,
            }
        )
        kicked = dumps(
            {"type": "kicked", "version": round_.version, "message": "the host removed you from this round"}
        )
        message = broadcast.round_message(
            version=round_.version,
            frames={"host": frame, "display": frame},
            personal={str(contestant_id): kicked},
            close=[contestant_id],
        )
        broadcast.publish_on_commit(round_id, message)
    return True


# --- snapshots for hosts and displays ------------------------------------------------------------------


def host_snapshot(*, user, round_id: int, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    access_round_as_host(user=user, round_id=round_id)
    _ensure_closed_if_due(round_id, now)
    view = selectors.round_view(round_id)
    return {
        "type": "snapshot",
        "version": view.round.version,
        "audience": "host",
        "round": round_payload(view, "host", now),
        "contestants": selectors.contestants_list(round_id),
    }


def round_id_for_pin(*, pin: str) -> int:
    round_ = selectors.round_for_pin(pin)
    if round_ is None:
        raise QuizError("wrong_pin", "no live round has that PIN")
    return round_.id


def display_snapshot(*, round_id: int, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    _ensure_closed_if_due(round_id, now)
    view = selectors.round_view(round_id)
    return {
        "type": "snapshot",
        "version": view.round.version,
        "audience": "display",
        "round": round_payload(view, "display", now),
    }


# --- answers -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PendingAnswer:
    contestant_id: int
    round_id: int
    question: int
    choices: tuple[int, ...]
    received_at: datetime
    client_elapsed_ms: int | None = None
    rtt_ms: int | None = None


@dataclass(frozen=True, slots=True)
class AnswerOutcome:
    """The ack frame for an accepted answer, or the error for a refused one."""

    frame: dict[str, Any]
    accepted: bool


@dataclass(frozen=True, slots=True)
class BatchResult:
    outcomes: list[AnswerOutcome]
    answered: dict[
        int, tuple[int, int, int, int]
    ]  # round id -> (version, question index, answered, participants)


def _refuse(code: str, message: str, version: int) -> AnswerOutcome:
    return AnswerOutcome(
        {"type": "error", "version": version, "code": code, "message": message, "ref": "answer"}, False
    )


class StoredAnswer(NamedTuple):
    choices: list[int]
    received_at: datetime


def _ack(stored: StoredAnswer, version: int, *, duplicate: bool, position: int) -> AnswerOutcome:
    return AnswerOutcome(
        {
            "type": "ack",
            "version": version,
            "question": position,
            "choices": list(stored.choices),
            "received_at": epoch_ms(stored.received_at),
            "duplicate": duplicate,
        },
        True,
    )


def _check(p: PendingAnswer, q: RoundQuestion | None, round_: Round | None) -> tuple[str, str] | None:
    if q is None or round_ is None:
        return "unknown_question", f"the round has no question {p.question}"
    if q.opened_at is None or round_.current_index != q.position:
        if q.closed_at is not None:
            return "too_late", "that question has closed"
        return "wrong_question", f"question {p.question} is not the open question"
    state = selectors.question_state(q)
    if q.voided:
        return "too_late", "that question was voided"
    if not state.accepts_answer_at(p.received_at):
        if state.paused:
            return "paused", "the clock is paused; answer when it runs again"
        return "too_late", "the answer arrived after the question closed"
    if any(c >= len(q.choices) for c in p.choices):
        return "invalid_choice", f"choose between 0 and {len(q.choices) - 1}"
    if q.kind != "multiple" and len(p.choices) != 1:
        return "invalid_choice", "choose exactly one answer"
    return None


def answers_record(batch: Sequence[PendingAnswer]) -> BatchResult:
    """Write a batch of answers in one transaction (group commit) and return one outcome per answer.

    The first accepted answer per contestant and question stands; a retry or a second tap gets the
    stored answer back as a duplicate ack. Acks are only returned once the batch has committed.
    """
    round_ids = {p.round_id for p in batch}
    with transaction.atomic():
        rounds = {
            r.id: r for r in Round.objects.filter(pk__in=round_ids).only("id", "version", "current_index")
        }
        questions = {
            (q.round_id, q.position): q
            for q in RoundQuestion.objects.filter(
                round_id__in=round_ids, position__in={p.question for p in batch}
            )
        }
        contestant_ids = {p.contestant_id for p in batch}
        kicked = set(
            Contestant.objects.filter(pk__in=contestant_ids, kicked_at__isnull=False).values_list(
                "id", flat=True
            )
        )
        question_ids = {q.id for q in questions.values()}

        def stored_answers() -> dict[tuple[int, int], StoredAnswer]:
            # Plain rows, not model instances: this runs twice per batch of up to 500 answers.
            rows = Answer.objects.filter(question_id__in=question_ids, contestant_id__in=contestant_ids)
            return {
                (contestant, question): StoredAnswer(choices, received_at)
                for contestant, question, choices, received_at in rows.values_list(
                    "contestant_id", "question_id", "choices", "received_at"
                )
            }

        stored = stored_answers()
        fresh: dict[tuple[int, int], Answer] = {}
        for p in batch:
            q = questions.get((p.round_id, p.question))
            if q is None or (p.contestant_id, q.id) in stored or (p.contestant_id, q.id) in fresh:
                continue
            round_ = rounds.get(p.round_id)
            if p.contestant_id in kicked or _check(p, q, round_) is not None:
                continue
            assert q.opened_at is not None
            fresh[(p.contestant_id, q.id)] = Answer(
                round_id=p.round_id,
                question_id=q.id,
                contestant_id=p.contestant_id,
                choices=list(p.choices),
                received_at=p.received_at,
                elapsed_ms=max(int((p.received_at - q.opened_at).total_seconds() * 1000), 0),
                rtt_ms=p.rtt_ms,
                client_elapsed_ms=p.client_elapsed_ms,
            )
        if fresh:
            # ignore_conflicts: another process may have stored the same contestant's answer meanwhile.
            Answer.objects.bulk_create(fresh.values(), ignore_conflicts=True)
            stored = stored_answers()
        answered: dict[int, tuple[int, int, int, int]] = {}
        touched = {(a.round_id, a.question_id) for a in fresh.values()}
        for round_id, question_id in touched:
            q = next(q for q in questions.values() if q.id == question_id)
            answered[round_id] = (
                rounds[round_id].version,
                q.position,
                selectors.answered_count(question_id),
                selectors.active_contestants(round_id).count(),
            )

    outcomes = []
    acked: set[tuple[int, int]] = set()
    for p in batch:
        round_ = rounds.get(p.round_id)
        version = round_.version if round_ else 0
        q = questions.get((p.round_id, p.question))
        if p.contestant_id in kicked:
            outcomes.append(_refuse("kicked", "the host removed you from this round", version))
            continue
        if q is not None and (p.contestant_id, q.id) in stored:
            key = (p.contestant_id, q.id)
            mine = fresh.get(key)
            first_time = mine is not None and key not in acked and stored[key].received_at == mine.received_at
            acked.add(key)
            outcomes.append(_ack(stored[key], version, duplicate=not first_time, position=q.position))
            continue
        problem = _check(p, q, round_)
        code, message = problem or ("server_error", "the answer was not stored; send it again")
        outcomes.append(_refuse(code, message, version))
    return BatchResult(outcomes, answered)


def answered_message(version: int, question: int, answered: int, participants: int) -> dict[str, Any]:
    frame = dumps(
        {
            "type": "answered",
            "version": version,
            "question": question,
            "answered": answered,
            "participants": participants,
        }
    )
    return broadcast.round_message(version=version, frames={"host": frame, "display": frame})


def round_close_when_all_answered(*, round_id: int, question: int, now: datetime | None = None) -> bool:
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


# --- async twins for consumers -------------------------------------------------------------------------

ajoin = database_sync_to_async(contestant_join)
aresume = database_sync_to_async(contestant_resume)
around_command = database_sync_to_async(round_command)
ahost_snapshot = database_sync_to_async(host_snapshot)
adisplay_snapshot = database_sync_to_async(display_snapshot)
around_id_for_pin = database_sync_to_async(round_id_for_pin)
around_close_if_due = database_sync_to_async(round_close_if_due)
aanswers_record = database_sync_to_async(answers_record)
around_close_when_all_answered = database_sync_to_async(round_close_when_all_answered)
