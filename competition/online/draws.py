"""The online modes' question draws, through the bank's seeded draws (``questionbank.draws``).

Each draw is seeded by the stage, the mode, the contestant and the day (or the attempt), so a contestant
who reloads gets the same questions, and two contestants get different ones. Questions the contestant
answered in their recent attempts are passed over while the bank has enough others.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from competition.online.engine.rules import Dimension
from competition.online.errors import OnlineError
from questionbank.draws import draw_spec, pool_for, resolved
from questionbank.engine.draws import DrawError, SpecError, draw_from
from questionbank.models import Tag

PLAYABLE = ["single", "multiple", "truefalse"]


def draw(spec: Mapping[str, Any], *, count: int, seed: str, avoid: Iterable[int] = ()) -> list[int]:
    """``count`` question ids by the spec (the mode's quotas), avoiding ``avoid`` when the bank allows."""
    # The online pages answer by choice: typed answers (short, numerical) a spec names are left out.
    kinds = [kind for kind in spec.get("kinds") or PLAYABLE if kind in PLAYABLE]
    if not kinds:
        raise OnlineError("draw_failed", "the online stage plays choice questions only")
    data = {"language": "zh-hans", **spec, "kinds": kinds, "count": count}
    try:
        parsed = resolved(draw_spec(data))
        pool = pool_for(parsed)
        try:
            return draw_from(pool, parsed, seed, set(avoid))
        except DrawError:
            return draw_from(pool, parsed, seed, ())
    except (DrawError, SpecError) as exc:
        raise OnlineError("draw_failed", f"the question bank cannot supply this mode: {exc}") from None


def domain_benchmarks(domain: str) -> list[str]:
    """The benchmark codes under a benchmark domain (D1-D4) of the taxonomy."""
    return list(
        Tag.objects.filter(kind=Tag.Kind.BENCHMARK, parent__code=domain)
        .order_by("order", "code")
        .values_list("code", flat=True)
    )


def draw_selftest(dimensions: Iterable[Dimension], *, seed: str) -> tuple[list[int], list[str]]:
    """Each dimension's questions from its domain's benchmarks: the ids, and each one's dimension."""
    ids: list[int] = []
    names: list[str] = []
    for dim in dimensions:
        codes = domain_benchmarks(dim.domain)
        if not codes:
            raise OnlineError("draw_failed", f"no benchmarks under the domain {dim.domain!r}")
        spec = {"quotas": [{"tags": codes, "min": dim.count, "label": dim.name}]}
        picked = draw(spec, count=dim.count, seed=f"{seed}:{dim.name}", avoid=ids)
        ids.extend(picked)
        names.extend([dim.name] * len(picked))
    return ids, names
