"""Contestants: joining by PIN (a nickname, or a registered code), reconnect tokens, and kicking.

Resuming with a token returns the contestant's snapshot, so it lives with the other snapshots
(``quiz.services.snapshots.contestant_resume``). Who a code names and whether they may join a given
round is the competition's rule, asked through ``quiz.hooks``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from channels.db import database_sync_to_async
from django.core import signing
from django.db import IntegrityError, transaction

from quiz import boards, broadcast, frames, hooks, nicknames, selectors
from quiz.models import Contestant, Round, RoundLog
from quiz.services.errors import QuizError

TOKEN_SALT = "quiz.contestant"


@dataclass(frozen=True, slots=True)
class Joined:
    contestant_id: int
    round_id: int
    token: str


def contestant_token(contestant: Contestant) -> str:
    return signing.dumps(
        {"c": contestant.id, "r": contestant.round_id, "n": contestant.token_nonce}, salt=TOKEN_SALT
    )


def token_data(token: str) -> tuple[int, int, str]:
    """(contestant id, round id, nonce) from a reconnect token; QuizError if it is not ours."""
    try:
        data = signing.loads(token, salt=TOKEN_SALT)
        return int(data["c"]), int(data["r"]), str(data["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise QuizError("invalid_token", "that reconnect token is not valid; join again") from None


def token_identity(token: str) -> tuple[int, int]:
    """(contestant id, round id) from a reconnect token, checking only its signature (no database)."""
    contestant_id, round_id, _ = token_data(token)
    return contestant_id, round_id


def refuse_if_kicked(contestant: Contestant) -> None:
    """A contestant the host removed stays out, whether they join again or resume."""
    if contestant.kicked_at is not None:
        raise QuizError("kicked", "the host removed you from this round")


def contestant_join(
    *, pin: str, nickname: str | None = None, code: str | None = None, key: str | None = None
) -> Joined:
    """Join a live round by PIN with a nickname (open rounds) or a contestant code (registered).

    Returns the contestant's identity and reconnect token; the snapshot comes from ``contestant_resume``,
    taken after the socket has subscribed to the round so no event can fall between the two.

    ``key`` is the phone's own random join key. A phone whose connection dropped before the ``welcome``
    sends the same join again: with the same nickname and key it is the same contestant, not a clash.
    """
    round_ = selectors.round_for_pin(pin)
    if round_ is None:
        raise QuizError("wrong_pin", "no live round has that PIN")
    if code is not None:
        if round_.join_mode == Round.JoinMode.OPEN:
            raise QuizError("join_mode", "this round is open: join with a nickname")
        card = hooks.code_card(round_, code.strip().upper())
        if card is None:
            raise QuizError("code_unknown", "no contestant is registered with that code")
        if not hooks.may_join(round_, card):
            raise QuizError("not_in_match", "your team does not play in this match")
        contestant = Contestant.objects.filter(round=round_, registration_id=card.registration_id).first()
        if contestant is not None:  # joining again with one's code is a resume
            refuse_if_kicked(contestant)
        else:
            name = nicknames.normalise(card.name)[: nicknames.MAX_LENGTH]
            contestant = _create_contestant(
                round_, name, registration_id=card.registration_id, team=(card.team_id, card.team_name)
            )
    else:
        if round_.join_mode == Round.JoinMode.REGISTERED:
            raise QuizError("join_mode", "this round is for registered contestants: join with your code")
        try:
            name = nicknames.validate(nickname or "")
        except nicknames.NicknameError as exc:
            raise QuizError(exc.code, exc.message) from None
        # A repeated join is found only when the nickname clashes, so a first join costs no extra query.
        contestant = _create_contestant(round_, name, registration_id=None, team=(None, None), key=key)
    return Joined(contestant.id, round_.id, contestant_token(contestant))


def _repeated_join(round_: Round, nickname: str, key: str | None) -> Contestant | None:
    """The contestant this phone already made with this nickname, if the join is a repeat."""
    if not key:
        return None
    contestant = Contestant.objects.filter(round=round_, nickname=nickname, join_key=key).first()
    if contestant is not None:
        refuse_if_kicked(contestant)
    return contestant


def _create_contestant(
    round_: Round,
    nickname: str,
    *,
    registration_id: int | None,
    team: tuple[int | None, str | None],
    key: str | None = None,
) -> Contestant:
    team_id, team_name = team
    try:
        with transaction.atomic():
            contestant = Contestant.objects.create(
                round=round_,
                nickname=nickname,
                registration_id=registration_id,
                team_id=team_id,
                join_key=key or "",
            )
            participants = selectors.active_contestants(round_.id).count()
            frame = frames.contestant_frame(
                version=round_.version,
                event="joined",
                contestant={"id": contestant.id, "nickname": nickname, "team": team_name},
                participants=participants,
            )
            broadcast.publish_on_commit(
                round_.id,
                broadcast.round_message(version=round_.version, frames={"host": frame, "display": frame}),
            )
    except IntegrityError:
        repeated = _repeated_join(round_, nickname, key)
        if repeated is not None:
            return repeated
        raise QuizError("nickname_taken", "someone in this round already has that nickname") from None
    return contestant


def contestant_kick(*, round_id: int, contestant_id: int, actor, now: datetime) -> bool:
    """Remove a contestant: their token stops working and their sockets are closed. Idempotent."""
    with transaction.atomic():
        contestant = (
            Contestant.objects.select_related("team").filter(pk=contestant_id, round_id=round_id).first()
        )
        if contestant is None:
            raise QuizError("unknown_contestant", "no such contestant in this round")
        if contestant.kicked_at is not None:
            return False
        Contestant.objects.filter(pk=contestant_id).update(
            kicked_at=now, token_nonce=secrets.token_urlsafe(9), rank=None
        )
        boards.live_board().forget_on_commit(round_id)  # the next read rebuilds it without them
        round_ = Round.objects.only("version").get(pk=round_id)
        RoundLog.objects.create(
            round_id=round_id,
            version=round_.version,
            action="kick",
            actor=actor,
            at=now,
            detail={"contestant": contestant_id, "nickname": contestant.nickname},
        )
        frame = frames.contestant_frame(
            version=round_.version,
            event="kicked",
            contestant={
                "id": contestant.id,
                "nickname": contestant.nickname,
                "team": contestant.team.name if contestant.team else None,
            },
            participants=selectors.active_contestants(round_id).count(),
        )
        message = broadcast.round_message(
            version=round_.version,
            frames={"host": frame, "display": frame},
            personal={str(contestant_id): frames.kicked_frame(round_.version)},
            close=[contestant_id],
        )
        broadcast.publish_on_commit(round_id, message)
    return True


ajoin = database_sync_to_async(contestant_join)
