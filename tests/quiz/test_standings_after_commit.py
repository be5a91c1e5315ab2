"""Standings are written after the round's change commits, so they never keep another command waiting.

A reveal commits the round first; the standings (recomputable from the answer log) are scored and
written in their own short transaction; the frames go out after that with the new ranks, all before
the host's reply. An older refresh that finishes after a newer one writes nothing.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from quiz import broadcast, selectors
from quiz.models import Contestant, Round
from quiz.protocol import HostCommand
from quiz.services.answers import PendingAnswer, answers_record
from quiz.services.contestants import contestant_join
from quiz.services.rounds import round_command, round_create
from quiz.services.standings import standings_refresh
from tests.factories import HostRoleFactory, QuestionFactory

pytestmark = pytest.mark.django_db(transaction=True)


def played_round(names=("Ann", "Bob")):
    """A round whose question 0 is open and answered: Ann right and fast, Bob wrong."""
    role = HostRoleFactory()
    questions = [QuestionFactory(correct=[0]), QuestionFactory(correct=[1])]
    round_ = round_create(competition=role.competition, title="After commit", questions=questions)
    ids = {name: contestant_join(pin=round_.pin, nickname=name).contestant_id for name in names}
    round_command(user=role.user, round_id=round_.id, command=HostCommand("open", question=0))
    now = timezone.now()
    answers_record(
        [
            PendingAnswer(ids["Ann"], round_.id, 0, (0,), now),
            PendingAnswer(ids["Bob"], round_.id, 0, (2,), now + timedelta(milliseconds=5)),
        ]
    )
    return round_, role.user, ids


def test_host_command_during_reveal_standings_write_is_not_blocked(monkeypatch):
    round_, user, ids = played_round()
    scoring_started, release = threading.Event(), threading.Event()
    score = selectors.round_scores

    def slow_scores(*args, **kwargs):
        scoring_started.set()
        assert release.wait(20), "the test never released the standings"
        return score(*args, **kwargs)

    monkeypatch.setattr(selectors, "round_scores", slow_scores)
    replies: dict[str, dict] = {}

    def command(action: str) -> None:
        try:
            replies[action] = round_command(
                user=user, round_id=round_.id, command=HostCommand(action, question=0)
            )
        finally:
            connections.close_all()

    reveal = threading.Thread(target=command, args=("reveal",))
    reveal.start()
    try:
        assert scoring_started.wait(10)
        # The reveal has committed and its standings are being worked out: the round is not locked.
        assert Round.objects.get(pk=round_.pk).phase == "revealed"
        board = threading.Thread(target=command, args=("leaderboard",))
        board.start()
        board.join(10)
        assert not board.is_alive(), "the leaderboard command waited for the reveal's standings"
        assert replies["leaderboard"]["changed"] is True
        assert "reveal" not in replies  # the reveal's standings write is still held open
    finally:
        release.set()
        reveal.join(20)
    assert replies["reveal"]["changed"] is True
    ranks = dict(Contestant.objects.filter(round=round_).values_list("id", "rank"))
    assert (ranks[ids["Ann"]], ranks[ids["Bob"]]) == (1, 2)


def test_reveal_frames_carry_the_new_ranks(monkeypatch):
    round_, user, ids = played_round()
    sent: list[dict] = []
    monkeypatch.setattr(broadcast.outbox, "send", lambda round_id, message: sent.append(message))
    reply = round_command(user=user, round_id=round_.id, command=HostCommand("reveal", question=0))
    assert [row["rank"] for row in reply["round"]["leaderboard"]] == [1, 2]
    revealed = [m for m in sent if '"event":"answer.revealed"' in m["frames"]["display"]]
    assert len(revealed) == 1
    assert '"leaderboard":[{"rank":1,"nickname":"Ann"' in revealed[0]["frames"]["display"]
    assert '"rank":1' in revealed[0]["personal"][str(ids["Ann"])]


def test_an_older_standings_refresh_finishing_late_writes_nothing():
    round_, user, ids = played_round()
    rows = list(round_.questions.order_by("position"))
    before_reveal = selectors.round_state(Round.objects.get(pk=round_.pk), rows)
    round_command(user=user, round_id=round_.id, command=HostCommand("reveal", question=0))
    written = Round.objects.get(pk=round_.pk).standings_version
    assert written > before_reveal.version  # closed and revealed: two versions on

    # The scores as of before the reveal count nothing: written late, they would wipe the ranks out.
    assert standings_refresh(round_id=round_.id, state=before_reveal, event_index=None) == {}
    ranks = dict(Contestant.objects.filter(round=round_).values_list("id", "rank"))
    assert (ranks[ids["Ann"]], ranks[ids["Bob"]]) == (1, 2)
    assert Round.objects.get(pk=round_.pk).standings_version == written
