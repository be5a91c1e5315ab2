"""Snapshots: the first frame a socket gets, the whole round as its audience may see it.

A host's and a display's come from the PIN or the round id; a contestant's (``welcome``) comes from
their reconnect token, after joining or on every reconnect. Each first applies a deadline that passed
while nobody was there to close the question, so a snapshot never shows a clock that has run out; a
host's also catches up standings whose write failed (``quiz.services.rounds.standings_repair``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from channels.db import database_sync_to_async
from django.utils import timezone

from quiz import frames, selectors
from quiz.models import Contestant
from quiz.services.contestants import contestant_token, refuse_if_kicked, token_data
from quiz.services.errors import QuizError
from quiz.services.rounds import (
    access_round_as_host,
    deadline_missed,
    ensure_closed_if_due,
    repair_standings_if_behind,
    round_close_if_due,
)


def host_snapshot(*, user, round_id: int, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    repair_standings_if_behind(access_round_as_host(user=user, round_id=round_id), now)
    ensure_closed_if_due(round_id, now)
    view = selectors.round_view(round_id)
    return frames.snapshot_frame(view, "host", now, contestants=selectors.contestants_list(round_id))


def display_snapshot(*, round_id: int, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    ensure_closed_if_due(round_id, now)
    return frames.snapshot_frame(
        selectors.round_view(round_id), "display", now, contestants=selectors.name_wall(round_id)
    )


def display_final(*, pin: str, now: datetime | None = None) -> dict[str, Any] | None:
    """The display snapshot of the round that last finished with this PIN (None: no such round).

    A finished round frees its PIN, so its display socket is refused; a big screen reloaded after the end
    renders the final results from this instead."""
    round_ = selectors.finished_round_for_pin(pin)
    if round_ is None:
        return None
    return frames.snapshot_frame(selectors.round_view(round_.id), "display", now or timezone.now())


@dataclass(frozen=True, slots=True)
class Welcome:
    contestant_id: int
    round_id: int
    frame: dict[str, Any]


def contestant_resume(*, token: str, now: datetime | None = None) -> Welcome:
    """Reconnect with the signed token from ``welcome``: the same contestant, a fresh snapshot."""
    now = now or timezone.now()
    contestant_id, round_id, nonce = token_data(token)
    contestant = Contestant.objects.select_related("team").filter(pk=contestant_id, round_id=round_id).first()
    if contestant is None:
        raise QuizError("invalid_token", "that reconnect token is not valid; join again")
    refuse_if_kicked(contestant)
    if not secrets.compare_digest(contestant.token_nonce, nonce):
        raise QuizError("invalid_token", "that reconnect token is not valid; join again")
    return _welcome(contestant, now)


def _welcome(contestant: Contestant, now: datetime) -> Welcome:
    """The snapshot for a contestant just read from the database (a join storm runs this per phone, so it
    reads the round once: the missed-deadline check uses the same view)."""
    view = selectors.round_view(contestant.round_id, for_contestant=True)
    if deadline_missed(view.round, view.current, now):
        round_close_if_due(round_id=contestant.round_id, now=now)
        view = selectors.round_view(contestant.round_id, for_contestant=True)
    answer = selectors.current_answer(contestant.id, view.round)
    frame = frames.welcome_frame(view, contestant, contestant_token(contestant), answer, now)
    return Welcome(contestant.id, contestant.round_id, frame)


ahost_snapshot = database_sync_to_async(host_snapshot)
adisplay_snapshot = database_sync_to_async(display_snapshot)
aresume = database_sync_to_async(contestant_resume)
