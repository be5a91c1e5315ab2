"""Attempts at the self-paced modes: start (or resume), serve the current question, take an answer.

The rules that decide (scoring, streaks, the challenge's end, the self-test profile) are the pure
``competition.online.engine``; here they are applied in one transaction per request:

- A question is *served* when its page is first shown: ``served_at`` is stored then, and the answer's
  time is measured from it on the server's clock. Only the served question can be answered
  (``not_served`` otherwise); its key and explanation are sent back only in the answer's result.
- Every answer carries the client's ``submission`` id: a retry with the same id gets the stored result
  again and changes nothing (a double tap, a resend after a dropped response).
- A challenge's ``deadline`` is stored when it starts, so closing the app, another server process or a
  restart changes nothing: it resumes with the same deadline, and an answer at or after it ends the
  challenge as ``time_up`` (``too_late``).
- The contestant's running figures (points, correct answers, time, streak, best challenge) are updated
  with the attempt that finishes, in the same transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from competition.online import draws
from competition.online.engine import scoring
from competition.online.engine.rules import ThemedQuiz
from competition.online.errors import OnlineError
from competition.online.models import Answer, Attempt, Contestant, Mode, OnlineStage
from competition.online.services.finishing import attempt_finish, local_day, rules_of
from questionbank.models import Question

RECENT_ATTEMPTS = 30  # how far back a new draw looks for questions to pass over


def _stage_open(stage: OnlineStage, now: datetime) -> None:
    day = local_day(now)
    if not stage.opens_on <= day <= stage.closes_on:
        raise OnlineError("stage_closed", "the online stage is not open today")


def _recent_questions(contestant: Contestant) -> set[int]:
    seen: set[int] = set()
    for ids in contestant.attempts.order_by("-started_at").values_list("question_ids", flat=True)[
        :RECENT_ATTEMPTS
    ]:
        seen.update(ids)
    return seen


def _create(contestant: Contestant, **fields: Any) -> Attempt:
    """Create, or on a unique-constraint race (double tap) return the one that won."""
    try:
        with transaction.atomic():
            return Attempt.objects.create(contestant=contestant, **fields)
    except IntegrityError:
        lookup = {"contestant": contestant, "mode": fields["mode"]}
        lookup.update({"day": fields["day"]} if fields["mode"] == Mode.DAILY else {"theme": fields["theme"]})
        return Attempt.objects.get(**lookup)


def daily_start(*, contestant: Contestant, now: datetime | None = None) -> Attempt:
    """Today's daily set: the one already started today (finished or not), or a new draw."""
    now = now or timezone.now()
    day = local_day(now)
    existing = contestant.attempts.filter(mode=Mode.DAILY, day=day).first()
    if existing is not None:
        return existing
    stage = contestant.stage
    _stage_open(stage, now)
    attempts_close_stale(contestant=contestant, now=now)
    rules = rules_of(stage)
    ids = draws.draw(
        rules.daily.spec,
        count=rules.daily.count,
        seed=f"daily:{stage.pk}:{contestant.pk}:{day.isoformat()}",
        avoid=_recent_questions(contestant),
    )
    return _create(contestant, mode=Mode.DAILY, theme="", day=day, question_ids=ids, started_at=now)


def challenge_start(*, contestant: Contestant, now: datetime | None = None) -> Attempt:
    """The running challenge if there is one (same deadline), else a new one within the daily cap
    (``attempt_cap`` past it)."""
    now = now or timezone.now()
    running = contestant.attempts.filter(mode=Mode.CHALLENGE, finished_at__isnull=True).first()
    if running is not None:
        if running.deadline and now >= running.deadline:
            attempt_expire(attempt=running, now=now)
        else:
            return running
    stage = contestant.stage
    _stage_open(stage, now)
    rules = rules_of(stage)
    day = local_day(now)
    with transaction.atomic():
        Contestant.objects.select_for_update().filter(pk=contestant.pk).first()  # one start at a time
        if contestant.attempts.filter(mode=Mode.CHALLENGE, day=day).count() >= rules.challenge.daily_attempts:
            raise OnlineError("attempt_cap", "no challenge attempts left today")
        number = contestant.attempts.filter(mode=Mode.CHALLENGE).count() + 1
        ids = draws.draw(
            rules.challenge.spec,
            count=rules.challenge.questions,
            seed=f"challenge:{stage.pk}:{contestant.pk}:{number}",
            avoid=_recent_questions(contestant),
        )
        return Attempt.objects.create(
            contestant=contestant,
            mode=Mode.CHALLENGE,
            day=day,
            question_ids=ids,
            started_at=now,
            deadline=now + timedelta(seconds=rules.challenge.seconds),
        )


def themed_quizzes(contestant: Contestant, now: datetime | None = None) -> list[tuple[ThemedQuiz, bool]]:
    """The themed quizzes this contestant may see, with whether each is open today."""
    day = local_day(now or timezone.now())
    return [
        (quiz, quiz.open_on(day))
        for quiz in rules_of(contestant.stage).themed
        if quiz.key_group in (None, contestant.key_group)
    ]


def themed_start(*, contestant: Contestant, slug: str, now: datetime | None = None) -> Attempt:
    """The themed quiz ``slug``: one attempt each, in its date window, for its key group if it has one."""
    now = now or timezone.now()
    existing = contestant.attempts.filter(mode=Mode.THEMED, theme=slug).first()
    if existing is not None:
        return existing
    stage = contestant.stage
    _stage_open(stage, now)
    quiz = rules_of(stage).themed_quiz(slug)
    if quiz is None:
        raise OnlineError("themed_unknown", "no themed quiz with that name")
    if quiz.key_group and quiz.key_group != contestant.key_group:
        raise OnlineError("themed_group", "this themed quiz is for another key group")
    if not quiz.open_on(local_day(now)):
        raise OnlineError("themed_closed", "this themed quiz is not open today")
    spec = {"quotas": [{"tags": list(quiz.tags), "min": quiz.count, "label": quiz.slug}]}
    ids = draws.draw(spec, count=quiz.count, seed=f"themed:{stage.pk}:{contestant.pk}:{slug}")
    return _create(
        contestant, mode=Mode.THEMED, theme=slug, day=local_day(now), question_ids=ids, started_at=now
    )


def selftest_start(*, contestant: Contestant, now: datetime | None = None) -> Attempt:
    """The running self-test, or a new one within the stage's allowance (``attempt_cap`` past it)."""
    now = now or timezone.now()
    running = contestant.attempts.filter(mode=Mode.SELFTEST, finished_at__isnull=True).first()
    if running is not None:
        return running
    stage = contestant.stage
    _stage_open(stage, now)
    rules = rules_of(stage)
    with transaction.atomic():
        Contestant.objects.select_for_update().filter(pk=contestant.pk).first()
        done = contestant.attempts.filter(mode=Mode.SELFTEST).count()
        if done >= rules.selftest.attempts:
            raise OnlineError("attempt_cap", "the self-test has been taken")
        ids, names = draws.draw_selftest(
            rules.selftest.dimensions, seed=f"selftest:{stage.pk}:{contestant.pk}:{done + 1}"
        )
        return Attempt.objects.create(
            contestant=contestant,
            mode=Mode.SELFTEST,
            day=local_day(now),
            question_ids=ids,
            dimensions=names,
            started_at=now,
        )


def attempt_for(contestant: Contestant, attempt_id: int) -> Attempt:
    attempt = Attempt.objects.filter(pk=attempt_id, contestant=contestant).first()
    if attempt is None:
        raise OnlineError("attempt_unknown", "no such attempt of yours")
    return attempt


@dataclass
class Served:
    attempt: Attempt
    position: int
    question: Question
    served_at: datetime
    remaining_ms: int | None  # challenge: time left on the server's clock
    submission: str = field(default_factory=lambda: str(uuid.uuid4()))


def question_serve(*, attempt: Attempt, now: datetime | None = None) -> Served | None:
    """The question to show now (stamping when it was first served), or None once the attempt is over.
    A challenge past its deadline is finished here as ``time_up``."""
    now = now or timezone.now()
    if attempt.finished:
        return None
    if attempt.deadline and now >= attempt.deadline:
        attempt_expire(attempt=attempt, now=now)
        attempt.refresh_from_db()
        return None
    if attempt.served_at is None:
        stamped = Attempt.objects.filter(
            pk=attempt.pk, position=attempt.position, served_at__isnull=True
        ).update(served_at=now)
        if stamped:
            attempt.served_at = now
        else:  # served (or answered) meanwhile by another request
            attempt.refresh_from_db(fields=["served_at", "position"])
    question = Question.objects.get(pk=attempt.question_ids[attempt.position])
    remaining = int((attempt.deadline - now).total_seconds() * 1000) if attempt.deadline else None
    return Served(attempt, attempt.position, question, attempt.served_at or now, remaining)


@dataclass(frozen=True)
class AnswerResult:
    attempt_id: int
    position: int
    correct: bool
    correct_choices: list[int]
    choices: list[int]
    explanation: str
    finished: bool
    repeated: bool = False


def _result(answer: Answer, attempt: Attempt, *, repeated: bool) -> AnswerResult:
    question = answer.question
    return AnswerResult(
        attempt_id=attempt.pk,
        position=answer.position,
        correct=answer.correct,
        correct_choices=list(question.correct),
        choices=list(answer.choices),
        explanation=question.explanation,
        finished=attempt.finished,
        repeated=repeated,
    )


def answer_submit(
    *,
    contestant: Contestant,
    attempt_id: int,
    position: int,
    choices: list[int],
    submission: uuid.UUID,
    now: datetime | None = None,
    attempt: Attempt | None = None,
) -> AnswerResult:
    """Store the answer to the served question and move the attempt on (see the module docstring).
    ``attempt``: the attempt as the request just read it, if it did (``attempt_id``'s, the contestant's).

    Refusals: ``attempt_unknown``, ``not_served`` (not the question being served), ``attempt_finished``,
    ``too_late`` (a challenge's deadline passed: it is finished as ``time_up``), ``invalid_choice``."""
    now = now or timezone.now()
    fast = _answer_fast(
        contestant=contestant,
        attempt_id=attempt_id,
        position=position,
        choices=choices,
        submission=submission,
        now=now,
        read=attempt,
    )
    if fast is not None:
        return fast
    late = False
    with transaction.atomic():
        attempt = Attempt.objects.select_for_update().filter(pk=attempt_id, contestant=contestant).first()
        if attempt is None:
            raise OnlineError("attempt_unknown", "no such attempt of yours")
        stored = attempt.answers.select_related("question").filter(submission=submission).first()
        if stored is not None:
            return _result(stored, attempt, repeated=True)
        if attempt.finished:
            raise OnlineError("attempt_finished", "this attempt is over")
        if position != attempt.position or attempt.served_at is None:
            raise OnlineError("not_served", "that question is not the one being served")
        if attempt.deadline and now >= attempt.deadline:
            attempt_finish(attempt, outcome="time_up", now=now)
            late = True
        else:
            question = Question.objects.get(pk=attempt.question_ids[position])
            try:
                correct = scoring.answer_correct(
                    kind=question.kind,
                    n_choices=len(question.choices),
                    correct=question.correct,
                    chosen=choices,
                )
            except scoring.InvalidAnswer:
                raise OnlineError("invalid_choice", "not a valid answer to this question") from None
            elapsed = max(0, int((now - attempt.served_at).total_seconds() * 1000))
            answer = Answer.objects.create(
                attempt=attempt,
                position=position,
                question=question,
                choices=sorted(set(choices)),
                correct=correct,
                received_at=now,
                elapsed_ms=elapsed,
                submission=submission,
            )
            attempt.answered += 1
            attempt.correct += 1 if correct else 0
            attempt.answer_ms += elapsed if correct else 0
            attempt.position = position + 1
            attempt.served_at = None
            outcome = _outcome_after(attempt, correct, now)
            if outcome:
                attempt_finish(attempt, outcome=outcome, now=now)
            else:
                attempt.save(update_fields=["answered", "correct", "answer_ms", "position", "served_at"])
            result = _result(answer, attempt, repeated=False)
    if late:
        raise OnlineError("too_late", "the challenge's time was up")
    return result


def _answer_fast(
    *,
    contestant: Contestant,
    attempt_id: int,
    position: int,
    choices: list[int],
    submission: uuid.UUID,
    now: datetime,
    read: Attempt | None = None,
) -> AnswerResult | None:
    """The usual answer (the served question, valid choices, not the attempt's last) in four statements
    and without a row lock: read the attempt, read the question, then in one transaction move the attempt
    on with an update conditional on the position still being served, and insert the answer. None when
    the locked path must decide: a repeat or a refusal, an answer that finishes the attempt, a race lost
    to another request (a double tap), a reused submission id."""
    if read is not None and read.pk == attempt_id and read.contestant_id == contestant.pk:
        attempt = read
    else:
        attempt = Attempt.objects.filter(pk=attempt_id, contestant=contestant).first()
    if attempt is None:
        raise OnlineError("attempt_unknown", "no such attempt of yours")
    served_at = attempt.served_at
    if (
        attempt.finished
        or served_at is None
        or position != attempt.position
        or (attempt.deadline and now >= attempt.deadline)
    ):
        return None
    question = Question.objects.only("kind", "choices", "correct", "explanation").get(
        pk=attempt.question_ids[position]
    )
    try:
        correct = scoring.answer_correct(
            kind=question.kind, n_choices=len(question.choices), correct=question.correct, chosen=choices
        )
    except scoring.InvalidAnswer:
        return None
    elapsed = max(0, int((now - served_at).total_seconds() * 1000))
    attempt.answered += 1
    attempt.position = position + 1
    if _outcome_after(attempt, correct, now):
        return None  # the last answer: the locked path scores the attempt and updates the contestant
    chosen = sorted(set(choices))
    try:
        with transaction.atomic():
            moved = Attempt.objects.filter(
                pk=attempt.pk, position=position, served_at__isnull=False, finished_at__isnull=True
            ).update(
                position=position + 1,
                served_at=None,
                answered=F("answered") + 1,
                correct=F("correct") + (1 if correct else 0),
                answer_ms=F("answer_ms") + (elapsed if correct else 0),
            )
            if not moved:
                return None
            Answer.objects.create(
                attempt_id=attempt.pk,
                position=position,
                question_id=question.pk,
                choices=chosen,
                correct=correct,
                received_at=now,
                elapsed_ms=elapsed,
                submission=submission,
            )
    except IntegrityError:  # the submission id was used for an earlier answer: the locked path answers
        return None
    return AnswerResult(
        attempt_id=attempt.pk,
        position=position,
        correct=correct,
        correct_choices=list(question.correct),
        choices=chosen,
        explanation=question.explanation,
        finished=False,
    )


def _outcome_after(attempt: Attempt, correct: bool, now: datetime) -> str:
    if attempt.mode == Mode.CHALLENGE:
        assert attempt.deadline is not None
        step = scoring.challenge_step(
            answer_correct=correct,
            now=now,
            deadline=attempt.deadline,
            answered=attempt.answered,
            questions=len(attempt.question_ids),
        )
        return step.outcome
    return "completed" if attempt.position >= len(attempt.question_ids) else ""


def attempt_expire(*, attempt: Attempt, now: datetime | None = None) -> None:
    """Finish a challenge whose deadline has passed (idempotent)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
        if not locked.finished and locked.deadline and now >= locked.deadline:
            attempt_finish(locked, outcome="time_up", now=now)


def attempts_close_stale(*, contestant: Contestant, now: datetime) -> None:
    """Finish daily sets left unfinished on earlier days, so what was answered counts once."""
    for attempt in contestant.attempts.filter(
        mode=Mode.DAILY, finished_at__isnull=True, day__lt=local_day(now)
    ):
        with transaction.atomic():
            locked = Attempt.objects.select_for_update().get(pk=attempt.pk)
            if not locked.finished:
                attempt_finish(locked, outcome="abandoned", now=now)
