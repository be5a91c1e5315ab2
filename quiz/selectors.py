"""Reads for live rounds: the engine's state from rows, and the views that frames are built from."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, TextField
from django.db.models.functions import Cast

from quiz import hooks
from quiz.boards import Board, Standing, live_board
from quiz.engine.ranking import ranked
from quiz.engine.rounds import Phase, QuestionState, RoundState, counted_questions
from quiz.engine.scoring import (
    AnswerRecord,
    ContestantScore,
    ScoredQuestion,
    ScoringRule,
    score_round,
    team_scores,
)
from quiz.engine.typed import TYPED_KINDS, CommonAnswer, TypedKey, common_answers
from quiz.models import Answer, Contestant, Round, RoundQuestion


def question_state(q: RoundQuestion) -> QuestionState:
    return QuestionState(
        index=q.position,
        duration=timedelta(milliseconds=q.duration_ms),
        opened_at=q.opened_at,
        deadline=q.deadline,
        closed_at=q.closed_at,
        revealed_at=q.revealed_at,
        paused_remaining=None
        if q.paused_remaining_ms is None
        else timedelta(milliseconds=q.paused_remaining_ms),
        paused_at=q.paused_at,
        pauses=tuple((int(start), int(end)) for start, end in q.pauses or ()),
        voided=q.voided,
        skipped=q.skipped,
        time_factors=tuple((int(cid), int(percent)) for cid, percent in q.time_factors or ()),
    )


def round_state(round_: Round, questions: list[RoundQuestion]) -> RoundState:
    return RoundState(
        phase=Phase(round_.phase),
        version=round_.version,
        current=round_.current_index,
        questions=tuple(question_state(q) for q in questions),
    )


def typed_key(q: RoundQuestion) -> TypedKey | None:
    """The key of a typed question (short answer, numerical), or None for a choice question."""
    if q.kind not in TYPED_KINDS:
        return None
    return TypedKey(
        q.kind,
        accepted=tuple(q.accepted_answers or ()),
        value=q.numeric_value,
        tolerance=q.tolerance or 0.0,
        unit=q.unit,
    )


def scored_question(q: RoundQuestion) -> ScoredQuestion:
    """The question as the scores see it; its time limit is T of answers stored without their own."""
    return ScoredQuestion(
        index=q.position,
        correct=frozenset(q.correct),
        time_allowed_ms=q.duration_ms,
        weight=q.weight,
        multiple=q.kind == "multiple",
        typed=typed_key(q),
    )


def round_scores(
    round_: Round, contestant_ids: Iterable[int], *, state: RoundState | None = None
) -> dict[int, ContestantScore]:
    """Score ``contestant_ids`` from the answer log over the questions that count, by the round's rule.

    ``state`` is the round as it stands inside a transaction that just changed it; by default it is read.
    """
    rows = list(RoundQuestion.objects.filter(round_id=round_.id).order_by("position"))
    state = state or round_state(round_, rows)
    counted = {q.index for q in counted_questions(state)}
    scored = {q.id: scored_question(q) for q in rows if q.position in counted}
    ids = set(contestant_ids)
    answers = _answer_records(round_.id, scored, ids)
    return score_round(list(scored.values()), answers, ScoringRule.from_dict(round_.scoring), ids)


def _answer_records(
    round_id: int, questions: dict[int, ScoredQuestion], contestant_ids: set[int]
) -> list[AnswerRecord]:
    """The answers of ``contestant_ids`` to ``questions`` (keyed by row id), as the engine's records.

    A sitting of 10,000 contestants has 100,000 answers, so this reads five plain columns without
    joining the questions or sorting, and decodes each distinct choice set's JSON text once (a round
    has a few dozen) instead of every row's.
    """
    if not questions:
        return []
    rows = (
        Answer.objects.filter(round_id=round_id, question_id__in=questions)
        .order_by()
        .values_list(
            "contestant_id",
            "question_id",
            Cast("choices", TextField()),
            "elapsed_ms",
            "time_limit_ms",
            "text",
        )
    )
    choice_sets: dict[str, frozenset[int]] = {}
    records = []
    for contestant_id, question_id, choice_text, elapsed_ms, time_limit_ms, typed in rows:
        if contestant_id not in contestant_ids:
            continue
        choices = choice_sets.get(choice_text)
        if choices is None:
            choices = choice_sets[choice_text] = frozenset(json.loads(choice_text))
        q = questions[question_id]
        records.append(
            AnswerRecord(
                contestant_id,
                q.index,
                choices,
                elapsed_ms,
                time_limit_ms,
                typed if q.typed is not None else None,
            )
        )
    return records


@dataclass(slots=True)
class RoundView:
    """Everything any audience may be shown about a round at one version; frames pick from it."""

    round: Round
    questions: list[RoundQuestion]
    participants: int
    answered: int = 0  # answers to the current question
    distribution: list[int] = field(default_factory=list)  # per choice, current question
    common: list[CommonAnswer] = field(default_factory=list)  # typed question: the most common answers
    leaderboard: list[Standing] = field(default_factory=list)
    teams: list[dict[str, Any]] = field(default_factory=list)

    @property
    def current(self) -> RoundQuestion | None:
        index = self.round.current_index
        return None if index is None else self.questions[index]


def active_contestants(round_id: int):
    return Contestant.objects.filter(round_id=round_id, kicked_at__isnull=True)


def answer_counts(question: RoundQuestion) -> tuple[int, list[int]]:
    """(answers, answers per choice) for one question: counted per distinct choice set in the database,
    so a question answered by 5,000 phones returns a handful of rows."""
    distribution = [0] * len(question.choices)
    total = 0
    rows = Answer.objects.filter(question=question).order_by().values_list("choices").annotate(n=Count("id"))
    for choices, n in rows:
        total += n
        for c in choices:
            if 0 <= c < len(distribution):
                distribution[c] += n
    return total, distribution


def typed_answer_counts(question: RoundQuestion) -> tuple[int, list[CommonAnswer]]:
    """(answers, the most common answers) for a typed question: counted per distinct text in the database,
    then grouped as the key compares them (quiz.engine.typed.common_answers)."""
    key = typed_key(question)
    assert key is not None
    rows = list(
        Answer.objects.filter(question=question).order_by().values_list("text").annotate(n=Count("id"))
    )
    return sum(n for _, n in rows), common_answers(key, rows)


def answered_count(question_id: int) -> int:
    return Answer.objects.filter(question_id=question_id).count()


def answered_and_participants(round_id: int, question_id: int) -> tuple[int, int]:
    """(answers to the question, contestants not kicked from the round), in one query."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM {quote(Answer._meta.db_table)} WHERE question_id = %s),"
            f" (SELECT COUNT(*) FROM {quote(Contestant._meta.db_table)}"
            " WHERE round_id = %s AND kicked_at IS NULL)",
            [question_id, round_id],
        )
        answered, participants = cursor.fetchone()
    return int(answered), int(participants)


def leaderboard_top(round_id: int, size: int | None = None, *, board: Board | None = None) -> list[Standing]:
    """The live board's top rows (Redis or the database, see quiz/boards.py)."""
    return (board or live_board()).top(round_id, size or settings.QUIZ["LEADERBOARD_SIZE"])


def team_table(round_id: int) -> list[dict[str, Any]]:
    """Team standings from the cached member scores, using the round's team aggregate."""
    round_ = Round.objects.only("scoring").get(pk=round_id)
    members = list(
        active_contestants(round_id).filter(team__isnull=False).values("id", "team_id", "team__name", "score")
    )
    if not members:
        return []
    names = {m["team_id"]: m["team__name"] for m in members}
    scores = {m["id"]: ContestantScore(m["id"], points=m["score"]) for m in members}
    table = team_scores(
        scores, {m["id"]: m["team_id"] for m in members}, ScoringRule.from_dict(round_.scoring)
    )
    return [
        {"rank": rank, "name": names[t.team_id], "score": t.points, "members": t.members}
        for rank, t in ranked(table, key=lambda t: t.points)
    ]


def round_view(round_id: int, *, board: Board | None = None, for_contestant: bool = False) -> RoundView:
    """``board``: where the leaderboard is read; by default the live board (quiz/boards.py).
    ``for_contestant``: the answer counts are read only once the current question is revealed, the only
    time a contestant is shown them (quiz/frames.py)."""
    round_ = Round.objects.select_related("competition").get(pk=round_id)
    questions = list(RoundQuestion.objects.filter(round_id=round_id).order_by("position"))
    view = RoundView(round=round_, questions=questions, participants=active_contestants(round_id).count())
    current = view.current
    if current is not None and (not for_contestant or current.revealed_at is not None):
        if current.kind in TYPED_KINDS:
            view.answered, view.common = typed_answer_counts(current)
        else:
            view.answered, view.distribution = answer_counts(current)
    if round_.phase in (Phase.REVEALED, Phase.LEADERBOARD, Phase.FINISHED):
        view.leaderboard = leaderboard_top(round_id, board=board)
        view.teams = team_table(round_id)
    return view


def contestants_list(round_id: int) -> list[dict[str, Any]]:
    rows = (
        Contestant.objects.filter(round_id=round_id)
        .select_related("team")
        .annotate(answers_count=Count("answers"))
        .order_by("joined_at")
    )
    return [
        {
            "id": c.id,
            "nickname": c.nickname,
            "team": c.team.name if c.team else None,
            "score": c.score,
            "rank": c.rank,
            "answers": c.answers_count,
            "kicked": c.kicked_at is not None,
            "time_factor": c.time_factor / 100 if c.time_factor % 100 else c.time_factor // 100,
        }
        for c in rows
    ]


# The display's name wall: the most recent joiners, enough to fill a projector.
NAME_WALL_SIZE = 200


def name_wall(round_id: int, size: int = NAME_WALL_SIZE) -> list[dict[str, Any]]:
    """The active contestants who joined last (at most ``size``), oldest first: id, nickname, team."""
    rows = (
        active_contestants(round_id)
        .order_by("-joined_at", "-id")
        .values_list("id", "nickname", "team__name")[:size]
    )
    return [{"id": cid, "nickname": nickname, "team": team} for cid, nickname, team in reversed(rows)]


def time_factors(round_id: int) -> tuple[tuple[int, int], ...]:
    """(contestant id, percent) of the active contestants with extended time, for opening a question."""
    return tuple(
        active_contestants(round_id).exclude(time_factor=100).order_by("id").values_list("id", "time_factor")
    )


def current_answer(contestant_id: int, round_: Round) -> dict[str, Any] | None:
    """The contestant's stored answer to the round's current question: question, choices, received_at."""
    if round_.current_index is None:
        return None
    stored = (
        Answer.objects.filter(
            contestant_id=contestant_id, question__round_id=round_.id, question__position=round_.current_index
        )
        .values("choices", "text", "received_at")
        .first()
    )
    return None if stored is None else {"question": round_.current_index, **stored}


def current_answers(contestant_ids: list[int], round_: Round) -> dict[int, dict[str, Any]]:
    """``current_answer`` for many contestants of one round, in one query: contestant id -> answer."""
    if round_.current_index is None or not contestant_ids:
        return {}
    rows = Answer.objects.filter(
        contestant_id__in=contestant_ids,
        question__round_id=round_.id,
        question__position=round_.current_index,
    ).values_list("contestant_id", "choices", "text", "received_at")
    return {
        contestant_id: {
            "question": round_.current_index,
            "choices": choices,
            "text": text,
            "received_at": received_at,
        }
        for contestant_id, choices, text, received_at in rows
    }


def round_for_pin(pin: str) -> Round | None:
    return Round.objects.filter(pin=pin).exclude(phase=Phase.FINISHED).first()


def finished_round_for_pin(pin: str) -> Round | None:
    """The round that last finished with this PIN (its big screen shows the final results after a reload)."""
    return Round.objects.filter(pin=pin, phase=Phase.FINISHED).order_by("-finished_at", "-id").first()


def user_can_host(user, round_: Round) -> bool:
    """The competition's rule for who may host (``quiz.hooks``; competition/permissions.py)."""
    return hooks.may_host(user, round_)


def rounds_hosted_by(user):
    """The rounds ``user`` may host, newest first."""
    qs = Round.objects.select_related("competition").order_by("-created_at")
    return hooks.hosted_rounds(user, qs)
