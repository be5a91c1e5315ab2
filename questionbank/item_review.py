"""Item-writing checks on stored questions (the rules are questionbank.engine.item_checks).

``question_flags`` is what the admin's change page shows for one question: its own flags, and the
explanations in the bank that give its answer away or whose answer its explanation gives away.
``questions_flags`` checks a set (a bank, a filtered list), adding what only shows across questions.
"""

from __future__ import annotations

from collections.abc import Iterable

from questionbank.engine.item_checks import Flag, Item, bank_flags, explanation_giveaways, item_flags
from questionbank.models import Question, QuestionKind

FIELDS = ("key", "stem", "kind", "choices", "correct", "explanation", "source")


def item_of(question) -> Item:
    """The checks' view of a question (a model instance or a ParsedQuestion)."""
    return Item(
        key=question.key,
        stem=question.stem,
        kind=question.kind,
        choices=tuple(question.choices or ()),
        correct=tuple(question.correct or ()),
        explanation=question.explanation or "",
        source=question.source or "",
    )


def question_flags(question: Question) -> list[Flag]:
    """The flags of one stored question, including explanation give-aways across the bank."""
    flags = item_flags(item_of(question))
    others = (
        Question.objects.exclude(pk=question.pk)
        .exclude(kind=QuestionKind.JUDGED)
        .exclude(status="retired")
        .values_list(*FIELDS)
        .iterator(chunk_size=2000)
    )
    bank = [
        item_of(question),
        *(Item(*row[:3], tuple(row[3] or ()), tuple(row[4] or ()), *row[5:]) for row in others),
    ]
    return flags + explanation_giveaways(bank, about=question.key)


def questions_flags(questions: Iterable) -> list[Flag]:
    """Every question's flags, then those of the set (key-length share, correct-answer counts)."""
    return bank_flags(item_of(q) for q in questions)
