"""A draw spec: its format, and ``parse_spec`` that validates one. Pure: no Django, no database.

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

A difficulty mix is soft by default (best effort, bent by the quotas) or ``"hard"`` (caps met exactly);
what the draw does with it is told in ``questionbank.engine.draws``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

ORDERS = ("random", "difficulty")
MODES = ("soft", "hard")
DIFFICULTIES = range(1, 6)
_SPEC_KEYS = {"count", "kinds", "language", "quotas", "difficulty", "difficulty_mode", "order"}
_QUOTA_KEYS = {"tag", "tags", "each", "min", "max", "label"}


class SpecError(ValueError):
    """The spec itself is malformed; the message names the field."""


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
