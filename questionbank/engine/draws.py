"""Drawing a round's questions from the bank by a spec. Pure: no Django, no database, no clock.

The spec (its format and ``parse_spec``) is ``questionbank.engine.specs``.

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

import random
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from questionbank.engine.specs import (
    DrawSpec,
    Quota,
    SpecError,
    difficulty_targets,
    parse_spec,
    quota_tags,
)

# The spec's names are part of this module's interface too (callers import the draw and its spec here).
__all__ = [
    "Candidate",
    "DrawError",
    "DrawSpec",
    "Pool",
    "Quota",
    "SpecError",
    "difficulty_targets",
    "draw",
    "draw_from",
    "parse_spec",
    "quota_tags",
    "summary",
]


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
