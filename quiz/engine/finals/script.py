"""A match format: an ordered script of segments whose rules are data, with defaults from real contests.

A script is edited by the host before the match and stored with it; once the match has started it is
pinned (``script_edit`` refuses). ``Script.to_data``/``script_from_data`` round-trip through JSON, and every
value is checked on the way in, so a stored script is always playable.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from quiz.engine.finals.common import FinalsError


class Kind(enum.StrEnum):
    COMPULSORY = "compulsory"  # 必答
    BUZZER = "buzzer"  # 抢答
    WAGER = "wager"  # 风险
    JUDGED = "judged"  # 科普讲解
    COMEBACK = "comeback"  # 力挽狂澜
    SUDDEN_DEATH = "sudden_death"  # 加赛


# The bank's question kinds (questionbank.models.QuestionKind), as ``right_by_kind`` names them.
QUESTION_KINDS = ("single", "multiple", "truefalse", "judged", "short", "numerical")
# Rules stored as (name, value) pairs and written in JSON as an object.
PAIR_RULES = frozenset({"right_by_kind"})
# The values a text rule may take (a rule name means the same in every kind that has it); ``recuse_by``
# lists some of its values.
RULE_CHOICES: dict[str, tuple[str, ...]] = {
    "mode": ("team", "member", "chosen"),
    "early": ("points", "lockout", "out"),
    "order": ("high_to_low", "low_to_high"),
    "cut": ("last_n", "below"),
    "play": ("buzzer", "compulsory"),
    "recuse_by": ("district", "unit"),
}


def _invalid(message: str) -> FinalsError:
    return FinalsError("script_invalid", message)


@dataclass(frozen=True, slots=True)
class CompulsoryRules:
    """必答: each team (mode "team"), each member in rotation ("member") or a team-chosen answerer
    ("chosen") answers its own question after the host's "请回答" cue."""

    mode: str = "team"
    answer_seconds: int = 20
    right: int = 10
    wrong: int = 0
    incomplete: int = 0
    rounds: int = 1  # questions per team
    # Points for a right answer by the question's type (its bank kind), e.g. true/false 10, single choice
    # 20, host-judged 30; a type not listed scores ``right``. In JSON an object: {"truefalse": 10, ...}.
    right_by_kind: tuple[tuple[str, int], ...] = ()

    def check(self) -> None:
        _choice("mode", self.mode, RULE_CHOICES["mode"])
        _between("answer_seconds", self.answer_seconds, 10, 60)
        _between("rounds", self.rounds, 1, 20)
        for kind, value in self.right_by_kind:
            _choice("right_by_kind", kind, QUESTION_KINDS)
            _between(f"right_by_kind.{kind}", value, 0, 1_000)

    def right_for(self, question_kind: str | None) -> int:
        """The points for a right answer to a question of ``question_kind`` (None: not known)."""
        return dict(self.right_by_kind).get(question_kind or "", self.right)


@dataclass(frozen=True, slots=True)
class BuzzerRules:
    """抢答: the host reads, cues "请抢答"; the first fair buzz answers. ``early`` is the penalty for a
    buzz before the cue: "points" (``early_points``), "lockout" (``lockout_ms`` after the early press, as on
    Jeopardy!) or "out" (the team sits this question out)."""

    questions: int = 5
    open_seconds: int = 15  # no buzz within this time closes the question
    answer_seconds: int = 20
    right: int = 10
    wrong: int = -10
    early: str = "lockout"
    early_points: int = -10
    lockout_ms: int = 250
    pass_on: bool = True  # after a wrong answer the next team in buzz order may answer
    max_attempts: int = 2  # answers allowed per question before it closes
    window_ms: int = 150  # collection window after the first buzz arrives
    window_max_ms: int = 600  # the window never stays open longer, whatever the phones' latencies

    def check(self) -> None:
        _between("questions", self.questions, 1, 100)
        _between("open_seconds", self.open_seconds, 3, 120)
        _between("answer_seconds", self.answer_seconds, 3, 120)
        _choice("early", self.early, RULE_CHOICES["early"])
        _between("lockout_ms", self.lockout_ms, 0, 10_000)
        _between("max_attempts", self.max_attempts, 1, 18)
        _between("window_ms", self.window_ms, 0, 2_000)
        _between("window_max_ms", self.window_max_ms, self.window_ms, 5_000)


@dataclass(frozen=True, slots=True)
class WagerRules:
    """风险: in ``order`` of the scores, each team picks a tier on its captain's phone, then answers its own
    question; right adds the tier, wrong or incomplete deducts it."""

    tiers: tuple[int, ...] = (10, 20, 30)
    order: str = "high_to_low"
    exclusive: bool = False  # a tier picked by one team is gone for the others
    answer_seconds: int = 30

    def check(self) -> None:
        if not self.tiers or any(not isinstance(t, int) or isinstance(t, bool) or t <= 0 for t in self.tiers):
            raise _invalid("tiers must be positive whole numbers.")
        if len(set(self.tiers)) != len(self.tiers):
            raise _invalid("tiers must be distinct.")
        _choice("order", self.order, RULE_CHOICES["order"])
        _between("answer_seconds", self.answer_seconds, 10, 120)


@dataclass(frozen=True, slots=True)
class JudgedRules:
    """科普讲解: each judge scores each team from ``low`` to ``high`` in steps of 0.1; the highest and
    lowest are dropped (when ``drop_high_low`` and at least three scores) and the rest averaged, times
    ``weight``. A judge of the same district or unit as a team is recused from scoring it."""

    low: int = 0
    high: int = 10
    drop_high_low: bool = True
    weight: int = 1
    recuse_by: tuple[str, ...] = ("district", "unit")
    speak_seconds: int = 180

    def check(self) -> None:
        if self.low >= self.high:
            raise _invalid("low must be below high.")
        _between("weight", self.weight, 1, 10)
        for key in self.recuse_by:
            _choice("recuse_by", key, RULE_CHOICES["recuse_by"])
        _between("speak_seconds", self.speak_seconds, 30, 900)


@dataclass(frozen=True, slots=True)
class ComebackRules:
    """力挽狂澜: only the last ``last_n`` teams (cut "last_n") or those below ``below`` points (cut
    "below") play, as ``play`` ("buzzer" or "compulsory") with the segment's own values."""

    cut: str = "last_n"
    last_n: int = 3
    below: int = 100
    play: str = "buzzer"
    questions: int = 3
    right: int = 20
    wrong: int = -20

    def check(self) -> None:
        _choice("cut", self.cut, RULE_CHOICES["cut"])
        _between("last_n", self.last_n, 1, 17)
        _choice("play", self.play, RULE_CHOICES["play"])
        _between("questions", self.questions, 1, 50)


@dataclass(frozen=True, slots=True)
class SuddenDeathRules:
    """加赛: buzzer questions among the level teams; right places the team first among those left, wrong
    places it last among those left, until the order is complete."""

    open_seconds: int = 15
    answer_seconds: int = 20
    window_ms: int = 150
    window_max_ms: int = 600
    max_questions: int = 10

    def check(self) -> None:
        _between("open_seconds", self.open_seconds, 3, 120)
        _between("window_ms", self.window_ms, 0, 2_000)
        _between("window_max_ms", self.window_max_ms, self.window_ms, 5_000)
        _between("max_questions", self.max_questions, 1, 100)


RULES: dict[Kind, type] = {
    Kind.COMPULSORY: CompulsoryRules,
    Kind.BUZZER: BuzzerRules,
    Kind.WAGER: WagerRules,
    Kind.JUDGED: JudgedRules,
    Kind.COMEBACK: ComebackRules,
    Kind.SUDDEN_DEATH: SuddenDeathRules,
}

TITLES = {  # default titles, zh-Hans first (the stage's language), English in docs and the console
    Kind.COMPULSORY: "限时必答",
    Kind.BUZZER: "团队抢答",
    Kind.WAGER: "风险题",
    Kind.JUDGED: "科普讲解",
    Kind.COMEBACK: "力挽狂澜",
    Kind.SUDDEN_DEATH: "加赛",
}


@dataclass(frozen=True, slots=True)
class Segment:
    kind: Kind
    title: str
    rules: Any  # the dataclass of RULES[kind]


@dataclass(frozen=True, slots=True)
class Script:
    segments: tuple[Segment, ...]
    base_score: int = 100
    rule_version: int = 1  # bumped by every edit; logged with each score event
    pinned: bool = False

    def to_data(self) -> dict[str, Any]:
        return {
            "base_score": self.base_score,
            "rule_version": self.rule_version,
            "pinned": self.pinned,
            "segments": [
                {"kind": s.kind.value, "title": s.title, "rules": _rules_to_data(s.rules)}
                for s in self.segments
            ],
        }


def _rules_to_data(rules: Any) -> dict[str, Any]:
    out = {}
    for f in fields(rules):
        value = getattr(rules, f.name)
        if f.name in PAIR_RULES:
            out[f.name] = dict(value)
        else:
            out[f.name] = list(value) if isinstance(value, tuple) else value
    return out


def _between(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise _invalid(f"{name} must be between {low} and {high}, got {value}.")


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise _invalid(f"{name} must be one of {', '.join(allowed)}, got {value!r}.")


def rules_from_data(kind: Kind, data: Mapping[str, Any] | None) -> Any:
    """The rules of ``kind`` from JSON data: missing keys take the defaults, unknown keys and wrong
    types are refused with ``script_invalid``."""
    cls = RULES[kind]
    data = dict(data or {})
    defaults = cls()
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise _invalid(f"unknown rule(s) for {kind.value}: {', '.join(unknown)}.")
    values: dict[str, Any] = {}
    for name, value in data.items():
        default = getattr(defaults, name)
        if name in PAIR_RULES:
            value = _pairs(name, value)
        elif isinstance(default, tuple):
            if not isinstance(value, list | tuple):
                raise _invalid(f"{name} must be a list.")
            value = tuple(value)
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise _invalid(f"{name} must be true or false.")
        elif isinstance(default, int):
            if not isinstance(value, int) or isinstance(value, bool):
                raise _invalid(f"{name} must be a whole number.")
        elif not isinstance(value, type(default)):
            raise _invalid(f"{name} must be a {type(default).__name__}.")
        values[name] = value
    rules = replace(defaults, **values)
    rules.check()
    return rules


def _pairs(name: str, value: Any) -> tuple[tuple[str, int], ...]:
    if not isinstance(value, Mapping):
        raise _invalid(f"{name} must be an object of whole numbers.")
    for key, number in value.items():
        if not isinstance(number, int) or isinstance(number, bool):
            raise _invalid(f"{name}.{key} must be a whole number.")
    return tuple(sorted((str(k), v) for k, v in value.items()))


def script_from_data(data: Mapping[str, Any]) -> Script:
    """A checked script from its JSON form (``Script.to_data``)."""
    if not isinstance(data, Mapping):
        raise _invalid("a script is an object.")
    raw = data.get("segments")
    if not isinstance(raw, list) or not raw:
        raise _invalid("a script needs at least one segment.")
    if len(raw) > 30:
        raise _invalid("a script has at most 30 segments.")
    segments = []
    for item in raw:
        if not isinstance(item, Mapping):
            raise _invalid("each segment is an object.")
        try:
            kind = Kind(item.get("kind"))
        except ValueError:
            raise _invalid(f"unknown segment kind {item.get('kind')!r}.") from None
        title = item.get("title") or TITLES[kind]
        if not isinstance(title, str) or len(title) > 40:
            raise _invalid("a segment title is text of at most 40 characters.")
        segments.append(Segment(kind, title, rules_from_data(kind, item.get("rules"))))
    base = data.get("base_score", 100)
    if not isinstance(base, int) or isinstance(base, bool) or not 0 <= base <= 10_000:
        raise _invalid("base_score must be a whole number from 0 to 10000.")
    version = data.get("rule_version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _invalid("rule_version must be a positive whole number.")
    return Script(
        tuple(segments), base_score=base, rule_version=version, pinned=bool(data.get("pinned", False))
    )


def script_edit(current: Script, data: Mapping[str, Any]) -> Script:
    """``data`` as the new script (one rule version later), unless the match has started."""
    if current.pinned:
        raise FinalsError("script_pinned", "The match has started: its script can no longer change.")
    new = script_from_data({**data, "pinned": False})
    return replace(new, rule_version=current.rule_version + 1)


def script_pin(script: Script) -> Script:
    """The script as played: pinned when the match starts (idempotent)."""
    return script if script.pinned else replace(script, pinned=True)


def _segment(kind: Kind, **rules: Any) -> Segment:
    return Segment(kind, TITLES[kind], replace(RULES[kind](), **rules))


# The default script per stage. District finals are shorter; the grand final uses exclusive wagers.
STAGES = ("district", "provincial", "grand")


def default_script(stage: str = "district") -> Script:
    if stage not in STAGES:
        raise _invalid(f"unknown stage {stage!r}; one of {', '.join(STAGES)}.")
    questions = {"district": 5, "provincial": 6, "grand": 8}[stage]
    return Script(
        (
            _segment(Kind.COMPULSORY),
            _segment(Kind.BUZZER, questions=questions),
            _segment(Kind.WAGER, exclusive=stage == "grand"),
            _segment(Kind.JUDGED),
            _segment(Kind.COMEBACK),
        )
    )
