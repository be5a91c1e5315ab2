"""Writes to the question bank. Every edit makes a revision (django-reversion); every workflow move is
recorded with who, when and why."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import reversion
from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone

from questionbank.demo_images import demo_image_save
from questionbank.engine.workflow import Action, Move, Status, WorkflowError, next_status
from questionbank.messages import workflow_message
from questionbank.models import (
    Exposure,
    Question,
    QuestionKind,
    QuestionTransition,
    Tag,
    TaggedQuestion,
    search_text,
)

KINDS = {k.value for k in QuestionKind}
REVIEWER_PERMISSION = "questionbank.review_question"


class QuestionDataError(ValueError):
    pass


def question_save(question: Question, *, user=None, comment: str = "") -> Question:
    """Save an edit as a new revision. Call this, not ``question.save()``, from views and commands."""
    question.search_text = search_text(question.stem, question.choices)
    with transaction.atomic(), reversion.create_revision():
        question.save()
        if user is not None and user.is_authenticated:
            reversion.set_user(user)
        reversion.set_comment(comment or "edited")
    return question


REVISION_CHUNK = 500  # ids per prefetch query, under SQLite's variable limit


def revisions_add(questions: list[Question]) -> None:
    """Add the questions with their tag links to the current revision, in a few queries.

    A question's revision follows its ``TaggedQuestion`` rows, and reversion names each row by its
    ``__str__`` (the question and the tag). Left to itself that is three queries per question; here the
    links come in one query per chunk with their tags, and each link points at the question in memory."""
    for start in range(0, len(questions), REVISION_CHUNK):
        chunk = questions[start : start + REVISION_CHUNK]
        prefetch_related_objects(
            chunk, Prefetch("taggedquestion_set", queryset=TaggedQuestion.objects.select_related("tag"))
        )
        for question in chunk:
            for link in question.taggedquestion_set.all():
                link.content_object = question
            reversion.add_to_revision(question)


def questions_tag(*, question_ids: list[int], tags: list[Tag], user=None) -> int:
    """Add ``tags`` to every question (bulk action) and record one revision holding each changed question
    with its new tags. Returns how many questions gained a tag."""
    with transaction.atomic(), reversion.create_revision():
        existing = set(
            TaggedQuestion.objects.filter(content_object_id__in=question_ids, tag__in=tags).values_list(
                "content_object_id", "tag_id"
            )
        )
        rows = [
            TaggedQuestion(content_object_id=q, tag=t)
            for q in question_ids
            for t in tags
            if (q, t.pk) not in existing
        ]
        TaggedQuestion.objects.bulk_create(rows)
        changed = {row.content_object_id for row in rows}
        revisions_add(list(Question.objects.filter(pk__in=changed)))
        if user is not None and user.is_authenticated:
            reversion.set_user(user)
        reversion.set_comment("tags added: " + ", ".join(t.code or t.name for t in tags))
    return len(changed)


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
            refused.append(f"{question.key}: {workflow_message(exc, action)}")
    return moved, refused


def revision_tags(version) -> list[str]:
    """The tags (code or name, sorted) of the question in the revision ``version`` belongs to."""
    rows = version.revision.version_set.filter(content_type__model="taggedquestion")
    ids = {row.field_dict["tag_id"] for row in rows}
    tags = {t.pk: t for t in Tag.objects.filter(pk__in=ids)}
    return sorted(str(tags[i]) if i in tags else f"#{i}" for i in ids)


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
    if kind in (QuestionKind.SHORT, QuestionKind.NUMERICAL):
        return _validated_typed(item, where)
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


def _validated_typed(item: dict[str, Any], where: str) -> dict[str, Any]:
    """A short-answer or numerical question of a demo file: no choices, and its key."""
    if item.get("choices") or item.get("correct"):
        raise QuestionDataError(f"{where}: a typed question has no choices")
    if item["kind"] == QuestionKind.SHORT:
        accepted = item.get("accepted_answers")
        if (
            not isinstance(accepted, list)
            or not accepted
            or not all(isinstance(a, str) and a for a in accepted)
        ):
            raise QuestionDataError(f"{where}: a short-answer question needs its accepted answers")
    else:
        value, tolerance = item.get("numeric_value"), item.get("tolerance", 0)
        numbers = (value, tolerance)
        if any(isinstance(n, bool) or not isinstance(n, int | float) for n in numbers) or tolerance < 0:
            raise QuestionDataError(
                f"{where}: a numerical question needs its value and a tolerance of 0 or more"
            )
    if not str(item.get("stem", "")).strip():
        raise QuestionDataError(f"{where}: the stem is empty")
    return item


def _typed_fields(item: dict[str, Any]) -> dict[str, Any]:
    """The key fields of a typed question (empty for a choice question)."""
    if item["kind"] == QuestionKind.SHORT:
        return {"accepted_answers": list(item["accepted_answers"])}
    if item["kind"] == QuestionKind.NUMERICAL:
        return {
            "numeric_value": float(item["numeric_value"]),
            "tolerance": float(item.get("tolerance", 0)),
            "unit": item.get("unit", ""),
        }
    return {}


def taxonomy_load(path: Path) -> int:
    """Create or update the benchmark domains, the 26 benchmarks and the themes. Returns the tag count."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    count = 0
    # Benchmarks are ordered by their code (B01 to B26) wherever they are listed, across the domains.
    codes = sorted(b["code"] for d in data.get("domains", []) for b in d.get("benchmarks", []))
    benchmark_order = {code: i for i, code in enumerate(codes)}
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
            for bench in domain.get("benchmarks", []):
                Tag.objects.update_or_create(
                    code=bench["code"],
                    kind=Tag.Kind.BENCHMARK,
                    defaults={
                        "name": bench["name"],
                        "slug": f"benchmark-{bench['code'].lower()}",
                        "name_en": bench.get("en", ""),
                        "parent": parent,
                        "order": benchmark_order[bench["code"]],
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
            picture = item.get("image")  # {"draw": a name in questionbank.demo_images, "alt": ...}
            if picture:
                common["image"] = demo_image_save(picture["draw"])
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
                    "image_alt": picture["alt"] if picture else "",
                    **_typed_fields(item),
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
                        "image_alt": english.get("image_alt", "") if picture else "",
                        **_typed_fields(translated),
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
