"""Inbound frames parsed into typed commands (quiz.protocol): exact error codes and fields, no sockets."""

from __future__ import annotations

import json

import pytest

from quiz.protocol import (
    HOST_ACTIONS,
    MAX_CHOICES,
    HostCommand,
    Join,
    Ping,
    ProtocolError,
    Resume,
    SubmitAnswer,
    decode,
    parse_contestant,
    parse_display,
    parse_host,
)

MAX = 256


def frame(**content) -> str:
    return json.dumps(content, ensure_ascii=False)


def parsed(parse, **content):
    """``content`` through decode and then ``parse``, as the consumers do."""
    return parse(decode(frame(**content), max_bytes=4096))


# --- decode -------------------------------------------------------------------------------------------

DECODE_ERRORS = [
    # (text, code, field)
    (None, "malformed_json", None, "a binary frame"),
    ("", "malformed_json", None, "an empty frame"),
    ("{", "malformed_json", None, "truncated JSON"),
    ("{'type': 'ping'}", "malformed_json", None, "single quotes"),
    ("ping", "malformed_json", None, "bare text"),
    ('[{"type": "ping"}]', "malformed_json", None, "a JSON array"),
    ('"ping"', "malformed_json", None, "a JSON string"),
    ("42", "malformed_json", None, "a JSON number"),
    ("null", "malformed_json", None, "JSON null"),
    ("[" * 100 + "]" * 100, "malformed_json", None, "a nested array"),
    ("{}", "invalid_field", "type", "no type"),
    ('{"t": 1}', "invalid_field", "type", "other fields but no type"),
    ('{"type": null}', "invalid_field", "type", "a null type"),
    ('{"type": 5}', "invalid_field", "type", "a numeric type"),
    ('{"type": ["ping"]}', "invalid_field", "type", "a list as type"),
    ('{"type": true}', "invalid_field", "type", "a boolean type"),
    ("x" * (MAX + 1), "frame_too_large", None, "one byte over the limit"),
    (frame(type="ping", pad="a" * MAX), "frame_too_large", None, "a valid frame over the limit"),
]


@pytest.mark.parametrize(
    ("text", "code", "field"), [c[:3] for c in DECODE_ERRORS], ids=[c[3] for c in DECODE_ERRORS]
)
def test_decode_refuses_frames_that_are_not_a_json_object_with_a_string_type(text, code, field):
    with pytest.raises(ProtocolError) as refused:
        decode(text, max_bytes=MAX)

    assert refused.value.code == code
    assert refused.value.field == field


def test_the_size_limit_counts_utf8_bytes_not_characters():
    text = frame(type="join", nickname="中" * 80)  # 3 bytes per character
    assert len(text) <= MAX < len(text.encode())

    with pytest.raises(ProtocolError) as refused:
        decode(text, max_bytes=MAX)

    assert refused.value.code == "frame_too_large"


def test_a_frame_of_exactly_the_limit_is_accepted():
    text = frame(type="ping", pad="")
    text = frame(type="ping", pad="a" * (MAX - len(text)))
    assert len(text.encode()) == MAX

    assert decode(text, max_bytes=MAX)["type"] == "ping"


def test_a_multibyte_frame_of_exactly_the_limit_is_accepted():
    text = frame(type="ping", pad="")
    room = MAX - len(text.encode())
    text = frame(type="ping", pad="中" * (room // 3) + "a" * (room % 3))
    assert len(text.encode()) == MAX

    assert decode(text, max_bytes=MAX)["pad"].startswith("中")


def test_a_deeply_nested_frame_is_malformed_rather_than_a_crash():
    text = "[" * 100_000 + "]" * 100_000

    with pytest.raises(ProtocolError) as refused:
        decode(text, max_bytes=len(text))

    assert refused.value.code == "malformed_json"


def test_decode_returns_the_object_with_its_fields():
    assert decode('{"type": "ping", "t": 1.5}', max_bytes=MAX) == {"type": "ping", "t": 1.5}


# --- contestant ---------------------------------------------------------------------------------------

CONTESTANT_OK = [
    ({"type": "ping"}, Ping(t=None), "ping without a time"),
    ({"type": "ping", "t": 1763805600123}, Ping(t=1763805600123), "ping with an integer time"),
    ({"type": "ping", "t": 12.5}, Ping(t=12.5), "ping with a fractional time"),
    (
        {"type": "join", "pin": "012345", "nickname": "小明"},
        Join(pin="012345", nickname="小明", code=None),
        "join with a nickname keeps a leading zero",
    ),
    (
        {"type": "join", "pin": "987654", "code": "A1B2C3"},
        Join(pin="987654", nickname=None, code="A1B2C3"),
        "join with a registration code",
    ),
    (
        {"type": "join", "pin": "987654", "nickname": "x" * 200},
        Join(pin="987654", nickname="x" * 200, code=None),
        "an over-long nickname is left to the nickname rules",
    ),
    (
        {"type": "join", "pin": "987654", "nickname": "Ann", "code": None},
        Join(pin="987654", nickname="Ann", code=None),
        "a null code counts as absent",
    ),
    ({"type": "resume", "token": "abc.def"}, Resume(token="abc.def"), "resume a session"),
    (
        {"type": "answer", "question": 0, "choices": [2]},
        SubmitAnswer(question=0, choices=(2,), client_elapsed_ms=None, rtt_ms=None),
        "a single answer",
    ),
    (
        {"type": "answer", "question": 3, "choices": [3, 0, 1], "client_elapsed_ms": 4200, "rtt_ms": 80},
        SubmitAnswer(question=3, choices=(0, 1, 3), client_elapsed_ms=4200, rtt_ms=80),
        "choices are sorted",
    ),
    (
        {"type": "answer", "question": 999, "choices": [5, 4, 3, 2, 1, 0]},
        SubmitAnswer(question=999, choices=(0, 1, 2, 3, 4, 5), client_elapsed_ms=None, rtt_ms=None),
        "every choice and the highest question number",
    ),
]


@pytest.mark.parametrize(
    ("content", "command"), [c[:2] for c in CONTESTANT_OK], ids=[c[2] for c in CONTESTANT_OK]
)
def test_a_good_contestant_frame_parses_into_its_command(content, command):
    assert parsed(parse_contestant, **content) == command


CONTESTANT_ERRORS = [
    # (content, code, field)
    ({"type": "ping", "t": "now"}, "invalid_field", "t", "ping with a text time"),
    ({"type": "ping", "t": True}, "invalid_field", "t", "ping with a boolean time"),
    ({"type": "join", "nickname": "Ann"}, "invalid_field", "pin", "join without a PIN"),
    ({"type": "join", "pin": "", "nickname": "Ann"}, "invalid_field", "pin", "an empty PIN"),
    ({"type": "join", "pin": "12345", "nickname": "Ann"}, "invalid_field", "pin", "a 5-digit PIN"),
    ({"type": "join", "pin": "1234567", "nickname": "Ann"}, "invalid_field", "pin", "a 7-digit PIN"),
    ({"type": "join", "pin": "12a456", "nickname": "Ann"}, "invalid_field", "pin", "a PIN with a letter"),
    ({"type": "join", "pin": " 12345", "nickname": "Ann"}, "invalid_field", "pin", "a PIN with a space"),
    ({"type": "join", "pin": "-12345", "nickname": "Ann"}, "invalid_field", "pin", "a negative PIN"),
    ({"type": "join", "pin": 123456, "nickname": "Ann"}, "invalid_field", "pin", "a PIN as a number"),
    ({"type": "join", "pin": "１２３４５６", "nickname": "Ann"}, "invalid_field", "pin", "full-width digits"),
    ({"type": "join", "pin": "١٢٣٤٥٦", "nickname": "Ann"}, "invalid_field", "pin", "Arabic-Indic digits"),
    ({"type": "join", "pin": "²³²³²³", "nickname": "Ann"}, "invalid_field", "pin", "superscript digits"),
    ({"type": "join", "pin": "123456"}, "invalid_field", "nickname", "neither nickname nor code"),
    (
        {"type": "join", "pin": "123456", "nickname": "Ann", "code": "A1"},
        "invalid_field",
        "nickname",
        "both nickname and code",
    ),
    ({"type": "join", "pin": "123456", "nickname": 7}, "invalid_field", "nickname", "a numeric nickname"),
    (
        {"type": "join", "pin": "123456", "nickname": "x" * 201},
        "invalid_field",
        "nickname",
        "a nickname beyond any normalisation slack",
    ),
    ({"type": "join", "pin": "123456", "code": "C" * 13}, "invalid_field", "code", "an over-long code"),
    ({"type": "join", "pin": "123456", "code": ["A1"]}, "invalid_field", "code", "a code as a list"),
    ({"type": "resume"}, "invalid_field", "token", "resume without a token"),
    ({"type": "resume", "token": ""}, "invalid_field", "token", "resume with an empty token"),
    ({"type": "resume", "token": 5}, "invalid_field", "token", "resume with a numeric token"),
    ({"type": "resume", "token": "t" * 301}, "invalid_field", "token", "an over-long token"),
    ({"type": "answer", "choices": [0]}, "invalid_field", "question", "answer without a question"),
    ({"type": "answer", "question": None, "choices": [0]}, "invalid_field", "question", "a null question"),
    ({"type": "answer", "question": -1, "choices": [0]}, "invalid_field", "question", "a negative question"),
    ({"type": "answer", "question": 1000, "choices": [0]}, "invalid_field", "question", "question 1000"),
    ({"type": "answer", "question": True, "choices": [0]}, "invalid_field", "question", "a boolean question"),
    ({"type": "answer", "question": "1", "choices": [0]}, "invalid_field", "question", "a question as text"),
    ({"type": "answer", "question": 1.0, "choices": [0]}, "invalid_field", "question", "a float question"),
    ({"type": "answer", "question": 0}, "invalid_field", "choices", "no choices"),
    ({"type": "answer", "question": 0, "choices": []}, "invalid_field", "choices", "empty choices"),
    ({"type": "answer", "question": 0, "choices": [1, 1]}, "invalid_field", "choices", "duplicate choices"),
    ({"type": "answer", "question": 0, "choices": [True]}, "invalid_field", "choices", "a boolean choice"),
    ({"type": "answer", "question": 0, "choices": [0, False]}, "invalid_field", "choices", "a false choice"),
    (
        {"type": "answer", "question": 0, "choices": [MAX_CHOICES]},
        "invalid_field",
        "choices",
        "a choice past the last option",
    ),
    ({"type": "answer", "question": 0, "choices": [-1]}, "invalid_field", "choices", "a negative choice"),
    ({"type": "answer", "question": 0, "choices": [1.0]}, "invalid_field", "choices", "a float choice"),
    ({"type": "answer", "question": 0, "choices": ["1"]}, "invalid_field", "choices", "a choice as text"),
    ({"type": "answer", "question": 0, "choices": 1}, "invalid_field", "choices", "choices not a list"),
    ({"type": "answer", "question": 0, "choices": "01"}, "invalid_field", "choices", "choices as text"),
    (
        {"type": "answer", "question": 0, "choices": {"0": 1}},
        "invalid_field",
        "choices",
        "choices as an object",
    ),
    (
        {"type": "answer", "question": 0, "choices": [0, 1, 2, 3, 4, 5, 0]},
        "invalid_field",
        "choices",
        "more choices than options",
    ),
    (
        {"type": "answer", "question": 0, "choices": [0], "client_elapsed_ms": -1},
        "invalid_field",
        "client_elapsed_ms",
        "a negative client time",
    ),
    (
        {"type": "answer", "question": 0, "choices": [0], "client_elapsed_ms": 3_600_001},
        "invalid_field",
        "client_elapsed_ms",
        "a client time over an hour",
    ),
    (
        {"type": "answer", "question": 0, "choices": [0], "rtt_ms": True},
        "invalid_field",
        "rtt_ms",
        "a boolean round trip",
    ),
    ({"type": "open", "question": 0}, "not_allowed", None, "a host command"),
    ({"type": "end"}, "not_allowed", None, "the host's end"),
    ({"type": "kick", "contestant": 2}, "not_allowed", None, "the host's kick"),
    ({"type": "hello"}, "unknown_type", "type", "an unknown type"),
    ({"type": ""}, "unknown_type", "type", "an empty type"),
    ({"type": "Ping"}, "unknown_type", "type", "a type in the wrong case"),
]


@pytest.mark.parametrize(
    ("content", "code", "field"), [c[:3] for c in CONTESTANT_ERRORS], ids=[c[3] for c in CONTESTANT_ERRORS]
)
def test_a_bad_contestant_frame_is_refused_with_its_code_and_field(content, code, field):
    with pytest.raises(ProtocolError) as refused:
        parsed(parse_contestant, **content)

    assert refused.value.code == code
    assert refused.value.field == field
    assert refused.value.message


@pytest.mark.parametrize("t", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_a_ping_time_that_is_not_a_finite_number_is_refused(t):
    # Python's json accepts these, and echoing them in the pong would send invalid JSON.
    with pytest.raises(ProtocolError) as refused:
        parse_contestant(decode(f'{{"type": "ping", "t": {t}}}', max_bytes=MAX))

    assert (refused.value.code, refused.value.field) == ("invalid_field", "t")


@pytest.mark.parametrize("action", sorted(set(HOST_ACTIONS) - {"resume"}))
def test_every_host_command_is_not_allowed_on_the_contestant_socket(action):
    with pytest.raises(ProtocolError) as refused:
        parsed(parse_contestant, type=action, question=0, seconds=10, version=1, contestant=1)

    assert refused.value.code == "not_allowed"


def test_resume_on_the_contestant_socket_is_a_session_resume_not_the_host_command():
    assert parsed(parse_contestant, type="resume", token="tok") == Resume(token="tok")


def test_unknown_extra_fields_are_ignored():
    command = parsed(parse_contestant, type="answer", question=1, choices=[0], colour="red")

    assert command == SubmitAnswer(question=1, choices=(0,), client_elapsed_ms=None, rtt_ms=None)


# --- host ---------------------------------------------------------------------------------------------

HOST_OK = [
    ({"type": "ping", "t": 5}, Ping(t=5), "ping"),
    ({"type": "open", "question": 0}, HostCommand("open", question=0), "open"),
    ({"type": "close", "question": 2}, HostCommand("close", question=2), "close"),
    ({"type": "reveal", "question": 2}, HostCommand("reveal", question=2), "reveal"),
    ({"type": "leaderboard", "question": 2}, HostCommand("leaderboard", question=2), "leaderboard"),
    ({"type": "pause"}, HostCommand("pause"), "pause"),
    ({"type": "resume"}, HostCommand("resume"), "resume the clock"),
    (
        {"type": "extend", "question": 1, "seconds": 30, "version": 7},
        HostCommand("extend", question=1, seconds=30, version=7),
        "extend",
    ),
    (
        {"type": "extend", "question": 1, "seconds": 1, "version": 0},
        HostCommand("extend", question=1, seconds=1, version=0),
        "extend by the least at version 0",
    ),
    (
        {"type": "extend", "question": 1, "seconds": 600, "version": 3},
        HostCommand("extend", question=1, seconds=600, version=3),
        "extend by the most",
    ),
    ({"type": "skip", "question": 4}, HostCommand("skip", question=4), "skip"),
    ({"type": "void", "question": 4}, HostCommand("void", question=4), "void"),
    ({"type": "kick", "contestant": 42}, HostCommand("kick", contestant=42), "kick"),
    ({"type": "end"}, HostCommand("end"), "end"),
    ({"type": "end", "version": 9}, HostCommand("end", version=9), "an optional field is kept"),
]


@pytest.mark.parametrize(("content", "command"), [c[:2] for c in HOST_OK], ids=[c[2] for c in HOST_OK])
def test_a_good_host_frame_parses_into_its_command(content, command):
    assert parsed(parse_host, **content) == command


HOST_ERRORS = [
    ({"type": "open"}, "invalid_field", "question", "open without a question"),
    ({"type": "close", "question": None}, "invalid_field", "question", "close with a null question"),
    ({"type": "reveal", "question": -1}, "invalid_field", "question", "reveal a negative question"),
    ({"type": "leaderboard"}, "invalid_field", "question", "leaderboard without a question"),
    ({"type": "skip", "question": "2"}, "invalid_field", "question", "skip a question given as text"),
    ({"type": "void", "question": True}, "invalid_field", "question", "void a boolean question"),
    (
        {"type": "extend", "question": 1, "seconds": 30},
        "invalid_field",
        "version",
        "extend without a version",
    ),
    ({"type": "extend", "question": 1, "version": 3}, "invalid_field", "seconds", "extend without seconds"),
    (
        {"type": "extend", "seconds": 30, "version": 3},
        "invalid_field",
        "question",
        "extend without a question",
    ),
    (
        {"type": "extend", "question": 1, "seconds": 0, "version": 3},
        "invalid_field",
        "seconds",
        "extend by 0 s",
    ),
    (
        {"type": "extend", "question": 1, "seconds": 601, "version": 3},
        "invalid_field",
        "seconds",
        "extend by 601 s",
    ),
    (
        {"type": "extend", "question": 1, "seconds": 30, "version": -1},
        "invalid_field",
        "version",
        "a negative version",
    ),
    (
        {"type": "extend", "question": 1, "seconds": 30, "version": "3"},
        "invalid_field",
        "version",
        "a version as text",
    ),
    ({"type": "kick"}, "invalid_field", "contestant", "kick nobody"),
    ({"type": "kick", "contestant": 0}, "invalid_field", "contestant", "kick contestant 0"),
    ({"type": "pause", "question": "x"}, "invalid_field", "question", "a bad optional field"),
    ({"type": "ping", "t": "x"}, "invalid_field", "t", "a ping with a text time"),
    ({"type": "answer", "question": 0, "choices": [0]}, "unknown_type", "type", "a contestant answer"),
    ({"type": "join", "pin": "123456", "nickname": "A"}, "unknown_type", "type", "a contestant join"),
    ({"type": "restart"}, "unknown_type", "type", "an unknown command"),
]


@pytest.mark.parametrize(
    ("content", "code", "field"), [c[:3] for c in HOST_ERRORS], ids=[c[3] for c in HOST_ERRORS]
)
def test_a_bad_host_frame_is_refused_with_its_code_and_field(content, code, field):
    with pytest.raises(ProtocolError) as refused:
        parsed(parse_host, **content)

    assert refused.value.code == code
    assert refused.value.field == field


@pytest.mark.parametrize("action", sorted(HOST_ACTIONS))
def test_every_host_action_with_all_its_required_fields_parses(action):
    values = {"question": 1, "seconds": 10, "version": 2, "contestant": 3, "time_factor": 2}
    stored = {**values, "time_factor": 200}  # time factors are kept in percent
    content = {"type": action, **{name: values[name] for name in HOST_ACTIONS[action]}}

    command = parsed(parse_host, **content)

    assert command.action == action
    assert all(getattr(command, name) == stored[name] for name in HOST_ACTIONS[action])


TIME_FACTORS = [
    (1, 100, "standard"),
    (1.0, 100, "standard, written as a float"),
    (1.5, 150, "one and a half"),
    (2, 200, "double"),
]


@pytest.mark.parametrize(
    ("value", "percent"), [c[:2] for c in TIME_FACTORS], ids=[c[2] for c in TIME_FACTORS]
)
def test_a_time_factor_command_takes_one_of_the_three_factors(value, percent):
    command = parsed(parse_host, type="time_factor", contestant=4, time_factor=value)

    assert (command.contestant, command.time_factor) == (4, percent)


@pytest.mark.parametrize("value", [None, 0, 1.25, 3, "1.5", True, float("nan"), [2]])
def test_any_other_time_factor_is_an_invalid_field(value):
    content = {"type": "time_factor", "contestant": 4}
    if value is not None:
        content["time_factor"] = value

    with pytest.raises(ProtocolError) as refused:
        parse_host(content)

    assert (refused.value.code, refused.value.field) == ("invalid_field", "time_factor")


def test_an_answer_may_carry_the_phones_tap_time():
    command = parsed(parse_contestant, type="answer", question=0, choices=[1], tapped_at=1795321323140)

    assert command.tapped_at == 1795321323140


@pytest.mark.parametrize("value", [-1, 253_402_300_800_000, 1.5, "1795321323140", True])
def test_a_tap_time_that_is_no_epoch_millisecond_is_an_invalid_field(value):
    with pytest.raises(ProtocolError) as refused:
        parse_contestant({"type": "answer", "question": 0, "choices": [1], "tapped_at": value})

    assert (refused.value.code, refused.value.field) == ("invalid_field", "tapped_at")


# --- display ------------------------------------------------------------------------------------------


def test_the_display_may_ping():
    assert parsed(parse_display, type="ping", t=3) == Ping(t=3)


DISPLAY_REFUSED = [
    ({"type": "answer", "question": 0, "choices": [0]}, "a contestant answer"),
    ({"type": "join", "pin": "123456", "nickname": "A"}, "a contestant join"),
    ({"type": "open", "question": 0}, "a host command"),
    ({"type": "end"}, "the host's end"),
    ({"type": "hello"}, "an unknown type"),
    ({"type": ""}, "an empty type"),
]


@pytest.mark.parametrize("content", [c[0] for c in DISPLAY_REFUSED], ids=[c[1] for c in DISPLAY_REFUSED])
def test_anything_but_ping_is_not_allowed_on_the_display(content):
    with pytest.raises(ProtocolError) as refused:
        parsed(parse_display, **content)

    assert refused.value.code == "not_allowed"
    assert refused.value.field is None


def test_a_bad_display_ping_is_an_invalid_field():
    with pytest.raises(ProtocolError) as refused:
        parsed(parse_display, type="ping", t=[1])

    assert (refused.value.code, refused.value.field) == ("invalid_field", "t")
