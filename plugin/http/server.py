"""HTTP/1.1 over non-blocking sockets; knows HTTP and nothing of Anki.

The server never blocks: :meth:`HttpServer.process` handles every socket that is
ready and returns. Inside Anki a Qt socket notifier on :meth:`HttpServer.fileno`
(the selector's own descriptor) calls it whenever anything is ready, so there is no
polling and a request is answered as soon as its last byte arrives.

Each connection has at most one request in flight; its reply may come later (the
application calls ``respond`` when ready). Pipelined requests wait in the buffer
and are answered in order. Connections are closed after the reply, as the original
does, unless the client asked for ``Connection: keep-alive``.
"""

from __future__ import annotations

import errno
import selectors
import socket
import time
import traceback
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from .parser import HttpRequest, ParseFailure, RequestParser

READ_CHUNK = 256 * 1024
MAX_READ_PER_EVENT = 4 * 1024 * 1024  # fairness: one fast uploader cannot starve others
# The same for replies: a 50 MB reply to a fast reader would otherwise be written in
# one go, holding Anki's main thread for the whole copy into the kernel.
MAX_WRITE_PER_EVENT = 4 * 1024 * 1024
MAX_ACCEPTS_PER_EVENT = 512
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"

REASONS = {
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    413: "Payload Too Large",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


# Below this size a response is joined into one buffer (one send, one packet).
JOIN_BELOW = 64 * 1024


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    # A large body may come as slices (encoded on a worker): they are written one
    # after the other, never joined into one more copy.
    body: bytes | Sequence[bytes] = b""

    def head(self) -> bytes:
        reason = REASONS.get(self.status, "OK")
        lines = [f"HTTP/1.1 {self.status} {reason}"]
        lines.extend(f"{name}: {value}" for name, value in self.headers)
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def parts(self) -> list[bytes]:
        body = [self.body] if isinstance(self.body, bytes | bytearray) else list(self.body)
        parts = [self.head(), *body]
        if sum(len(part) for part in parts) < JOIN_BELOW:
            return [b"".join(parts)]
        return parts

    def encode(self) -> bytes:
        return b"".join(self.parts())


Respond = Callable[[HttpResponse], None]


class Application(Protocol):
    def handle(self, request: HttpRequest, respond: Respond) -> None: ...

    def protocol_error(self, status: int, message: str) -> HttpResponse: ...


@dataclass(frozen=True)
class Limits:
    max_header_bytes: int = 64 * 1024
    max_body_bytes: int = 256 * 1024 * 1024
    idle_timeout: float = 30.0  # seconds without progress before a connection is closed
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
    keep_alive: bool = False
    close_after_write: bool = False
    peer_closed: bool = False
    closed: bool = False
    sent_continue: bool = False
    pumping: bool = False
    events: int = selectors.EVENT_READ


def wants_keep_alive(request: HttpRequest) -> bool:
    """Keep the connection only when the client asked for it explicitly.

    The original always closes; HTTP/1.1 clients cope with either, but a naive
    script that reads until the socket closes would hang on an implicit keep-alive.
    """
    tokens = [t.strip().lower() for t in request.headers.get("connection", "").split(",")]
    return "keep-alive" in tokens and "close" not in tokens


class HttpServer:
    def __init__(
        self,
        app: Application,
        limits: Limits | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.limits = limits or Limits()
        self.clock = clock
        self.selector = selectors.DefaultSelector()
        self.listeners: list[_Listener] = []
        self.connections: set[_Connection] = set()

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
        self.selector.register(sock, selectors.EVENT_READ, listener)
        return listener.address

    @property
    def port(self) -> int | None:
        return self.listeners[0].sock.getsockname()[1] if self.listeners else None

    def fileno(self) -> int | None:
        """A descriptor readable whenever any socket is ready (None on Windows)."""
        try:
            return self.selector.fileno()  # type: ignore[attr-defined]
        except (AttributeError, NotImplementedError):
            return None

    def close(self) -> None:
        for connection in list(self.connections):
            self._close(connection)
        for listener in self.listeners:
            self.selector.unregister(listener.sock)
            listener.sock.close()
        self.listeners.clear()
        self.selector.close()

    # --- event loop -------------------------------------------------------------

    def process(self, timeout: float = 0) -> int:
        """Handle every ready socket once; returns the number of events handled."""
        events = self.selector.select(timeout)
        for key, mask in events:
            target = key.data
            if isinstance(target, _Listener):
                self._accept(target)
            elif isinstance(target, _Connection) and not target.closed:
                if mask & selectors.EVENT_WRITE:
                    self._flush(target)
                if mask & selectors.EVENT_READ and not target.closed:
                    self._read(target)
        return len(events)

    def housekeeping(self) -> None:
        """Close connections idle longer than the limit (slow or stalled clients)."""
        deadline = self.clock() - self.limits.idle_timeout
        for connection in list(self.connections):
            if connection.in_flight is None and connection.last_activity < deadline:
                self._close(connection)

    def _accept(self, listener: _Listener) -> None:
        for _ in range(MAX_ACCEPTS_PER_EVENT):
            try:
                sock, address = listener.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
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
            self.selector.register(sock, selectors.EVENT_READ, connection)

    def _drop_oldest_idle(self) -> None:
        idle = [c for c in self.connections if c.in_flight is None and not c.outbox]
        if idle:
            self._close(min(idle, key=lambda c: c.last_activity))

    def _read(self, connection: _Connection) -> None:
        received = 0
        while received < MAX_READ_PER_EVENT:
            try:
                data = connection.sock.recv(READ_CHUNK)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                self._close(connection)
                return
            if not data:
                connection.peer_closed = True
                break
            received += len(data)
            connection.parser.feed(data)
            if connection.in_flight is not None:
                break  # the reply comes first; unread bytes wait in the kernel
        if received:
            connection.last_activity = self.clock()
        self._pump(connection)
        if connection.closed:
            return
        if connection.peer_closed:
            if connection.in_flight is None and not connection.outbox:
                self._close(connection)
            else:
                self._set_events(connection, connection.events & ~selectors.EVENT_READ)
        elif connection.in_flight is not None:
            self._set_events(connection, connection.events & ~selectors.EVENT_READ)

    def _pump(self, connection: _Connection) -> None:
        """Serve complete requests from the buffer, one at a time, in order."""
        if connection.pumping:
            return  # a reply arrived synchronously; the outer loop continues
        connection.pumping = True
        try:
            while (
                not connection.closed
                and connection.in_flight is None
                and not connection.outbox
                and not connection.close_after_write
            ):
                item = connection.parser.next_request()
                if item is None:
                    self._maybe_continue(connection)
                    break
                if isinstance(item, ParseFailure):
                    response = self.app.protocol_error(item.status, item.message)
                    self._write(connection, response.parts(), close=True)
                    break
                item.remote = connection.remote
                connection.in_flight = item
                connection.sent_continue = False
                connection.keep_alive = wants_keep_alive(item) and not connection.peer_closed
                self._set_events(connection, 0)
                respond = self._responder(connection, item)
                try:
                    self.app.handle(item, respond)
                except Exception as exc:
                    # Without an answer the connection would wait forever (time-outs
                    # skip requests in flight); a late respond() is then ignored.
                    traceback.print_exc()
                    respond(self.app.protocol_error(500, f"internal error: {exc!r}"))
        finally:
            connection.pumping = False
        if (
            connection.peer_closed
            and not connection.closed
            and connection.in_flight is None
            and not connection.outbox
        ):
            self._close(connection)

    def _responder(self, connection: _Connection, request: HttpRequest) -> Respond:
        def respond(response: HttpResponse) -> None:
            self._reply(connection, request, response)

        return respond

    def _maybe_continue(self, connection: _Connection) -> None:
        parser = connection.parser
        if parser.awaiting_body and parser.expects_continue and not connection.sent_continue:
            connection.sent_continue = True
            self._write(connection, [CONTINUE], close=False)

    def _reply(self, connection: _Connection, request: HttpRequest, response: HttpResponse) -> None:
        if connection.closed or connection.in_flight is not request:
            return  # the client went away, or a stale reply
        connection.in_flight = None
        # A response without Content-Length (the 403) ends where the connection does.
        framed = any(name.lower() == "content-length" for name, _ in response.headers)
        self._write(connection, response.parts(), close=not (connection.keep_alive and framed))
        if not connection.closed and not connection.outbox:
            self._pump(connection)

    def _write(self, connection: _Connection, parts: Sequence[bytes], *, close: bool) -> None:
        connection.outbox.extend(memoryview(part) for part in parts if part)
        connection.close_after_write = connection.close_after_write or close
        self._flush(connection)

    def _flush(self, connection: _Connection) -> None:
        outbox = connection.outbox
        written = 0
        while outbox and written < MAX_WRITE_PER_EVENT:
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
            connection.last_activity = self.clock()
        if connection.outbox:
            self._set_events(connection, connection.events | selectors.EVENT_WRITE)
            return
        if connection.close_after_write:
            self._close(connection)
            return
        if connection.in_flight is None:
            self._set_events(connection, 0 if connection.peer_closed else selectors.EVENT_READ)
            self._pump(connection)
        else:
            self._set_events(connection, 0)

    def _set_events(self, connection: _Connection, events: int) -> None:
        """Watch the socket for exactly these events (none: unregister it)."""
        if connection.closed or events == connection.events:
            return
        if connection.events and events:
            self.selector.modify(connection.sock, events, connection)
        elif events:
            self.selector.register(connection.sock, events, connection)
        else:
            self.selector.unregister(connection.sock)
        connection.events = events

    def _close(self, connection: _Connection) -> None:
        if connection.closed:
            return
        connection.closed = True
        self.connections.discard(connection)
        if connection.events:
            try:
                self.selector.unregister(connection.sock)
            except (KeyError, ValueError):
                pass
        try:
            connection.sock.close()
        except OSError:
            pass


def is_address_in_use(error: OSError) -> bool:
    return error.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1))
