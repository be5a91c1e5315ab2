"""Creating a final: its round (PIN and channel), script, teams, judges and frozen question copies."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction

from questionbank.models import Status
from quiz.engine.finals import codec
from quiz.engine.finals.common import FinalsError
from quiz.engine.finals.script import Script, default_script, script_from_data
from quiz.engine.finals.stage import StageState
from quiz.finals.models import Final, FinalJudge, FinalQuestion, FinalTeam
from quiz.models import Round
from quiz.services.errors import QuizError

MIN_TEAMS, MAX_TEAMS = 2, 18


def _copy(final: Final, segment: int, position: int, q) -> FinalQuestion:
    return FinalQuestion(
        final=final,
        segment=segment,
        position=position,
        source=q,
        kind=q.kind,
        stem=q.stem,
        choices=list(q.choices or []),
        correct=sorted(q.correct or []),
        reference_answer=getattr(q, "reference_answer", "") or "",
        explanation=q.explanation,
    )


def final_create(
    *,
    competition,
    title: str,
    teams: Sequence[Mapping[str, Any]],
    judges: Sequence[Mapping[str, Any]] = (),
    questions: Mapping[int, Sequence[Any]] | None = None,
    sudden_death_pool: Sequence[Any] = (),
    script: Script | Mapping[str, Any] | None = None,
    stage: str = "district",
    pin: str | None = None,
) -> Final:
    """A final ready to start. ``teams``: dicts of name, district, unit, members (names) and optionally
    ``team`` (a competition Team, so the result reaches brackets and standings); ``judges``: dicts of name,
    district, unit; ``questions``: segment index -> approved bank questions (any kind, host-judged too)."""
    try:
        if script is None:
            script = default_script(stage)
        elif not isinstance(script, Script):
            script = script_from_data(script)
    except FinalsError as exc:
        raise QuizError(exc.code, exc.message) from None
    if not MIN_TEAMS <= len(teams) <= MAX_TEAMS:
        raise QuizError("invalid_value", f"a final has {MIN_TEAMS} to {MAX_TEAMS} teams")
    questions = questions or {}
    every = [q for qs in questions.values() for q in qs] + list(sudden_death_pool)
    unapproved = [q.key for q in every if q.status != Status.APPROVED]
    if unapproved:
        raise QuizError(
            "question_not_playable", f"only approved questions can be played: {', '.join(unapproved[:10])}"
        )
    for attempt in range(20):
        try:
            with transaction.atomic():
                round_ = Round.objects.create(
                    competition=competition,
                    title=title,
                    stage=stage,
                    pin=pin or f"{secrets.randbelow(900000) + 100000}",
                    join_mode=Round.JoinMode.REGISTERED,
                )
                final = Final.objects.create(
                    round=round_,
                    stage=stage,
                    script=script.to_data(),
                    state=codec.state_to_data(StageState()),
                )
                FinalTeam.objects.bulk_create(
                    FinalTeam(
                        final=final,
                        seed=i + 1,
                        name=t["name"],
                        district=t.get("district", ""),
                        unit=t.get("unit", ""),
                        members=list(t.get("members", [])),
                        team=t.get("team"),
                    )
                    for i, t in enumerate(teams)
                )
                FinalJudge.objects.bulk_create(
                    FinalJudge(
                        final=final, name=j["name"], district=j.get("district", ""), unit=j.get("unit", "")
                    )
                    for j in judges
                )
                copies = [
                    _copy(final, segment, position, q)
                    for segment, qs in questions.items()
                    for position, q in enumerate(qs)
                ]
                copies += [_copy(final, -1, position, q) for position, q in enumerate(sudden_death_pool)]
                FinalQuestion.objects.bulk_create(copies)
                return final
        except IntegrityError:
            if pin is not None or attempt == 19:
                raise QuizError("pin_taken", "that PIN belongs to another live round") from None
    raise AssertionError("unreachable")
