"""Writes to the question bank. Every edit makes a revision (django-reversion); every workflow move is
recorded with who, when and why."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import reversion
from django.db import transaction
from django.utils import timezone

from questionbank.engine.workflow import Action, Move, Status, WorkflowError, next_status
from questionbank.models import Exposure, Question, QuestionKind, QuestionTransition, Tag

KINDS = {k.value for k in QuestionKind}
REVIEWER_PERMISSION = "questionbank.review_question"


class QuestionDataError(ValueError):
    pass


def search_text(stem: str, choices: Iterable[str]) -> str:
    return "\n".join([stem, *choices])


def question_save(question: Question, *, user=None, comment: str = "") -> Question:
    """Save an edit as a new revision. Call this, not ``question.save()``, from views and commands."""
    question.search_text = search_text(question.stem, question.choices)
    with transaction.atomic(), reversion.create_revision():
        question.save()
        if user is not None and user.is_authenticated:
            reversion.set_user(user)
        reversion.set_comment(comment or "edited")
    return question


def question_transition(*, question: Question, action: str, user, reason: str = "") -> Question:
    """Move a question through the review workflow; WorkflowError (with a code) if not allowed."""
    with transaction.atomic():
        locked = Question.objects.select_for_update().get(pk=question.pk)
        move = Move(
            action=Action(action),
            actor_id=user.pk if user is not None else None,
            author_id=locked.author_id,
            has_source=bool(locked.source.strip()),
            reason=reason,
            actor_is_reviewer=user is not None and user.has_perm(REVIEWER_PERMISSION),
        )
        new = next_status(Status(locked.status), move)
        QuestionTransition.objects.create(
            question=locked,
            from_status=locked.status,
            to_status=new,
            actor=user,
            at=timezone.now(),
            reason=reason,
        )
        locked.status = new
        question_save(locked, user=user, comment=f"{action}: {reason}".rstrip(": "))
    question.status = locked.status
    return locked


def questions_transition(
    *, questions: Iterable[Question], action: str, user, reason: str = ""
) -> tuple[int, list[str]]:
    """Bulk moves (admin actions): each question on its own; returns (moved, reasons for the others)."""
    moved, refused = 0, []
    for question in questions:
        try:
            question_transition(question=question, action=action, user=user, reason=reason)
            moved += 1
        except WorkflowError as exc:
            refused.append(f"{question.key}: {exc.message}")
    return moved, refused


def latest_revision(question: Question):
    """The newest reversion Version of ``question``, making one if it has none yet."""
    from reversion.models import Version

    version = Version.objects.get_for_object(question).first()
    if version is None:
        question_save(question, comment="first revision")
        version = Version.objects.get_for_object(question).first()
    return version


def exposure_record(*, question_id: int | None, round_, at) -> None:
    """Note that a question was shown in ``round_`` (idempotent)."""
    if question_id is None:
        return
    Exposure.objects.get_or_create(
        question_id=question_id,
        round=round_,
        defaults={"competition_id": round_.competition_id, "stage": round_.stage, "shown_at": at},
    )


def _validated(item: dict[str, Any], where: str) -> dict[str, Any]:
    kind = item.get("kind")
    if kind not in KINDS:
        raise QuestionDataError(f"{where}: unknown kind {kind!r}")
    choices, correct = item.get("choices"), item.get("correct")
    if kind == QuestionKind.JUDGED:
        return item
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


def taxonomy_load(path: Path) -> int:
    """Create or update the benchmark domains, the 26 benchmarks and the themes. Returns the tag count."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    count = 0
    with transaction.atomic():
        for d_order, domain in enumerate(data.get("domains", [])):
            parent, _ = Tag.objects.update_or_create(
                code=domain["code"],
                kind=Tag.Kind.DOMAIN,
                defaults={
                    "name": domain["name"],
                    "slug": f"domain-{domain['code'].lower()}",
                    "name_en": domain.get("en", ""),
                    "order": d_order,
                },
            )
            count += 1
            for b_order, bench in enumerate(domain.get("benchmarks", [])):
                Tag.objects.update_or_create(
                    code=bench["code"],
                    kind=Tag.Kind.BENCHMARK,
                    defaults={
                        "name": bench["name"],
                        "slug": f"benchmark-{bench['code'].lower()}",
                        "name_en": bench.get("en", ""),
                        "parent": parent,
                        "order": b_order,
                    },
                )
                count += 1
        for t_order, theme in enumerate(data.get("themes", [])):
            Tag.objects.update_or_create(
                code=theme["code"],
                kind=Tag.Kind.THEME,
                defaults={
                    "name": theme["name"],
                    "slug": f"theme-{theme['code']}",
                    "name_en": theme.get("en", ""),
                    "order": t_order,
                },
            )
            count += 1
    return count


def questions_load_json(path: Path) -> tuple[int, int]:
    """Create or update the questions of a demo JSON file (and their English versions), approved and
    tagged with their benchmarks and themes. All or nothing. Returns (Chinese questions, English versions)."""
    items = json.loads(Path(path).read_text(encoding="utf-8"))
    tags = {(t.kind, t.code): t for t in Tag.objects.filter(kind__in=[Tag.Kind.BENCHMARK, Tag.Kind.THEME])}
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
                "correct": sorted(item.get("correct", [])),
                "status": Status.APPROVED,
            }
            wanted = [
                tags[(Tag.Kind.BENCHMARK, c)]
                for c in item.get("benchmarks", [])
                if (Tag.Kind.BENCHMARK, c) in tags
            ]
            themes = item.get("themes") or ([item["theme"]] if item.get("theme") else [])
            wanted += [tags[(Tag.Kind.THEME, c)] for c in themes if (Tag.Kind.THEME, c) in tags]
            original = _upsert(
                item["key"],
                {
                    **common,
                    "language": "zh-hans",
                    "stem": item["stem"],
                    "choices": item["choices"],
                    "explanation": item.get("explanation", ""),
                },
            )
            original.tags.set(wanted)
            zh += 1
            english = item.get("en")
            if english:
                translated = _validated({**item, **english}, f"question {item['key']} (en)")
                copy = _upsert(
                    f"{item['key']}-en",
                    {
                        **common,
                        "language": "en",
                        "stem": translated["stem"],
                        "choices": translated["choices"],
                        "translation_of": original,
                        "explanation": translated.get("explanation", ""),
                    },
                )
                copy.tags.set(wanted)
                en += 1
    return zh, en


def _upsert(key: str, fields: dict[str, Any]) -> Question:
    question = Question.objects.filter(key=key).first() or Question(key=key)
    changed = question.pk is None or any(getattr(question, name) != value for name, value in fields.items())
    for name, value in fields.items():
        setattr(question, name, value)
    if changed:
        question_save(question, comment="loaded from the demo bank")
    return question
