"""HTTP/1.1 over non-blocking sockets, driven by socket readiness; knows nothing of Anki.

The server owns no selector and no poll loop. Whoever runs it (inside Anki the Qt
driver, ``plugin/qt_driver.py``: one ``QSocketNotifier`` per socket) implements
:class:`EventLoop` and calls back when a socket is readable or writable, and once
when the single time-out timer fires. Each callback advances that one connection as
far as it can without waiting and returns, so every operating system runs the same
code: there is no descriptor of a selector to depend on, and nothing ticks.

Each connection has at most one request in flight; its reply may come later (the
application calls ``respond`` when ready). Pipelined requests wait in the buffer and
are answered in order. Connections persist per RFC 9112 (``response.py``). A
connection that is silent for ``Limits.idle_timeout`` while no reply is owed to it
(between requests, or in the middle of one) is closed without a reply.
"""

from __future__ import annotations

import errno
import socket
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Protocol

from .parser import HttpRequest, ParseFailure, RequestParser
from .response import (
    CLOSE,
    CONTINUE,
    HttpResponse,
    Respond,
    client_keeps_alive,
    connection_header,
    is_self_delimited,
)

__all__ = ["CONTINUE", "EventLoop", "HttpResponse", "HttpServer", "Limits", "Respond"]

READ_CHUNK = 256 * 1024
MAX_READ_PER_EVENT = 4 * 1024 * 1024  # fairness: one fast uploader cannot starve others
# The same for replies: a 50 MB reply to a fast reader would otherwise be written in
# one go, holding Anki's main thread for the whole copy into the kernel.
MAX_WRITE_PER_EVENT = 4 * 1024 * 1024
MAX_ACCEPTS_PER_EVENT = 512
TIMER_SLACK = 0.005  # seconds: a timer that fires this early still counts as due
# Out of file descriptors or kernel memory, accept() fails while the connection waits
# in the queue and the listener stays readable: retrying at once would spin the loop.
# Accepting pauses this long instead (connections wait in the backlog meanwhile).
ACCEPT_PAUSE = 0.1
# Windows reports a socket's errors by their WinSock codes (WSAEMFILE is 10024, not 24).
_OUT_OF_RESOURCES = frozenset(
    {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}
    | {getattr(errno, name) for name in ("WSAEMFILE", "WSAENOBUFS") if hasattr(errno, name)}
)


class EventLoop(Protocol):
    """What wakes the server (inside Anki: ``QtServerDriver``)."""

    def watch(
        self, sock: socket.socket, on_read: Callable[[], None], on_write: Callable[[], None]
    ) -> None:
        """Start calling ``on_read`` whenever ``sock`` is readable; not yet writable."""

    def want(self, sock: socket.socket, *, read: bool, write: bool) -> None:
        """Which of the two callbacks of a watched socket are wanted from now on."""

    def forget(self, sock: socket.socket) -> None:
        """Stop watching ``sock`` (before it is closed, so its number can be reused)."""

    def call_later(self, seconds: float | None, callback: Callable[[], None]) -> None:
        """Call ``callback`` once after ``seconds``, replacing any earlier request;
        None cancels."""

    def soon(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once on the loop's next turn, after what is waiting now."""


class Application(Protocol):
    def handle(self, request: HttpRequest, respond: Respond) -> None: ...

    def protocol_error(self, status: int, message: str) -> HttpResponse: ...


@dataclass(frozen=True)
class Limits:
    max_header_bytes: int = 64 * 1024
    max_body_bytes: int = 256 * 1024 * 1024
    # Seconds a connection may be silent while we owe it no reply: idle keep-alive
    # connections, and requests that stall (the original gives up after 5 s too).
    idle_timeout: float = 5.0
    max_connections: int = 2048


@dataclass
class _Listener:
    sock: socket.socket
    address: str


@dataclass(eq=False)
class _Connection:
    sock: socket.socket
    remote: str
    parser: RequestParser
    last_activity: float
    outbox: deque[memoryview] = field(default_factory=deque)  # pending bytes, in order
    in_flight: HttpRequest | None = None
    keep_open: bool = True  # the current request lets the connection persist
    close_after_write: bool = False
    peer_closed: bool = False
    closed: bool = False
    sent_continue: bool = False
    may_read: bool = True  # the kernel may hold bytes we have not read
    busy: bool = False  # inside _advance (a synchronous reply must not recurse)
    reading: bool = True  # what the event loop was last asked for
    writing: bool = False


class HttpServer:
    def __init__(
        self,
        app: Application,
        loop: EventLoop,
        limits: Limits | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.loop = loop
        self.limits = limits or Limits()
        self.clock = clock
        self.listeners: list[_Listener] = []
        self.connections: set[_Connection] = set()
        self._timer_due: float | None = None  # when the one time-out timer fires
        self._accept_paused_until: float | None = None

    # --- listening --------------------------------------------------------------

    def listen(self, host: str, port: int, backlog: int) -> str:
        """Listen on one address; returns 'host:port' as bound. Raises OSError."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            if hasattr(socket, "SO_EXCLUSIVEADDRUSE"):  # Windows: refuse port sharing
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
            else:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind((host, port))
            sock.listen(backlog)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        bound = sock.getsockname()
        shown_host = f"[{host}]" if family == socket.AF_INET6 else host
        listener = _Listener(sock, f"{shown_host}:{bound[1]}")
        self.listeners.append(listener)
        self.loop.watch(sock, partial(self._accept, listener), _nothing)
        return listener.address

    @property
    def port(self) -> int | None:
        return self.listeners[0].sock.getsockname()[1] if self.listeners else None

    def close(self) -> None:
        for connection in list(self.connections):
            self._close(connection)
        for listener in self.listeners:
            self.loop.forget(listener.sock)
            listener.sock.close()
        self.listeners.clear()
        self.loop.call_later(None, self._on_timer)
        self._timer_due = None
        self._accept_paused_until = None

    # --- readiness callbacks ----------------------------------------------------

    def _accept(self, listener: _Listener) -> None:
        for _ in range(MAX_ACCEPTS_PER_EVENT):
            try:
                sock, address = listener.sock.accept()
            except OSError as error:  # BlockingIOError: none left; most others: that
                if error.errno in _OUT_OF_RESOURCES:  # client is gone
                    self._pause_accepting()
                return
            if len(self.connections) >= self.limits.max_connections:
                self._drop_oldest_idle()
            sock.setblocking(False)
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
            connection = _Connection(
                sock=sock,
                remote=str(address[0]),
                parser=RequestParser(self.limits.max_header_bytes, self.limits.max_body_bytes),
                last_activity=self.clock(),
            )
            self.connections.add(connection)
            self.loop.watch(
                sock, partial(self._on_readable, connection), partial(self._advance, connection)
            )
            self._arm_timer()
            # The request often arrives with the connection: read it now rather than
            # one turn of the event loop later.
            self._advance(connection)

    def _on_readable(self, connection: _Connection) -> None:
        connection.may_read = True
        self._advance(connection)

    def _advance(self, connection: _Connection) -> None:
        """Write, dispatch and read until the connection must wait; then say for what."""
        if connection.closed or connection.busy:
            return  # busy: a synchronous reply; the running loop below picks it up
        connection.busy = True
        try:
            self._run(connection)
        finally:
            connection.busy = False
        self._set_interest(connection)

    def _run(self, connection: _Connection) -> None:
        budget = MAX_READ_PER_EVENT
        while not connection.closed:
            if connection.outbox:
                self._flush(connection)
                if connection.closed or connection.outbox:
                    return  # wait until the socket is writable again
            if connection.close_after_write:
                self._close(connection)
                return
            if connection.in_flight is not None:
                return  # the application answers later
            item = connection.parser.next_request()
            if isinstance(item, ParseFailure):
                response = self.app.protocol_error(item.status, item.message)
                self._queue(connection, response, CLOSE)
                connection.close_after_write = True
                continue
            if item is not None:
                self._dispatch(connection, item)
                continue
            if self._maybe_continue(connection):
                continue
            if connection.peer_closed:
                self._close(connection)  # nothing more will come; a partial request dies
                return
            if not connection.may_read or budget <= 0:
                return  # wait until the socket is readable (again)
            budget -= self._receive(connection, budget)

    def _receive(self, connection: _Connection, budget: int) -> int:
        received = 0
        while received < budget:
            try:
                data = connection.sock.recv(READ_CHUNK)
            except (BlockingIOError, InterruptedError):
                connection.may_read = False
                break
            except OSError:
                self._close(connection)
                break
            if not data:
                connection.peer_closed = True
                connection.may_read = False
                break
            received += len(data)
            connection.parser.feed(data)
        if received:
            self._touch(connection)
        return received

    def _dispatch(self, connection: _Connection, request: HttpRequest) -> None:
        request.remote = connection.remote
        connection.in_flight = request
        connection.sent_continue = False
        connection.keep_open = client_keeps_alive(request)
        respond = self._responder(connection, request)
        try:
            self.app.handle(request, respond)
        except Exception as exc:
            # Without an answer the connection would wait forever (time-outs skip
            # requests in flight); a late respond() is then ignored.
            traceback.print_exc()
            respond(self.app.protocol_error(500, f"internal error: {exc!r}"))

    def _responder(self, connection: _Connection, request: HttpRequest) -> Respond:
        def respond(response: HttpResponse) -> None:
            self._reply(connection, request, response)

        return respond

    def _reply(self, connection: _Connection, request: HttpRequest, response: HttpResponse) -> None:
        if connection.closed or connection.in_flight is not request:
            return  # the client went away, or a stale reply
        connection.in_flight = None
        if not connection.reading:
            connection.may_read = True  # bytes may have come while we were not reading
        keep_open = connection.keep_open and is_self_delimited(request, response)
        self._queue(connection, response, connection_header(request, keep_open))
        connection.close_after_write = not keep_open
        self._touch(connection)
        self._advance(connection)  # at once, unless this reply came synchronously

    def _maybe_continue(self, connection: _Connection) -> bool:
        parser = connection.parser
        if parser.awaiting_body and parser.expects_continue and not connection.sent_continue:
            connection.sent_continue = True
            connection.outbox.append(memoryview(CONTINUE))
            return True
        return False

    def _queue(
        self, connection: _Connection, response: HttpResponse, extra: tuple[str, str] | None
    ) -> None:
        connection.outbox.extend(memoryview(part) for part in response.parts(extra) if part)

    def _flush(self, connection: _Connection) -> None:
        outbox = connection.outbox
        written = 0
        while outbox:
            if written >= MAX_WRITE_PER_EVENT:
                # The socket may well be writable still, but Anki's window gets its
                # turn first; the next turn of the loop goes on writing. (A write
                # notifier would not do: where the OS signals writability only after
                # a send found the buffer full, it would never fire.)
                self.loop.soon(partial(self._advance, connection))
                break
            try:
                sent = connection.sock.send(outbox[0])
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                self._close(connection)
                return
            written += sent
            if sent < len(outbox[0]):
                outbox[0] = outbox[0][sent:]  # a view: the rest is not copied
            else:
                outbox.popleft()  # a sent slice is freed at once
        if written:
            self._touch(connection)

    def _set_interest(self, connection: _Connection) -> None:
        if connection.closed:
            return
        waiting_for_input = (
            connection.in_flight is None
            and not connection.close_after_write
            and not connection.peer_closed
        )
        # While a reply is being written, read only the body curl holds back until
        # it sees `100 Continue`; otherwise the client's next bytes wait in the kernel.
        read = waiting_for_input and (not connection.outbox or connection.parser.awaiting_body)
        write = bool(connection.outbox)
        if (read, write) != (connection.reading, connection.writing):
            connection.reading, connection.writing = read, write
            self.loop.want(connection.sock, read=read, write=write)

    # --- time-outs --------------------------------------------------------------

    def _touch(self, connection: _Connection) -> None:
        connection.last_activity = self.clock()
        self._arm_timer()

    def _arm_timer(self) -> None:
        # Every deadline is last activity + the same time-out, and activity only moves
        # forward, so a timer armed now fires no later than any deadline set after it.
        if self._timer_due is None:
            self._schedule(self.clock() + self.limits.idle_timeout)

    def _schedule(self, due: float) -> None:
        """Have the one timer fire by ``due`` (it may fire earlier; it re-arms)."""
        if self._timer_due is None or due < self._timer_due:
            self._timer_due = due
            self.loop.call_later(max(0.0, due - self.clock()), self._on_timer)

    def _on_timer(self) -> None:
        """Resume a paused accept, close connections silent too long while no reply is
        owed, and re-arm for whatever is due next."""
        self._timer_due = None
        now = self.clock()
        next_due = self._resume_accepting_if_due(now)
        for connection in list(self.connections):
            if connection.in_flight is not None:
                continue  # the application is working on it: never timed out
            due = connection.last_activity + self.limits.idle_timeout
            if due <= now + TIMER_SLACK:
                self._close(connection)
            elif next_due is None or due < next_due:
                next_due = due
        if next_due is not None:
            self._schedule(next_due)

    def _pause_accepting(self) -> None:
        if self._accept_paused_until is not None:
            return
        for listener in self.listeners:
            self.loop.want(listener.sock, read=False, write=False)
        self._accept_paused_until = self.clock() + ACCEPT_PAUSE
        self._schedule(self._accept_paused_until)

    def _resume_accepting_if_due(self, now: float) -> float | None:
        """Listen again once the pause is over; otherwise when it will be."""
        if self._accept_paused_until is None:
            return None
        if self._accept_paused_until > now + TIMER_SLACK:
            return self._accept_paused_until
        self._accept_paused_until = None
        for listener in self.listeners:
            self.loop.want(listener.sock, read=True, write=False)
        return None

    def _drop_oldest_idle(self) -> None:
        idle = [c for c in self.connections if c.in_flight is None and not c.outbox]
        if idle:
            self._close(min(idle, key=lambda c: c.last_activity))

    def _close(self, connection: _Connection) -> None:
        if connection.closed:
            return
        connection.closed = True
        self.connections.discard(connection)
        self.loop.forget(connection.sock)
        try:
            connection.sock.close()
        except OSError:
            pass


def _nothing() -> None:
    """A listening socket is never watched for writing."""


def is_address_in_use(error: OSError) -> bool:
    return error.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1))
