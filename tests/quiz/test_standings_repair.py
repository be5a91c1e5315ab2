"""Standings that were due but not written get repaired; refreshes that overlap publish in write order.

The transaction of a reveal, void or finish records the version the standings are due for. If their
write after the commit fails, the round is "behind" until the next host command or host snapshot (once
the write has had time to finish) or ``manage.py refresh_standings`` rewrites them, and a finished round
is reported finished again. Two refreshes of one round write and publish one after the other: the last
frames carry the newest ranks, and an overtaken refresh still sends its contestants their results. A kick
landing while the scores are worked out is not undone by the write.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connections
from django.utils import timezone

from quiz import boards, broadcast, frames, hooks, selectors
from quiz.models import Contestant, Round
from quiz.protocol import HostCommand
from quiz.services import rounds, standings
from quiz.services.contestants import contestant_kick
from quiz.services.rounds import STANDINGS_REPAIR_AFTER, round_command
from quiz.services.snapshots import host_snapshot
from tests.quiz.test_standings_after_commit import played_round

pytestmark = pytest.mark.django_db(transaction=True)

LATER = STANDINGS_REPAIR_AFTER + timedelta(seconds=1)


def ranks(round_) -> dict[int, int | None]:
    return dict(Contestant.objects.filter(round=round_).values_list("id", "rank"))


def behind(round_) -> bool:
    row = Round.objects.get(pk=round_.pk)
    return row.standings_version < row.standings_due_version


@pytest.fixture
def failing_write(monkeypatch):
    """The standings write raises until the test calls the fixture's value (the database is back)."""
    down = [True]
    write = standings._write_standings

    def flaky(changed):
        if down:
            raise RuntimeError("the database went away mid-write")
        write(changed)

    monkeypatch.setattr(standings, "_write_standings", flaky)
    return lambda: down.clear()


@pytest.fixture
def finished_rounds():
    seen: list[int] = []

    def record(sender, *, round_id: int, **kwargs) -> None:
        seen.append(round_id)

    hooks.round_finished.connect(record, dispatch_uid="test.repair")
    yield seen
    hooks.round_finished.disconnect(dispatch_uid="test.repair")


def test_a_failing_standings_write_leaves_the_round_behind_and_the_next_host_command_repairs_it(
    failing_write,
):
    round_, user, ids = played_round()
    reply = round_command(user=user, round_id=round_.id, command=HostCommand("reveal", question=0))
    assert reply["changed"] is True  # the reveal itself committed and went out
    assert behind(round_)
    assert ranks(round_) == {ids["Ann"]: None, ids["Bob"]: None}

    failing_write()  # the database is back
    now = timezone.now() + LATER
    round_command(user=user, round_id=round_.id, command=HostCommand("leaderboard", question=0), now=now)
    assert not behind(round_)
    assert ranks(round_) == {ids["Ann"]: 1, ids["Bob"]: 2}


def test_a_host_command_right_after_a_change_does_not_repeat_a_standings_write_still_running(
    failing_write,
):
    round_, user, _ids = played_round()
    round_command(user=user, round_id=round_.id, command=HostCommand("reveal", question=0))
    failing_write()
    # Within the grace time the write may still be running elsewhere: the command does not redo it.
    round_command(user=user, round_id=round_.id, command=HostCommand("leaderboard", question=0))
    assert behind(round_)
    call_command("refresh_standings")  # nor does the command
    assert behind(round_)


def test_the_next_host_snapshot_repairs_a_finished_round_and_reports_it_finished_again(
    failing_write, finished_rounds, monkeypatch
):
    round_, user, _ids = played_round()
    round_command(user=user, round_id=round_.id, command=HostCommand("end"))
    assert finished_rounds == [round_.id]  # sent although the standings write failed
    assert behind(round_)

    failing_write()
    sent: list[dict] = []
    monkeypatch.setattr(broadcast.outbox, "send", lambda round_id, message: sent.append(message))
    snapshot = host_snapshot(user=user, round_id=round_.id, now=timezone.now() + LATER)
    assert not behind(round_)
    assert [row["rank"] for row in snapshot["round"]["leaderboard"]] == [1, 2]
    assert finished_rounds == [round_.id, round_.id]
    # The screens get the final standings again, at the version they already show.
    (final,) = sent
    assert '"event":"round.finished"' in final["frames"]["display"]
    assert '"leaderboard":[{"rank":1,"nickname":"Ann"' in final["frames"]["display"]


def test_refresh_standings_repairs_every_round_that_is_behind(failing_write, finished_rounds):
    first, user, first_ids = played_round()
    round_command(user=user, round_id=first.id, command=HostCommand("reveal", question=0))
    second, other_user, second_ids = played_round()
    round_command(user=other_user, round_id=second.id, command=HostCommand("end"))
    failing_write()
    Round.objects.update(standings_due_at=timezone.now() - LATER)  # the writes had their time

    call_command("refresh_standings", "--round", str(second.id))
    assert behind(first) and not behind(second)
    call_command("refresh_standings")
    assert not behind(first)
    assert ranks(first) == {first_ids["Ann"]: 1, first_ids["Bob"]: 2}
    assert ranks(second) == {second_ids["Ann"]: 1, second_ids["Bob"]: 2}
    assert finished_rounds == [second.id, second.id]  # the finish, then its repair; not the live round


def test_round_finished_is_sent_even_when_the_finish_frames_cannot_be_built(
    finished_rounds, monkeypatch, caplog
):
    round_, user, _ids = played_round()

    def broken(*args, **kwargs):
        raise RuntimeError("a frame could not be serialised")

    monkeypatch.setattr(frames, "state_frames", broken)
    with pytest.raises(RuntimeError):
        round_command(user=user, round_id=round_.id, command=HostCommand("end"))
    assert Round.objects.get(pk=round_.pk).phase == "finished"
    assert finished_rounds == [round_.id]
    assert "frames of version" in caplog.text


def test_an_overtaken_refresh_publishes_the_newest_ranks_and_still_sends_its_results(monkeypatch):
    round_, user, ids = played_round()
    sent: list[dict] = []
    monkeypatch.setattr(broadcast.outbox, "send", lambda round_id, message: sent.append(message))
    scoring_started, release = threading.Event(), threading.Event()
    score = selectors.round_scores
    calls = []

    def first_call_waits(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            scoring_started.set()
            assert release.wait(20), "the test never released the reveal's standings"
        return score(*args, **kwargs)

    monkeypatch.setattr(selectors, "round_scores", first_call_waits)

    def reveal() -> None:
        try:
            round_command(user=user, round_id=round_.id, command=HostCommand("reveal", question=0))
        finally:
            connections.close_all()

    thread = threading.Thread(target=reveal)
    thread.start()
    try:
        assert scoring_started.wait(10)
        # Voided while the reveal's standings are worked out: nobody scores, Ann and Bob share rank 1.
        round_command(user=user, round_id=round_.id, command=HostCommand("void", question=0))
    finally:
        release.set()
        thread.join(20)

    assert ranks(round_) == {ids["Ann"]: 1, ids["Bob"]: 1}
    last = sent[-1]
    assert '"event":"answer.revealed"' in last["frames"]["display"]  # the overtaken refresh, last out
    assert '"leaderboard":[{"rank":1,"nickname":"Ann"' in last["frames"]["display"]
    assert '{"rank":1,"nickname":"Bob"' in last["frames"]["display"]  # the void's ranks, not 1 and 2
    assert '"correct":true' in last["personal"][str(ids["Ann"])]


class RecordingBoard(boards.DatabaseBoard):
    def __init__(self) -> None:
        self.published: list[list[int]] = []

    def publish_on_commit(self, round_id, version, standings) -> None:
        self.published.append([s.contestant_id for s in standings])


def test_a_kick_while_the_scores_are_worked_out_leaves_the_contestant_unranked_and_off_the_board(
    monkeypatch,
):
    round_, user, ids = played_round()
    board = RecordingBoard()
    monkeypatch.setattr(boards, "live_board", lambda: board)
    score = selectors.round_scores

    def kick_meanwhile(*args, **kwargs):
        scores = score(*args, **kwargs)
        contestant_kick(round_id=round_.id, contestant_id=ids["Ann"], actor=user, now=timezone.now())
        return scores

    monkeypatch.setattr(selectors, "round_scores", kick_meanwhile)
    reply = round_command(user=user, round_id=round_.id, command=HostCommand("reveal", question=0))
    assert ranks(round_) == {ids["Ann"]: None, ids["Bob"]: 2}
    assert board.published == [[ids["Bob"]]]
    assert [row["nickname"] for row in reply["round"]["leaderboard"]] == ["Bob"]


def test_a_round_whose_standings_were_written_is_not_behind():
    round_, user, _ids = played_round()
    round_command(user=user, round_id=round_.id, command=HostCommand("reveal", question=0))
    row = Round.objects.get(pk=round_.pk)
    assert row.standings_version == row.standings_due_version == row.version
    assert not rounds.standings_behind(row, timezone.now() + LATER)
