"""The WebSocket protocol: inbound frames parsed into typed commands, and the close codes.

Every inbound frame is JSON text with a ``type``. Anything that does not parse into a command raises
``ProtocolError`` with a stable ``code``; the consumer answers with an ``error`` frame and keeps the
socket open. The frames the server sends are described in ``quiz.schemas`` (``quiz.frames`` builds them).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from quiz.engine.typed import TextRefused, check_text

MAX_CHOICES = 6
MAX_NICKNAME = 20
MAX_CODE = 12
JOIN_KEY_MIN, JOIN_KEY_MAX = 16, 64
JOIN_KEY_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

# Close codes (WebSocket close frames). Authorisation failures close; bad input does not.
CLOSE_UNAUTHENTICATED = 4001  # the host socket needs a logged-in user
CLOSE_FORBIDDEN = 4003  # logged in without host rights on this round's competition; or kicked
CLOSE_NOT_FOUND = 4004  # no such round (host: id; display: live PIN)
CLOSE_FLOODING = 4008  # kept sending frames far over the rate limit after "rate_limited" errors
CLOSE_TOO_SLOW = 4009  # stopped reading: unsent output passed the per-socket cap; resume to catch up


class ProtocolError(Exception):
    """A frame we refuse. ``code`` is stable and documented in docs/protocol.md."""

    def __init__(
        self, code: str, message: str, *, field: str | None = None, retry_after_ms: int | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.retry_after_ms = retry_after_ms  # rate_limited only: when a frame would be accepted again


# --- inbound commands --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ping:
    t: float | None  # the client's clock, echoed back for the round trip


@dataclass(frozen=True, slots=True)
class Join:
    pin: str
    nickname: str | None
    code: str | None
    key: str | None = None  # the phone's own random key: a repeated join returns the same contestant


@dataclass(frozen=True, slots=True)
class Resume:
    token: str


@dataclass(frozen=True, slots=True)
class SubmitAnswer:
    question: int
    choices: tuple[int, ...]  # empty for a typed answer
    client_elapsed_ms: int | None
    rtt_ms: int | None
    tapped_at: int | None = None  # epoch ms of the tap on the phone's estimate of the server clock
    text: str | None = None  # a typed answer (short answer, numerical), trimmed


@dataclass(frozen=True, slots=True)
class HostCommand:
    """``action`` is one of HOST_ACTIONS; the other fields as that action needs (HOST_ACTIONS)."""

    action: str
    question: int | None = None
    seconds: int | None = None
    version: int | None = None
    contestant: int | None = None
    time_factor: int | None = None  # percent: 100, 150 or 200 (sent as 1, 1.5 or 2)


# A contestant's time factor as the protocol writes it -> percent of the time limit.
TIME_FACTORS = {1: 100, 1.5: 150, 2: 200}
# The latest tap time accepted: 9999-12-31 (it is stored as a date and time).
MAX_EPOCH_MS = 253_402_300_799_999

# action -> the fields it requires
HOST_ACTIONS: dict[str, tuple[str, ...]] = {
    "open": ("question",),
    "close": ("question",),
    "reveal": ("question",),
    "leaderboard": ("question",),
    "pause": (),
    "resume": (),
    "extend": ("question", "seconds", "version"),
    "skip": ("question",),
    "void": ("question",),
    "kick": ("contestant",),
    "time_factor": ("contestant", "time_factor"),
    "end": (),
}

CONTESTANT_TYPES = {"ping", "join", "resume", "answer"}


def decode(text: str | None, *, max_bytes: int) -> dict[str, Any]:
    """Turn a text frame into a dict with a string ``type``, or raise ProtocolError."""
    if text is None:
        raise ProtocolError("malformed_json", "frames must be JSON text, not binary")
    if len(text) > max_bytes or len(text.encode()) > max_bytes:
        raise ProtocolError("frame_too_large", f"frames are limited to {max_bytes} bytes")
    try:
        content = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError("malformed_json", "the frame is not valid JSON") from exc
    if not isinstance(content, dict):
        raise ProtocolError("malformed_json", "a frame must be a JSON object")
    if not isinstance(content.get("type"), str):
        raise ProtocolError("invalid_field", "every frame needs a string 'type'", field="type")
    return content


def _int(
    content: dict[str, Any], name: str, *, required: bool, low: int = 0, high: int = 2**31 - 1
) -> int | None:
    value = content.get(name)
    if value is None:
        if required:
            raise ProtocolError("invalid_field", f"'{name}' is required", field=name)
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ProtocolError(
            "invalid_field", f"'{name}' must be a whole number from {low} to {high}", field=name
        )
    return value


def _str(content: dict[str, Any], name: str, *, max_length: int) -> str | None:
    value = content.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ProtocolError("invalid_field", f"'{name}' must be text", field=name)
    if len(value) > max_length:
        raise ProtocolError("invalid_field", f"'{name}' is longer than {max_length} characters", field=name)
    return value


def parse_ping(content: dict[str, Any]) -> Ping:
    t = content.get("t")
    # NaN and Infinity parse from JSON but would be echoed in the pong as invalid JSON.
    finite = isinstance(t, int) or (isinstance(t, float) and math.isfinite(t))
    if t is not None and (not finite or isinstance(t, bool)):
        raise ProtocolError("invalid_field", "'t' must be a number", field="t")
    return Ping(t=t)


def parse_contestant(content: dict[str, Any]) -> Ping | Join | Resume | SubmitAnswer:
    kind = content["type"]
    if kind == "ping":
        return parse_ping(content)
    if kind == "join":
        pin = _str(content, "pin", max_length=6)
        if not pin or not pin.isascii() or not pin.isdigit() or len(pin) != 6:
            raise ProtocolError("invalid_field", "'pin' must be the round's 6-digit PIN", field="pin")
        # Over-long nicknames get their own code below, after normalisation, so allow some slack here.
        nickname = _str(content, "nickname", max_length=200)
        code = _str(content, "code", max_length=MAX_CODE)
        if (nickname is None) == (code is None):
            raise ProtocolError(
                "invalid_field", "join with either a 'nickname' or a 'code'", field="nickname"
            )
        key = _str(content, "key", max_length=JOIN_KEY_MAX)
        if key is not None and (len(key) < JOIN_KEY_MIN or not JOIN_KEY_ALPHABET.issuperset(key)):
            raise ProtocolError(
                "invalid_field",
                f"'key' must be {JOIN_KEY_MIN}-{JOIN_KEY_MAX} letters, digits, '-' or '_'",
                field="key",
            )
        return Join(pin=pin, nickname=nickname, code=code, key=key)
    if kind == "resume":
        token = _str(content, "token", max_length=300)
        if not token:
            raise ProtocolError("invalid_field", "'token' is required", field="token")
        return Resume(token=token)
    if kind == "answer":
        question = _int(content, "question", required=True, high=999)
        raw = content.get("choices")
        text = _typed_text(content)
        if text is not None:
            if raw is not None:
                raise ProtocolError(
                    "invalid_field", "send either 'choices' or 'text', not both", field="text"
                )
            choices: tuple[int, ...] = ()
        elif (
            not isinstance(raw, list)
            or not 1 <= len(raw) <= MAX_CHOICES
            or any(not isinstance(c, int) or isinstance(c, bool) or not 0 <= c < MAX_CHOICES for c in raw)
            or len(set(raw)) != len(raw)
        ):
            raise ProtocolError(
                "invalid_field",
                f"'choices' must list 1 to {MAX_CHOICES} different choice numbers",
                field="choices",
            )
        else:
            choices = tuple(sorted(raw))
        return SubmitAnswer(
            question=question,  # type: ignore[arg-type]
            choices=choices,
            client_elapsed_ms=_int(content, "client_elapsed_ms", required=False, high=3_600_000),
            rtt_ms=_int(content, "rtt_ms", required=False, high=600_000),
            tapped_at=_int(content, "tapped_at", required=False, high=MAX_EPOCH_MS),
            text=text,
        )
    if kind in HOST_ACTIONS:
        raise ProtocolError("not_allowed", f"'{kind}' is a host command")
    raise ProtocolError("unknown_type", f"unknown frame type '{kind}'", field="type")


def _typed_text(content: dict[str, Any]) -> str | None:
    """The typed answer of an ``answer`` frame, trimmed (``quiz.engine.typed.check_text``), or None."""
    if "text" not in content:
        return None
    value = content["text"]
    if not isinstance(value, str):
        raise ProtocolError("invalid_field", "'text' must be text", field="text")
    try:
        return check_text(value)
    except TextRefused as exc:
        raise ProtocolError(exc.code, exc.message, field="text") from None


def parse_host(content: dict[str, Any]) -> Ping | HostCommand:
    kind = content["type"]
    if kind == "ping":
        return parse_ping(content)
    if kind not in HOST_ACTIONS:
        raise ProtocolError("unknown_type", f"unknown frame type '{kind}'", field="type")
    needed = HOST_ACTIONS[kind]
    return HostCommand(
        action=kind,
        question=_int(content, "question", required="question" in needed, high=999),
        seconds=_int(content, "seconds", required="seconds" in needed, low=1, high=600),
        version=_int(content, "version", required="version" in needed),
        contestant=_int(content, "contestant", required="contestant" in needed, low=1),
        time_factor=_time_factor(content) if "time_factor" in needed else None,
    )


def _time_factor(content: dict[str, Any]) -> int:
    value = content.get("time_factor")
    if isinstance(value, bool) or not isinstance(value, int | float) or value not in TIME_FACTORS:
        raise ProtocolError("invalid_field", "'time_factor' must be 1, 1.5 or 2", field="time_factor")
    return TIME_FACTORS[value]


def parse_display(content: dict[str, Any]) -> Ping:
    if content["type"] == "ping":
        return parse_ping(content)
    raise ProtocolError("not_allowed", "the display is read-only")
