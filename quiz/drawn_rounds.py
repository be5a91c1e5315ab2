"""A round whose questions are drawn from the bank by a spec (``questionbank.draws``) and a seed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from questionbank.draws import draw_questions
from questionbank.engine.draws import DrawSpec
from quiz.services.rounds import round_create


def round_create_drawn(
    competition, title: str, stage: str, spec: Mapping[str, Any] | DrawSpec, seed, **round_options
):
    """Draw the questions for ``competition`` / ``stage`` and create the round with them, in play order.

    ``SpecError`` or ``DrawError`` when the spec is wrong or cannot be met; ``QuizError`` from
    ``round_create`` when the round cannot be made."""
    questions = draw_questions(spec, competition, stage, seed)
    return round_create(
        competition=competition, title=title, questions=questions, stage=stage, **round_options
    )
