"""Inbound frames of the finals' sockets, parsed into typed commands; the schemas of their outbound frames.

Same rules as ``quiz.protocol``: anything that does not parse raises ``ProtocolError`` with a stable code
and the socket stays open. docs/protocol.md, section 10, documents every frame with an example.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from quiz.protocol import Ping, ProtocolError, _int, _str, parse_ping
from quiz.schemas import _INT, _STR, _frame

MAX_TEXT = 200


@dataclass(frozen=True, slots=True)
class Sync:
    """A captain phone's answer to the server's clock probe."""

    s: float  # the server's stamp from the probe, echoed
    n: str  # the probe's nonce, echoed
    c: float  # the phone's clock when it answered


@dataclass(frozen=True, slots=True)
class Press:
    t: float | None  # the phone's clock at the press (None: the phone sent no stamp)


@dataclass(frozen=True, slots=True)
class Wager:
    tier: int


@dataclass(frozen=True, slots=True)
class TeamAnswer:
    choice: int


@dataclass(frozen=True, slots=True)
class JudgeScore:
    team: int
    value: Any  # checked by the rules (range, one decimal)


@dataclass(frozen=True, slots=True)
class JudgeMark:
    """A judge's right / wrong / incomplete on the answer on stage (``index``: attempt or turn)."""

    result: str
    index: int


@dataclass(frozen=True, slots=True)
class FinalCommand:
    action: str
    index: int | None = None
    result: str | None = None
    text: str = ""
    teams: tuple[int, ...] = ()
    script: dict[str, Any] | None = None


# action -> required fields
FINAL_ACTIONS: dict[str, tuple[str, ...]] = {
    "start": (),
    "next_segment": ("index",),
    "next_question": ("index",),
    "cue": (),
    "mark": ("result", "index"),
    "close": (),
    "undo": ("index", "text"),
    "hold": (),
    "release": ("text",),
    "sudden_death": ("teams",),
    "finish": (),
    "script": ("script",),
}
MARKS = ("right", "wrong", "incomplete")


def _number(content: dict[str, Any], name: str, *, required: bool) -> float | None:
    value = content.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ProtocolError("invalid_field", f"'{name}' must be a finite number", field=name)
    return float(value)


def parse_team(content: dict[str, Any], *, captain: bool) -> Ping | Sync | Press | Wager | TeamAnswer:
    kind = content["type"]
    if kind == "ping":
        return parse_ping(content)
    if kind not in ("sync", "buzz", "wager", "answer"):
        raise ProtocolError("unknown_type", f"unknown frame type {kind!r}", field="type")
    if not captain:
        raise ProtocolError("not_allowed", "only the captain's phone acts for the team")
    if kind == "sync":
        nonce = _str(content, "n", max_length=32)
        if not nonce:
            raise ProtocolError("invalid_field", "'n' is required", field="n")
        return Sync(s=_number(content, "s", required=True), n=nonce, c=_number(content, "c", required=True))
    if kind == "buzz":
        return Press(t=_number(content, "t", required=False))
    if kind == "wager":
        return Wager(tier=_int(content, "tier", required=True, high=10_000))
    return TeamAnswer(choice=_int(content, "choice", required=True, high=9))


def parse_judge(content: dict[str, Any]) -> Ping | JudgeScore | JudgeMark:
    kind = content["type"]
    if kind == "ping":
        return parse_ping(content)
    if kind == "mark":
        result = content.get("result")
        if result not in MARKS:
            raise ProtocolError(
                "invalid_field", "'result' must be right, wrong or incomplete", field="result"
            )
        return JudgeMark(result=result, index=_int(content, "index", required=True, high=10_000))
    if kind != "score":
        raise ProtocolError("unknown_type", f"unknown frame type {kind!r}", field="type")
    team = _int(content, "team", required=True)
    value = content.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ProtocolError("invalid_field", "'value' must be a number", field="value")
    return JudgeScore(team=team, value=value)


def parse_final_host(content: dict[str, Any]) -> Ping | FinalCommand:
    kind = content["type"]
    if kind == "ping":
        return parse_ping(content)
    if kind != "command":
        raise ProtocolError("unknown_type", f"unknown frame type {kind!r}", field="type")
    action = content.get("action")
    if action not in FINAL_ACTIONS:
        raise ProtocolError(
            "invalid_field", f"'action' must be one of {', '.join(FINAL_ACTIONS)}", field="action"
        )
    needs = FINAL_ACTIONS[action]
    index = _int(content, "index", required="index" in needs, high=10_000)
    result = content.get("result")
    if "result" in needs and result not in MARKS:
        raise ProtocolError("invalid_field", "'result' must be right, wrong or incomplete", field="result")
    text = _str(content, "text", max_length=MAX_TEXT) or ""
    if "text" in needs and not text.strip():
        raise ProtocolError("invalid_field", "'text' is required: say why", field="text")
    teams: tuple[int, ...] = ()
    if "teams" in needs:
        raw = content.get("teams")
        if not isinstance(raw, list) or not 2 <= len(raw) <= 18 or len(set(map(str, raw))) != len(raw):
            raise ProtocolError("invalid_field", "'teams' must list 2 to 18 distinct team ids", field="teams")
        teams = tuple(_int({"t": t}, "t", required=True) for t in raw)
    script = content.get("script")
    if "script" in needs and not isinstance(script, dict):
        raise ProtocolError("invalid_field", "'script' must be an object", field="script")
    return FinalCommand(action=action, index=index, result=result, text=text, teams=teams, script=script)


_NUM = {"type": "number"}

FINAL_FRAME_SCHEMAS: dict[str, dict[str, Any]] = {
    "final": _frame(
        "final",
        ["audience", "events", "final"],
        {
            "audience": {"enum": ["screen", "team", "judge", "host"]},
            "events": {"type": "array", "items": _STR},
            "final": {
                "type": "object",
                "required": [
                    "id",
                    "pin",
                    "title",
                    "stage",
                    "started",
                    "finished",
                    "segments",
                    "segment",
                    "question_index",
                    "question",
                    "participants",
                    "play",
                    "teams",
                    "hold",
                    "sudden_death",
                    "ranking",
                ],
                "properties": {
                    "teams": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["id", "seed", "name", "district", "unit", "members", "score"],
                        },
                    },
                    "hold": {"type": "object", "required": ["held", "reason", "ruling"]},
                    "play": {"type": ["object", "null"], "required": ["type"]},
                },
            },
            "me": {"type": "object"},
        },
    ),
    "final.reply": _frame(
        "final.reply",
        ["ref", "changed"],
        {"ref": _STR, "changed": {"type": "boolean"}, "settle_at": {"type": ["integer", "null"]}},
    ),
    "buzz.ack": _frame(
        "buzz.ack",
        ["status", "received_ms", "mapped_ms", "clamped", "settle_at"],
        {
            "status": {"enum": ["accepted", "early"]},
            "received_ms": _INT,
            "mapped_ms": _NUM,
            "clamped": {"type": "boolean"},
            "settle_at": {"type": ["integer", "null"]},
        },
    ),
    "sync": _frame("sync", ["s", "n"], {"s": _NUM, "n": _STR}),
}
