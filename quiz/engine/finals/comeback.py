"""力挽狂澜: only the trailing teams play, with the segment's own values.

The cut is taken from the scoreboard when the segment starts: the last ``last_n`` teams (teams level with
the last one inside the cut play too), or every team below ``below`` points. They then play buzzer or
compulsory questions with the segment's ``right``/``wrong`` values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal

from quiz.engine.finals.common import TeamId
from quiz.engine.finals.script import BuzzerRules, ComebackRules, CompulsoryRules


def participants(
    seeding: Sequence[TeamId], board: Mapping[TeamId, Decimal], rules: ComebackRules
) -> tuple[TeamId, ...]:
    """The teams below the cut, in seeding order."""
    if rules.cut == "below":
        chosen = {t for t in seeding if board.get(t, Decimal(0)) < rules.below}
    else:
        ascending = sorted(seeding, key=lambda t: board.get(t, Decimal(0)))
        n = min(rules.last_n, len(ascending))
        if n == 0:
            return ()
        edge = board.get(ascending[n - 1], Decimal(0))
        chosen = {t for t in seeding if board.get(t, Decimal(0)) <= edge}
    return tuple(t for t in seeding if t in chosen)


def buzzer_rules(rules: ComebackRules) -> BuzzerRules:
    return replace(BuzzerRules(), questions=rules.questions, right=rules.right, wrong=rules.wrong)


def compulsory_rules(rules: ComebackRules) -> CompulsoryRules:
    return replace(CompulsoryRules(), rounds=rules.questions, right=rules.right, wrong=rules.wrong)
