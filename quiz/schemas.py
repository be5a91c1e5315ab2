"""The schemas of the frames the server sends (``quiz.frames`` builds them).

The contract test checks real frames against ``SERVER_FRAME_SCHEMAS`` and ``docs/protocol.md`` shows an
example of each; the finals' frames (``quiz.finals.protocol``) are built from the same parts.
"""

from __future__ import annotations

from typing import Any

from quiz.engine.rounds import ROUND_COMMANDS
from quiz.engine.typed import MAX_TEXT, TOP_ANSWERS, TYPED_KINDS
from quiz.protocol import MAX_CHOICES, TIME_FACTORS

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
