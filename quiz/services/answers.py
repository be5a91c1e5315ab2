"""Answers: a batch recorded in one transaction (group commit, ``quiz.batching``) and answered counts.

Answers never touch the round's row: the batch reads the round and its questions, checks each answer
against the engine's rules for the question's clock, and inserts the new ones. The first accepted answer
per contestant and question stands.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from channels.db import database_sync_to_async
from django.db import transaction

from quiz import broadcast, frames, selectors
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
                (contestant, question): StoredAnswer(choices, received_at, text)
                for contestant, question, choices, received_at, text in rows.values_list(
                    "contestant_id", "question_id", "choices", "received_at", "text"
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
            state = selectors.question_state(q)
            fresh[(p.contestant_id, q.id)] = Answer(
                round_id=p.round_id,
                question_id=q.id,
                contestant_id=p.contestant_id,
                choices=list(p.choices),
                text=p.text or "",
                received_at=p.received_at,
                # t and T of the speed points, fixed now: nothing later (a pause, an extension) moves them.
                elapsed_ms=state.answering_ms(p.received_at),
                time_limit_ms=state.time_limit_ms(p.contestant_id),
                rtt_ms=p.rtt_ms,
                client_elapsed_ms=p.client_elapsed_ms,
                tapped_at=p.tapped_at,
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
    """How many have answered the current question, for hosts and displays."""
    frame = frames.answered_frame(version, question, answered, participants)
    message = broadcast.round_message(version=version, frames={"host": frame, "display": frame})
    message["answered"] = [question, answered]  # hubs never deliver a lower count after a higher one
    return message


aanswers_record = database_sync_to_async(answers_record)
