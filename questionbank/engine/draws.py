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

How ``draw`` decides (deterministic: the candidates are indexed by id (``Pool``), so the order the
database returns rows in never matters, and each part of the draw has its own generator seeded from the
seed and the part's name, so the same spec, seed and bank always give the same questions):

1. A quota that has fewer candidates than its ``min`` fails at once (``DrawError`` with the quota, what
   it needs and how many candidates it has; the first such quota in spec order). Then so does a bank
   smaller than ``count`` (quota "count"). Excluded ids (shown earlier in the stage) do not count.
2. Quotas are met greedily, scarcest first: the unmet quota with the fewest unused candidates per
   question still needed goes next. It takes the first admissible candidate in its own random order of
   its candidates: one that does not push any quota past its ``max`` and, with a hard difficulty mix,
   whose difficulty still has room; with a soft mix a candidate whose difficulty still has room is
   preferred. When the spec is tight (fewer free places than questions still needed, i.e. the quotas can
   only be met if some questions count for several of them) the quota takes instead the candidate counting
   for the most unmet quotas (ties: its random order). When there is room, candidates are not steered
   towards multi-tag questions, so a quota's questions are a plain random sample of its tag.
3. The remaining places are filled: each difficulty up to its target first, from a random order of that
   difficulty's candidates, then (soft mix only) anything admissible from a random order of the pool.
4. The ids come back shuffled (``order: random``) or by difficulty, easy first, in the order they were
   drawn within a difficulty (``order: difficulty``).

The random orders are produced lazily (``_Shuffled``: Fisher-Yates with the swaps in a dict), so a draw
reads about as many candidates as it picks, whatever the size of the bank.

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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
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


class Pool:
    """The candidates of a draw, indexed: ids in order, and the ids of each tag and each difficulty.

    Building one is linear in the bank; a draw from one is not (it touches about as many questions as it
    draws), so the services keep a pool per bank state and reuse it across draws. Immutable once built.
    """

    __slots__ = ("by_id", "by_level", "by_tag", "ids")

    def __init__(self, candidates: Iterable[Candidate]) -> None:
        by_id = {c.id: c for c in candidates}
        self.by_id: Mapping[int, Candidate] = by_id
        self.ids: Sequence[int] = sorted(by_id)
        by_tag: dict[object, list[int]] = {}
        by_level: dict[int, list[int]] = {}
        for cid in self.ids:
            candidate = by_id[cid]
            for tag in candidate.tags:
                by_tag.setdefault(tag, []).append(cid)
            by_level.setdefault(candidate.difficulty, []).append(cid)
        self.by_tag: Mapping[object, Sequence[int]] = by_tag
        self.by_level: Mapping[int, Sequence[int]] = by_level

    def __len__(self) -> int:
        return len(self.ids)

    def tagged(self, tags: frozenset) -> Sequence[int]:
        """The ids carrying any of ``tags``, in id order."""
        if len(tags) == 1:
            (tag,) = tags
            return self.by_tag.get(tag, ())
        return sorted({cid for tag in tags for cid in self.by_tag.get(tag, ())})


def draw(candidates: Iterable[Candidate], spec: DrawSpec, seed: int | str) -> list[int]:
    """The ids of ``spec.count`` candidates satisfying the spec, in play order. See the module docstring."""
    kinds = spec.kinds
    return draw_from(Pool(c for c in candidates if kinds is None or c.kind in kinds), spec, seed)


def draw_from(pool: Pool, spec: DrawSpec, seed: int | str, excluded: Iterable[int] = ()) -> list[int]:
    """``draw`` from an indexed pool of the spec's kinds, leaving out the ``excluded`` ids."""
    gone = frozenset(cid for cid in excluded if cid in pool.by_id)
    quotas = spec.quotas
    hard = spec.difficulty is not None and spec.difficulty_mode == "hard"
    target = dict(spec.difficulty) if spec.difficulty is not None else None
    quotas_of_tag: dict[object, list[int]] = {}
    for qi, quota in enumerate(quotas):
        for tag in quota.tags:
            quotas_of_tag.setdefault(tag, []).append(qi)

    def member(cid: int) -> set[int]:
        return {qi for tag in pool.by_id[cid].tags for qi in quotas_of_tag.get(tag, ())}

    eligible = [pool.tagged(q.tags) for q in quotas]
    available = [
        len(ids) - sum(1 for cid in gone if pool.by_id[cid].tags & q.tags)
        for ids, q in zip(eligible, quotas, strict=True)
    ]
    for qi, quota in enumerate(quotas):
        if available[qi] < quota.min:
            raise DrawError(quota=quota.label, needed=quota.min, available=available[qi])
    if len(pool) - len(gone) < spec.count:
        raise DrawError(quota="count", needed=spec.count, available=len(pool) - len(gone))

    chosen: list[int] = []
    taken: set[int] = set()
    have = [0] * len(quotas)  # chosen questions counting for each quota
    per_level: dict[int, int] = {}

    def level_room(cid: int) -> bool:
        if target is None:
            return True
        level = pool.by_id[cid].difficulty
        return per_level.get(level, 0) < target.get(level, 0)

    def admissible(cid: int) -> bool:
        if cid in taken:
            return False
        for qi in member(cid):
            cap = quotas[qi].max
            if cap is not None and have[qi] >= cap:
                return False
        return not hard or level_room(cid)

    def take(cid: int) -> None:
        taken.add(cid)
        chosen.append(cid)
        for qi in member(cid):
            have[qi] += 1
        level = pool.by_id[cid].difficulty
        per_level[level] = per_level.get(level, 0) + 1

    def need(qi: int) -> int:
        return max(quotas[qi].min - have[qi], 0)

    streams = [_Shuffled(ids, _rng(seed, f"quota {qi}"), gone) for qi, ids in enumerate(eligible)]
    while True:
        unmet = [qi for qi in range(len(quotas)) if need(qi) > 0]
        if not unmet:
            break
        # Scarcest first: fewest unused candidates per question still needed; ties in spec order.
        qi = min(unmet, key=lambda q: ((available[q] - have[q]) / need(q), q))
        free = spec.count - len(chosen)
        if free <= 0:
            raise _quota_error(quotas[qi], need(qi) + have[qi], available[qi], "no places left")
        stream = streams[qi]
        pick = None
        if sum(need(q) for q in unmet) > free:
            # Tight: only questions counting for several unmet quotas can make it fit.
            best = None
            for cid in stream.rest():
                if admissible(cid):
                    key = (sum(1 for q in member(cid) if need(q) > 0), level_room(cid))
                    if best is None or key > best:
                        best, pick = key, cid
        else:
            # Candidates before the first admissible one never become admissible again (taken questions
            # stay taken, maximums and difficulty caps only fill up), so the stream moves past them.
            while (cid := stream.at(stream.start)) is not None and not admissible(cid):
                stream.start += 1
            fallback = None
            position = stream.start
            while (cid := stream.at(position)) is not None:
                if admissible(cid):
                    if level_room(cid):
                        pick = cid
                        break
                    fallback = fallback if fallback is not None else cid
                position += 1
            pick = pick if pick is not None else fallback
        if pick is None:
            raise _quota_error(quotas[qi], quotas[qi].min, available[qi], "the other quotas leave no room")
        take(pick)

    # Fill: each difficulty up to its target first (easiest first), then (soft) anything admissible.
    if target is not None:
        for level, wanted in sorted(target.items()):
            filler = _Shuffled(pool.by_level.get(level, ()), _rng(seed, f"level {level}"), gone)
            position = 0
            while per_level.get(level, 0) < wanted and len(chosen) < spec.count:
                cid = filler.at(position)
                if cid is None:
                    break
                if admissible(cid):
                    take(cid)
                position += 1
    if not hard:
        filler = _Shuffled(pool.ids, _rng(seed, "fill"), gone)
        position = 0
        while len(chosen) < spec.count and (cid := filler.at(position)) is not None:
            if admissible(cid):
                take(cid)
            position += 1
    if len(chosen) < spec.count:
        if hard and target is not None:
            for level, wanted in sorted(target.items()):
                if per_level.get(level, 0) < wanted:
                    in_level = pool.by_level.get(level, ())
                    raise DrawError(
                        quota=f"difficulty {level}",
                        needed=wanted,
                        available=len(in_level)
                        - sum(1 for cid in gone if pool.by_id[cid].difficulty == level),
                        detail=f"{per_level.get(level, 0)} could be drawn with the quotas' limits",
                    )
        capped = [q.label for qi, q in enumerate(quotas) if q.max is not None and have[qi] >= q.max]
        raise DrawError(
            quota="count",
            needed=spec.count,
            available=len(pool) - len(gone),
            detail=f"only {len(chosen)} fit within the quotas' maximums"
            + (f" ({', '.join(capped[:5])})" if capped else ""),
        )

    if spec.order == "difficulty":
        rank = {cid: i for i, cid in enumerate(chosen)}
        return sorted(chosen, key=lambda cid: (pool.by_id[cid].difficulty, rank[cid]))
    ordered = list(chosen)
    _rng(seed, "play order").shuffle(ordered)
    return ordered


def _rng(seed: int | str, purpose: str) -> random.Random:
    """A generator of its own for each use (each quota, each difficulty, the fill, the play order): what
    one part of the draw consumes never shifts another's sequence. String seeds are hashed with SHA-512
    by ``random``, so they are stable across runs and platforms."""
    return random.Random(f"{seed!r}/{purpose}")


class _Shuffled:
    """``ids`` in a uniformly random order, produced only as far as it is read: a Fisher-Yates shuffle
    whose swaps are kept in a dict, so reading k items costs O(k) whatever the length. ``excluded`` ids
    are passed over. ``start`` is where its reader has moved past (see the quota loop)."""

    __slots__ = ("_excluded", "_ids", "_moved", "_order", "_rng", "_skipped", "start")

    def __init__(self, ids: Sequence[int], rng: random.Random, excluded: frozenset[int]) -> None:
        self._ids = ids
        self._rng = rng
        self._excluded = excluded
        self._moved: dict[int, int] = {}
        self._order: list[int] = []
        self._skipped = 0
        self.start = 0

    def at(self, position: int) -> int | None:
        """The id at ``position`` of the random order, or None past the end."""
        order, ids, moved = self._order, self._ids, self._moved
        while len(order) <= position:
            done = len(order) + self._skipped
            if done >= len(ids):
                return None
            pick = self._rng.randrange(done, len(ids))
            here = moved.pop(done, done)
            value = here if pick == done else moved.get(pick, pick)
            if pick != done:
                moved[pick] = here
            cid = ids[value]
            if cid in self._excluded:
                self._skipped += 1
            else:
                order.append(cid)
        return order[position]

    def rest(self) -> list[int]:
        """Every id from ``start`` on (reads the whole order)."""
        position = self.start
        out = []
        while (cid := self.at(position)) is not None:
            out.append(cid)
            position += 1
        return out


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
