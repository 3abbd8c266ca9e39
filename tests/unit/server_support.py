"""Run the real server with the real Qt driver, as inside Anki, for the unit tests.

The server and its ``QtServerDriver`` live on a background thread that runs a Qt event
loop (a ``QCoreApplication`` exists once per test process; no window, no Anki). So
these tests exercise exactly what Anki runs: socket notifiers and one single-shot
time-out timer, no selector, no polling. Clients are plain sockets on the test thread.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from aqt.qt import QCoreApplication, QEventLoop, QObject, QTimer, pyqtSignal

from plugin.api import dispatch
from plugin.api.context import ActionContext, Caller
from plugin.api.web import WebApp
from plugin.config import Settings
from plugin.http.server import HttpServer, Limits
from plugin.qt_driver import QtServerDriver

VERSION_BODY = b'{"action": "version", "version": 6}'
VERSION_REPLY = b'{"result": 6, "error": null}'

_APP = QCoreApplication.instance() or QCoreApplication([])


def make_webapp(settings: Settings | None = None) -> WebApp:
    current = settings or Settings()

    def run_request(envelope: dict[str, Any], caller: Caller, done: Callable[[Any], None]) -> None:
        ctx = ActionContext(get_collection=lambda: None, settings=current, caller=caller)
        dispatch.run(envelope, ctx, done)

    return WebApp(lambda: current, run_request)


class RecordingDriver(QtServerDriver):
    """The real driver; errors it would only print are kept for the test to assert on."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: list[BaseException] = []

    def report(self, exc: BaseException) -> None:
        super().report(exc)
        self.errors.append(exc)


class _Control(QObject):
    """Lives on the server thread; its signals, emitted from the test thread, are queued."""

    quit = pyqtSignal()
    call = pyqtSignal(object)


class Running:
    """A server listening on 127.0.0.1 (or ``host``), served by a Qt loop on a thread."""

    def __init__(
        self,
        app: Any,
        limits: Limits | None,
        on_tick: Callable[[], None] | None,
        host: str = "127.0.0.1",
    ) -> None:
        self.host = host
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(app, limits, on_tick), daemon=True)
        self.thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("server thread did not start")
        if self._startup_error is not None:
            raise self._startup_error

    def _run(self, app: Any, limits: Limits | None, on_tick: Callable[[], None] | None) -> None:
        loop = QEventLoop()
        try:
            self.driver = RecordingDriver()
            self.server = HttpServer(app, self.driver, limits or Limits())
            self.server.listen(self.host, 0, 128)
            self.port = self.server.port
        except BaseException as exc:
            self._startup_error = exc
            self._ready.set()
            return
        control = _Control()
        control.quit.connect(loop.quit)
        control.call.connect(lambda fn: fn())
        self._control = control
        if on_tick is not None:  # test applications that answer later (not the server)
            ticker = QTimer()
            ticker.timeout.connect(on_tick)
            ticker.start(10)
        self._ready.set()
        loop.exec()
        self.server.close()
        self.driver.stop()

    @property
    def errors(self) -> list[BaseException]:
        return self.driver.errors

    def on_server_thread(self, fn: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Run ``fn`` on the server's thread (Qt objects belong to it); its result."""
        done = threading.Event()
        box: dict[str, Any] = {}

        def call() -> None:
            try:
                box["value"] = fn()
            finally:
                done.set()

        self._control.call.emit(call)
        if not done.wait(timeout):
            raise TimeoutError("the server thread did not run the call")
        return box.get("value")

    def connect(self, timeout: float = 5.0) -> socket.socket:
        return socket.create_connection((self.host, self.port), timeout=timeout)

    def shutdown(self) -> None:
        self._control.quit.emit()
        self.thread.join(5)


@contextmanager
def running(
    app: Any = None,
    limits: Limits | None = None,
    on_tick: Callable[[], None] | None = None,
    host: str = "127.0.0.1",
) -> Iterator[Running]:
    server = Running(app or make_webapp(), limits, on_tick, host)
    try:
        yield server
    finally:
        server.shutdown()
    assert not server.errors, f"the server raised: {server.errors!r}"


def post(body: bytes, *headers: str, method: str = "POST", version: str = "HTTP/1.1") -> bytes:
    head = [f"{method} / {version}", "Host: 127.0.0.1", f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def read_response(sock: socket.socket) -> tuple[bytes, dict[str, str], bytes]:
    """Read exactly one response that ends the connection: (status line, headers,
    body). Without Content-Length the body runs to the end of the stream (the 403)."""
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError(f"closed before a full head: {buffer!r}")
        buffer += data
    head, _, rest = buffer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    if "Content-Length" in headers:
        length = int(headers["Content-Length"])
        while len(rest) < length:
            data = sock.recv(max(65536, length - len(rest)))
            if not data:
                raise ConnectionError("closed inside the body")
            rest += data
        leftover = rest[length:]
        assert leftover == b"", f"unexpected bytes after the response: {leftover[:80]!r}"
        return lines[0].encode(), headers, rest[:length]
    while data := sock.recv(65536):
        rest += data
    return lines[0].encode(), headers, rest


def read_response_keep(sock: socket.socket) -> tuple[bytes, dict[str, str], bytes]:
    """Read one Content-Length-framed response, leaving later bytes for the next call."""
    buffer = bytearray()
    while b"\r\n\r\n" not in buffer:
        data = sock.recv(1)
        if not data:
            raise ConnectionError(bytes(buffer))
        buffer += data
    lines = buffer[:-4].decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    length = int(headers["Content-Length"])
    body = bytearray()
    while len(body) < length:
        data = sock.recv(length - len(body))
        if not data:
            raise ConnectionError("closed inside the body")
        body += data
    return lines[0].encode(), headers, bytes(body)


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    while data := sock.recv(65536):
        chunks.append(data)
    return b"".join(chunks)


def is_closed(sock: socket.socket, timeout: float = 2.0) -> bool:
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def roundtrip(srv: Running, raw: bytes) -> bytes:
    """Send, half-close (so a persistent connection ends after the reply), read to EOF."""
    with srv.connect() as sock:
        sock.sendall(raw)
        sock.shutdown(socket.SHUT_WR)
        return read_all(sock)


def version_ok(srv: Running) -> bool:
    reply = roundtrip(srv, post(VERSION_BODY))
    return reply.endswith(b"\r\n\r\n" + VERSION_REPLY)
