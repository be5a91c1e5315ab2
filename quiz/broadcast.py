"""The one door for round events: services publish here, on commit; each process's hub delivers.

A message names the round's version, the deadline the hubs should watch, and frames already serialised
per audience (and per contestant for personal results), so a process serialises nothing per socket.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from quiz import metrics

logger = logging.getLogger(__name__)

MESSAGE_TYPE = "round.frames"


def group_name(round_id: int) -> str:
    return f"round.{round_id}"


KEEP_DEADLINE = object()


def round_message(
    *,
    version: int,
    frames: dict[str, str | list[str]],
    personal: dict[str, str] | None = None,
    close: list[int] | None = None,
    deadline: int | object | None = KEEP_DEADLINE,
) -> dict[str, Any]:
    """Build a bus message.

    ``frames``: audience -> JSON text (or a list of them, sent in order); ``personal``: contestant id -> JSON
    text; ``close``: contestant ids whose sockets are to be closed.

    ``deadline`` (epoch ms, or None for no open clock) tells hubs which close to schedule; messages that
    do not change the round's clock leave it out.
    """
    message: dict[str, Any] = {
        "type": MESSAGE_TYPE,
        "id": uuid.uuid4().hex,  # hubs deliver a message once, however often it is sent
        "version": version,
        "frames": frames,
        "personal": personal or {},
        "close": close or [],
    }
    if deadline is not KEEP_DEADLINE:
        message["deadline"] = deadline
    return message


def publish_on_commit(round_id: int, message: dict[str, Any]) -> None:
    """Send ``message`` to every process serving the round once the current transaction commits.

    When the layer cannot take it (Redis restarting), the message waits in this process's outbox and is
    sent again as soon as Redis answers, in order: the round's change is committed, and the phones and
    displays that stayed connected must still hear of it."""
    transaction.on_commit(lambda: outbox.send(round_id, message), robust=True)


def _send(round_id: int, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(group_name(round_id), message)


class Outbox:
    """Messages the layer refused, sent again in order by one background thread until the layer answers.

    Only committed changes pass through here, so nothing is lost for good if a message is given up: a
    socket that reconnects reads the round from the database. A message is given up after
    ``QUIZ["PUBLISH_RETRY_SECONDS"]`` (logged as an error). While messages wait, new ones queue behind
    them so that a newer state never reaches a socket before an older one.

    Redis publish/subscribe keeps nothing: a message published the moment Redis is back reaches only the
    hubs that have already subscribed again, and each hub re-subscribes on its own schedule. So a message
    that had to wait is sent again ``ECHO_AFTER`` seconds after it went out, marked as an echo; hubs
    deliver each message id once and drop an echo older than what they have delivered since.
    """

    FIRST_DELAY = 0.1
    MAX_DELAY = 2.0
    ECHO_AFTER = (1.0, 3.0)

    def __init__(self, send: Callable[[int, dict[str, Any]], None] = _send) -> None:
        self._send = send
        self._lock = threading.Lock()
        self._waiting: deque[tuple[float, int, dict[str, Any]]] = deque()
        self._echoes: list[tuple[float, int, dict[str, Any]]] = []  # (due, round, message), by due time
        self._worker: threading.Thread | None = None

    def send(self, round_id: int, message: dict[str, Any]) -> None:
        with self._lock:
            if self._waiting:
                self._waiting.append((time.monotonic(), round_id, message))
                self._depth_changed()
                return
        try:
            self._send(round_id, message)
        except Exception:
            logger.warning("round %s: publishing failed; will send again when the layer answers", round_id)
            with self._lock:
                self._waiting.append((time.monotonic(), round_id, message))
                self._depth_changed()
                self._start()

    def pending(self) -> int:
        """Messages still to send, echoes included."""
        with self._lock:
            return len(self._waiting) + len(self._echoes)

    def _depth_changed(self) -> None:
        """Call with the lock held: the outbox depth for /metrics."""
        metrics.OUTBOX.set(len(self._waiting) + len(self._echoes))

    def _start(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._drain, name="quiz-outbox", daemon=True)
            self._worker.start()

    def _drain(self) -> None:
        delay = self.FIRST_DELAY
        while True:
            with self._lock:
                if not self._waiting and not self._echoes:
                    self._worker = None
                    return
                head = self._waiting[0] if self._waiting else None
                echo = self._echoes[0] if self._echoes and self._echoes[0][0] <= time.monotonic() else None
            if echo is not None:
                self._echo(echo)
                continue
            if head is None:
                time.sleep(self.FIRST_DELAY)  # only echoes left, none due yet
                continue
            queued_at, round_id, message = head
            if time.monotonic() - queued_at > settings.QUIZ["PUBLISH_RETRY_SECONDS"]:
                logger.error(
                    "round %s: gave up publishing a message (version %s)", round_id, message["version"]
                )
                self._pop()
                continue
            try:
                self._send(round_id, message)
            except Exception:
                time.sleep(delay)
                delay = min(delay * 2, self.MAX_DELAY)
                continue
            logger.info("round %s: published a delayed message (version %s)", round_id, message["version"])
            self._pop(echo_from=time.monotonic())
            delay = self.FIRST_DELAY

    def _pop(self, echo_from: float | None = None) -> None:
        with self._lock:
            _, round_id, message = self._waiting.popleft()
            if echo_from is not None:
                echo = {**message, "echo": True}
                self._echoes.extend((echo_from + after, round_id, echo) for after in self.ECHO_AFTER)
                self._echoes.sort(key=lambda item: item[0])
            self._depth_changed()

    def _echo(self, item: tuple[float, int, dict[str, Any]]) -> None:
        with self._lock:
            self._echoes.remove(item)
            self._depth_changed()
        try:
            self._send(item[1], item[2])
        except Exception:
            logger.info("round %s: an echo of version %s was not sent", item[1], item[2]["version"])


outbox = Outbox()


async def apublish(round_id: int, message: dict[str, Any]) -> None:
    """Publish from async code, for messages that follow no write (nothing to wait for)."""
    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(group_name(round_id), message)
