"""The one door for round events: services publish here, on commit; each process's hub delivers.

A message names the round's version, the deadline the hubs should watch, and frames already serialised
per audience (and per contestant for personal results), so a process serialises nothing per socket.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

MESSAGE_TYPE = "round.frames"


def group_name(round_id: int) -> str:
    return f"round.{round_id}"


KEEP_DEADLINE = object()


def round_message(
    *,
    version: int,
    frames: dict[str, str],
    personal: dict[str, str] | None = None,
    close: list[int] | None = None,
    deadline: int | object | None = KEEP_DEADLINE,
) -> dict[str, Any]:
    """Build a bus message.

    ``frames``: audience -> JSON text; ``personal``: contestant id -> JSON text; ``close``: contestant
    ids whose sockets are to be closed.

    ``deadline`` (epoch ms, or None for no open clock) tells hubs which close to schedule; messages that
    do not change the round's clock leave it out.
    """
    message: dict[str, Any] = {
        "type": MESSAGE_TYPE,
        "version": version,
        "frames": frames,
        "personal": personal or {},
        "close": close or [],
    }
    if deadline is not KEEP_DEADLINE:
        message["deadline"] = deadline
    return message


def publish_on_commit(round_id: int, message: dict[str, Any]) -> None:
    """Send ``message`` to every process serving the round once the current transaction commits."""
    transaction.on_commit(lambda: _send(round_id, message), robust=True)


def _send(round_id: int, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(group_name(round_id), message)


async def apublish(round_id: int, message: dict[str, Any]) -> None:
    """Publish from async code, for messages that follow no write (nothing to wait for)."""
    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(group_name(round_id), message)
