"""Random frames against the protocol parsers and the live consumers: never a crash, always an error frame.

The parsers are pure, so they get many examples; the consumers get fewer, each on a fresh socket of a
round with an open question, and nothing may be stored by any of them.
"""

import json
import math

import pytest
from asgiref.sync import sync_to_async
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from quiz import protocol
from quiz.frames import dumps, error_frame, pong_frame
from quiz.models import Answer, Contestant, RoundLog
from quiz.protocol import HostCommand, ProtocolError
from quiz.services.rounds import round_command
from tests.live import Socket, contestant, session_cookie_for

MAX_BYTES = 4096
KNOWN_TYPES = ["ping", "join", "resume", "answer", *protocol.HOST_ACTIONS]
FIELDS = [
    "type",
    "pin",
    "nickname",
    "code",
    "token",
    "question",
    "choices",
    "text",
    "client_elapsed_ms",
    "rtt_ms",
    "t",
    "seconds",
    "version",
    "contestant",
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)  # far past 64 bits
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)  # any unicode: surrogates, RTL marks, emoji, NUL
    | st.sampled_from(["", "0", "518766", "１２３４５６", "<script>alert(1)</script>", "\u202e", "a" * 300])
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=8) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
frames = st.fixed_dictionaries(
    {"type": st.sampled_from(KNOWN_TYPES) | json_values},
    optional={name: json_values for name in FIELDS[1:]},
) | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), json_values, max_size=6)


def as_text(frame: dict) -> str | None:
    try:
        return json.dumps(frame, ensure_ascii=False)
    except (ValueError, UnicodeEncodeError):
        return None


texts = frames.map(as_text).filter(lambda text: text is not None) | st.text(max_size=200)


live_texts = texts.filter(bool)  # the test communicator cannot send an empty text frame


def parse(text: str | None, parser) -> object:
    return parser(protocol.decode(text, max_bytes=MAX_BYTES))


def assert_refusal_is_sendable(exc: ProtocolError) -> None:
    frame = error_frame(exc, version=None, ref="x")
    assert json.loads(dumps(frame)) == frame
    assert exc.code and exc.message


PARSERS = {
    "contestant": protocol.parse_contestant,
    "host": protocol.parse_host,
    "display": protocol.parse_display,
}


@pytest.mark.parametrize("audience", PARSERS)
@settings(max_examples=150, deadline=None, database=None)
@given(text=texts | st.binary(max_size=50).map(lambda b: b.decode("latin-1")) | st.none())
def test_any_frame_parses_into_a_command_or_a_protocol_error(audience, text):
    try:
        command = parse(text, PARSERS[audience])
    except ProtocolError as exc:
        assert_refusal_is_sendable(exc)
        return
    # what passes the parser is within the documented limits (docs/protocol.md, section 9)
    if isinstance(command, protocol.SubmitAnswer):
        assert 0 <= command.question <= 999
        assert list(command.choices) == sorted(set(command.choices))
        assert all(0 <= c < protocol.MAX_CHOICES for c in command.choices)
        if command.text is not None:  # a typed answer: trimmed, 1-200 characters, and no choices
            assert 1 <= len(command.text) <= protocol.MAX_TEXT and command.text == command.text.strip()
            assert command.choices == ()
        else:
            assert command.choices
    elif isinstance(command, protocol.Ping):
        assert command.t is None or math.isfinite(command.t)
        json.loads(dumps(pong_frame(command.t, server_time=0, version=None)))
    elif isinstance(command, protocol.HostCommand):
        assert command.action in protocol.HOST_ACTIONS
        assert all(
            value is None or (isinstance(value, int) and 0 <= value < 2**31)
            for value in (command.question, command.seconds, command.version, command.contestant)
        )
    elif isinstance(command, protocol.Join):
        assert command.pin.isascii() and command.pin.isdigit() and len(command.pin) == 6


@settings(max_examples=100, deadline=None, database=None)
@given(pad=st.text(min_size=1, max_size=3000))
def test_a_frame_over_the_limit_in_utf8_bytes_is_too_large_whatever_its_characters(pad):
    text = json.dumps({"type": "ping", "pad": pad}, ensure_ascii=False)
    try:
        protocol.decode(text, max_bytes=MAX_BYTES)
    except ProtocolError as exc:
        assert exc.code == "frame_too_large"
        assert len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES
        return
    assert len(text.encode()) <= MAX_BYTES


# --- live consumers ---------------------------------------------------------------------------------

LIVE = settings(
    max_examples=25,
    deadline=None,
    database=None,  # no example store in the working tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)


def refused_code(text: str, parser) -> str:
    """The error code the parser gives ``text``; rejects (assume) frames that are valid commands."""
    try:
        parse(text, parser)
    except ProtocolError as exc:
        return exc.code
    assume(False)
    raise AssertionError("unreachable")


@sync_to_async
def stored() -> tuple[int, int, int]:
    return Answer.objects.count(), Contestant.objects.count(), RoundLog.objects.count()


@pytest.fixture
async def live_round(make_round):
    """A round with an open question, one joined contestant (its token) and the host's cookie."""
    round_, user = await make_round()
    sock, welcome = await contestant(round_.pin, "Fuzzed")
    await sock.close()
    await sync_to_async(round_command)(user=user, round_id=round_.id, command=HostCommand("open", question=0))
    return round_, welcome["token"], await session_cookie_for(user)


async def assert_refused_and_nothing_stored(sock: Socket, text: str, code: str) -> None:
    before = await stored()
    await sock.send(text)
    reply = await sock.expect("error", timeout=5)
    assert reply["code"] == code, reply
    # the socket is still open and answers
    assert (await sock.request({"type": "ping", "t": 1}, "pong"))["t"] == 1
    assert await stored() == before
    await sock.close()


@pytest.mark.django_db(transaction=True)
@LIVE
@given(text=live_texts)
async def test_a_joined_contestant_sending_random_frames_gets_errors_and_stores_nothing(live_round, text):
    _, token, _ = live_round
    code = refused_code(text, protocol.parse_contestant)
    sock = Socket("/ws/play/")
    assert await sock.connect()
    await sock.request({"type": "resume", "token": token}, "welcome")
    await assert_refused_and_nothing_stored(sock, text, code)


@pytest.mark.django_db(transaction=True)
@LIVE
@given(text=live_texts)
async def test_a_host_sending_random_frames_gets_errors_and_changes_nothing(live_round, text):
    round_, _, cookie = live_round
    code = refused_code(text, protocol.parse_host)
    sock = Socket(f"/ws/host/{round_.id}/", cookie=cookie)
    assert await sock.connect()
    await sock.expect("snapshot")
    await assert_refused_and_nothing_stored(sock, text, code)


@pytest.mark.django_db(transaction=True)
@LIVE
@given(text=live_texts)
async def test_a_display_sending_random_frames_gets_errors(live_round, text):
    round_, _, _ = live_round
    code = refused_code(text, protocol.parse_display)
    sock = Socket(f"/ws/display/{round_.pin}/")
    assert await sock.connect()
    await sock.expect("snapshot")
    await assert_refused_and_nothing_stored(sock, text, code)


@pytest.mark.django_db(transaction=True)
@LIVE
@given(data=st.binary(min_size=1, max_size=200))
async def test_binary_frames_from_a_joined_contestant_are_refused(live_round, data):
    _, token, _ = live_round
    sock = Socket("/ws/play/")
    assert await sock.connect()
    await sock.request({"type": "resume", "token": token}, "welcome")
    before = await stored()
    await sock.comm.send_to(bytes_data=data)
    assert (await sock.expect("error"))["code"] == "malformed_json"
    assert await stored() == before
    await sock.close()
