"""Scores as a pure function of the answer log and the round's scoring rule.

Nothing here is stored as truth: voiding a question or correcting a key and calling ``score_round``
again rescores everyone. Rules are data (``ScoringRule.from_dict``) chosen per round.

Speed points use two whole numbers of milliseconds stored with each answer when it is received:
``t``, the answering time (from opening to receipt, less the pauses before it), and ``T``, the
contestant's own time limit (the question's time limit times their time factor; extensions of the
deadline do not change it). Nothing that happens after an answer changes either, and every step is
integer arithmetic with halves rounded up, so a client given t and T recomputes the points exactly.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from operator import itemgetter
from typing import NamedTuple

from quiz.engine.ranking import ranked
from quiz.engine.typed import TypedKey


class SpeedCurve(enum.StrEnum):
    OFF = "off"  # every correct answer earns the full points
    LINEAR = "linear"  # P * (1 - t/T): full points at 0 s falling to 0 at T
    HALF = "half"  # Kahoot!: P * (1 - t/T/2); never below half


class MultiplePolicy(enum.StrEnum):
    ALL_OR_NOTHING = "all_or_nothing"
    # Each correct option chosen earns P/k (k = number of correct options); choosing any wrong option
    # earns nothing. Only the exact key counts as "correct" for streaks and the correct count.
    PARTIAL = "partial"


class TeamAggregate(enum.StrEnum):
    SUM = "sum"
    MEAN = "mean"
    BEST_K = "best_k"


class TieBreak(enum.StrEnum):
    POINTS = "points"  # more points first
    CORRECT = "correct"  # more correct answers first
    CORRECT_TIME = "correct_time"  # less total time on correct answers first
    ANSWERED = "answered"  # more questions answered first


DEFAULT_TIE_BREAKS = (TieBreak.POINTS, TieBreak.CORRECT, TieBreak.CORRECT_TIME)


class InvalidRule(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class ScoringRule:
    points: int = 1000
    speed: SpeedCurve = SpeedCurve.HALF
    full_points_within_ms: int = 500  # answers this fast earn full points on a speed curve
    streak_bonus: bool = False
    streak_step: int = 100  # from the 2nd correct answer in a row: +step per answer in the streak...
    streak_cap: int = 500  # ...up to this much per question
    wrong_penalty: int = 0  # points taken off for a wrong answer (negative marks); no answer costs nothing
    multiple: MultiplePolicy = MultiplePolicy.ALL_OR_NOTHING
    team_aggregate: TeamAggregate = TeamAggregate.SUM
    team_best_k: int = 3
    tie_breaks: tuple[TieBreak, ...] = field(default=DEFAULT_TIE_BREAKS)

    @classmethod
    def from_dict(cls, data: Mapping[str, object] | None) -> ScoringRule:
        """Build a rule from stored JSON, refusing unknown keys and out-of-range values."""
        data = dict(data or {})
        unknown = set(data) - {f for f in cls.__dataclass_fields__}
        if unknown:
            raise InvalidRule(f"unknown scoring settings: {', '.join(sorted(unknown))}")
        try:
            kwargs: dict[str, object] = {}
            for name in (
                "points",
                "full_points_within_ms",
                "streak_step",
                "streak_cap",
                "wrong_penalty",
                "team_best_k",
            ):
                if name in data:
                    value = data[name]
                    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                        raise InvalidRule(f"{name} must be a whole number of at least 0")
                    kwargs[name] = value
            if "streak_bonus" in data:
                if not isinstance(data["streak_bonus"], bool):
                    raise InvalidRule("streak_bonus must be true or false")
                kwargs["streak_bonus"] = data["streak_bonus"]
            if "speed" in data:
                kwargs["speed"] = SpeedCurve(data["speed"])
            if "multiple" in data:
                kwargs["multiple"] = MultiplePolicy(data["multiple"])
            if "team_aggregate" in data:
                kwargs["team_aggregate"] = TeamAggregate(data["team_aggregate"])
            if "tie_breaks" in data:
                raw = data["tie_breaks"]
                if not isinstance(raw, list | tuple) or not raw:
                    raise InvalidRule("tie_breaks must be a non-empty list")
                kwargs["tie_breaks"] = tuple(TieBreak(x) for x in raw)
        except ValueError as exc:
            if isinstance(exc, InvalidRule):
                raise
            raise InvalidRule(str(exc)) from exc
        rule = cls(**kwargs)  # type: ignore[arg-type]
        if rule.team_aggregate == TeamAggregate.BEST_K and rule.team_best_k < 1:
            raise InvalidRule("team_best_k must be at least 1")
        return rule

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["tie_breaks"] = [t.value for t in self.tie_breaks]
        for key in ("speed", "multiple", "team_aggregate"):
            data[key] = data[key].value
        return data


@dataclass(frozen=True, slots=True)
class ScoredQuestion:
    index: int
    correct: frozenset[int]
    time_allowed_ms: int  # the question's own time limit (T of an answer that does not carry its own)
    weight: int = 1  # 0 = practice, 1 = standard, 2 = double points
    multiple: bool = False
    # A typed question (short answer, numerical) is scored by its key, all or nothing; ``correct`` is empty.
    typed: TypedKey | None = None


# Answer records and outcomes are named tuples rather than frozen dataclasses: a reveal makes one of each
# per answer (100,000 in a sitting of 10,000 contestants), and a frozen dataclass is four times slower to
# create.


class AnswerRecord(NamedTuple):
    contestant_id: int
    index: int
    choices: frozenset[int]
    elapsed_ms: int  # t: whole ms from opening the question to receipt, paused time left out
    time_limit_ms: int | None = None  # T: the contestant's own limit; None: the question's
    text: str | None = None  # a typed answer, as typed (``choices`` is then empty)


class QuestionOutcome(NamedTuple):
    correct: bool
    points: int  # base + streak bonus - penalty (may be negative)
    streak: int
    elapsed_ms: int = 0  # t the points used
    time_limit_ms: int = 0  # T the points used


@dataclass(slots=True)
class ContestantScore:
    contestant_id: int
    points: int = 0
    correct: int = 0
    answered: int = 0
    correct_time_ms: int = 0
    streak: int = 0
    outcomes: dict[int, QuestionOutcome] = field(default_factory=dict)

    def sort_key(self, chain: Sequence[TieBreak]) -> tuple[int, ...]:
        keys = {
            TieBreak.POINTS: -self.points,
            TieBreak.CORRECT: -self.correct,
            TieBreak.CORRECT_TIME: self.correct_time_ms,
            TieBreak.ANSWERED: -self.answered,
        }
        return tuple(keys[t] for t in chain)


def _round_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator to the nearest whole number, halves up (denominator > 0)."""
    return (2 * numerator + denominator) // (2 * denominator)


def base_points(rule: ScoringRule, *, elapsed_ms: int, time_allowed_ms: int, weight: int) -> int:
    """Points for a correct answer given after ``elapsed_ms`` (t) of ``time_allowed_ms`` (T).

    P = points x weight. Within ``full_points_within_ms``, without a speed curve or without a limit:
    P. Otherwise, with t clamped to 0..T: linear P * (T - t) / T, half P * (2T - t) / 2T, each rounded
    to the nearest point, halves up."""
    full = rule.points * weight
    if rule.speed == SpeedCurve.OFF or elapsed_ms <= rule.full_points_within_ms or time_allowed_ms <= 0:
        return full
    t, limit = min(max(elapsed_ms, 0), time_allowed_ms), time_allowed_ms
    if rule.speed == SpeedCurve.LINEAR:
        return _round_half_up(full * (limit - t), limit)
    return _round_half_up(full * (2 * limit - t), 2 * limit)


def streak_bonus(rule: ScoringRule, streak: int) -> int:
    if not rule.streak_bonus or streak < 2:
        return 0
    return min((streak - 1) * rule.streak_step, rule.streak_cap)


def _credit(rule: ScoringRule, q: ScoredQuestion, choices: frozenset[int]) -> tuple[bool, int, int]:
    """(exactly right, share of the points earned as a numerator and a denominator)."""
    exact = choices == q.correct
    if exact or not q.multiple or rule.multiple == MultiplePolicy.ALL_OR_NOTHING:
        return exact, (1 if exact else 0), 1
    if choices - q.correct or not choices:
        return False, 0, 1
    return False, len(choices & q.correct), len(q.correct)


def score_round(
    questions: Sequence[ScoredQuestion],
    answers: Iterable[AnswerRecord],
    rule: ScoringRule,
    contestant_ids: Iterable[int] = (),
) -> dict[int, ContestantScore]:
    """Score every contestant over ``questions`` in order. Answers to other questions are ignored."""
    by_contestant: dict[int, dict[int, AnswerRecord]] = defaultdict(dict)
    for answer in answers:
        by_contestant[answer.contestant_id][answer.index] = answer
    scores = {cid: ContestantScore(cid) for cid in contestant_ids}
    for cid in by_contestant:
        if cid not in scores:
            scores[cid] = ContestantScore(cid)
    ordered = sorted(questions, key=lambda q: q.index)
    # Typed answers repeat (most contestants type the same few), so each is matched once per question.
    matched: dict[tuple[int, str], bool] = {}
    for cid, score in scores.items():
        mine = by_contestant.get(cid)
        if not mine:
            continue  # nothing answered: no points, no streak
        # Running totals in locals, stored once per contestant: this loop runs once per answer.
        total = correct = answered = correct_time = streak = 0
        outcomes = score.outcomes
        for q in ordered:
            answer = mine.get(q.index)
            if answer is None:
                streak = 0
                continue
            answered += 1
            if q.typed is not None:
                text = answer.text or ""
                exact = matched.get((q.index, text))
                if exact is None:
                    exact = matched[(q.index, text)] = bool(text) and q.typed.matches(text)
                share, parts = (1 if exact else 0), 1
            elif answer.choices == q.correct:
                exact, share, parts = True, 1, 1
            else:
                exact, share, parts = _credit(rule, q, answer.choices)
            if exact:
                streak += 1
                correct += 1
                correct_time += answer.elapsed_ms
            else:
                streak = 0
            points = 0
            limit = q.time_allowed_ms if answer.time_limit_ms is None else answer.time_limit_ms
            if share > 0:
                base = base_points(rule, elapsed_ms=answer.elapsed_ms, time_allowed_ms=limit, weight=q.weight)
                if share != parts:
                    base = _round_half_up(base * share, parts)
                points = base + (streak_bonus(rule, streak) if exact and q.weight else 0)
            elif not exact:
                points = -rule.wrong_penalty * q.weight
            total += points
            outcomes[q.index] = QuestionOutcome(exact, points, streak, answer.elapsed_ms, limit)
        score.points, score.correct, score.answered = total, correct, answered
        score.correct_time_ms, score.streak = correct_time, streak
    return scores


@dataclass(frozen=True, slots=True)
class Ranked:
    rank: int  # competition ranking: 1, 2, 2, 4
    score: ContestantScore


def rank(scores: Iterable[ContestantScore], chain: Sequence[TieBreak] = DEFAULT_TIE_BREAKS) -> list[Ranked]:
    """Order by the tie-break chain; contestants equal on every key share a rank and are listed by
    contestant id (the earlier join first)."""
    # Each key is built once: sort_key makes a tuple per call, and a sitting has 10,000 contestants.
    ordered = sorted(((s.sort_key(chain), s.contestant_id, s) for s in scores), key=lambda k: k[:2])
    return [Ranked(position, row[2]) for position, row in ranked(ordered, key=itemgetter(0))]


@dataclass(frozen=True, slots=True)
class TeamScore:
    team_id: int
    points: float
    members: int


def team_scores(
    scores: Mapping[int, ContestantScore], membership: Mapping[int, int], rule: ScoringRule
) -> list[TeamScore]:
    """Aggregate member points per team (sum, mean, or the best k members), best team first."""
    members: dict[int, list[int]] = defaultdict(list)
    for cid, team_id in membership.items():
        members[team_id].append(scores[cid].points if cid in scores else 0)
    result = []
    for team_id, points in members.items():
        if rule.team_aggregate == TeamAggregate.SUM:
            total: float = sum(points)
        elif rule.team_aggregate == TeamAggregate.MEAN:
            total = round(sum(points) / len(points), 2)
        else:
            total = sum(sorted(points, reverse=True)[: rule.team_best_k])
        result.append(TeamScore(team_id, total, len(points)))
    return sorted(result, key=lambda t: (-t.points, t.team_id))
