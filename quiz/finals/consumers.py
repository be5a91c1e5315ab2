"""The finals' sockets: a team's phones (captain and members), the host console, judges, the big screen.

Like ``quiz.consumers``: parse a frame, call one service, forward the reply; round frames reach the
sockets through the hub (audiences ``final.team``, ``final.host``, ``final.judge``, ``final.screen``).
A captain's socket also keeps its clock samples: the server probes it with ``sync`` frames (quickly after
connecting, then every few seconds) and maps its presses with the estimate (quiz.engine.finals.buzzer).
After a buzz or a cue the consumer wakes at the window's end to settle; that is only a trigger: any
process, any command and any snapshot settles a question that is due.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from typing import Any

from quiz import protocol
from quiz.consumers import QuizConsumer
from quiz.engine.finals.buzzer import ClockSample, estimate, samples_add
from quiz.finals import protocol as fp
from quiz.finals.commands import (
    afinal_command,
    afinal_round_id,
    ahost_final_snapshot,
    ajudge_session,
    ascreen_session,
    ateam_session,
)
from quiz.finals.services import (
    aanswer_submit,
    abuzz_submit,
    aclock_record,
    ajudge_mark_submit,
    ajudge_score_submit,
    asettle,
    awager_submit,
)
from quiz.hub import get_hub
from quiz.protocol import ProtocolError
from quiz.services.errors import QuizError

logger = logging.getLogger(__name__)

SYNC_FIRST = (0.05, 0.25, 0.5, 0.75, 1.0)  # probes soon after connecting (seconds after the previous)
SYNC_EVERY = 3.0  # then one every few seconds, so the estimate follows the network during the match
MAX_PENDING_PROBES = 16


class FinalSocket(QuizConsumer):
    """What every final socket shares: its final, the first frame, and waking to settle."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.final_id: int | None = None

    async def go_live(self, snapshot: dict[str, Any]) -> None:
        assert self.sink is not None
        await self.send_frame(snapshot)
        await self.sink.go_live(snapshot["version"])

    async def start_session(self, session: dict[str, Any]) -> None:
        self.final_id = session["final_id"]
        await self.subscribe(session["round_id"])
        await self.go_live(session["frame"])

    def settle_at(self, due_ms: int | None) -> None:
        if due_ms is not None and self.final_id is not None:
            get_hub().spawn(_settle_later(self.final_id, due_ms))

    async def refuse_and_close(self, exc: QuizError) -> None:
        await self.close_with(exc)


async def _settle_later(final_id: int, due_ms: int) -> None:
    """Wake at ``due_ms`` and settle; follow the next due time (a window extended by a late buzz)."""
    for _ in range(5):
        await asyncio.sleep(max(due_ms / 1000 - time.time(), 0) + 0.005)
        try:
            due = await asettle(final_id=final_id)
        except QuizError:
            return
        except Exception:
            logger.exception("final %s: settling failed", final_id)
            return
        if due is None or due <= due_ms:
            return
        due_ms = due


class TeamConsumer(FinalSocket):
    """A team's phone: the captain's link buzzes, wagers and answers; a member's link watches."""

    audience = "final.team"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.team_id: int | None = None
        self.captain = False
        self.samples: tuple[ClockSample, ...] = ()
        self.probes: dict[str, float] = {}
        self.prober: asyncio.Task | None = None

    async def connect(self) -> None:
        await self.accept()
        try:
            session = await ateam_session(token=self.scope["url_route"]["kwargs"]["token"])
        except QuizError as exc:
            await self.close_with(exc)
            return
        self.team_id = session["team_id"]
        self.captain = session["role"] == "captain"
        await self.start_session(session)
        if self.captain:
            self.prober = asyncio.get_running_loop().create_task(self.probe())

    async def disconnect(self, code: int | None) -> None:
        if self.prober is not None:
            self.prober.cancel()
        await super().disconnect(code)

    async def probe(self) -> None:
        """Send ``sync`` probes: a few at once, then one every SYNC_EVERY seconds."""
        delays = list(SYNC_FIRST)
        while True:
            await asyncio.sleep(delays.pop(0) if delays else SYNC_EVERY)
            nonce = secrets.token_urlsafe(6)
            sent = time.time() * 1000
            if len(self.probes) >= MAX_PENDING_PROBES:
                self.probes.pop(next(iter(self.probes)))
            self.probes[nonce] = sent
            await self.send_frame({"type": "sync", "version": self.version, "s": sent, "n": nonce})

    async def handle(self, content: dict[str, Any]) -> None:
        received_ms = time.time() * 1000
        command = fp.parse_team(content, captain=self.captain)
        if isinstance(command, protocol.Ping):
            await self.pong(command)
            return
        assert self.final_id is not None and self.team_id is not None
        if isinstance(command, fp.Sync):
            sent = self.probes.pop(command.n, None)
            if sent is None or sent != command.s:
                raise ProtocolError("invalid_field", "that sync answers no probe of this socket", field="n")
            self.samples = samples_add(
                self.samples, ClockSample(sent=sent, received=received_ms, client=command.c)
            )
            await aclock_record(final_id=self.final_id, team_id=self.team_id, clock=estimate(self.samples))
            return
        if isinstance(command, fp.Press):
            reply = await abuzz_submit(
                final_id=self.final_id,
                team_id=self.team_id,
                press_ms=command.t,
                clock=estimate(self.samples),
                received_ms=received_ms,
            )
            await self.send_frame(reply)
            self.settle_at(reply["settle_at"])
        elif isinstance(command, fp.Wager):
            await self.send_frame(
                await awager_submit(final_id=self.final_id, team_id=self.team_id, tier=command.tier)
            )
        else:
            await self.send_frame(
                await aanswer_submit(
                    final_id=self.final_id,
                    team_id=self.team_id,
                    choice=command.choice,
                    received_ms=received_ms,
                )
            )


class FinalHostConsumer(FinalSocket):
    """The host console of a final: needs a logged-in user with host rights for its competition."""

    audience = "final.host"

    async def connect(self) -> None:
        await self.accept()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close_with(QuizError("unauthenticated", "log in to host a final"))
            return
        final_id = self.scope["url_route"]["kwargs"]["final_id"]
        try:
            round_id = await afinal_round_id(final_id=final_id)
            await self.subscribe(round_id)
            snapshot = await ahost_final_snapshot(user=user, final_id=final_id)
        except QuizError as exc:
            await self.disconnect(None)
            await self.close_with(exc)
            return
        self.final_id = final_id
        await self.go_live(snapshot)
        self.settle_at(_due_of(snapshot))

    async def handle(self, content: dict[str, Any]) -> None:
        command = fp.parse_final_host(content)
        if isinstance(command, protocol.Ping):
            await self.pong(command)
            return
        reply = await afinal_command(user=self.scope["user"], final_id=self.final_id, command=command)
        await self.send_frame(reply)
        self.settle_at(reply.get("settle_at"))


def _due_of(snapshot: dict[str, Any]) -> int | None:
    play = snapshot["final"].get("play") or {}
    if play.get("type") == "buzz" and play.get("phase") == "open" and not play.get("buzzed"):
        until = play.get("open_until")
        return None if until is None else int(until)
    return None


class JudgeConsumer(FinalSocket):
    """A judge's console: scores for the 科普讲解 presentations, and marks on spoken answers."""

    audience = "final.judge"

    async def connect(self) -> None:
        await self.accept()
        try:
            session = await ajudge_session(token=self.scope["url_route"]["kwargs"]["token"])
        except QuizError as exc:
            await self.close_with(exc)
            return
        self.judge_id = session["judge_id"]
        await self.start_session(session)

    async def handle(self, content: dict[str, Any]) -> None:
        command = fp.parse_judge(content)
        if isinstance(command, protocol.Ping):
            await self.pong(command)
            return
        if isinstance(command, fp.JudgeMark):
            reply = await ajudge_mark_submit(
                final_id=self.final_id, judge_id=self.judge_id, result=command.result, attempt=command.index
            )
            await self.send_frame(reply)
            return
        reply = await ajudge_score_submit(
            final_id=self.final_id, judge_id=self.judge_id, team_id=command.team, value=command.value
        )
        await self.send_frame(reply)


class ScreenConsumer(FinalSocket):
    """The big screen: read-only, public information only."""

    audience = "final.screen"

    async def connect(self) -> None:
        await self.accept()
        try:
            session = await ascreen_session(pin=self.scope["url_route"]["kwargs"]["pin"])
        except QuizError as exc:
            await self.close_with(exc)
            return
        await self.start_session(session)
        self.settle_at(_due_of(session["frame"]))

    async def handle(self, content: dict[str, Any]) -> None:
        await self.pong(protocol.parse_display(content))
