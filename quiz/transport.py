"""How the hub writes a frame into a socket: daphne's fast path, or the server's ASGI ``send``.

Everything that reads or writes private attributes of daphne, autobahn or Twisted lives here, so an
upgrade of those three has one place to look at. The fast path was written against the versions pinned in
pyproject.toml; a socket uses it only when its ``send`` really is daphne's and every attribute it touches
is there. Otherwise the hub uses the ASGI ``send``, which is slower per recipient (docs/performance.md)
but always correct. Which path a process takes is logged at INFO on ``quiz.transport`` when its first
socket of each audience subscribes: ``fast path: daphne direct write for contestant sockets (versions)``
or ``fallback: ASGI send for contestant sockets, because ...``.

The choice is made once per socket, when it subscribes; a broadcast costs no extra work per recipient.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from importlib import metadata
from typing import Any

logger = logging.getLogger(__name__)

FAST_PATH = "fast path: daphne direct write"
FALLBACK = "fallback: ASGI send"  # the log lines start with one of these, then say for which sockets

# What a daphne socket must offer for the direct write. autobahn's WebSocket protocol: its state, the queue
# it trickles bytes out of, and whether it compresses. Twisted's TCP transport: the write buffer it has not
# sent yet (``dataBuffer`` from ``offset``, plus ``_tempDataLen`` bytes not yet joined into it), the socket,
# and how to write, abort and tell it is closing.
PROTOCOL_ATTRIBUTES = ("state", "STATE_OPEN", "send_queue", "_perMessageCompress", "transport")
TRANSPORT_ATTRIBUTES = (
    "dataBuffer",
    "offset",
    "_tempDataLen",
    "write",
    "abortConnection",
    "socket",
    "connected",
    "disconnecting",
)

# Outcomes of DaphneWriter.write (plain ints: compared once per recipient per broadcast; SENT is 0 so the
# hub's usual case is a single truth test).
SENT = 0  # the frame is with the kernel or Twisted's buffer, or the socket is closing
USE_ASGI_SEND = 1  # autobahn is sending or compressing on its own: the ASGI send keeps the order
OVER_CAP = 2  # unsent output is over the cap: the client stopped reading

_reported: set[str] = set()


def text_frame(text: str) -> bytes:
    """The whole WebSocket text frame as a server sends it: unmasked, uncompressed (RFC 6455, 5.2)."""
    payload = text.encode()
    size = len(payload)
    if size < 126:
        header = bytes((0x81, size))
    elif size < 65536:
        header = bytes((0x81, 126)) + size.to_bytes(2, "big")
    else:
        header = bytes((0x81, 127)) + size.to_bytes(8, "big")
    return header + payload


class DaphneWriter:
    """Writes already-framed bytes straight into one daphne connection's Twisted transport.

    The ASGI ``send`` would cost a coroutine, a dict and an encode per socket and leave every byte
    buffered until the whole broadcast is framed. Here, when nothing of ours is waiting to go out, the
    bytes go to the socket at once: a loopback or LAN client usually takes the whole frame, and Twisted is
    never asked to watch the socket (two epoll changes and a callback per socket per broadcast). Whatever
    the kernel does not take, Twisted's buffer keeps, and later frames queue behind it, in order.
    """

    __slots__ = ("cap_bytes", "protocol")

    def __init__(self, protocol: Any, cap_bytes: int) -> None:
        self.protocol = protocol
        self.cap_bytes = cap_bytes

    def write(self, wire: bytes) -> int:
        """Hand ``wire`` to the connection without waiting: ``SENT``, ``USE_ASGI_SEND`` or ``OVER_CAP``."""
        protocol = self.protocol
        if protocol.state != protocol.STATE_OPEN:
            return SENT  # closing or closed: nothing more goes to this socket
        if protocol.send_queue or protocol._perMessageCompress is not None:
            return USE_ASGI_SEND
        transport = protocol.transport
        pending = len(transport.dataBuffer) - transport.offset + transport._tempDataLen
        if pending:
            # Output still unsent from earlier frames: a client that reads has taken them by now.
            if pending > self.cap_bytes:
                return OVER_CAP
            transport.write(wire)
            return SENT
        if not transport.connected or transport.disconnecting:
            return SENT
        try:
            sent = transport.socket.send(wire)
        except OSError:  # would block, or the peer is gone: Twisted's buffer and error handling take it
            sent = 0
        if sent < len(wire):
            transport.write(wire[sent:])
        return SENT

    def abort(self) -> None:
        """Drop the connection now, unsent output and all."""
        self.protocol.transport.abortConnection()


def daphne_writer(send: Callable[..., Any], cap_bytes: int, audience: str) -> DaphneWriter | None:
    """The fast path for a socket whose ASGI ``send`` is ``send``, or None to use ``send`` itself.

    Called once per socket, when it is first sent something; the first socket of each audience in a
    process logs which path it takes. Host consoles pass through Channels' session middleware, whose
    ``send`` saves the session only on HTTP responses: for WebSocket frames it is daphne's own, so they
    take the fast path too (and with it the cap on unsent output).
    """
    protocol, reason = _daphne_protocol(unwrap_session_send(send))
    if protocol is None:
        report(f"{FALLBACK} for {audience} sockets, because {reason}")
        return None
    report(f"{FAST_PATH} for {audience} sockets ({versions()})")
    return DaphneWriter(protocol, cap_bytes)


def unwrap_session_send(send: Callable[..., Any]) -> Callable[..., Any]:
    """The server's ``send`` behind Channels' session middleware, or ``send`` itself.

    ``channels.sessions.InstanceSessionWrapper.send`` saves the session before an ``http.response.start``
    and passes every other message to the server's ``send`` unchanged."""
    sessions = sys.modules.get("channels.sessions")
    owner = getattr(send, "__self__", None)
    if (
        sessions is not None
        and isinstance(owner, sessions.InstanceSessionWrapper)
        and getattr(send, "__func__", None) is sessions.InstanceSessionWrapper.send
        and callable(getattr(owner, "real_send", None))
    ):
        return owner.real_send
    return send


def close_on_failure(send: Callable[..., Any]) -> bool:
    """Make daphne close a failing connection with a close frame instead of dropping it.

    autobahn, under daphne, drops the TCP connection when a client breaks the rules: a frame over the
    server's message size, for instance, reaches the client as 1006 with no reason. With ``failByDrop``
    off it sends the close code (1009 for a message too big) and drops the connection only if the client
    does not answer within the close handshake timeout. True when daphne's connection was found."""
    protocol, _ = _daphne_protocol(unwrap_session_send(send))
    if protocol is None or not hasattr(protocol, "failByDrop"):
        return False
    protocol.failByDrop = False
    return True


def _daphne_protocol(send: Callable[..., Any]) -> tuple[Any | None, str]:
    """daphne's protocol object behind ``send`` and "", or None and why the fast path does not apply.

    daphne hands each application ``functools.partial(server.handle_reply, protocol)``. It is recognised
    by the types of the objects behind it (daphne's ``Server``, its ``WebSocketProtocol``, Twisted's TCP
    ``Connection``), looked up among the loaded modules: a process that never loaded daphne is not
    served by it, and nothing here imports daphne (which would install Twisted's reactor). Not by names:
    a function called ``handle_reply`` elsewhere is not daphne's.
    """
    server_module = sys.modules.get("daphne.server")  # loaded by the daphne app under any server
    if server_module is None:
        return None, "the server is not daphne"
    if not isinstance(send, functools.partial):
        name = getattr(send, "__qualname__", type(send).__name__)
        return None, f"the ASGI send is {name}, not daphne's own"
    owner = getattr(send.func, "__self__", None)
    if (
        send.keywords
        or len(send.args) != 1
        or not isinstance(owner, server_module.Server)
        or send.func != owner.handle_reply
    ):
        return None, "the ASGI send is a partial, but not of daphne's Server.handle_reply"
    ws_module = sys.modules.get("daphne.ws_protocol")
    tcp_module = sys.modules.get("twisted.internet.tcp")
    protocol = send.args[0]
    if ws_module is None or tcp_module is None or not isinstance(protocol, ws_module.WebSocketProtocol):
        return None, f"the connection is a {type(protocol).__name__}, not daphne's WebSocketProtocol"
    missing = [name for name in PROTOCOL_ATTRIBUTES if not hasattr(protocol, name)]
    if missing:
        return None, f"autobahn's protocol has no {', '.join(missing)}"
    transport = protocol.transport
    if not isinstance(transport, tcp_module.Connection):
        return None, f"the transport is a {type(transport).__name__}, not plain TCP (TLS in daphne?)"
    missing = [name for name in TRANSPORT_ATTRIBUTES if not hasattr(transport, name)]
    if missing:
        return None, f"Twisted's transport has no {', '.join(missing)}"
    return protocol, ""


def asyncio_transport(send: Callable[..., Any]) -> Any | None:
    """The asyncio transport behind an ASGI ``send`` bound to a server protocol object (uvicorn's shape).

    Public asyncio API only: the hub reads its buffer size to drop a client that stopped reading, and
    sends through ``send`` without awaiting it.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None or not callable(getattr(transport, "get_write_buffer_size", None)):
        return None
    if not callable(getattr(transport, "abort", None)):
        return None
    return transport


@functools.cache
def versions() -> str:
    """The installed versions the fast path depends on, as the log line shows them.

    Read once per process: every socket that subscribes builds the log line, and a metadata look-up
    reads the installed package's files (milliseconds, on the event loop, in a join storm)."""
    found = []
    for name in ("daphne", "Twisted", "autobahn"):
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} not installed")
    return ", ".join(found)


def report(path: str) -> None:
    """Log the path sockets take, once per process for each distinct path (normally just one)."""
    if path in _reported:
        return
    _reported.add(path)
    logger.info("%s", path)


class _Deferred:
    """``function(*args)`` as text, worked out only if a log line is really formatted."""

    __slots__ = ("args", "function")

    def __init__(self, function: Callable[..., Any], *args: Any) -> None:
        self.function = function
        self.args = args

    def __format__(self, spec: str) -> str:
        return format(self.function(*self.args), spec)

    def __str__(self) -> str:
        return format(self, "")


def _deferring(function: Callable[..., Any]) -> Callable[..., _Deferred]:
    return functools.partial(_Deferred, function)


# autobahn's modules and the helpers each calls for its debug log lines' arguments.
AUTOBAHN_LOG_HELPERS = {
    "autobahn.websocket.protocol": ("pformat", "hltype", "hlval"),
    "autobahn.twisted.websocket": ("hltype", "hlval"),
}


def defer_autobahn_log_arguments() -> list[str]:
    """Make autobahn work out its debug log lines' arguments only when such a line is written.

    autobahn builds the arguments of its debug lines whether or not debug logging is on: for every new
    connection it pretty-prints some thirty settings (``WebSocketProtocol._connectionMade``), and for
    every frame received and sent it formats the method's name and the peer with ANSI colours
    (``hltype``, ``hlval``). In a join storm that was about a tenth of the server's CPU, and it is paid
    again for every answer and its ack (docs/performance.md). Those helpers, as each module imported them,
    are swapped for wrappers that do the same work when a line is formatted, so the log reads the same.
    Every use of them in these modules is a log argument (``tests/quiz/test_transport.py`` checks it).
    Returns the names swapped; a name autobahn no longer has is left alone (and its cost stays)."""
    import importlib

    swapped = []
    for module_name, names in AUTOBAHN_LOG_HELPERS.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        for name in names:
            function = getattr(module, name, None)
            if function is None or isinstance(function, functools.partial):
                continue
            setattr(module, name, _deferring(function))
            swapped.append(f"{module_name}.{name}")
    timings = getattr(importlib.import_module("autobahn.websocket.protocol"), "Timings", None)
    if timings is not None:
        from pprint import pformat

        timings.__str__ = lambda self: pformat(self._timings)  # its one use of pformat that must be text
    return swapped
