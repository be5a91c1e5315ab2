"""Question import and export: a preview with an outcome per row, then an all-or-nothing commit.

``import_preview`` parses a file (questionbank.engine.formats), looks up keys and near-duplicate stems
(questionbank.engine.duplicates) and writes nothing. ``import_commit`` writes a clean preview in one
transaction and one reversion revision: new questions as drafts authored by the importer, updates of
existing keys with only the fields the format carries. Host views, the admin page and the management
commands all call these. Formats and rules: docs/question-formats.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import reversion
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import slugify

from questionbank.engine import formats
from questionbank.engine.duplicates import StemIndex, difference
from questionbank.engine.formats import FileError, ParsedQuestion, RowError, RowSkip
from questionbank.engine.item_checks import bank_flags
from questionbank.images import image_content_name, question_image_save
from questionbank.import_rows import Answers, derived_keys, images_checked
from questionbank.item_review import item_of
from questionbank.models import Question, Status, Tag, TaggedQuestion
from questionbank.services import revisions_add, search_text

IMPORT_PERMISSION = "questionbank.import_question"
Progress = Callable[[str, int, int], None] | None
CHUNK = 900  # stays under SQLite's variable limit in key__in lookups
BATCH = 500
# Model fields an import may set, by ParsedQuestion field (status and author are not imported).
MODEL_FIELDS = (
    "kind",
    "language",
    "stem",
    "choices",
    "correct",
    "explanation",
    "source",
    "difficulty",
    "time_limit",
    "reference_answer",
    "theme",
    "accepted_answers",
    "numeric_value",
    "tolerance",
    "unit",
)


class Outcome:
    NEW = "new"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    DUPLICATE = "duplicate"
    SKIPPED = "skipped"
    INVALID = "invalid"
    ALL = (NEW, UPDATE, UNCHANGED, DUPLICATE, SKIPPED, INVALID)


class ImportRefused(Exception):
    """The import wrote nothing; the message says why."""


@dataclass
class RowOutcome:
    row: int
    outcome: str
    key: str = ""
    stem: str = ""
    errors: list[RowError] = field(default_factory=list)
    duplicate_of: str = ""
    similarity: float = 0.0
    changes: list[str] = field(default_factory=list)
    question: ParsedQuestion | None = None
    reason: str = ""  # why a skipped row is skipped
    difference: str = ""  # how a near-duplicate's stem differs from the question it duplicates
    notes: list[str] = field(default_factory=list)  # a similar stem whose answer differs
    warnings: list[str] = field(default_factory=list)  # what the importer changed or could not keep
    flags: list[str] = field(default_factory=list)  # item-writing checks (questionbank.engine.item_checks)

    @property
    def message(self) -> str:
        if self.outcome == Outcome.INVALID:
            return "; ".join(f"{e.column}: {e.reason}" for e in self.errors)
        if self.outcome == Outcome.SKIPPED:
            return self.reason
        if self.outcome == Outcome.DUPLICATE:
            text = f"near-duplicate of {self.duplicate_of} (similarity {self.similarity:.2f})"
            return text + (f"; the stem differs: {self.difference}" if self.difference else "; the same stem")
        if self.outcome == Outcome.UPDATE:
            return "changes " + ", ".join(self.changes)
        return "; ".join(self.notes)


@dataclass
class ImportPreview:
    filename: str
    format: str
    rows: list[RowOutcome] = field(default_factory=list)
    file_error: str = ""
    encoding: str = ""  # the text encoding the file was read in ('' for workbooks)
    flags: list[str] = field(default_factory=list)  # item-writing checks across the file's questions

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(Outcome.ALL, 0)
        for row in self.rows:
            counts[row.outcome] += 1
        return counts

    @property
    def invalid(self) -> list[RowOutcome]:
        return [r for r in self.rows if r.outcome == Outcome.INVALID]

    @property
    def skipped(self) -> list[RowOutcome]:
        return [r for r in self.rows if r.outcome == Outcome.SKIPPED]

    @property
    def ok(self) -> bool:
        """True when a commit may go ahead: no file error, no invalid row, and some row that is not
        skipped (skipped rows are never imported; the others are, all or nothing)."""
        return not self.file_error and not self.invalid and len(self.skipped) < len(self.rows)

    def summary(self) -> str:
        if self.file_error:
            return f"{self.filename}: {self.file_error}. Nothing can be imported."
        parts = ", ".join(f"{n} {name}" for name, n in self.counts.items() if n)
        label = formats.FORMATS.get(self.format, self.format)
        if self.encoding:
            label += f", read as {self.encoding}"
        return f"{self.filename} ({label}): {len(self.rows)} rows: {parts or 'none'}"


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    duplicates_skipped: int
    tags_created: int


# --- preview -----------------------------------------------------------------------------------------------


def _chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing(keys: Sequence[str]) -> dict[str, Question]:
    found: dict[str, Question] = {}
    for chunk in _chunks(list(keys)):
        found.update({q.key: q for q in Question.objects.filter(key__in=chunk)})
    return found


def _tag_labels(question_ids: Iterable[int]) -> dict[int, set[str]]:
    """Question id -> its tags as files name them (the code, else the name)."""
    labels: dict[int, set[str]] = {}
    for chunk in _chunks(list(question_ids)):
        rows = TaggedQuestion.objects.filter(content_object_id__in=chunk).values_list(
            "content_object_id", "tag__code", "tag__name"
        )
        for question_id, code, name in rows:
            labels.setdefault(question_id, set()).add(code or name)
    return labels


def _changes(question: Question, parsed: ParsedQuestion, tags: set[str]) -> list[str]:
    changed = []
    for name in MODEL_FIELDS:
        if name not in parsed.fields:
            continue
        new = getattr(parsed, name)
        new = list(new) if isinstance(new, tuple) else new
        if getattr(question, name) != new:
            changed.append(name)
    if "image" in parsed.fields and parsed.image is not None:
        name = image_content_name(parsed.image.name, parsed.image.data)
        if question.image.name != name or question.image_alt != parsed.image.alt[:200]:
            changed.append("image")
    if (
        "tags" in parsed.fields
        and parsed.tags
        and {t.lower() for t in parsed.tags} != {t.lower() for t in tags}
    ):
        changed.append("tags")
    return changed


def import_preview(
    data: bytes, *, fmt: str | None = None, filename: str = "", user=None, progress: Progress = None
) -> ImportPreview:
    """Parse ``data`` and say what importing it would do, row by row. Writes nothing."""
    del user  # the same preview for everyone; the commit records who imported
    name = filename or "upload"
    try:
        fmt = fmt or formats.detect_format(name, data)
        items = formats.parse(fmt, data, progress=(lambda d, t: progress("read", d, t)) if progress else None)
    except FileError as exc:
        return ImportPreview(name, fmt or "", file_error=str(exc))
    preview = ImportPreview(name, fmt, encoding=formats.encoding(fmt, data))
    if not items:
        preview.file_error = "the file holds no questions"
        return preview
    items = derived_keys(images_checked(items))
    keys = [i.key for i in items if isinstance(i, ParsedQuestion)]
    existing = _existing(keys)
    translation_keys = {i.translation_of for i in items if isinstance(i, ParsedQuestion) and i.translation_of}
    known_translations = set(_existing(sorted(translation_keys - set(keys))).keys()) | set(keys)
    current_tags = _tag_labels(q.pk for q in existing.values())
    if progress:
        progress("index", 0, 1)
    probes = [i.stem for i in items if isinstance(i, ParsedQuestion) and i.key not in existing]
    index = StemIndex(Question.objects.values_list("key", "stem").iterator(chunk_size=5000), probes=probes)
    if progress:
        progress("index", 1, 1)
    answers = Answers()
    rows: dict[int, RowOutcome] = {}
    seen: dict[str, int] = {}
    total = len(items)
    for position, item in enumerate(items, start=1):
        if progress and position % 500 == 0:
            progress("check", position, total)
        if isinstance(item, RowSkip):
            rows[item.row] = RowOutcome(
                item.row, Outcome.SKIPPED, key=item.key, stem=item.stem, reason=item.reason
            )
            continue
        if isinstance(item, RowError):
            outcome = rows.setdefault(item.row, RowOutcome(item.row, Outcome.INVALID))
            outcome.errors.append(item)
            continue
        outcome = RowOutcome(
            item.row, Outcome.NEW, key=item.key, stem=item.stem, question=item, warnings=list(item.warnings)
        )
        rows[item.row] = outcome
        if item.key in seen:
            outcome.outcome = Outcome.INVALID
            outcome.errors.append(
                RowError(item.row, "key", f"key {item.key} is already used in row {seen[item.key]}")
            )
            continue
        seen[item.key] = item.row
        if item.translation_of and item.translation_of not in known_translations:
            outcome.outcome = Outcome.INVALID
            outcome.errors.append(
                RowError(item.row, "translation_of", f"no question has the key {item.translation_of}")
            )
            continue
        question = existing.get(item.key)
        if question is not None:
            outcome.changes = _changes(question, item, current_tags.get(question.pk, set()))
            outcome.outcome = Outcome.UPDATE if outcome.changes else Outcome.UNCHANGED
            continue
        mine = answers.of_row(item)
        match = index.find(item.stem, accept=lambda key, mine=mine: answers.of_key(key) == mine)
        if match is not None:
            outcome.outcome = Outcome.DUPLICATE
            outcome.duplicate_of, outcome.similarity = match.key, match.score
            outcome.difference = difference(answers.stem(match.key), item.stem)
            continue
        similar = index.find(item.stem)
        if similar is not None:
            outcome.notes.append(
                f"similar to {similar.key} (similarity {similar.score:.2f}) but the answer differs: "
                f"{answers.describe(similar.key)} here {answers.describe_row(item)}; "
                f"the stem differs: {difference(answers.stem(similar.key), item.stem) or 'not at all'}"
            )
        index.add(item.key, item.stem)
        answers.add(item)
    preview.rows = sorted(rows.values(), key=lambda r: r.row)
    _item_checks(preview)
    if progress:
        progress("check", total, total)
    return preview


def _item_checks(preview: ImportPreview) -> None:
    """The item-writing checks over the file's questions: per row, and across the file."""
    checked = [r for r in preview.rows if r.question is not None and r.outcome != Outcome.INVALID]
    by_key = {r.key: r for r in checked}
    for flag in bank_flags(item_of(r.question) for r in checked):
        if flag.key in by_key:
            by_key[flag.key].flags.append(str(flag))
        else:
            preview.flags.append(str(flag))


# --- commit ------------------------------------------------------------------------------------------------


def tags_resolve(labels: Iterable[str]) -> tuple[dict[str, Tag], int]:
    """Each label -> a Tag: by code (B05, health; any case), else by name, else a new free tag.
    Returns the mapping and how many tags were created."""
    wanted = {label for label in labels if label}
    by_code: dict[str, Tag] = {}
    for tag in Tag.objects.exclude(code="").order_by("kind", "order"):
        by_code.setdefault(tag.code.lower(), tag)
    resolved = {label: by_code[label.lower()] for label in wanted if label.lower() in by_code}
    rest = sorted(wanted - resolved.keys())
    for chunk in _chunks(rest):
        resolved.update({t.name: t for t in Tag.objects.filter(name__in=chunk)})
    missing = [label for label in rest if label not in resolved]
    taken = set()
    new = []
    for label in missing:
        base = (
            (slugify(label, allow_unicode=True)[:80] or "tag")
            + "-"
            + hashlib.sha1(label.encode()).hexdigest()[:6]
        )
        slug = base
        while slug in taken or Tag.objects.filter(slug=slug).exists():
            slug = f"{base}-{len(taken)}"
        taken.add(slug)
        new.append(Tag(name=label, slug=slug, kind=Tag.Kind.FREE))
    for tag in Tag.objects.bulk_create(new, batch_size=BATCH):
        resolved[tag.name] = tag
    return resolved, len(new)


def _apply(question: Question, parsed: ParsedQuestion) -> None:
    for name in MODEL_FIELDS:
        if name in parsed.fields:
            value = getattr(parsed, name)
            setattr(question, name, list(value) if isinstance(value, tuple) else value)
    if "image" in parsed.fields and parsed.image is not None:
        # Content-addressed: a file is never overwritten, and one left by a refused import is harmless.
        question.image = question_image_save(parsed.image.name, parsed.image.data)
        question.image_alt = parsed.image.alt[:200]
    question.search_text = search_text(question.stem, question.choices)


def import_commit(
    preview: ImportPreview, *, user=None, allow_duplicates: bool = False, progress: Progress = None
) -> ImportResult:
    """Write the preview's new and updated rows, all or nothing; ImportRefused (nothing written) if the file
    or any row is invalid, or if a new key appeared since the preview. Near-duplicates are skipped unless
    ``allow_duplicates``."""
    if preview.file_error:
        raise ImportRefused(f"{preview.file_error}; nothing was imported")
    if preview.invalid:
        first = preview.invalid[0]
        raise ImportRefused(
            f"{len(preview.invalid)} row(s) are invalid, so nothing was imported "
            f"(first: row {first.row}, {first.message})"
        )
    wanted = {Outcome.NEW, Outcome.UPDATE} | ({Outcome.DUPLICATE} if allow_duplicates else set())
    rows = [r for r in preview.rows if r.outcome in wanted and r.question is not None]
    new_rows = [r for r in rows if r.outcome != Outcome.UPDATE]
    update_rows = [r for r in rows if r.outcome == Outcome.UPDATE]
    user = user if user is not None and getattr(user, "is_authenticated", False) else None
    total = len(rows)
    with transaction.atomic(), reversion.create_revision():
        taken = _existing([r.key for r in new_rows])
        if taken:
            raise ImportRefused(
                f"{len(taken)} key(s) were created since the preview (e.g. {next(iter(taken))}); "
                "nothing was imported. Preview the file again."
            )
        labels, tags_created = tags_resolve(
            t for r in rows if "tags" in r.question.fields for t in r.question.tags
        )
        created = []
        for r in new_rows:
            question = Question(key=r.key, status=Status.DRAFT, author=user)
            _apply(question, r.question)
            created.append(question)
        for done, batch in enumerate(_chunks(created, BATCH), start=1):
            Question.objects.bulk_create(batch)
            if progress:
                progress("write", min(done * BATCH, len(created)), total)
        updated = []
        by_key = _existing([r.key for r in update_rows])
        changed_fields: set[str] = {"search_text"}
        now = timezone.now()
        for r in update_rows:
            question = by_key[r.key]
            _apply(question, r.question)
            question.updated_at = now
            changed_fields |= {f for f in r.changes if f != "tags"}
            if "image" in r.changes:
                changed_fields.add("image_alt")
            updated.append(question)
        if updated:
            Question.objects.bulk_update(updated, sorted(changed_fields | {"updated_at"}), batch_size=BATCH)
        if progress:
            progress("write", len(created) + len(updated), total)
        # Translations may point at rows of the same file, so link them once every key has an id.
        ids = {q.key: q.pk for q in created + updated}
        pending = [
            (q, r.question.translation_of)
            for q, r in zip(created + updated, new_rows + update_rows, strict=True)
        ]
        pending = [(q, key) for q, key in pending if key]
        if pending:
            missing = sorted({key for _, key in pending} - ids.keys())
            ids.update(dict(Question.objects.filter(key__in=missing).values_list("key", "pk")))
            for q, key in pending:
                q.translation_of_id = ids[key]
            Question.objects.bulk_update([q for q, _ in pending], ["translation_of"], batch_size=BATCH)
        _tags_write(created, new_rows, updated, update_rows, labels)
        revisions_add(created + updated)
        if user is not None:
            reversion.set_user(user)
        reversion.set_comment(f"imported from {preview.filename}")
    counts = preview.counts
    return ImportResult(
        created=len(created),
        updated=len(updated),
        unchanged=counts[Outcome.UNCHANGED],
        duplicates_skipped=0 if allow_duplicates else counts[Outcome.DUPLICATE],
        tags_created=tags_created,
    )


def _tags_write(created, new_rows, updated, update_rows, labels: dict[str, Tag]) -> None:
    links = []
    replace_ids = []
    for question, row in [*zip(created, new_rows, strict=True), *zip(updated, update_rows, strict=True)]:
        parsed = row.question
        if "tags" not in parsed.fields or (row.outcome == Outcome.UPDATE and not parsed.tags):
            continue  # an update without tags keeps the question's tags
        if row.outcome == Outcome.UPDATE:
            replace_ids.append(question.pk)
        tag_ids = dict.fromkeys(labels[label].pk for label in parsed.tags)
        links += [TaggedQuestion(content_object_id=question.pk, tag_id=tag_id) for tag_id in tag_ids]
    for chunk in _chunks(replace_ids):
        TaggedQuestion.objects.filter(content_object_id__in=chunk).delete()
    TaggedQuestion.objects.bulk_create(links, batch_size=BATCH)


# --- export ------------------------------------------------------------------------------------------------


def questions_parsed(queryset: QuerySet[Question]) -> list[ParsedQuestion]:
    """The questions as format value objects, tags as codes (benchmarks, themes) or names (free tags)."""
    questions = list(queryset.select_related("translation_of").order_by("key"))
    kind_rank = {Tag.Kind.DOMAIN: 0, Tag.Kind.BENCHMARK: 1, Tag.Kind.THEME: 2, Tag.Kind.FREE: 3}
    tags: dict[int, list[tuple]] = {}
    for chunk in _chunks([q.pk for q in questions]):
        rows = TaggedQuestion.objects.filter(content_object_id__in=chunk).values_list(
            "content_object_id", "tag__kind", "tag__order", "tag__code", "tag__name"
        )
        for question_id, kind, order, code, name in rows:
            tags.setdefault(question_id, []).append((kind_rank.get(kind, 9), order, code or name))
    return [
        ParsedQuestion(
            row=position,
            key=q.key,
            kind=q.kind,
            stem=q.stem,
            choices=tuple(q.choices),
            correct=tuple(q.correct),
            explanation=q.explanation,
            source=q.source,
            difficulty=q.difficulty,
            time_limit=q.time_limit,
            language=q.language,
            tags=tuple(label for *_, label in sorted(tags.get(q.pk, []))),
            reference_answer=q.reference_answer,
            accepted_answers=tuple(q.accepted_answers or ()),
            numeric_value=q.numeric_value,
            tolerance=q.tolerance,
            unit=q.unit,
            theme=q.theme,
            status=q.status,
            translation_of=q.translation_of.key if q.translation_of else "",
        )
        for position, q in enumerate(questions, start=1)
    ]


def export_questions(queryset: QuerySet[Question], fmt: str) -> bytes:
    """The questions in ``fmt`` (see formats.FORMATS); spreadsheet cells are formula-neutralised."""
    return formats.write(fmt, questions_parsed(queryset))
