"""Writes to the question bank."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.db import transaction

from questionbank.models import Question, QuestionKind

KINDS = {k.value for k in QuestionKind}


class QuestionDataError(ValueError):
    pass


def _validated(item: dict[str, Any], where: str) -> dict[str, Any]:
    kind = item.get("kind")
    if kind not in KINDS:
        raise QuestionDataError(f"{where}: unknown kind {kind!r}")
    choices, correct = item.get("choices"), item.get("correct")
    if (
        not isinstance(choices, list)
        or not 2 <= len(choices) <= 6
        or not all(isinstance(c, str) and c for c in choices)
    ):
        raise QuestionDataError(f"{where}: 2 to 6 non-empty choices are needed")
    if (
        not isinstance(correct, list)
        or not correct
        or not all(isinstance(i, int) and 0 <= i < len(choices) for i in correct)
        or (kind != QuestionKind.MULTIPLE and len(correct) != 1)
    ):
        raise QuestionDataError(f"{where}: the correct choices do not fit the kind and the choices")
    if not str(item.get("stem", "")).strip():
        raise QuestionDataError(f"{where}: the stem is empty")
    return item


def questions_load_json(path: Path) -> tuple[int, int]:
    """Create or update the questions in a demo JSON file (and their English versions). All or nothing.

    Returns (Chinese questions, English versions).
    """
    items = json.loads(Path(path).read_text(encoding="utf-8"))
    zh = en = 0
    with transaction.atomic():
        for position, raw in enumerate(items):
            item = _validated(raw, f"question {position + 1} ({raw.get('key', '?')})")
            common = {
                "kind": item["kind"],
                "difficulty": item.get("difficulty", 3),
                "time_limit": item.get("time_limit", 20),
                "theme": item.get("theme", ""),
                "source": item.get("source", ""),
                "correct": sorted(item["correct"]),
            }
            original, _ = Question.objects.update_or_create(
                key=item["key"],
                defaults={
                    **common,
                    "language": "zh-hans",
                    "stem": item["stem"],
                    "choices": item["choices"],
                    "explanation": item.get("explanation", ""),
                },
            )
            zh += 1
            english = item.get("en")
            if english:
                translated = _validated({**item, **english}, f"question {item['key']} (en)")
                Question.objects.update_or_create(
                    key=f"{item['key']}-en",
                    defaults={
                        **common,
                        "language": "en",
                        "stem": translated["stem"],
                        "choices": translated["choices"],
                        "explanation": translated.get("explanation", ""),
                        "translation_of": original,
                    },
                )
                en += 1
    return zh, en
