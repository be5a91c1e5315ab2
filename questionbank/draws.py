"""Drawing a round's questions from the bank: load the candidates, run the pure draw, make the round.

The draw itself (quotas, difficulty mix, seeding) is ``questionbank.engine.draws``. Here:

- ``draw_spec`` validates a spec against the taxonomy: tag groups for ``each`` are the tag kinds
  ("benchmark", "domain", "theme"; codes in taxonomy order), and a quota naming a tag that does not
  exist is refused (a typo would otherwise fail later as "0 available").
- ``candidates_for`` loads the approved, playable (not host-judged) questions of the spec's language and
  kinds that were not shown in this competition stage (``Exposure``) and are not already placed in
  another round of the stage that has not been played yet (so two rounds drawn ahead for one stage do
  not share questions; delete a round to free its questions). Three queries: tag lookup, questions
  (``values_list``, the exclusions as subqueries), and one on ``TaggedQuestion`` limited to the tags the
  quotas name.
"""

from __future__ import annotations

import gc
from collections.abc import Mapping
from contextlib import contextmanager
from itertools import repeat
from typing import Any

from django.db import connections
from django.db.models import Q

from questionbank.engine.draws import Candidate, DrawSpec, SpecError, draw, parse_spec, quota_tags, summary
from questionbank.models import Exposure, Question, QuestionKind, Status, Tag, TaggedQuestion

DRAWABLE_KINDS = tuple(k.value for k in QuestionKind if k != QuestionKind.JUDGED)
GROUP_KINDS = (Tag.Kind.BENCHMARK, Tag.Kind.DOMAIN, Tag.Kind.THEME)


def tag_groups() -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {str(kind): [] for kind in GROUP_KINDS}
    rows = Tag.objects.filter(kind__in=GROUP_KINDS).exclude(code="").order_by("kind", "order", "code")
    for kind, code in rows.values_list("kind", "code"):
        groups[kind].append(code)
    return groups


def _tag_ids(codes: frozenset[str]) -> dict[int, set[str]]:
    """Tag id -> the spec codes it answers to (its code, else its name or slug for free tags)."""
    found: dict[int, set[str]] = {}
    if not codes:
        return found
    rows = Tag.objects.filter(Q(code__in=codes) | Q(name__in=codes) | Q(slug__in=codes)).values_list(
        "id", "code", "name", "slug"
    )
    for tag_id, code, name, slug in rows:
        for value in (code, name, slug):
            if value in codes:
                found.setdefault(tag_id, set()).add(value)
    return found


def draw_spec(data: Mapping[str, Any] | DrawSpec) -> DrawSpec:
    """A validated spec; ``SpecError`` names the field or the unknown tag."""
    if isinstance(data, DrawSpec):
        return data
    spec = parse_spec(data, groups=tag_groups(), known_kinds=DRAWABLE_KINDS)
    codes = quota_tags(spec)
    known = set().union(*_tag_ids(codes).values()) if codes else set()
    missing = sorted(codes - known)
    if missing:
        raise SpecError(f"quotas: no tag with the code {', '.join(repr(m) for m in missing[:10])}")
    return spec


def candidates_for(spec: DrawSpec, competition, stage: str) -> list[Candidate]:
    """The questions the spec may draw for ``competition`` / ``stage`` with the tags its quotas name."""
    questions = Question.objects.filter(status=Status.APPROVED, kind__in=DRAWABLE_KINDS).order_by()
    if spec.kinds is not None:
        questions = questions.filter(kind__in=sorted(spec.kinds))
    if spec.language:
        questions = questions.filter(language=spec.language)
    competition_id = getattr(competition, "pk", competition)
    shown = Exposure.objects.filter(competition_id=competition_id, stage=stage).values("question_id")
    from quiz.models import RoundQuestion  # quiz depends on questionbank, not the other way round

    planned = RoundQuestion.objects.filter(
        round__competition_id=competition_id, round__stage=stage, source__isnull=False
    ).values("source_id")
    questions = questions.exclude(id__in=shown).exclude(id__in=planned)
    # The compiled query run on a plain cursor: fetchall() in C instead of Django's row iterator,
    # about a third of the candidate loading time at 100,000 questions.
    sql, params = questions.values_list("id", "difficulty", "kind").query.sql_with_params()
    with connections[questions.db].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()

    frozen: dict[int, frozenset[str]] = {}
    tag_codes = _tag_ids(quota_tags(spec))
    if tag_codes:
        codes_of = {tag_id: frozenset(codes) for tag_id, codes in tag_codes.items()}
        links = TaggedQuestion.objects.filter(tag_id__in=list(tag_codes)).order_by()
        sql, params = links.values_list("content_object_id", "tag_id").query.sql_with_params()
        with connections[links.db].cursor() as cursor:
            cursor.execute(sql, params)
            for question_id, tag_id in cursor.fetchall():
                codes = codes_of[tag_id]
                had = frozen.get(question_id)
                frozen[question_id] = codes if had is None else had | codes
    empty: frozenset[str] = frozenset()
    if not rows:
        return []
    ids, difficulties, kinds = zip(*rows, strict=True)
    return list(map(Candidate, ids, map(frozen.get, ids, repeat(empty)), difficulties, kinds))


@contextmanager
def _no_gc_pauses():
    """A draw builds ~100,000 short-lived tuples; the cyclic collector would otherwise run full passes
    over the whole process heap several times meanwhile (half the time of a draw in the benchmark).
    Nothing made here forms reference cycles."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def draw_ids(spec: Mapping[str, Any] | DrawSpec, competition, stage: str, seed) -> tuple[list[int], DrawSpec]:
    spec = draw_spec(spec)
    with _no_gc_pauses():
        return draw(candidates_for(spec, competition, stage), spec, seed), spec


def draw_questions(spec: Mapping[str, Any] | DrawSpec, competition, stage: str, seed) -> list[Question]:
    """The drawn questions in play order. ``SpecError`` or ``DrawError`` (which quota, needed, available)."""
    ids, _spec = draw_ids(spec, competition, stage, seed)
    found = Question.objects.in_bulk(ids)
    return [found[i] for i in ids]


def draw_preview(
    spec: Mapping[str, Any] | DrawSpec, competition, stage: str, seed
) -> tuple[list[Question], dict[str, Any]]:
    """The drawn questions and what they add up to (per quota, per difficulty, candidates considered)."""
    spec = draw_spec(spec)
    with _no_gc_pauses():
        candidates = candidates_for(spec, competition, stage)
        ids = draw(candidates, spec, seed)
    report = summary({c.id: c for c in candidates}, ids, spec)
    report["candidates"] = len(candidates)
    found = Question.objects.in_bulk(ids)
    return [found[i] for i in ids], report


def round_create_drawn(
    competition, title: str, stage: str, spec: Mapping[str, Any] | DrawSpec, seed, **round_options
):
    """Draw the questions and create the round (``quiz.services.round_create``) with them."""
    from quiz.services import round_create

    questions = draw_questions(spec, competition, stage, seed)
    return round_create(
        competition=competition, title=title, questions=questions, stage=stage, **round_options
    )
