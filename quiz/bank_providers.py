"""What the question bank may read about rounds (``questionbank.hooks``), answered from quiz's tables.

Registered once by ``QuizConfig.ready``. The bank imports nothing from quiz; it asks these methods. The
competitions and their divisions are reached through the foreign keys of quiz's own models (a round's
competition, a contestant's team), so quiz imports nothing from the competition app either.
"""

from __future__ import annotations

from collections.abc import Sequence

from questionbank import hooks
from questionbank.hooks import CompetitionRef, ItemResponses, ResponseScope
from quiz.engine.typed import TYPED_KINDS
from quiz.models import Answer, Contestant, Round, RoundQuestion


def _competition_model():
    return Round._meta.get_field("competition").related_model


class QuizRounds:
    """``hooks.RoundsProvider`` over quiz's rounds, round questions, contestants and answers."""

    def planned_question_ids(self, competition_id: int, stage: str) -> list[int]:
        return list(
            RoundQuestion.objects.filter(
                round__competition_id=competition_id, round__stage=stage, source__isnull=False
            )
            .order_by()
            .values_list("source_id", flat=True)
        )

    def item_responses(self, scope: ResponseScope) -> ItemResponses:
        rqs = RoundQuestion.objects.order_by()
        if scope.round_id is not None:
            rqs = rqs.filter(round_id=scope.round_id)
        if scope.competition_id is not None:
            rqs = rqs.filter(round__competition_id=scope.competition_id)
        if scope.stage is not None:
            rqs = rqs.filter(round__stage=scope.stage)
        if scope.question_ids is not None:
            rqs = rqs.filter(source_id__in=list(scope.question_ids))
        questions = list(
            rqs.order_by("round__created_at", "round_id", "position").values_list(
                "id", "round_id", "position", "source_id", "source__key", "stem", "choices", "correct"
            )
        )
        if not questions:
            return ItemResponses()
        answers = list(
            Answer.objects.filter(question_id__in=rqs.values("id"))
            .order_by()
            .values_list("contestant_id", "question_id", "choices", "elapsed_ms", "text")
        )
        typed_rows = rqs.filter(kind__in=TYPED_KINDS).values_list(
            "id", "kind", "accepted_answers", "numeric_value", "tolerance", "unit"
        )
        typed_keys = {
            rq_id: {
                "kind": kind,
                "accepted": accepted or [],
                "value": value,
                "tolerance": tolerance,
                "unit": unit,
            }
            for rq_id, kind, accepted, value, tolerance, unit in typed_rows
        }
        contestants = list(
            Contestant.objects.filter(id__in={a[0] for a in answers}).values_list(
                "id", "round_id", "score", "team__division__name"
            )
        )
        return ItemResponses(
            questions=questions, answers=answers, contestants=contestants, typed_keys=typed_keys
        )

    def competitions(self) -> list[CompetitionRef]:
        return [
            CompetitionRef(id=pk, name=name, slug=slug)
            for pk, name, slug in _competition_model().objects.values_list("pk", "name", "slug")
        ]

    def stages(self, competition_id: int) -> Sequence[str]:
        return sorted(
            set(Round.objects.filter(competition_id=competition_id).values_list("stage", flat=True))
        )

    def regions(self, competition_id: int) -> Sequence[str]:
        names = (
            _competition_model()
            .objects.filter(pk=competition_id, divisions__isnull=False)
            .values_list("divisions__name", flat=True)
        )
        return sorted(set(names))


def register_bank_providers() -> None:
    hooks.register(QuizRounds())
