"""Contestants: joining by PIN (a nickname, or a registered code), reconnect tokens, and kicking.

Resuming with a token returns the contestant's snapshot, so it lives with the other snapshots
(``quiz.services.snapshots.contestant_resume``). Who a code names and whether they may join a given
round is the competition's rule, asked through ``quiz.hooks``.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from channels.db import database_sync_to_async
from django.core import signing
from django.db import IntegrityError, transaction

from quiz import boards, broadcast, frames, hooks, nicknames, selectors
from quiz.engine.rounds import Phase
from quiz.models import Contestant, Round, RoundLog, TimeFactor
from quiz.services.errors import QuizError

TOKEN_SALT = "quiz.contestant"


@dataclass(frozen=True, slots=True)
class Joined:
    contestant_id: int
    round_id: int
    token: str


@dataclass(frozen=True, slots=True)
class JoinRequest:
    """One phone's ``join`` frame: a PIN with a nickname (and the phone's join key), or with a code."""

    pin: str
    nickname: str | None = None
    code: str | None = None
    key: str | None = None


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

    One join on its own; phones' joins are served in batches by ``contestants_join`` (``quiz.batching``),
    with the same outcome for each.
    """
    outcome = contestants_join([JoinRequest(pin=pin, nickname=nickname, code=code, key=key)])[0]
    if isinstance(outcome, QuizError):
        raise outcome
    return outcome


def contestants_join(requests: Sequence[JoinRequest]) -> list[Joined | QuizError]:
    """Serve many joins at once: for each request, in order, what joining alone would return or raise.

    One read per PIN, one read of the nicknames already taken and one insert for the new contestants of a
    round, and one bus message telling its host and display about all of them. The unique constraint on
    (round, nickname) stays the judge: when another process took a name between the read and the insert,
    the batch's contestants are inserted one at a time instead.

    Returns each contestant's identity and reconnect token; the snapshot comes from ``contestant_resume``,
    taken after the socket has subscribed to the round so no event can fall between the two.

    ``key`` is the phone's own random join key. A phone whose connection dropped before the ``welcome``
    sends the same join again: with the same nickname and key it is the same contestant, not a clash.
    """
    results: list[Joined | QuizError | None] = [None] * len(requests)
    rounds = {pin: selectors.round_for_pin(pin) for pin in {request.pin for request in requests}}
    by_round: dict[int, tuple[Round, list[tuple[int, str, str]]]] = {}
    for position, request in enumerate(requests):
        round_ = rounds[request.pin]
        try:
            if round_ is None:
                raise QuizError("wrong_pin", "no live round has that PIN")
            if request.code is not None:
                results[position] = _join_with_code(round_, request.code)
                continue
            if round_.join_mode == Round.JoinMode.REGISTERED:
                raise QuizError("join_mode", "this round is for registered contestants: join with your code")
            try:
                name = nicknames.validate(request.nickname or "")
            except nicknames.NicknameError as exc:
                raise QuizError(exc.code, exc.message) from None
        except QuizError as exc:
            results[position] = exc
            continue
        by_round.setdefault(round_.id, (round_, []))[1].append((position, name, request.key or ""))
    for round_, wanted in by_round.values():
        _join_with_nicknames(round_, wanted, results)
    assert all(result is not None for result in results)
    return results  # type: ignore[return-value]


def _join_with_code(round_: Round, code: str) -> Joined:
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
    elif not hooks.on_court(round_, card):
        raise QuizError("not_on_court", "a substitute plays once the host has recorded the substitution")
    else:
        name = nicknames.normalise(card.name)[: nicknames.MAX_LENGTH]
        contestant = _create_contestant(
            round_,
            name,
            registration_id=card.registration_id,
            team=(card.team_id, card.team_name),
            time_factor=card.time_factor,
        )
    return Joined(contestant.id, round_.id, contestant_token(contestant))


NICKNAME_TAKEN = ("nickname_taken", "someone in this round already has that nickname")


def _same_phone(contestant: Contestant, key: str) -> Joined | QuizError:
    """A join whose nickname is taken: the same phone asking again (same join key), or a clash."""
    if not key or contestant.join_key != key:
        return QuizError(*NICKNAME_TAKEN)
    if contestant.kicked_at is not None:
        return QuizError("kicked", "the host removed you from this round")
    return Joined(contestant.id, contestant.round_id, contestant_token(contestant))


def _join_with_nicknames(
    round_: Round, wanted: list[tuple[int, str, str]], results: list[Joined | QuizError | None]
) -> None:
    """Nickname joins for one round: ``wanted`` is (position in the batch, nickname, join key)."""
    first: dict[str, int] = {}  # nickname -> the position that asked for it first in this batch
    repeats: list[tuple[int, str, str]] = []
    for position, name, key in wanted:
        if name in first:
            repeats.append((position, name, key))
        else:
            first[name] = position
    taken = {c.nickname: c for c in Contestant.objects.filter(round=round_, nickname__in=list(first))}
    new: list[tuple[int, Contestant]] = []
    for position, name, key in wanted:
        if first.get(name) != position:
            continue
        if name in taken:
            results[position] = _same_phone(taken[name], key)
        else:
            new.append((position, Contestant(round=round_, nickname=name, join_key=key)))
    if new:
        _insert(round_, new, results)
    made = {c.nickname: c for _, c in new if c.pk is not None}
    for position, name, key in repeats:  # the first asker of each nickname in the batch has it now
        holder = made.get(name) or taken.get(name)
        results[position] = _same_phone(holder, key) if holder is not None else QuizError(*NICKNAME_TAKEN)


def _insert(
    round_: Round, new: list[tuple[int, Contestant]], results: list[Joined | QuizError | None]
) -> None:
    """One insert for the batch's new contestants of a round and one message to its host and display."""
    try:
        with transaction.atomic():
            Contestant.objects.bulk_create([contestant for _, contestant in new])
            participants = selectors.active_contestants(round_.id).count()
            first = participants - len(new) + 1
            joined = [
                frames.contestant_frame(
                    version=round_.version,
                    event="joined",
                    contestant={"id": c.id, "nickname": c.nickname, "team": None},
                    participants=first + number,
                )
                for number, (_, c) in enumerate(new)
            ]
            broadcast.publish_on_commit(
                round_.id,
                broadcast.round_message(version=round_.version, frames={"host": joined, "display": joined}),
            )
    except IntegrityError:
        # Another process took one of these nicknames since they were read: one at a time, each judged
        # by the unique constraint on its own.
        for position, contestant in new:
            contestant.pk = None
            try:
                made = _create_contestant(
                    round_,
                    contestant.nickname,
                    registration_id=None,
                    team=(None, None),
                    key=contestant.join_key,
                )
            except QuizError as exc:
                results[position] = exc
                continue
            contestant.pk = made.pk
            results[position] = Joined(made.id, round_.id, contestant_token(made))
        return
    for position, contestant in new:
        results[position] = Joined(contestant.id, round_.id, contestant_token(contestant))


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
    time_factor: int = TimeFactor.STANDARD,
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
                time_factor=time_factor,
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


def contestant_set_time_factor(
    *, round_id: int, contestant_id: int, percent: int, actor, now: datetime
) -> bool:
    """Set a contestant's time factor (extended time). It applies from the next question opened: an
    open question keeps the factors it opened with, so no deadline or score already running moves."""
    if percent not in TimeFactor.values:
        raise QuizError("invalid_field", "the time factor must be 1, 1.5 or 2")
    with transaction.atomic():
        contestant = (
            Contestant.objects.select_related("team")
            .filter(pk=contestant_id, round_id=round_id, kicked_at__isnull=True)
            .first()
        )
        if contestant is None:
            raise QuizError("unknown_contestant", "no such contestant in this round")
        round_ = Round.objects.only("version", "phase").get(pk=round_id)
        if round_.phase == Phase.FINISHED:
            raise QuizError("round_finished", "the round has finished")
        if contestant.time_factor == percent:
            return False
        Contestant.objects.filter(pk=contestant_id).update(time_factor=percent)
        RoundLog.objects.create(
            round_id=round_id,
            version=round_.version,
            action="time_factor",
            actor=actor,
            at=now,
            detail={"contestant": contestant_id, "time_factor": percent},
        )
        host_frame = frames.contestant_frame(
            version=round_.version,
            event="time_factor",
            contestant={
                "id": contestant.id,
                "nickname": contestant.nickname,
                "team": contestant.team.name if contestant.team else None,
                "time_factor": frames.time_factor_value(percent),
            },
            participants=selectors.active_contestants(round_id).count(),
        )
        message = broadcast.round_message(
            version=round_.version,
            frames={"host": host_frame},
            personal={str(contestant_id): frames.time_factor_frame(version=round_.version, percent=percent)},
        )
        broadcast.publish_on_commit(round_id, message)
    return True


ajoin = database_sync_to_async(contestant_join)
acontestants_join = database_sync_to_async(contestants_join)
