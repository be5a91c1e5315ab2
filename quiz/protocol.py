"""The WebSocket protocol: inbound frames parsed into typed commands; codes; the schemas of outbound frames.

Every inbound frame is JSON text with a ``type``. Anything that does not parse into a command raises
``ProtocolError`` with a stable ``code``; the consumer answers with an ``error`` frame and keeps the
socket open. ``SERVER_FRAME_SCHEMAS`` describes every frame the server sends (``quiz.frames`` builds
them); the contract test checks real frames against it and ``docs/protocol.md`` shows an example of each.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from quiz.engine.rounds import ROUND_COMMANDS
from quiz.engine.typed import MAX_TEXT, TOP_ANSWERS, TYPED_KINDS, TextRefused, check_text

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


# --- outbound frame schemas (the frames themselves are built in quiz.frames) ---------------------------

_INT = {"type": "integer"}
_NINT = {"type": ["integer", "null"]}
_STR = {"type": "string"}
_NUMBER = {"type": "number"}
_TYPED_KEY = {
    "oneOf": [
        {
            "type": "object",
            "required": ["accepted"],
            "properties": {"accepted": {"type": "array", "items": _STR}},
            "additionalProperties": False,
        },
        {
            "type": "object",
            "required": ["value", "tolerance", "unit"],
            "properties": {"value": {"type": ["number", "null"]}, "tolerance": _NUMBER, "unit": _STR},
            "additionalProperties": False,
        },
    ]
}
_QUESTION_PUBLIC = {
    "type": ["object", "null"],
    "required": [
        "index",
        "kind",
        "stem",
        "choices",
        "duration_ms",
        "deadline",
        "remaining_ms",
        "extra_ms",
        "paused",
        "voided",
        "image",
    ],
    "properties": {
        "index": _INT,
        "number": _INT,
        "kind": {"enum": ["single", "multiple", "truefalse", *TYPED_KINDS]},
        "stem": _STR,
        # 2-6 for a choice question; empty for a typed one (allOf below)
        "choices": {"type": "array", "items": _STR, "maxItems": MAX_CHOICES},
        # numerical only: the unit shown beside the keypad (may be empty)
        "unit": _STR,
        "duration_ms": _INT,
        "deadline": _NINT,
        "remaining_ms": _INT,
        # the longest extended time on this question: it stays open this long after ``deadline``
        "extra_ms": _INT,
        "paused": {"type": "boolean"},
        "voided": {"type": "boolean"},
        # the question's picture (URL under MEDIA_URL, description for alt text), or null
        "image": {
            "type": ["object", "null"],
            "required": ["url", "alt"],
            "properties": {"url": _STR, "alt": _STR},
            "additionalProperties": False,
        },
        # present only once revealed (contestant, display) or always (host)
        "correct": {"type": "array", "items": _INT},
        "explanation": _STR,
        "distribution": {"type": "array", "items": _INT},
        "answered": _INT,
        # typed questions, with ``correct``: the key; with the counts (host; everyone once revealed): the
        # most common answers, grouped as the key compares them
        "key": _TYPED_KEY,
        "answers": {
            "type": "array",
            "maxItems": TOP_ANSWERS,
            "items": {
                "type": "object",
                "required": ["answer", "count", "correct"],
                "properties": {"answer": _STR, "count": _INT, "correct": {"type": "boolean"}},
                "additionalProperties": False,
            },
        },
    },
    "allOf": [
        {
            "if": {"properties": {"kind": {"enum": list(TYPED_KINDS)}}},
            "then": {"properties": {"choices": {"maxItems": 0}}},
            "else": {
                "properties": {"choices": {"minItems": 2}},
                "not": {"anyOf": [{"required": ["unit"]}, {"required": ["key"]}, {"required": ["answers"]}]},
            },
        }
    ],
}
_LEADERBOARD = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["rank", "nickname", "score"],
        "properties": {"rank": _INT, "nickname": _STR, "score": _INT, "team": {"type": ["string", "null"]}},
    },
}
_ROUND = {
    "type": "object",
    "required": [
        "id",
        "title",
        "phase",
        "question_count",
        "current",
        "question",
        "server_time",
        "participants",
    ],
    "properties": {
        "id": _INT,
        "title": _STR,
        "pin": _STR,
        "phase": {"enum": ["lobby", "open", "closed", "revealed", "leaderboard", "finished"]},
        "question_count": _INT,
        "current": _NINT,
        "next": _NINT,
        "question": _QUESTION_PUBLIC,
        "server_time": _INT,
        "participants": _INT,
        "leaderboard": _LEADERBOARD,
        "teams": {"type": "array"},
        "questions": {"type": "array"},
        "scoring": {"type": "object"},
        # host only: the round commands the engine would accept now (quiz.engine.rounds.allowed_commands)
        "commands": {"type": "array", "items": {"enum": list(ROUND_COMMANDS)}, "uniqueItems": True},
    },
}
_TIME_FACTOR = {"enum": list(TIME_FACTORS)}
_ME = {
    "type": "object",
    "required": ["id", "nickname", "score", "rank", "answer", "time_factor", "deadline", "remaining_ms"],
    "properties": {
        "id": _INT,
        "nickname": _STR,
        "team": {"type": ["string", "null"]},
        "score": _INT,
        "rank": _NINT,
        "correct": _INT,
        "answer": {
            "type": ["object", "null"],
            "required": ["question", "choices", "received_at"],
            "properties": {
                "question": _INT,
                "choices": {"type": "array", "items": _INT},
                "text": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT},  # a typed answer
                "received_at": _INT,
            },
        },
        # extended time, and the contestant's own clock on the current question
        "time_factor": _TIME_FACTOR,
        "deadline": _NINT,
        "remaining_ms": _INT,
    },
}


def _frame(kind: str, required: list[str], properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["type", "version", *required],
        "properties": {"type": {"const": kind}, "version": _NINT, **properties},
        "additionalProperties": False,
    }


SERVER_FRAME_SCHEMAS: dict[str, dict[str, Any]] = {
    "welcome": _frame("welcome", ["token", "round", "me"], {"token": _STR, "round": _ROUND, "me": _ME}),
    "snapshot": _frame(
        "snapshot",
        ["audience", "round"],
        {"audience": {"enum": ["host", "display"]}, "round": _ROUND, "contestants": {"type": "array"}},
    ),
    "state": _frame(
        "state",
        ["event", "round"],
        {"event": _STR, "index": _NINT, "reason": {"type": ["string", "null"]}, "round": _ROUND},
    ),
    "ack": _frame(
        "ack",
        ["question", "choices", "received_at", "duplicate"],
        {
            "question": _INT,
            "choices": {"type": "array", "items": _INT},
            "text": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT},  # a typed answer, as stored
            "received_at": _INT,
            "duplicate": {"type": "boolean"},
        },
    ),
    "result": _frame(
        "result",
        [
            "question",
            "correct",
            "answered",
            "points",
            "elapsed_ms",
            "time_limit_ms",
            "score",
            "rank",
            "streak",
            "correct_count",
            "best_streak",
            "correct_time_ms",
        ],
        {
            "question": _INT,
            "correct": {"type": "boolean"},
            "answered": {"type": "boolean"},
            "points": _INT,
            # t and T of the speed points, whole ms; null without a counted answer
            "elapsed_ms": _NINT,
            "time_limit_ms": _NINT,
            "score": _INT,
            "rank": _NINT,
            "streak": _INT,
            "correct_count": _INT,
            "best_streak": _INT,
            # the tie-break on time: the total t of the exactly right answers
            "correct_time_ms": _INT,
        },
    ),
    "time_factor": _frame("time_factor", ["time_factor"], {"time_factor": _TIME_FACTOR}),
    "answered": _frame(
        "answered",
        ["question", "answered", "participants"],
        {"question": _INT, "answered": _INT, "participants": _INT},
    ),
    "contestant": _frame(
        "contestant",
        ["event", "contestant", "participants"],
        {
            "event": {"enum": ["joined", "kicked", "time_factor"]},
            "participants": _INT,
            "contestant": {"type": "object", "required": ["id", "nickname"]},
        },
    ),
    "command": _frame(
        "command",
        ["command", "changed", "round"],
        {"command": _STR, "changed": {"type": "boolean"}, "round": _ROUND},
    ),
    "kicked": _frame("kicked", ["message"], {"message": _STR}),
    "pong": _frame("pong", ["t", "server_time"], {"t": {"type": ["number", "null"]}, "server_time": _INT}),
    "error": _frame(
        "error",
        ["code", "message"],
        {"code": _STR, "message": _STR, "field": _STR, "ref": _STR, "retry_after_ms": _INT},
    ),
}
