"""The live leaderboard of a round: the Redis board gives the database board's ranks, and survives a flush.

A private redis-server on a free port (no other test run shares it); rounds are played through the
services with chosen answer times, so ties on points, correct answers and correct time all occur.
"""

from __future__ import annotations

import logging
import random
import shutil
from datetime import timedelta

import pytest
from django.utils import timezone

from quiz import boards
from quiz.boards import DatabaseBoard, RedisBoard, Standing, live_board, member_of, row_of, standing_of
from quiz.models import Contestant
from quiz.protocol import HostCommand
from quiz.services.answers import PendingAnswer, answers_record
from quiz.services.contestants import contestant_join, contestant_kick
from quiz.services.rounds import round_command, round_create
from quiz.services.snapshots import display_snapshot
from tests.factories import HostRoleFactory, QuestionFactory
from tests.servers import free_port, private_redis

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def redis_url():
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is needed for the Redis board tests (apt-get install redis-server)")
    with private_redis() as redis:
        yield redis.url


@pytest.fixture
def redis_board(redis_url, settings):
    """The board the services pick, configured as with REDIS_URL set."""
    settings.REDIS_URL = redis_url
    settings.CACHES = {
        **settings.CACHES,
        "default": {**settings.CACHES["default"], "KEY_PREFIX": "jjjboards"},
    }
    board = live_board()
    board.client.flushdb()
    return board


class Played:
    """A round driven through the services with exact answer times."""

    def __init__(self, questions: int, names: list[str], rule: dict | None = None) -> None:
        role = HostRoleFactory()
        self.user = role.user
        made = [QuestionFactory(correct=[i % 4], time_limit=20) for i in range(questions)]
        self.round = round_create(
            competition=role.competition, title="Board", questions=made, scoring=rule or {}
        )
        self.ids = {name: contestant_join(pin=self.round.pin, nickname=name).contestant_id for name in names}
        self.start = timezone.now()

    def command(self, action: str, question: int, at: timedelta) -> None:
        round_command(
            user=self.user,
            round_id=self.round.id,
            command=HostCommand(action, question=question),
            now=self.start + at,
        )

    def question(self, index: int, answers: dict[str, tuple[int, int]]) -> None:
        """Open question ``index``; each name answers (choice, after ms); close and reveal."""
        opened = timedelta(minutes=index)
        self.command("open", index, opened)
        answers_record(
            [
                PendingAnswer(
                    self.ids[name],
                    self.round.id,
                    index,
                    (choice,),
                    self.start + opened + timedelta(milliseconds=ms),
                )
                for name, (choice, ms) in answers.items()
            ]
        )
        self.command("close", index, opened + timedelta(seconds=30))
        self.command("reveal", index, opened + timedelta(seconds=31))

    def kick(self, name: str) -> None:
        contestant_kick(
            round_id=self.round.id, contestant_id=self.ids[name], actor=self.user, now=timezone.now()
        )


def ranks(rows: list[Standing]) -> list[tuple[int, int | None, int, int]]:
    return [(s.contestant_id, s.rank, s.score, s.correct) for s in rows]


def test_members_sort_like_ids_and_rows_round_trip_with_chinese_names():
    ids = [3, 12, 100, 7, 99_999]
    assert sorted(ids, key=member_of) == sorted(ids)
    for standing in (Standing(12, "小明", "海淀队", 1900, 2, 3), Standing(7, "Ann", None, -50, 9, 0)):
        assert standing_of(member_of(standing.contestant_id).encode(), row_of(standing).encode()) == standing


def test_redis_is_the_live_board_when_redis_url_is_set_and_its_keys_carry_the_cache_prefix(
    settings, redis_url
):
    settings.REDIS_URL = ""
    assert isinstance(live_board(), DatabaseBoard)
    settings.REDIS_URL = redis_url
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": "jjjsomeone"}}
    board = live_board()
    assert isinstance(board, RedisBoard)
    assert all(key.startswith("jjjsomeone:board:{round:5}") for key in board.keys(5))


# Each case: answers per question as {name: (choice, ms)}, and the ranks they give. Question i's right
# choice is i % 4; the round's rule is the default (1000 points, half off by the deadline of 20 s, full
# within 500 ms; ties by points, correct answers, correct time). "z" never answers.
TIES = {
    "points decide": ([{"a": (0, 400), "b": (1, 400), "c": (0, 15_000)}], {"a": 1, "c": 2, "b": 3, "z": 3}),
    "equal points, more correct answers first": (
        [{"a": (0, 19_999), "b": (0, 100)}, {"a": (1, 19_999)}],  # 500 + 500 against 1000
        {"a": 1, "b": 2, "z": 3},
    ),
    "equal points and correct answers, less correct time first": (
        [{"a": (0, 300), "b": (0, 200), "c": (0, 100)}],
        {"c": 1, "b": 2, "a": 3, "z": 4},
    ),
    "equal on the whole chain share a rank": (
        [{"a": (0, 300), "b": (0, 300), "c": (2, 300), "d": (3, 300)}],
        {"a": 1, "b": 1, "c": 3, "d": 3, "z": 3},
    ),
}


@pytest.mark.parametrize("case", list(TIES), ids=list(TIES))
def test_the_redis_board_gives_the_database_ranks(case, redis_board, django_capture_on_commit_callbacks):
    questions, expected = TIES[case]
    played = Played(len(questions), sorted(expected))
    for index, answers in enumerate(questions):
        with django_capture_on_commit_callbacks(execute=True):
            played.question(index, answers)

    database = DatabaseBoard().top(played.round.id, 0)
    from_redis = redis_board.top(played.round.id, 0)

    assert {s.nickname: s.rank for s in database} == expected
    assert ranks(from_redis) == ranks(database)
    assert redis_board.top(played.round.id, 2) == database[:2]


@pytest.mark.parametrize("seed", range(3))
def test_random_rounds_rank_alike_on_both_boards_after_every_reveal(
    seed, redis_board, django_capture_on_commit_callbacks
):
    rng = random.Random(seed)
    names = [f"p{i}" for i in range(rng.randint(2, 25))]
    rule = rng.choice([{}, {"speed": "off"}, {"streak_bonus": True}, {"wrong_penalty": 200}])
    rule["tie_breaks"] = rng.choice(
        [["points", "correct", "correct_time"], ["points", "correct"], ["points"]]
    )
    played = Played(4, names, rule)
    for index in range(4):
        answers = {
            name: (rng.randrange(4), rng.choice([100, 400, 2_000, 2_000, 9_000]))
            for name in names
            if rng.random() < 0.8
        }
        with django_capture_on_commit_callbacks(execute=True):
            played.question(index, answers)
        database = DatabaseBoard().top(played.round.id, 0)
        assert len(database) == len(names)
        assert ranks(redis_board.top(played.round.id, 0)) == ranks(database)
        assert redis_board.top(played.round.id, 10) == database[:10]


def test_after_a_redis_flush_mid_round_the_next_read_rebuilds_from_the_database(
    redis_board, django_capture_on_commit_callbacks
):
    played = Played(2, ["a", "b", "c"])
    with django_capture_on_commit_callbacks(execute=True):
        played.question(0, {"a": (0, 100), "b": (0, 3_000)})
    redis_board.client.flushall()

    rebuilt = redis_board.top(played.round.id, 10)

    assert ranks(rebuilt) == ranks(DatabaseBoard().top(played.round.id, 10))
    assert all(redis_board.client.exists(key) for key in redis_board.keys(played.round.id))
    with django_capture_on_commit_callbacks(execute=True):
        played.question(1, {"c": (1, 100)})
    assert ranks(redis_board.top(played.round.id, 10)) == ranks(DatabaseBoard().top(played.round.id, 10))


def test_a_board_is_not_overwritten_by_an_older_reveal_committed_late(redis_board):
    newer = [Standing(1, "a", None, 2000, 1, 2), Standing(2, "b", None, 1000, 2, 1)]
    older = [Standing(2, "b", None, 1000, 1, 1), Standing(1, "a", None, 0, 2, 0)]
    assert redis_board.write(77, 9, newer) is True
    assert redis_board.write(77, 8, older) is False
    assert redis_board.top(77, 10) == newer
    assert redis_board.client.ttl(redis_board.keys(77)[0]) > 0


def test_an_empty_board_is_stored_and_read_without_rebuilding(redis_board, django_assert_num_queries):
    played = Played(1, ["a"])
    assert redis_board.top(played.round.id, 10) == []  # rebuilt once from the database: no one ranked yet
    with django_assert_num_queries(0):
        assert redis_board.top(played.round.id, 10) == []


def test_a_kicked_contestant_leaves_the_redis_board(redis_board, django_capture_on_commit_callbacks):
    played = Played(1, ["a", "b", "c"])
    with django_capture_on_commit_callbacks(execute=True):
        played.question(0, {"a": (0, 100), "b": (0, 3_000), "c": (1, 100)})
    with django_capture_on_commit_callbacks(execute=True):
        played.kick("a")
    names = [s.nickname for s in redis_board.top(played.round.id, 10)]
    assert names == ["b", "c"]
    assert Contestant.objects.get(pk=played.ids["a"]).rank is None


def test_display_frames_read_the_redis_board(redis_board, django_capture_on_commit_callbacks):
    played = Played(1, ["a", "b"])
    with django_capture_on_commit_callbacks(execute=True):
        played.question(0, {"b": (0, 100)})
    # a board that differs from the database shows which one the display read
    redis_board.write(played.round.id, 10_000, [Standing(played.ids["a"], "a", None, 5, 1, 0)])

    snapshot = display_snapshot(round_id=played.round.id)

    assert [row["nickname"] for row in snapshot["round"]["leaderboard"]] == ["a"]


def test_when_redis_does_not_answer_the_board_is_read_from_the_database(
    settings, caplog, django_capture_on_commit_callbacks
):
    played = Played(1, ["a", "b"])
    with django_capture_on_commit_callbacks(execute=True):
        played.question(0, {"b": (0, 100)})
    down = RedisBoard(f"redis://127.0.0.1:{free_port()}/0", "jjjdown")

    with caplog.at_level(logging.WARNING, logger=boards.__name__):
        rows = down.top(played.round.id, 10)

    assert ranks(rows) == ranks(DatabaseBoard().top(played.round.id, 10))
    assert "read from the database" in caplog.text


def test_a_redis_failure_after_commit_loses_no_standings(settings, django_capture_on_commit_callbacks):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    played = Played(1, ["a", "b"])
    with django_capture_on_commit_callbacks(execute=True):
        played.question(0, {"b": (0, 100)})  # the board write after commit fails and is logged
    assert [s.nickname for s in DatabaseBoard().top(played.round.id, 10)] == ["b", "a"]
