"""Scoring the online modes: answers, daily sets and streaks, challenges, the self-test, duels and the
season's tie chain. Pure: every function takes what it needs, time included."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

from competition.online.engine.rules import Dimension


class InvalidAnswer(ValueError):
    """A choice list that cannot be an answer to the question (out of range, or several for one)."""


def answer_correct(*, kind: str, n_choices: int, correct: Sequence[int], chosen: Sequence[int]) -> bool:
    """Whether ``chosen`` is right: the exact set of correct choices (multiple choice: all or nothing)."""
    picked = set(chosen)
    if not picked or len(picked) != len(chosen) or any(c < 0 or c >= n_choices for c in picked):
        raise InvalidAnswer("choices out of range or repeated")
    if kind != "multiple" and len(picked) != 1:
        raise InvalidAnswer("one choice only")
    return picked == set(correct)


# --- daily set ---------------------------------------------------------------------------------------
def streak_after(*, last_day: date | None, streak: int, today: date) -> int:
    """The daily streak once today's set is done: one more after yesterday, else it starts again at 1."""
    if last_day == today:
        return streak
    if last_day is not None and last_day == today - timedelta(days=1):
        return streak + 1
    return 1


def daily_points(*, correct: int, count: int, answered: int, streak: int, points: Mapping[str, int]) -> int:
    """Points for a finished daily set: per correct answer, a bonus for finishing it, a streak bonus
    on every ``streak_every``-th day in a row."""
    total = correct * points["daily_correct"]
    if answered >= count:
        total += points["daily_complete"]
        every = points["streak_every"]
        if every and streak and streak % every == 0:
            total += points["streak_bonus"]
    return total


# --- timed challenge ---------------------------------------------------------------------------------
class ChallengeStep(NamedTuple):
    ended: bool
    outcome: str  # "" while running; "wrong", "time_up" or "exhausted" once ended


def challenge_step(
    *, answer_correct: bool | None, now: datetime, deadline: datetime, answered: int, questions: int
) -> ChallengeStep:
    """What one answer (``None``: no answer, only the clock) does to a running challenge.

    The clock is the server's: an answer received at or after the deadline does not count and ends the
    challenge as ``time_up``; a wrong answer ends it as ``wrong``; running out of drawn questions ends
    it as ``exhausted``."""
    if now >= deadline:
        return ChallengeStep(True, "time_up")
    if answer_correct is None:
        return ChallengeStep(False, "")
    if not answer_correct:
        return ChallengeStep(True, "wrong")
    if answered >= questions:
        return ChallengeStep(True, "exhausted")
    return ChallengeStep(False, "")


def challenge_success(correct: int, success_at: int) -> bool:
    return correct >= success_at


def challenge_better(*, best: tuple[int, int] | None, result: tuple[int, int]) -> bool:
    """Whether ``result`` (correct answers, milliseconds used) beats the kept ``best``: more correct,
    then less time."""
    if best is None:
        return True
    return (result[0], -result[1]) > (best[0], -best[1])


# --- self-test ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class DimensionScore:
    name: str
    weight: int
    asked: int
    correct: int
    score: float  # out of ``weight``


@dataclass(frozen=True, slots=True)
class Profile:
    dimensions: tuple[DimensionScore, ...]
    total: float  # out of 100

    def as_dict(self) -> dict:
        return {
            "total": self.total,
            "dimensions": [
                {"name": d.name, "weight": d.weight, "asked": d.asked, "correct": d.correct, "score": d.score}
                for d in self.dimensions
            ],
        }


def selftest_profile(dimensions: Sequence[Dimension], results: Iterable[tuple[str, bool]]) -> Profile:
    """Score each dimension as its weight times the share answered right; the total is their sum.
    ``results`` are (dimension, correct) for each question asked; a dimension with nothing asked
    scores 0."""
    asked: dict[str, int] = {}
    right: dict[str, int] = {}
    for name, ok in results:
        asked[name] = asked.get(name, 0) + 1
        right[name] = right.get(name, 0) + (1 if ok else 0)
    scores = []
    for d in dimensions:
        n = asked.get(d.name, 0)
        c = right.get(d.name, 0)
        scores.append(DimensionScore(d.name, d.weight, n, c, round(d.weight * c / n, 1) if n else 0.0))
    return Profile(tuple(scores), round(sum(s.score for s in scores), 1))


def selftest_points(total: float, points: Mapping[str, int]) -> int:
    return int(total // 10) * points["selftest_per_10"]


# --- duel --------------------------------------------------------------------------------------------
def duel_points(*, correct: bool, elapsed_ms: int, limit_ms: int) -> int:
    """Speed-scored: 500 for a right answer at once, falling linearly to 250 at the deadline; 0 if wrong."""
    if not correct:
        return 0
    elapsed = min(max(elapsed_ms, 0), limit_ms)
    return round(500 - 250 * elapsed / limit_ms)


def duel_outcome(score_a: int, score_b: int) -> tuple[str, str]:
    """("win"|"draw"|"loss") for seat 1 and seat 2."""
    if score_a == score_b:
        return "draw", "draw"
    return ("win", "loss") if score_a > score_b else ("loss", "win")


# --- season ------------------------------------------------------------------------------------------
class Standing(NamedTuple):
    id: int
    points: int
    correct: int
    answer_ms: int
    registered_at: datetime


def season_order(rows: Iterable[Standing]) -> list[Standing]:
    """The tie chain: more points, then more correct answers, then less total answering time, then the
    earlier registration, then the lower id (the database's ORDER BY is the same)."""
    return sorted(rows, key=lambda r: (-r.points, -r.correct, r.answer_ms, r.registered_at, r.id))
