"""Every host frame carries ``commands``: the round commands the engine would accept now.

The console enables its buttons from this list instead of re-deriving the rules; contestants and
displays are not sent it.
"""

from __future__ import annotations

import json

import pytest

from quiz import broadcast
from quiz.protocol import HostCommand
from quiz.services.rounds import round_command, round_create
from quiz.services.snapshots import display_snapshot, host_snapshot
from tests.factories import HostRoleFactory, QuestionFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_host_snapshot_replies_and_state_frames_list_the_allowed_commands(monkeypatch):
    role = HostRoleFactory()
    round_ = round_create(
        competition=role.competition, title="Buttons", questions=[QuestionFactory(), QuestionFactory()]
    )
    sent: list[dict] = []
    monkeypatch.setattr(broadcast.outbox, "send", lambda round_id, message: sent.append(message))

    snapshot = host_snapshot(user=role.user, round_id=round_.id)
    assert snapshot["round"]["commands"] == ["open", "skip", "end"]
    assert snapshot["round"]["next"] == 0

    reply = round_command(user=role.user, round_id=round_.id, command=HostCommand("open", question=0))
    expected = ["close", "reveal", "pause", "extend", "skip", "void", "end"]
    assert reply["round"]["commands"] == expected
    host_frame = json.loads(sent[-1]["frames"]["host"])
    assert host_frame["event"] == "question.opened" and host_frame["round"]["commands"] == expected

    for audience in ("display", "contestant"):
        assert "commands" not in json.loads(sent[-1]["frames"][audience])["round"]
    assert "commands" not in display_snapshot(round_id=round_.id)["round"]

    reply = round_command(user=role.user, round_id=round_.id, command=HostCommand("end"))
    assert reply["round"]["commands"] == ["void"]  # a played question may still be voided
