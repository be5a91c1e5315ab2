"""Snapshots: the first frame a socket gets, the whole round as its audience may see it.

A host's and a display's come from the PIN or the round id; a contestant's (``welcome``) comes from
their reconnect token, after joining or on every reconnect. Each first applies a deadline that passed
while nobody was there to close the question, so a snapshot never shows a clock that has run out; a
host's also catches up standings whose write failed (``quiz.services.rounds.standings_repair``).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from channels.db import database_sync_to_async
from django.utils import timezone

from quiz import frames, selectors
from quiz.models import Contestant
from quiz.services.contestants import contestant_token, token_data
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
    text: str  # ``frame`` as JSON, the round part serialised once for every welcome of its batch


INVALID_TOKEN = ("invalid_token", "that reconnect token is not valid; join again")


def contestant_resume(*, token: str, now: datetime | None = None) -> Welcome:
    """Reconnect with the signed token from ``welcome``: the same contestant, a fresh snapshot.

    One resume on its own; phones' resumes are served in batches by ``contestants_resume``
    (``quiz.batching``), with the same outcome for each."""
    outcome = contestants_resume([token], now=now)[0]
    if isinstance(outcome, QuizError):
        raise outcome
    return outcome


def contestants_resume(tokens: Sequence[str], *, now: datetime | None = None) -> list[Welcome | QuizError]:
    """Welcome many phones at once: for each token, in order, its ``welcome`` or why it is refused.

    One read of the batch's contestants; per round, one read of the round (after closing a question whose
    deadline passed while nobody was there), one of the current answers, and the round part of the
    frame built and serialised once: only ``me`` and the token differ between phones."""
    now = now or timezone.now()
    results: list[Welcome | QuizError | None] = [None] * len(tokens)
    wanted: list[tuple[int, int, int, str]] = []
    for position, token in enumerate(tokens):
        try:
            wanted.append((position, *token_data(token)))
        except QuizError as exc:
            results[position] = exc
    found = Contestant.objects.select_related("team").in_bulk(
        [contestant_id for _, contestant_id, _, _ in wanted]
    )
    by_round: dict[int, list[tuple[int, Contestant]]] = {}
    for position, contestant_id, round_id, nonce in wanted:
        contestant = found.get(contestant_id)
        if contestant is None or contestant.round_id != round_id:
            results[position] = QuizError(*INVALID_TOKEN)
        elif contestant.kicked_at is not None:
            results[position] = QuizError("kicked", "the host removed you from this round")
        elif not secrets.compare_digest(contestant.token_nonce, nonce):
            results[position] = QuizError(*INVALID_TOKEN)
        else:
            by_round.setdefault(round_id, []).append((position, contestant))
    for round_id, contestants in by_round.items():
        for (position, _), welcome in zip(contestants, _welcomes(round_id, contestants, now), strict=True):
            results[position] = welcome
    return results  # type: ignore[return-value]


def _welcomes(round_id: int, contestants: list[tuple[int, Contestant]], now: datetime) -> list[Welcome]:
    """The welcomes of one round's contestants: the round read, and its part of the frame built, once."""
    view = selectors.round_view(round_id, for_contestant=True)
    if deadline_missed(view.round, view.current, now):
        round_close_if_due(round_id=round_id, now=now)
        view = selectors.round_view(round_id, for_contestant=True)
    answers = selectors.current_answers([c.id for _, c in contestants], view.round)
    round_part = frames.round_payload(view, "contestant", now)
    version = view.round.version
    head = f'{{"type":"welcome","version":{version},"token":'
    round_text = f',"round":{frames.dumps(round_part)},"me":'
    current = selectors.question_state(view.current) if view.current is not None else None
    welcomes = []
    for _, contestant in contestants:
        token = contestant_token(contestant)
        me = frames.me_payload(contestant, answers.get(contestant.id), current, now)
        frame = {"type": "welcome", "version": version, "token": token, "round": round_part, "me": me}
        text = f"{head}{frames.dumps(token)}{round_text}{frames.dumps(me)}}}"
        welcomes.append(Welcome(contestant.id, round_id, frame, text))
    return welcomes


ahost_snapshot = database_sync_to_async(host_snapshot)
adisplay_snapshot = database_sync_to_async(display_snapshot)
aresume = database_sync_to_async(contestant_resume)
acontestants_resume = database_sync_to_async(contestants_resume)
