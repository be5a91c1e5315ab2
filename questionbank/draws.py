"""Drawing a round's questions from the bank: load the candidates, run the pure draw, make the round.

The draw itself (quotas, difficulty mix, seeding) is ``questionbank.engine.draws``. Here:

- ``draw_spec`` validates a spec against the taxonomy: tag groups for ``each`` are the tag kinds
  ("benchmark", "domain", "theme"; codes in taxonomy order), and a quota naming a tag that does not
  exist is refused (a typo would otherwise fail later as "0 available").
- ``pool_for`` gives the approved, playable (not host-judged) questions of the spec's language and kinds
  with all their tags, indexed (``Pool``). Pools are kept per bank state: each draw reads the bank's
  token (migration 0006: triggers change it on every write to questions or their tags) and reuses the
  pool built for that token, so a draw from a bank of 100,000 questions costs a few queries and the
  questions it draws, not a load of the bank.
- ``excluded_ids`` are the questions shown in this competition stage (``Exposure``) or already placed in
  another round of the stage that has not been played yet (so two rounds drawn ahead for one stage do
  not share questions; delete a round to free its questions). The draw passes over them. The placed
  ones are asked of the rounds once per draw (``questionbank.hooks.planned_question_ids``): the bank
  imports no other app.
- ``resolved`` turns the spec's tag codes into tag ids, which is what pools hold.

Creating a round from a draw is the rounds' job (``quiz.drawn_rounds.round_create_drawn``).
"""

from __future__ import annotations

import gc
import threading
from collections import OrderedDict
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Q

from questionbank import hooks
from questionbank.engine.draws import (
    Candidate,
    DrawSpec,
    Pool,
    SpecError,
    draw_from,
    parse_spec,
    quota_tags,
    summary,
)
from questionbank.models import Exposure, Question, QuestionKind, Status, Tag, TaggedQuestion

# What a draw takes when its spec names no kinds: choice questions, which every stage plays (the online
# stage takes only choices). Typed answers (short, numerical) play in live rounds and are drawn when a spec
# names their kinds. Host-judged questions are for the finals.
DRAWABLE_KINDS = (QuestionKind.SINGLE.value, QuestionKind.MULTIPLE.value, QuestionKind.TRUE_FALSE.value)
TYPED_KINDS = (QuestionKind.SHORT.value, QuestionKind.NUMERICAL.value)
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
    spec = parse_spec(data, groups=tag_groups(), known_kinds=DRAWABLE_KINDS + TYPED_KINDS)
    codes = quota_tags(spec)
    known = set().union(*_tag_ids(codes).values()) if codes else set()
    missing = sorted(codes - known)
    if missing:
        raise SpecError(f"quotas: no tag with the code {', '.join(repr(m) for m in missing[:10])}")
    return spec


def _bank_token(using: str) -> str | None:
    """The bank's current state token (migration 0006 keeps it), or None where there is none."""
    if connections[using].vendor not in ("postgresql", "sqlite"):
        return None
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT token FROM questionbank_bankstate WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else None


def _fetch(queryset) -> list[tuple]:
    # The compiled query run on a plain cursor: fetchall() in C instead of Django's row iterator,
    # about a third of the loading time at 100,000 questions.
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _load_pool(language: str | None, kinds: tuple[str, ...], using: str) -> Pool:
    """Every approved question of the language and kinds, with all its tags (tag ids)."""
    questions = Question.objects.using(using).filter(status=Status.APPROVED, kind__in=kinds).order_by()
    if language:
        questions = questions.filter(language=language)
    links = (
        TaggedQuestion.objects.using(using).filter(content_object_id__in=questions.values("id")).order_by()
    )
    tags: dict[int, list[int]] = {}
    for question_id, tag_id in _fetch(links.values_list("content_object_id", "tag_id")):
        tags.setdefault(question_id, []).append(tag_id)
    empty: frozenset[int] = frozenset()
    return Pool(
        Candidate(qid, frozenset(tags[qid]) if qid in tags else empty, difficulty, kind)
        for qid, difficulty, kind in _fetch(questions.values_list("id", "difficulty", "kind"))
    )


class _PoolCache:
    """Pools by bank state, language and kinds, most recently used last.

    A cache, not state: every draw reads the bank's token in the database first and rebuilds the pool
    when it differs, so every process draws from the bank as committed (and a transaction from what it
    has written itself). A rebuild costs what loading the candidates cost before there was a cache (a few
    hundred milliseconds at 100,000 questions); a draw from a kept pool touches only what it draws.
    """

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self._pools: OrderedDict[tuple, Pool] = OrderedDict()
        self._lock = threading.Lock()

    def pool(self, language: str | None, kinds: tuple[str, ...], using: str) -> Pool:
        token = _bank_token(using)
        if token is None:
            return _load_pool(language, kinds, using)
        key = (using, str(connections[using].settings_dict["NAME"]), token, language, kinds)
        with self._lock:
            pool = self._pools.get(key)
            if pool is not None:
                self._pools.move_to_end(key)
                return pool
        pool = _load_pool(language, kinds, using)
        with self._lock:
            self._pools[key] = pool
            while len(self._pools) > self.size:
                self._pools.popitem(last=False)
        return pool

    def clear(self) -> None:
        with self._lock:
            self._pools.clear()


pools = _PoolCache()


def pool_for(spec: DrawSpec, using: str = DEFAULT_DB_ALIAS) -> Pool:
    """The approved, playable questions of the spec's language and kinds, indexed (cached, see above)."""
    kinds = tuple(sorted(spec.kinds)) if spec.kinds is not None else DRAWABLE_KINDS
    return pools.pool(spec.language or None, kinds, using)


def excluded_ids(competition, stage: str) -> set[int]:
    """Questions shown in this competition stage (``Exposure``) or placed in a round of it not played yet."""
    competition_id = getattr(competition, "pk", competition)
    shown = Exposure.objects.filter(competition_id=competition_id, stage=stage).values_list("question_id")
    return {qid for (qid,) in _fetch(shown)} | hooks.planned_question_ids(competition_id, stage)


def resolved(spec: DrawSpec) -> DrawSpec:
    """The spec with each quota's tag codes replaced by the ids of the tags they name (pools hold ids)."""
    tag_codes = _tag_ids(quota_tags(spec))
    ids_of: dict[str, set[int]] = {}
    for tag_id, codes in tag_codes.items():
        for code in codes:
            ids_of.setdefault(code, set()).add(tag_id)
    quotas = tuple(
        replace(q, tags=frozenset(tid for code in q.tags for tid in ids_of.get(code, ())))
        for q in spec.quotas
    )
    return replace(spec, quotas=quotas)


def candidates_for(spec: DrawSpec, competition, stage: str) -> list[Candidate]:
    """The questions the spec may draw for ``competition`` / ``stage`` (tags as tag ids)."""
    pool = pool_for(spec)
    gone = excluded_ids(competition, stage)
    return [pool.by_id[qid] for qid in pool.ids if qid not in gone]


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
        pool = pool_for(spec)
        return draw_from(pool, resolved(spec), seed, excluded_ids(competition, stage)), spec


def draw_questions(spec: Mapping[str, Any] | DrawSpec, competition, stage: str, seed) -> list[Question]:
    """The drawn questions in play order. ``SpecError`` or ``DrawError`` (which quota, needed, available)."""
    ids, _spec = draw_ids(spec, competition, stage, seed)
    found = Question.objects.in_bulk(ids)
    return [found[i] for i in ids]


def draw_preview(
    spec: Mapping[str, Any] | DrawSpec, competition, stage: str, seed
) -> tuple[list[Question], dict[str, Any]]:
    """The drawn questions and what they add up to (per quota, per difficulty, candidates considered)."""
    spec = resolved(draw_spec(spec))
    with _no_gc_pauses():
        pool = pool_for(spec)
        gone = excluded_ids(competition, stage)
        ids = draw_from(pool, spec, seed, gone)
    report = summary(pool.by_id, ids, spec)
    report["candidates"] = len(pool) - sum(1 for qid in gone if qid in pool.by_id)
    found = Question.objects.in_bulk(ids)
    return [found[i] for i in ids], report
