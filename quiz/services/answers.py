"""Answers: a batch recorded in one transaction (group commit, ``quiz.batching``) and answered counts.

Answers never touch the round's row: the batch reads the round and its questions, checks each answer
against the engine's rules for the question's clock, and inserts the new ones. The first accepted answer
per contestant and question stands.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from channels.db import database_sync_to_async
from django.db import connection, transaction

from quiz import broadcast, frames, selectors
from quiz.engine.rounds import QuestionState
from quiz.engine.typed import TYPED_KINDS
from quiz.models import Answer, Contestant, Round, RoundQuestion
from quiz.services.errors import QuizError


@dataclass(frozen=True, slots=True)
class PendingAnswer:
    contestant_id: int
    round_id: int
    question: int
    choices: tuple[int, ...]
    received_at: datetime
    client_elapsed_ms: int | None = None
    rtt_ms: int | None = None
    tapped_at: datetime | None = None  # the phone's tap time (evidence only)
    text: str | None = None  # a typed answer, trimmed by the protocol (``choices`` is then empty)


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
    return AnswerOutcome(frames.error_frame(QuizError(code, message), version=version, ref="answer"), False)


class StoredAnswer(NamedTuple):
    choices: list[int]
    received_at: datetime
    text: str = ""


def _ack(stored: StoredAnswer, version: int, *, duplicate: bool, position: int) -> AnswerOutcome:
    frame = frames.ack_frame(
        version=version,
        question=position,
        choices=stored.choices,
        received_at=stored.received_at,
        duplicate=duplicate,
        text=stored.text,
    )
    return AnswerOutcome(frame, True)


def _check(
    p: PendingAnswer, q: RoundQuestion | None, round_: Round | None, state: QuestionState | None = None
) -> tuple[str, str] | None:
    if q is None or round_ is None:
        return "unknown_question", f"the round has no question {p.question}"
    if q.opened_at is None or round_.current_index != q.position:
        if q.closed_at is not None:
            return "too_late", "that question has closed"
        return "wrong_question", f"question {p.question} is not the open question"
    state = state or selectors.question_state(q)
    if q.voided:
        return "too_late", "that question was voided"
    if not state.accepts_answer_at(p.received_at, p.contestant_id):
        if state.paused:
            return "paused", "the clock is paused; answer when it runs again"
        return "too_late", "the answer arrived after the question closed"
    if q.kind in TYPED_KINDS:
        if p.text is None:
            return "wrong_answer_type", "this question is answered by typing, not with choices"
        return None
    if p.text is not None:
        return "wrong_answer_type", "this question is answered with choices, not by typing"
    if any(c >= len(q.choices) for c in p.choices):
        return "invalid_choice", f"choose between 0 and {len(q.choices) - 1}"
    if q.kind != "multiple" and len(p.choices) != 1:
        return "invalid_choice", "choose exactly one answer"
    return None


class _Row(NamedTuple):
    """An answer to insert, in the column order of ``_INSERT_COLUMNS``."""

    round_id: int
    question_id: int
    contestant_id: int
    choices: list[int]
    received_at: datetime
    elapsed_ms: int
    time_limit_ms: int | None
    rtt_ms: int | None
    client_elapsed_ms: int | None
    tapped_at: datetime | None
    text: str


_INSERT_COLUMNS = (
    "round",
    "question",
    "contestant",
    "choices",
    "received_at",
    "elapsed_ms",
    "time_limit_ms",
    "rtt_ms",
    "client_elapsed_ms",
    "tapped_at",
    "text",
)
# PostgreSQL: the SQL type of each column, read from the batch's JSON (``_insert``).
_PG_TYPES = (
    "bigint",
    "bigint",
    "bigint",
    "jsonb",
    "timestamptz",
    "integer",
    "integer",
    "integer",
    "integer",
    "timestamptz",
    "text",
)


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _insert(rows: list[_Row]) -> set[tuple[int, int]]:
    """Insert the rows, skipping any (contestant, question) stored already; return the pairs inserted.

    One ``INSERT … ON CONFLICT DO NOTHING RETURNING``: a pair missing from the result was stored by an
    earlier batch or another process meanwhile, and only those are read back (``_stored``). On PostgreSQL
    the whole batch is one JSON parameter, one array per row, taken apart by the database
    (``json_array_elements``): serialising it is one C call, where psycopg's client-side binding of one
    array per column quoted every value in Python (a tenth of an answer burst's CPU). SQLite, in the
    process, takes multi-row ``VALUES`` in chunks its parameter limit allows."""
    if not rows:
        return set()
    meta = Answer._meta
    quote = connection.ops.quote_name
    fields = [meta.get_field(name) for name in _INSERT_COLUMNS]
    columns = ", ".join(quote(f.column) for f in fields)
    table = quote(meta.db_table)
    unique = f"{quote(meta.get_field('contestant').column)}, {quote(meta.get_field('question').column)}"
    tail = f" ON CONFLICT ({unique}) DO NOTHING RETURNING {unique}"
    inserted: set[tuple[int, int]] = set()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            select = ", ".join(
                f"(e->{i})::jsonb" if t == "jsonb" else f"(e->>{i})::{t}" for i, t in enumerate(_PG_TYPES)
            )
            batch = json.dumps([[_json_value(value) for value in row] for row in rows], separators=(",", ":"))
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {select} FROM json_array_elements(%s::json) AS e"
                + tail,
                [batch],
            )
            inserted.update(cursor.fetchall())
        else:
            chunk = max(connection.features.max_query_params // len(fields), 1)
            for start in range(0, len(rows), chunk):
                part = rows[start : start + chunk]
                values = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * len(part))
                params = [
                    field.get_db_prep_save(value, connection)
                    for row in part
                    for field, value in zip(fields, row, strict=True)
                ]
                cursor.execute(f"INSERT INTO {table} ({columns}) VALUES {values}" + tail, params)
                inserted.update(cursor.fetchall())
    return {(int(contestant), int(question)) for contestant, question in inserted}


def _stored(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], StoredAnswer]:
    """The stored answers of these (contestant, question) pairs, as plain rows."""
    if not pairs:
        return {}
    rows = Answer.objects.filter(
        contestant_id__in={c for c, _ in pairs}, question_id__in={q for _, q in pairs}
    ).values_list("contestant_id", "question_id", "choices", "received_at", "text")
    return {
        (contestant, question): StoredAnswer(choices, received_at, text)
        for contestant, question, choices, received_at, text in rows
        if (contestant, question) in pairs
    }


def answers_record(batch: Sequence[PendingAnswer]) -> BatchResult:
    """Write a batch of answers in one transaction (group commit) and return one outcome per answer.

    The first accepted answer per contestant and question stands; a retry or a second tap gets the
    stored answer back as a duplicate ack. Acks are only returned once the batch has committed.

    A burst of new answers costs four statements and the commit: the round, its questions, the kicked
    among the batch's contestants, the insert (which says what it stored), then one count when anything
    was stored. Stored answers are read back only for what the insert skipped and for answers that fail
    the rules now (a retry after the close still gets its ack).
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
        kicked = set(
            Contestant.objects.filter(
                pk__in={p.contestant_id for p in batch}, kicked_at__isnull=False
            ).values_list("id", flat=True)
        )
        states = {q.id: selectors.question_state(q) for q in questions.values()}
        fresh: dict[tuple[int, int], _Row] = {}
        lookup: set[tuple[int, int]] = set()  # pairs whose stored answer decides the outcome
        for p in batch:
            q = questions.get((p.round_id, p.question))
            if q is None or p.contestant_id in kicked:
                continue
            key = (p.contestant_id, q.id)
            if key in fresh:
                continue  # a second tap in the same batch: the first one stands
            state = states[q.id]
            if _check(p, q, rounds.get(p.round_id), state) is not None:
                lookup.add(key)
                continue
            fresh[key] = _Row(
                round_id=p.round_id,
                question_id=q.id,
                contestant_id=p.contestant_id,
                choices=list(p.choices),
                received_at=p.received_at,
                # t and T of the speed points, fixed now: nothing later (a pause, an extension) moves them.
                elapsed_ms=state.answering_ms(p.received_at),
                time_limit_ms=state.time_limit_ms(p.contestant_id),
                rtt_ms=p.rtt_ms,
                client_elapsed_ms=p.client_elapsed_ms,
                tapped_at=p.tapped_at,
                text=p.text or "",
            )
        inserted = _insert(list(fresh.values()))
        # Skipped by the insert: stored by an earlier batch (a retry) or by another process meanwhile.
        lookup.update(key for key in fresh if key not in inserted)
        stored = _stored(lookup)
        for key in inserted:
            stored[key] = StoredAnswer(fresh[key].choices, fresh[key].received_at, fresh[key].text)

    # Counted after the commit, not inside the transaction: two processes' batches that overlap would
    # each count only their own new answers beside the committed ones, and the burst's last count would
    # never be seen. Counted now, the batch that commits last sees every answer stored before it.
    answered: dict[int, tuple[int, int, int, int]] = {}
    touched = {(fresh[key].round_id, fresh[key].question_id) for key in inserted}
    positions = {q.id: q.position for q in questions.values()}
    for round_id, question_id in touched:
        count, participants = selectors.answered_and_participants(round_id, question_id)
        answered[round_id] = (rounds[round_id].version, positions[question_id], count, participants)

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
            first_time = key in inserted and key not in acked and p.received_at == fresh[key].received_at
            acked.add(key)
            outcomes.append(_ack(stored[key], version, duplicate=not first_time, position=q.position))
            continue
        problem = _check(p, q, round_, states.get(q.id) if q is not None else None)
        code, message = problem or ("server_error", "the answer was not stored; send it again")
        outcomes.append(_refuse(code, message, version))
    return BatchResult(outcomes, answered)


def answered_message(version: int, question: int, answered: int, participants: int) -> dict[str, Any]:
    """How many have answered the current question, for hosts and displays."""
    frame = frames.answered_frame(version, question, answered, participants)
    message = broadcast.round_message(version=version, frames={"host": frame, "display": frame})
    message["answered"] = [question, answered]  # hubs never deliver a lower count after a higher one
    return message


aanswers_record = database_sync_to_async(answers_record)
