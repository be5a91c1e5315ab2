"""Which path the hub writes frames by: daphne's direct write on the pinned versions, the ASGI send otherwise.

The first two tests start real daphne processes and read the line ``quiz.transport`` logs when the first
socket subscribes; they fail if, on the versions installed from pyproject.toml, a socket does not take
the fast path, or if the fallback stops delivering frames.
"""

import asyncio
import functools
import json
import logging
import subprocess
import sys
import tempfile
import tomllib
from importlib import metadata

import pytest
import websockets
from packaging.requirements import Requirement

from quiz import transport
from quiz.hub import Frame, Sink
from tests.live import session_cookie_for
from tests.servers import ROOT, DaphneFleet

ORIGIN = {"Origin": "http://localhost"}

# Starts daphne exactly as `python -m daphne` does, after making the fast path expect a transport
# attribute under a name Twisted does not have: what an upgrade that renamed `_tempDataLen` would do.
RENAMED_ATTRIBUTE_DAPHNE = """
import quiz.transport as t
t.TRANSPORT_ATTRIBUTES = tuple(
    "_tempDataLength" if name == "_tempDataLen" else name for name in t.TRANSPORT_ATTRIBUTES
)
from daphne.cli import CommandLineInterface
CommandLineInterface.entrypoint()
"""


def daphne_arguments(port: int) -> list[str]:
    return ["-b", "127.0.0.1", "-p", str(port), "-v", "0", "config.asgi:application"]


class RenamedAttributeFleet(DaphneFleet):
    """daphne processes in which the fast path looks for an attribute that is not there."""

    def _spawn(self, port: int) -> subprocess.Popen:
        self.logs.setdefault(port, tempfile.TemporaryFile())  # noqa: SIM115  (closed by close())
        return subprocess.Popen(
            [sys.executable, "-c", RENAMED_ATTRIBUTE_DAPHNE, *daphne_arguments(port)],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.logs[port],
            start_new_session=True,
        )


async def next_frame(ws, kind: str, timeout: float = 10, **match) -> dict:
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == kind and all(frame.get(k) == v for k, v in match.items()):
                return frame


async def a_broadcast_reaches_a_phone_and_a_display(port: int, round_, user) -> None:
    """Phone and display connect; the host opens a question; both get the broadcast."""
    url = f"ws://127.0.0.1:{port}"
    cookie = await session_cookie_for(user)
    phone = await websockets.connect(f"{url}/ws/play/", additional_headers=ORIGIN)
    await phone.send(json.dumps({"type": "join", "pin": round_.pin, "nickname": "Reader"}))
    await next_frame(phone, "welcome")
    display = await websockets.connect(f"{url}/ws/display/{round_.pin}/", additional_headers=ORIGIN)
    await next_frame(display, "snapshot")
    console = await websockets.connect(
        f"{url}/ws/host/{round_.id}/", additional_headers={**ORIGIN, "Cookie": cookie}
    )
    await next_frame(console, "snapshot")
    await console.send(json.dumps({"type": "open", "question": 0}))
    for ws in (phone, display):
        opened = await next_frame(ws, "state", event="question.opened")
        assert opened["round"]["question"]["index"] == 0
    # the phone's own replies take the same path: its ack arrives, then a pong
    await phone.send(json.dumps({"type": "answer", "question": 0, "choices": [1]}))
    assert (await next_frame(phone, "ack"))["choices"] == [1]
    await phone.send(json.dumps({"type": "ping", "t": 5}))
    assert (await next_frame(phone, "pong"))["t"] == 5
    for ws in (phone, display, console):
        await ws.close()


@pytest.mark.django_db(transaction=True)
async def test_on_the_pinned_versions_daphne_sockets_take_the_fast_path(make_round):
    round_, user = await make_round(questions=1)
    fleet = DaphneFleet()
    try:
        (port,) = fleet.start(1)
        await a_broadcast_reaches_a_phone_and_a_display(port, round_, user)
        log = fleet.log(port)
    finally:
        fleet.close()
    # The console's send passes through the session middleware, which saves the session only on HTTP
    # responses: its WebSocket frames take the fast path (and its cap on unsent output) too.
    for audience in ("contestant", "display", "host"):
        assert f"{transport.FAST_PATH} for {audience} sockets (daphne 4." in log, log[-3000:]
        assert f"{transport.FALLBACK} for {audience}" not in log, log[-3000:]


@pytest.mark.django_db(transaction=True)
async def test_when_an_attribute_the_fast_path_needs_is_missing_frames_go_by_the_asgi_send(make_round):
    round_, user = await make_round(questions=1)
    fleet = RenamedAttributeFleet()
    try:
        (port,) = fleet.start(1)
        await a_broadcast_reaches_a_phone_and_a_display(port, round_, user)
        log = fleet.log(port)
    finally:
        fleet.close()
    for audience in ("contestant", "display"):
        line = (
            f"{transport.FALLBACK} for {audience} sockets, because Twisted's transport has no _tempDataLength"
        )
        assert log.count(line) == 1, log[-3000:]  # once per process, not once per socket
    assert transport.FAST_PATH not in log, log[-3000:]


def test_the_installed_daphne_twisted_and_autobahn_are_the_versions_pyproject_pins():
    """The fast-path test above proves the fast path on what is installed; this ties that to the pins."""
    pinned = {
        Requirement(line).name.lower(): Requirement(line).specifier
        for line in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    }
    for name in ("daphne", "twisted", "autobahn"):
        assert name in pinned, f"{name} is not pinned in pyproject.toml"
        assert pinned[name], f"{name} has no version range in pyproject.toml"
        installed = metadata.version(name)
        assert installed in pinned[name], f"{name} {installed} is outside {pinned[name]}"


async def test_a_server_that_is_not_daphne_gets_the_asgi_send_and_says_why_once(monkeypatch, caplog):
    monkeypatch.setattr(transport, "_reported", set())
    sent = []

    async def send(message):
        sent.append(message["text"])

    with caplog.at_level(logging.INFO, logger="quiz.transport"):
        sinks = [Sink(send, "display") for _ in range(3)]
    assert not any(sink.direct for sink in sinks)
    fallbacks = [r.getMessage() for r in caplog.records if r.name == "quiz.transport"]
    assert len(fallbacks) == 1
    assert fallbacks[0].startswith(f"{transport.FALLBACK} for display sockets, because the ASGI send is ")

    await sinks[0].go_live(0)
    sinks[0].write(1, Frame('{"type": "state"}'))
    await sinks[0].flushed()
    assert sent == ['{"type": "state"}']


async def test_a_sockets_own_replies_count_against_the_cap_on_unsent_output(settings):
    # given a socket whose every send waits for a client that never reads, as an ASGI send does
    settings.QUIZ = {**settings.QUIZ, "SEND_BUFFER_FRAMES": 5}
    stuck = asyncio.Event()

    async def send(message):
        await stuck.wait()

    overflowed = asyncio.Event()

    async def on_overflow():
        overflowed.set()

    sink = Sink(send, "host", on_overflow=on_overflow)

    # when it is sent replies only (pongs, command replies), never a broadcast
    for n in range(20):
        sink.reply(json.dumps({"type": "pong", "version": None, "t": n, "server_time": 0}))

    # then past the cap it is dropped, and what it did not read is not kept
    await asyncio.wait_for(overflowed.wait(), 1)
    assert sink.dropped
    assert not sink._outbox
    sink._drainer.cancel()


def test_a_send_that_only_looks_like_daphnes_is_not_taken_for_it():
    """A partial of some other object's method named handle_reply does not reach the fast path."""

    class Server:
        async def handle_reply(self, protocol, message):
            pass

    class Protocol:
        state = STATE_OPEN = 3
        send_queue = ()
        _perMessageCompress = None
        transport = None

    lookalike = functools.partial(Server().handle_reply, Protocol())
    assert transport.daphne_writer(lookalike, cap_bytes=1024, audience="display") is None


@pytest.mark.parametrize("size, header", [(125, b"\x81\x7d"), (126, b"\x81\x7e\x00\x7e"), (65536, None)])
def test_a_text_frame_carries_its_length_in_the_header_rfc_6455_says(size, header):
    wire = transport.text_frame("a" * size)
    if header is None:
        header = b"\x81\x7f" + size.to_bytes(8, "big")
    assert wire == header + b"a" * size


def test_autobahn_works_out_its_debug_log_arguments_only_when_a_line_is_written():
    import importlib
    import inspect
    import re
    from pprint import pformat

    from autobahn import util
    from autobahn.websocket import protocol

    import config.asgi  # noqa: F401  (the server's entry point makes the swap)

    class Unprintable:
        def __repr__(self) -> str:
            raise AssertionError("formatted although no log line was written")

    # given the swap, building a debug line's arguments formats nothing
    protocol.pformat([("openHandshakeTimeout", Unprintable())])
    protocol.hlval(Unprintable())

    # then a written line reads exactly as before, and timings still print as text
    settings = [("autoPingInterval", 0), ("maxFramePayloadSize", 0)]
    assert f"\n{protocol.pformat(settings)}" == "\n" + pformat(settings)
    assert "{func} {peer}".format(
        func=protocol.hltype(transport.text_frame), peer=protocol.hlval("tcp:1")
    ) == (f"{util.hltype(transport.text_frame)} {util.hlval('tcp:1')}")
    assert str(protocol.Timings()) == pformat({})

    # and in the autobahn release installed, every use of the swapped helpers is a log line's argument
    for module_name, names in transport.AUTOBAHN_LOG_HELPERS.items():
        # Timings.__str__ is the one other use; the swap gives it back a pformat of its own.
        source = inspect.getsource(importlib.import_module(module_name)).replace(
            "return pformat(self._timings)", ""
        )
        for name in names:
            calls = re.findall(rf"(.)\b{name}\(", source)
            assert calls, f"{module_name} no longer calls {name}"
            assert set(calls) == {"="}, f"{module_name} uses {name} outside a keyword argument"


class RecordingWriter:
    """Stands in for daphne's direct write: records the bytes, answers with a chosen outcome."""

    def __init__(self, outcome: int = transport.SENT) -> None:
        self.outcome = outcome
        self.wires: list[bytes] = []
        self.aborted = False

    def write(self, wire: bytes) -> int:
        self.wires.append(wire)
        return self.outcome

    def abort(self) -> None:
        self.aborted = True


@pytest.mark.parametrize(
    ("live", "outcome", "by_asgi", "dropped"),
    [
        (True, transport.SENT, False, False),
        (False, transport.SENT, False, False),
        (True, transport.USE_ASGI_SEND, True, False),
        (True, transport.OVER_CAP, False, True),
    ],
    ids=[
        "written directly",
        "not live yet (a welcome): written directly too",
        "autobahn busy: the ASGI send keeps the order",
        "over the cap: dropped",
    ],
)
async def test_a_sockets_own_replies_go_by_its_broadcast_path_under_the_same_cap(
    monkeypatch, live, outcome, by_asgi, dropped
):
    # given a socket on the fast path
    writer = RecordingWriter(outcome)
    monkeypatch.setattr(transport, "daphne_writer", lambda send, cap, audience: writer)
    sent = []

    async def asgi_send(message):
        sent.append(message["text"])

    sink = Sink(asgi_send, "contestant", 7)
    sink.live = live

    # when the consumer replies
    sink.reply('{"type":"ack"}')

    # then the frame went by the direct write, or by the ASGI send behind it, or the socket was dropped
    assert writer.wires == [transport.text_frame('{"type":"ack"}')]
    assert sent == (['{"type":"ack"}'] if by_asgi else [])
    assert sink.dropped is dropped and writer.aborted is dropped
