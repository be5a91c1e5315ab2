"""Drawing a round's questions from the bank by a spec. Pure: no Django, no database, no clock.

A spec (``parse_spec``) says how many questions, which kinds, which language, a list of tag quotas and
an optional difficulty mix::

    {
      "count": 30,
      "kinds": ["single", "truefalse"],
      "language": "zh-hans",
      "quotas": [
        {"each": "benchmark", "min": 1},          # one quota per tag of the group, e.g. the 26 benchmarks
        {"tag": "health", "min": 2},              # at least 2 tagged "health"
        {"tags": ["B01", "B02"], "min": 1, "max": 3},   # 1 to 3 tagged B01 or B02
      ],
      "difficulty": {"1": 0.2, "2": 0.3, "3": 0.3, "4": 0.2},   # shares (sum 1) or counts (sum = count)
      "difficulty_mode": "soft",                  # "soft" (default, best effort) or "hard"
      "order": "random"                           # "random" (default) or "difficulty" (easy first)
    }

A quota's ``min`` defaults to 1, or to 0 when only ``max`` is given. ``each`` names a group of tag codes
handed to ``parse_spec`` by the caller (the services pass the tag kinds: "benchmark", "domain", "theme").

How ``draw`` decides (deterministic: ``random.Random(seed)``, candidates sorted by id first, so the order
the database returns rows in never matters):

1. The candidates are filtered by kind, sorted by id and shuffled once with the seed (a random 64-bit
   key per candidate, ties in id order). That shuffled order is every later "first" (the generator is
   used only for this shuffle and for the play order at the end), so the same spec, seed and bank
   always give the same questions, and a different seed gives a different shuffle. A string seed is
   hashed with SHA-512 by ``random``, so it is stable across runs.
2. A quota that has fewer candidates than its ``min`` fails at once (``DrawError`` with the quota, what
   it needs and how many candidates it has; the first such quota in spec order). Then so does a bank
   smaller than ``count`` (quota "count").
3. Quotas are met greedily, scarcest first: the unmet quota with the fewest unused candidates per
   question still needed goes next. It takes its first admissible candidate: one that does not push any
   quota past its ``max`` and, with a hard difficulty mix, whose difficulty still has room; with a soft
   mix a candidate whose difficulty still has room is preferred. When the spec is tight (fewer free places
   than questions still needed, i.e. the quotas can only be met if some questions count for several of
   them) the quota takes instead the candidate counting for the most unmet quotas (ties: the shuffled
   order). When there is room, candidates are not steered towards multi-tag questions, so a quota's
   questions are a plain random sample of its tag.
4. The remaining places are filled in the shuffled order, each difficulty first up to its target, then
   (soft mix only) anything admissible.
5. The ids come back shuffled (``order: random``) or by difficulty, easy first, shuffled within a
   difficulty (``order: difficulty``).

Difficulty mix: **soft by default** (best effort): quotas come first, so a mix the quotas cannot follow
is bent rather than failing a live event's draw; the admin preview shows the difficulties drawn. With
``"difficulty_mode": "hard"`` the targets are caps and must be met exactly, and a miss raises
``DrawError`` naming the difficulty ("difficulty 4"). Shares become counts by the largest-remainder
method (ties to the lower difficulty).

Greedy is not exhaustive: a spec that is only satisfiable by a rare combination may still fail; the
error then says which quota could not be met and how many candidates it had.
"""

from __future__ import annotations

import math
import random
import sys
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import compress
from operator import attrgetter, itemgetter
from typing import NamedTuple

ORDERS = ("random", "difficulty")
MODES = ("soft", "hard")
DIFFICULTIES = range(1, 6)
_SPEC_KEYS = {"count", "kinds", "language", "quotas", "difficulty", "difficulty_mode", "order"}
_QUOTA_KEYS = {"tag", "tags", "each", "min", "max", "label"}


class SpecError(ValueError):
    """The spec itself is malformed; the message names the field."""


class DrawError(Exception):
    """The bank cannot satisfy the spec. ``quota`` names what failed; ``needed`` and ``available`` say
    how many questions it needed and how many candidates it had."""

    def __init__(self, *, quota: str, needed: int, available: int, detail: str = "") -> None:
        self.quota = quota
        self.needed = needed
        self.available = available
        if detail:
            message = f"{quota}: needs {needed}, {available} available; {detail}"
        else:
            plural = "s" if needed != 1 else ""
            message = f"{quota}: needs {needed} question{plural}, only {available} available"
        self.message = message
        super().__init__(message)


class Candidate(NamedTuple):
    """A question that may be drawn: a named tuple, because a draw builds one per question in the bank."""

    id: int
    tags: frozenset[str]
    difficulty: int
    kind: str = "single"


@dataclass(frozen=True, slots=True)
class Quota:
    tags: frozenset[str]  # a candidate counts for the quota if it has any of these tags
    label: str
    min: int = 1
    max: int | None = None


@dataclass(frozen=True, slots=True)
class DrawSpec:
    count: int
    quotas: tuple[Quota, ...] = ()
    difficulty: Mapping[int, int] | None = None  # target count per difficulty (after parsing)
    difficulty_mode: str = "soft"
    kinds: frozenset[str] | None = None
    language: str | None = None
    order: str = "random"
    raw: Mapping[str, object] = field(default_factory=dict, compare=False)


def _whole(value: object, where: str, *, minimum: int = 0) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise SpecError(f"{where} must be a whole number of at least {minimum}")
    return value


def _quota(raw: object, where: str, groups: Mapping[str, Sequence[str]]) -> list[Quota]:
    if not isinstance(raw, Mapping):
        raise SpecError(f"{where} must be an object such as {{'tag': 'health', 'min': 2}}")
    unknown = set(raw) - _QUOTA_KEYS
    if unknown:
        raise SpecError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    given = [k for k in ("tag", "tags", "each") if k in raw]
    if len(given) != 1:
        raise SpecError(f"{where} needs exactly one of 'tag', 'tags' or 'each'")
    maximum = raw.get("max")
    if maximum is not None:
        maximum = _whole(maximum, f"{where}.max")
    minimum = _whole(raw.get("min", 0 if maximum is not None else 1), f"{where}.min")
    if maximum is not None and maximum < minimum:
        raise SpecError(f"{where}: max ({maximum}) is below min ({minimum})")
    label = raw.get("label")
    if label is not None and not isinstance(label, str):
        raise SpecError(f"{where}.label must be text")
    if "tag" in raw:
        tag = raw["tag"]
        if not isinstance(tag, str) or not tag.strip():
            raise SpecError(f"{where}.tag must be a tag code")
        return [Quota(frozenset([tag.strip()]), label or f"tag {tag.strip()}", minimum, maximum)]
    if "tags" in raw:
        tags = raw["tags"]
        if not isinstance(tags, list) or not tags or not all(isinstance(t, str) and t.strip() for t in tags):
            raise SpecError(f"{where}.tags must be a non-empty list of tag codes")
        clean = sorted({t.strip() for t in tags})
        return [Quota(frozenset(clean), label or f"any of {', '.join(clean)}", minimum, maximum)]
    group = raw["each"]
    if isinstance(group, list):
        codes = group
        name = "listed tag"
    elif isinstance(group, str) and group in groups:
        codes = list(groups[group])
        name = group
    else:
        known = ", ".join(sorted(groups)) or "none"
        raise SpecError(f"{where}.each: unknown tag group {group!r} (known: {known}); or list the codes")
    if not codes or not all(isinstance(c, str) and c.strip() for c in codes):
        raise SpecError(f"{where}.each: the group {name!r} has no tags")
    return [
        Quota(frozenset([code]), f"{label or name} {code} (each {name})", minimum, maximum)
        for code in dict.fromkeys(c.strip() for c in codes)
    ]


def difficulty_targets(mix: Mapping[object, object], count: int) -> dict[int, int]:
    """Counts per difficulty from shares (summing to 1) or counts (summing to ``count``)."""
    levels: dict[int, float] = {}
    for raw_level, raw_value in mix.items():
        try:
            level = int(raw_level)  # JSON keys are strings
        except (TypeError, ValueError):
            raise SpecError(f"difficulty: {raw_level!r} is not a difficulty (1 to 5)") from None
        if level not in DIFFICULTIES:
            raise SpecError(f"difficulty: {level} is not a difficulty (1 to 5)")
        if not isinstance(raw_value, int | float) or isinstance(raw_value, bool) or raw_value < 0:
            raise SpecError(f"difficulty[{level}] must be a number of at least 0")
        levels[level] = float(raw_value)
    total = sum(levels.values())
    if not levels or total <= 0:
        raise SpecError("difficulty must give at least one difficulty a share above 0")
    all_whole = all(float(v).is_integer() for v in levels.values())
    if all_whole and total == count:
        return {level: int(v) for level, v in sorted(levels.items())}
    if not math.isclose(total, 1.0, abs_tol=0.011):
        raise SpecError(
            f"difficulty must be shares summing to 1 or counts summing to count ({count});"
            f" they sum to {total:g}"
        )
    exact = {level: v / total * count for level, v in levels.items()}
    targets = {level: math.floor(x) for level, x in exact.items()}
    left = count - sum(targets.values())
    by_remainder = sorted(exact, key=lambda lv: (-round(exact[lv] - targets[lv], 9), lv))
    for level in by_remainder[:left]:
        targets[level] += 1
    return dict(sorted(targets.items()))


def parse_spec(
    data: object,
    *,
    groups: Mapping[str, Sequence[str]] | None = None,
    known_kinds: Iterable[str] | None = None,
) -> DrawSpec:
    """Validate a spec (a dict, e.g. from JSON). ``SpecError`` names the field that is wrong."""
    groups = groups or {}
    if not isinstance(data, Mapping):
        raise SpecError("the spec must be an object with at least 'count'")
    unknown = set(data) - _SPEC_KEYS
    if unknown:
        raise SpecError(f"unknown spec key(s): {', '.join(sorted(unknown))}")
    if "count" not in data:
        raise SpecError("count is required")
    count = _whole(data["count"], "count", minimum=1)

    kinds = data.get("kinds")
    if kinds is not None:
        if isinstance(kinds, str):
            kinds = [kinds]
        if not isinstance(kinds, list) or not kinds or not all(isinstance(k, str) for k in kinds):
            raise SpecError("kinds must be a non-empty list such as ['single', 'truefalse']")
        if known_kinds is not None:
            allowed = set(known_kinds)
            bad = sorted(set(kinds) - allowed)
            if bad:
                choose = ", ".join(sorted(allowed))
                raise SpecError(f"kinds: {', '.join(bad)} cannot be drawn (choose from {choose})")
        kinds = frozenset(kinds)

    language = data.get("language")
    if language is not None and (not isinstance(language, str) or not language):
        raise SpecError("language must be a language code such as 'zh-hans'")

    raw_quotas = data.get("quotas", [])
    if not isinstance(raw_quotas, list):
        raise SpecError("quotas must be a list")
    quotas: list[Quota] = []
    for i, raw in enumerate(raw_quotas):
        for quota in _quota(raw, f"quotas[{i}]", groups):
            if quota.min > count:
                raise SpecError(f"{quota.label}: min ({quota.min}) is more than count ({count})")
            quotas.append(quota)

    mix = data.get("difficulty")
    targets = None
    if mix is not None:
        if not isinstance(mix, Mapping):
            raise SpecError("difficulty must be an object such as {'1': 0.2, '2': 0.3, '3': 0.5}")
        targets = difficulty_targets(mix, count)
    mode = data.get("difficulty_mode", "soft")
    if mode not in MODES:
        raise SpecError(f"difficulty_mode must be one of {', '.join(MODES)}")
    order = data.get("order", "random")
    if order not in ORDERS:
        raise SpecError(f"order must be one of {', '.join(ORDERS)}")
    return DrawSpec(
        count=count,
        quotas=tuple(quotas),
        difficulty=targets,
        difficulty_mode=mode,
        kinds=kinds,
        language=language,
        order=order,
        raw=dict(data),
    )


def quota_tags(spec: DrawSpec) -> frozenset[str]:
    """Every tag code the spec's quotas look at (the services load only these)."""
    return frozenset().union(*(q.tags for q in spec.quotas)) if spec.quotas else frozenset()


def draw(candidates: Iterable[Candidate], spec: DrawSpec, seed: int | str) -> list[int]:
    """The ids of ``spec.count`` candidates satisfying the spec, in play order. See the module docstring."""
    rng = random.Random(seed)
    if spec.kinds is None:
        pool = list(candidates)
    else:
        kinds = spec.kinds
        pool = [c for c in candidates if c.kind in kinds]
    pool.sort(key=_by_id)
    pool = _shuffled(pool, rng)
    n_quotas = len(spec.quotas)
    hard = spec.difficulty is not None and spec.difficulty_mode == "hard"
    target = dict(spec.difficulty) if spec.difficulty is not None else None

    # Which quotas each candidate counts for, and each quota's candidates in shuffled order.
    by_tag: dict[str, list[int]] = {}
    for qi, quota in enumerate(spec.quotas):
        for tag in quota.tags:
            by_tag.setdefault(tag, []).append(qi)
    hits_of_tag = {tag: tuple(qis) for tag, qis in by_tag.items()}
    member: dict[int, tuple[int, ...]] = {}  # only candidates counting for some quota
    eligible: list[list[int]] = [[] for _ in spec.quotas]
    if by_tag:
        # Only tagged candidates (found in C by ``compress``); in a large bank most have no quota tag.
        for ci in compress(range(len(pool)), map(_tags, pool)):
            tags = pool[ci].tags
            if len(tags) == 1:
                (tag,) = tags
                hits = hits_of_tag.get(tag, ())
            else:
                found = {qi for tag in tags for qi in hits_of_tag.get(tag, ())}
                hits = tuple(sorted(found))
            if hits:
                member[ci] = hits
                for qi in hits:
                    eligible[qi].append(ci)
    no_hits: tuple[int, ...] = ()

    for qi, quota in enumerate(spec.quotas):
        if len(eligible[qi]) < quota.min:
            raise DrawError(quota=quota.label, needed=quota.min, available=len(eligible[qi]))
    if len(pool) < spec.count:
        raise DrawError(quota="count", needed=spec.count, available=len(pool))

    chosen: list[int] = []
    taken = [False] * len(pool)
    have = [0] * n_quotas  # chosen questions counting for each quota
    used = [0] * n_quotas  # eligible candidates already chosen (for scarcity)
    per_level: dict[int, int] = {}

    def level_room(ci: int) -> bool:
        if target is None:
            return True
        level = pool[ci].difficulty
        return per_level.get(level, 0) < target.get(level, 0)

    def admissible(ci: int) -> bool:
        if taken[ci]:
            return False
        for qi in member.get(ci, no_hits):
            cap = spec.quotas[qi].max
            if cap is not None and have[qi] >= cap:
                return False
        return not hard or level_room(ci)

    def take(ci: int) -> None:
        taken[ci] = True
        chosen.append(ci)
        for qi in member.get(ci, no_hits):
            have[qi] += 1
            used[qi] += 1
        level = pool[ci].difficulty
        per_level[level] = per_level.get(level, 0) + 1

    def need(qi: int) -> int:
        return max(spec.quotas[qi].min - have[qi], 0)

    cursor = [0] * n_quotas
    while True:
        unmet = [qi for qi in range(n_quotas) if need(qi) > 0]
        if not unmet:
            break
        # Scarcest first: fewest unused candidates per question still needed; ties in spec order.
        qi = min(unmet, key=lambda q: ((len(eligible[q]) - used[q]) / need(q), q))
        free = spec.count - len(chosen)
        outstanding = sum(need(q) for q in unmet)
        if free <= 0:
            raise _quota_error(spec.quotas[qi], need(qi) + have[qi], len(eligible[qi]), "no places left")
        pick = None
        if outstanding > free:
            # Tight: only questions counting for several unmet quotas can make it fit.
            best = None
            for ci in eligible[qi]:
                if not admissible(ci):
                    continue
                key = (sum(1 for q in member.get(ci, no_hits) if need(q) > 0), level_room(ci))
                if best is None or key > best:
                    best, pick = key, ci
        else:
            fallback = None
            items = eligible[qi]
            start = cursor[qi]
            while start < len(items) and not admissible(items[start]):
                start += 1  # never admissible again: caps only fill up
            cursor[qi] = start
            for ci in items[start:]:
                if not admissible(ci):
                    continue
                if level_room(ci):
                    pick = ci
                    break
                if fallback is None:
                    fallback = ci
            pick = pick if pick is not None else fallback
        if pick is None:
            raise _quota_error(
                spec.quotas[qi], spec.quotas[qi].min, len(eligible[qi]), "the other quotas leave no room"
            )
        take(pick)

    # Fill: each difficulty up to its target first, then (soft) anything admissible.
    def levels_open() -> bool:
        return target is not None and any(per_level.get(lv, 0) < t for lv, t in target.items())

    passes = (True, False) if not hard and target is not None else (True,)
    for want_room in passes:
        if want_room and target is not None and not levels_open():
            continue
        for ci in range(len(pool)):
            if len(chosen) >= spec.count:
                break
            if want_room and target is not None and not level_room(ci):
                continue
            if admissible(ci):
                take(ci)
                if want_room and target is not None and not levels_open():
                    break
    if len(chosen) < spec.count:
        if hard and target is not None:
            for level, wanted in sorted(target.items()):
                if per_level.get(level, 0) < wanted:
                    available = sum(1 for c in pool if c.difficulty == level)
                    raise DrawError(
                        quota=f"difficulty {level}",
                        needed=wanted,
                        available=available,
                        detail=f"{per_level.get(level, 0)} could be drawn with the quotas' limits",
                    )
        capped = [q.label for qi, q in enumerate(spec.quotas) if q.max is not None and have[qi] >= q.max]
        raise DrawError(
            quota="count",
            needed=spec.count,
            available=len(pool),
            detail=f"only {len(chosen)} fit within the quotas' maximums"
            + (f" ({', '.join(capped[:5])})" if capped else ""),
        )

    if spec.order == "difficulty":
        rank = {ci: i for i, ci in enumerate(chosen)}
        ordered = sorted(chosen, key=lambda ci: (pool[ci].difficulty, rank[ci]))
    else:
        ordered = list(chosen)
        rng.shuffle(ordered)
    return [pool[ci].id for ci in ordered]


_by_id = attrgetter("id")
_tags = attrgetter("tags")


def _shuffled(pool: list[Candidate], rng: random.Random) -> list[Candidate]:
    """``pool`` in a random order: a 64-bit random key per candidate (little-endian bytes from the seeded
    generator, so the same on every platform), ties kept in id order. As random as ``rng.shuffle`` and
    several times faster on 100,000 candidates, since the keys are made in C."""
    keys = array("Q")
    assert keys.itemsize == 8
    keys.frombytes(rng.randbytes(8 * len(pool)))
    if sys.byteorder == "big":
        keys.byteswap()
    if len(pool) < 2:
        return list(pool)
    return list(itemgetter(*sorted(range(len(pool)), key=keys.__getitem__))(pool))


def _quota_error(quota: Quota, needed: int, available: int, why: str) -> DrawError:
    return DrawError(quota=quota.label, needed=needed, available=available, detail=why)


def summary(candidates: Mapping[int, Candidate], ids: Sequence[int], spec: DrawSpec) -> dict[str, object]:
    """What a draw gave: questions per quota and per difficulty (for previews and the command)."""
    picked = [candidates[i] for i in ids]
    levels: dict[int, int] = {}
    for c in picked:
        levels[c.difficulty] = levels.get(c.difficulty, 0) + 1
    return {
        "count": len(ids),
        "difficulty": dict(sorted(levels.items())),
        "difficulty_target": dict(spec.difficulty) if spec.difficulty else None,
        "quotas": [
            {
                "quota": q.label,
                "min": q.min,
                "max": q.max,
                "drawn": sum(1 for c in picked if c.tags & q.tags),
            }
            for q in spec.quotas
        ],
    }
