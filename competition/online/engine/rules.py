"""An online stage's rules as data: what each mode draws, how long it lasts, what it is worth.

``parse_rules`` validates an organiser's JSON (the ``rules`` field of an online stage) over the
defaults below and returns frozen dataclasses; ``RulesError`` names the field at fault. Draw specs are
passed through to the question bank's own spec parser (``questionbank.engine.specs``) by the services.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

KEY_GROUPS = ("youth", "farmer", "worker", "senior", "official", "other")
DIMENSIONS = ("knowledge", "method", "spirit", "application")
QUALIFICATION_RULES = ("points", "challenge")

DEFAULT_RULES: dict[str, Any] = {
    "daily": {"count": 5, "spec": {}},
    "challenge": {"seconds": 100, "success_at": 5, "daily_attempts": 3, "questions": 60, "spec": {}},
    "themed": [],
    "selftest": {
        "attempts": 1,
        # weight (points out of 100), how many questions, and the benchmark domain they are drawn from
        "dimensions": {
            "knowledge": {"weight": 40, "count": 8, "domain": "D3"},
            "method": {"weight": 20, "count": 4, "domain": "D2"},
            "spirit": {"weight": 20, "count": 4, "domain": "D1"},
            "application": {"weight": 20, "count": 4, "domain": "D4"},
        },
    },
    "duel": {"count": 5, "seconds": 15, "join_seconds": 120, "pause_seconds": 3},
    "points": {
        "daily_correct": 10,
        "daily_complete": 10,
        "streak_every": 7,
        "streak_bonus": 20,
        "challenge_success": 30,
        "themed_correct": 10,
        "selftest_per_10": 5,
        "duel_win": 20,
        "duel_draw": 10,
        "duel_loss": 5,
        "duel_daily_cap": 5,
    },
    "participation": {"completed_days": 5},
    "fairplay": {
        "read_ms_base": 800,
        "read_ms_per_char": 60,
        "read_ms_floor": 1200,
        "fast_share": 0.8,
        "fast_min_answers": 10,
        "max_accounts_per_device": 3,
        "same_answers_min": 5,
    },
    "limits": {"answers_per_minute": 60, "codes_per_hour_per_mobile": 5, "codes_per_hour_per_address": 20},
}


class RulesError(ValueError):
    """The rules are malformed; the message names the field."""


@dataclass(frozen=True, slots=True)
class DailyRules:
    count: int
    spec: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ChallengeRules:
    seconds: int
    success_at: int
    daily_attempts: int
    questions: int
    spec: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ThemedQuiz:
    slug: str
    name: str
    tags: tuple[str, ...]
    count: int
    opens: date
    closes: date
    key_group: str | None = None
    name_en: str = ""

    def open_on(self, day: date) -> bool:
        return self.opens <= day <= self.closes


@dataclass(frozen=True, slots=True)
class Dimension:
    name: str
    weight: int
    count: int
    domain: str


@dataclass(frozen=True, slots=True)
class SelfTestRules:
    attempts: int
    dimensions: tuple[Dimension, ...]

    @property
    def count(self) -> int:
        return sum(d.count for d in self.dimensions)


@dataclass(frozen=True, slots=True)
class DuelRules:
    count: int
    seconds: int
    join_seconds: int
    pause_seconds: int


@dataclass(frozen=True, slots=True)
class FairPlayRules:
    read_ms_base: int
    read_ms_per_char: int
    read_ms_floor: int
    fast_share: float
    fast_min_answers: int
    max_accounts_per_device: int
    same_answers_min: int


@dataclass(frozen=True, slots=True)
class Rules:
    daily: DailyRules
    challenge: ChallengeRules
    themed: tuple[ThemedQuiz, ...]
    selftest: SelfTestRules
    duel: DuelRules
    points: Mapping[str, int]
    completed_days: int
    fairplay: FairPlayRules
    limits: Mapping[str, int]
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def themed_quiz(self, slug: str) -> ThemedQuiz | None:
        return next((t for t in self.themed if t.slug == slug), None)


def _merge(base: dict[str, Any], given: Mapping[str, Any], where: str) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in given.items():
        if key not in base:
            raise RulesError(f"{where}{key}: unknown rule")
        if isinstance(base[key], dict) and key not in ("spec", "dimensions"):
            if not isinstance(value, Mapping):
                raise RulesError(f"{where}{key} must be an object")
            merged[key] = _merge(base[key], value, f"{where}{key}.")
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _whole(value: Any, where: str, minimum: int = 0, maximum: int | None = None) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise RulesError(f"{where} must be a whole number of at least {minimum}")
    if maximum is not None and value > maximum:
        raise RulesError(f"{where} must be at most {maximum}")
    return value


def _spec(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise RulesError(f"{where} must be a draw spec object")
    if "count" in value:
        raise RulesError(f"{where}: the count comes from the mode, not the spec")
    return dict(value)


def _day(value: Any, where: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise RulesError(f"{where} must be a date such as 2026-12-01") from None


def _themed(items: Any) -> tuple[ThemedQuiz, ...]:
    if not isinstance(items, list):
        raise RulesError("themed must be a list")
    quizzes: list[ThemedQuiz] = []
    for n, item in enumerate(items):
        where = f"themed[{n}]"
        if not isinstance(item, Mapping):
            raise RulesError(f"{where} must be an object")
        slug = item.get("slug")
        if not isinstance(slug, str) or not slug.replace("-", "").isalnum():
            raise RulesError(f"{where}.slug must be letters, digits and dashes")
        if any(q.slug == slug for q in quizzes):
            raise RulesError(f"{where}.slug {slug!r} is used twice")
        tags = item.get("tags")
        if not isinstance(tags, list) or not tags or not all(isinstance(t, str) for t in tags):
            raise RulesError(f"{where}.tags must be a list of tag codes")
        group = item.get("key_group")
        if group is not None and group not in KEY_GROUPS:
            raise RulesError(f"{where}.key_group must be one of {', '.join(KEY_GROUPS)}")
        opens, closes = _day(item.get("opens"), f"{where}.opens"), _day(item.get("closes"), f"{where}.closes")
        if closes < opens:
            raise RulesError(f"{where}.closes is before opens")
        quizzes.append(
            ThemedQuiz(
                slug=slug,
                name=str(item.get("name") or slug),
                name_en=str(item.get("name_en") or ""),
                tags=tuple(tags),
                count=_whole(item.get("count", 10), f"{where}.count", 1, 50),
                opens=opens,
                closes=closes,
                key_group=group,
            )
        )
    return tuple(quizzes)


def _dimensions(raw: Any) -> tuple[Dimension, ...]:
    if not isinstance(raw, Mapping) or set(raw) != set(DIMENSIONS):
        raise RulesError(f"selftest.dimensions must name exactly {', '.join(DIMENSIONS)}")
    dims = []
    for name in DIMENSIONS:
        item = raw[name]
        where = f"selftest.dimensions.{name}"
        if not isinstance(item, Mapping):
            raise RulesError(f"{where} must be an object")
        dims.append(
            Dimension(
                name=name,
                weight=_whole(item.get("weight"), f"{where}.weight", 0, 100),
                count=_whole(item.get("count"), f"{where}.count", 1, 50),
                domain=str(item.get("domain", "")),
            )
        )
    if sum(d.weight for d in dims) != 100:
        raise RulesError("selftest.dimensions: the weights must add up to 100")
    return tuple(dims)


def parse_rules(given: Mapping[str, Any] | None = None) -> Rules:
    """The stage's rules: ``given`` over the defaults, validated."""
    if given is not None and not isinstance(given, Mapping):
        raise RulesError("rules must be an object")
    raw = _merge(DEFAULT_RULES, given or {}, "")
    d, c, s, u, p, f = (raw[k] for k in ("daily", "challenge", "selftest", "duel", "points", "fairplay"))
    for key, value in p.items():
        _whole(value, f"points.{key}")
    fast_share = f["fast_share"]
    if not isinstance(fast_share, int | float) or not 0 < fast_share <= 1:
        raise RulesError("fairplay.fast_share must be a share between 0 and 1")
    return Rules(
        daily=DailyRules(count=_whole(d["count"], "daily.count", 1, 50), spec=_spec(d["spec"], "daily.spec")),
        challenge=ChallengeRules(
            seconds=_whole(c["seconds"], "challenge.seconds", 10, 3600),
            success_at=_whole(c["success_at"], "challenge.success_at", 1),
            daily_attempts=_whole(c["daily_attempts"], "challenge.daily_attempts", 1),
            questions=_whole(c["questions"], "challenge.questions", 1, 500),
            spec=_spec(c["spec"], "challenge.spec"),
        ),
        themed=_themed(raw["themed"]),
        selftest=SelfTestRules(
            attempts=_whole(s["attempts"], "selftest.attempts", 1), dimensions=_dimensions(s["dimensions"])
        ),
        duel=DuelRules(
            count=_whole(u["count"], "duel.count", 1, 30),
            seconds=_whole(u["seconds"], "duel.seconds", 3, 120),
            join_seconds=_whole(u["join_seconds"], "duel.join_seconds", 10, 3600),
            pause_seconds=_whole(u["pause_seconds"], "duel.pause_seconds", 0, 30),
        ),
        points=dict(p),
        completed_days=_whole(raw["participation"]["completed_days"], "participation.completed_days", 1),
        fairplay=FairPlayRules(
            read_ms_base=_whole(f["read_ms_base"], "fairplay.read_ms_base"),
            read_ms_per_char=_whole(f["read_ms_per_char"], "fairplay.read_ms_per_char"),
            read_ms_floor=_whole(f["read_ms_floor"], "fairplay.read_ms_floor"),
            fast_share=float(fast_share),
            fast_min_answers=_whole(f["fast_min_answers"], "fairplay.fast_min_answers", 1),
            max_accounts_per_device=_whole(
                f["max_accounts_per_device"], "fairplay.max_accounts_per_device", 1
            ),
            same_answers_min=_whole(f["same_answers_min"], "fairplay.same_answers_min", 1),
        ),
        limits={k: _whole(v, f"limits.{k}", 1) for k, v in raw["limits"].items()},
        raw=raw,
    )
