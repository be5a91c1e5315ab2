"""The standings cached on each contestant at every reveal: rescored from the answer log, ranked by the chain.

Rounds are played through the services with exact answer times. The default rule: 1000 points, half off
by the 20 s deadline (round(1000 * (1 - t / 40 s))), full points within 500 ms; ties by points, correct
answers, correct time. Question i's key is choice i % 4 unless a case says otherwise.
"""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from quiz import selectors
from quiz.models import Contestant
from quiz.protocol import HostCommand
from quiz.services.answers import PendingAnswer, answers_record
from quiz.services.contestants import contestant_join, contestant_kick
from quiz.services.rounds import round_command, round_create
from tests.factories import HostRoleFactory, QuestionFactory

pytestmark = pytest.mark.django_db


class Round:
    """A round driven through the services; ``z`` joins and never answers."""

    def __init__(self, keys: list[list[int]], rule: dict | None = None, kind: str = "single") -> None:
        role = HostRoleFactory()
        self.user = role.user
        questions = [QuestionFactory(kind=kind, correct=key, time_limit=20) for key in keys]
        self.round = round_create(
            competition=role.competition, title="Standings", questions=questions, scoring=rule or {}
        )
        self.ids: dict[str, int] = {}
        self.start = timezone.now()

    def join(self, *names: str) -> None:
        for name in names:
            self.ids[name] = contestant_join(pin=self.round.pin, nickname=name).contestant_id

    def command(self, action: str, question: int | None, at: timedelta) -> None:
        round_command(
            user=self.user, round_id=self.round.id, command=HostCommand(action, question=question), now=at
        )

    def play(self, index: int, answers: dict[str, tuple[tuple[int, ...], int]]) -> None:
        """Open question ``index``; each name answers (choices, after ms); close and reveal."""
        opened = self.start + timedelta(minutes=index)
        self.command("open", index, opened)
        answers_record(
            [
                PendingAnswer(
                    self.ids[name], self.round.id, index, choices, opened + timedelta(milliseconds=ms)
                )
                for name, (choices, ms) in answers.items()
            ]
        )
        self.command("close", index, opened + timedelta(seconds=30))
        self.command("reveal", index, opened + timedelta(seconds=31))

    def void(self, index: int) -> None:
        self.command("void", index, self.start + timedelta(minutes=10))

    def kick(self, name: str) -> None:
        contestant_kick(
            round_id=self.round.id, contestant_id=self.ids[name], actor=self.user, now=timezone.now()
        )

    def standings(self) -> dict[str, tuple[int, int | None, int, int]]:
        """name -> (score, rank, correct answers, correct time ms) as cached on the contestant."""
        rows = Contestant.objects.filter(round=self.round).values_list(
            "id", "score", "rank", "correct_count", "correct_time_ms"
        )
        names = {cid: name for name, cid in self.ids.items()}
        return {names[cid]: tuple(standing) for cid, *standing in rows}


def nobody_answers(r: Round) -> None:
    r.join("a", "b", "z")
    r.play(0, {})


def a_voided_question_counts_for_no_one(r: Round) -> None:
    r.join("a", "b", "z")
    r.play(0, {"a": ((0,), 400), "b": ((1,), 400)})  # a 1000, b wrong
    r.play(1, {"a": ((1,), 10_000), "b": ((1,), 400)})  # a 750, b 1000
    r.void(0)


def a_kicked_contestant_leaves_and_the_others_close_ranks(r: Round) -> None:
    r.join("a", "b", "c", "z")
    r.play(0, {"a": ((0,), 400), "b": ((0,), 10_000), "c": ((0,), 15_000)})  # 1000, 750, 625
    r.kick("a")
    r.play(1, {})


def several_choices_earn_their_share_under_the_partial_rule(r: Round) -> None:
    r.join("a", "b", "c", "z")
    r.play(0, {"a": ((0, 2), 400), "b": ((0,), 400), "c": ((0, 1), 400)})  # all, half, a wrong option


def equal_on_the_whole_chain_share_a_rank(r: Round) -> None:
    r.join("a", "b", "c", "z")
    r.play(0, {"a": ((0,), 10_000), "b": ((0,), 10_000), "c": ((0,), 9_000)})  # 750, 750, 775
    r.play(1, {"a": ((1,), 10_000), "b": ((1,), 10_000), "c": ((2,), 400)})  # 750, 750, wrong


CASES = {
    "nobody answered: everyone shares the first rank": (
        [[0]],
        {},
        "single",
        nobody_answers,
        {"a": (0, 1, 0, 0), "b": (0, 1, 0, 0), "z": (0, 1, 0, 0)},
    ),
    "a voided question counts for no one": (
        [[0], [1]],
        {},
        "single",
        a_voided_question_counts_for_no_one,
        # a's 400 ms on the voided question leaves their correct time
        {"b": (1000, 1, 1, 400), "a": (750, 2, 1, 10_000), "z": (0, 3, 0, 0)},
    ),
    "a kicked contestant leaves the ranking and the others close ranks": (
        [[0], [1]],
        {},
        "single",
        a_kicked_contestant_leaves_and_the_others_close_ranks,
        # a keeps the standing of the last reveal before the kick, without a rank
        {"a": (1000, None, 1, 400), "b": (750, 1, 1, 10_000), "c": (625, 2, 1, 15_000), "z": (0, 3, 0, 0)},
    ),
    "several choices earn their share under the partial rule": (
        [[0, 2]],
        {"multiple": "partial"},
        "multiple",
        several_choices_earn_their_share_under_the_partial_rule,
        # only an answer that is exactly the key is correct, and only its time counts
        {"a": (1000, 1, 1, 400), "b": (500, 2, 0, 0), "c": (0, 3, 0, 0), "z": (0, 3, 0, 0)},
    ),
    "equal on points, correct answers and correct time share a rank": (
        [[0], [1]],
        {},
        "single",
        equal_on_the_whole_chain_share_a_rank,
        {"a": (1500, 1, 2, 20_000), "b": (1500, 1, 2, 20_000), "c": (775, 3, 1, 9000), "z": (0, 4, 0, 0)},
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_the_cached_standings_after_the_last_reveal(case):
    keys, rule, kind, played, expected = CASES[case]
    r = Round(keys, rule, kind)
    played(r)
    assert r.standings() == expected


def test_the_cached_standings_and_correct_time_are_what_scoring_the_answer_log_again_gives():
    r = Round([[0], [1], [2]])
    r.join("a", "b", "c", "z")
    r.play(0, {"a": ((0,), 400), "b": ((0,), 12_000), "c": ((3,), 400)})
    r.play(1, {"a": ((2,), 400), "b": ((1,), 700), "c": ((1,), 19_000)})
    r.play(2, {"b": ((2,), 5_000), "c": ((2,), 5_000)})

    def rescored() -> dict[str, tuple[int, int, int]]:
        active = selectors.active_contestants(r.round.id).values_list("id", flat=True)
        scores = selectors.round_scores(r.round, active)
        return {
            name: (scores[cid].points, scores[cid].correct, scores[cid].correct_time_ms)
            for name, cid in r.ids.items()
        }

    def cached() -> dict[str, tuple[int, int, int]]:
        return {name: (score, correct, ms) for name, (score, _, correct, ms) in r.standings().items()}

    assert cached() == rescored()
    assert cached()["b"][1:] == (3, 17_700) and cached()["c"][1:] == (2, 24_000)
    scores = selectors.round_scores(r.round, r.ids.values())
    assert scores[r.ids["b"]].outcomes[1].streak == 2 and scores[r.ids["a"]].outcomes[1].correct is False
    r.void(1)
    assert cached() == rescored()
    assert cached()["b"][1:] == (2, 17_000) and cached()["c"][1:] == (1, 5_000)


def test_the_migration_gives_rounds_played_before_it_the_correct_time_a_refresh_would_cache():
    migration = importlib.import_module("quiz.migrations.0005_contestant_correct_time_ms")
    r = Round([[0], [1], [2]])
    r.join("a", "b", "z")
    r.play(0, {"a": ((0,), 400), "b": ((0,), 12_000)})
    r.play(1, {"a": ((1,), 3_000), "b": ((1,), 700)})
    r.void(1)
    # the third question is closed but not revealed: it counts for no one until the round ends
    opened = r.start + timedelta(minutes=2)
    r.command("open", 2, opened)
    answers_record([PendingAnswer(r.ids["b"], r.round.id, 2, (2,), opened + timedelta(milliseconds=5_000))])
    r.command("close", 2, opened + timedelta(seconds=30))
    cached = r.standings()
    assert {name: standing[3] for name, standing in cached.items()} == {"a": 400, "b": 12_000, "z": 0}

    Contestant.objects.filter(round=r.round).update(correct_time_ms=0)  # as before the column was cached
    migration.cache_correct_time(apps, None)
    assert r.standings() == cached

    r.command("end", None, opened + timedelta(minutes=1))
    ended = r.standings()
    assert ended["b"][3] == 17_000
    Contestant.objects.filter(round=r.round).update(correct_time_ms=0)
    migration.cache_correct_time(apps, None)
    assert r.standings() == ended
