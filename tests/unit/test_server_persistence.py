"""Connection reuse (RFC 9112 §9), time-outs, and the absence of any polling, on the real
server woken by the real Qt driver (``server_support``)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest
from aqt.qt import QTimer

from plugin.config import Settings
from plugin.http.parser import HttpRequest
from plugin.http.response import (
    HttpResponse,
    client_keeps_alive,
    connection_header,
    is_self_delimited,
)
from plugin.http.server import Limits, Respond
from tests.unit.server_support import (
    VERSION_BODY,
    VERSION_REPLY,
    Running,
    is_closed,
    post,
    read_all,
    read_response_keep,
    running,
)


@pytest.fixture
def srv() -> Iterator[Running]:
    with running() as server:
        yield server


def request(
    version: str = "HTTP/1.1", connection: str | None = None, method: str = "POST"
) -> HttpRequest:
    headers = {} if connection is None else {"connection": connection}
    return HttpRequest(method, "/", version, headers, b"")


# --- the rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "connection", "persists"),
    [
        ("HTTP/1.1", None, True),
        ("HTTP/1.1", "keep-alive", True),
        ("HTTP/1.1", "close", False),
        ("HTTP/1.1", "Keep-Alive, Close", False),
        ("HTTP/1.1", "upgrade", True),
        ("HTTP/1.0", None, False),
        ("HTTP/1.0", "keep-alive", True),
        ("HTTP/1.0", "KEEP-ALIVE", True),
        ("HTTP/1.0", "keep-alive, close", False),
        ("HTTP/2.0", None, True),
        ("HTTP/7.3", None, True),
        ("HTTP/x.y", None, False),  # unreadable: treated as 1.0
        ("FOO/1.1", None, False),
    ],
)
def test_which_requests_keep_the_connection(
    version: str, connection: str | None, persists: bool
) -> None:
    assert client_keeps_alive(request(version, connection)) is persists


def test_the_connection_header_a_reply_gets() -> None:
    assert connection_header(request("HTTP/1.1"), keep_open=True) is None
    assert connection_header(request("HTTP/1.1"), keep_open=False) == ("Connection", "close")
    assert connection_header(request("HTTP/1.0"), keep_open=True) == ("Connection", "keep-alive")
    assert connection_header(request("HTTP/1.0"), keep_open=False) == ("Connection", "close")


def test_only_replies_with_a_length_and_not_to_head_leave_the_connection_open() -> None:
    framed = HttpResponse(200, [("Content-Length", "2")], b"{}")
    unframed = HttpResponse(403, [("Access-Control-Allow-Origin", "http://localhost")])
    assert is_self_delimited(request(), framed)
    assert not is_self_delimited(request(), unframed)
    assert not is_self_delimited(request(method="HEAD"), framed)


def test_default_time_out_is_five_seconds() -> None:
    assert Limits().idle_timeout == 5.0
    assert Settings().webIdleTimeout == 5000


# --- reuse over real sockets -------------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 10])
def test_requests_on_one_http11_connection_without_a_connection_header(
    srv: Running, count: int
) -> None:
    with srv.connect() as sock:
        for _ in range(count):
            sock.sendall(post(VERSION_BODY))
            status, headers, body = read_response_keep(sock)
            assert (status, body) == (b"HTTP/1.1 200 OK", VERSION_REPLY)
            assert "Connection" not in headers
        assert not is_closed(sock, timeout=0.2)
    assert len(srv.server.connections) <= 1


def test_http10_persists_only_with_keep_alive(srv: Running) -> None:
    with srv.connect() as sock:
        sock.sendall(post(VERSION_BODY, "Connection: keep-alive", version="HTTP/1.0"))
        _, headers, body = read_response_keep(sock)
        assert (headers["Connection"], body) == ("keep-alive", VERSION_REPLY)
        sock.sendall(post(VERSION_BODY, version="HTTP/1.0"))
        _, headers, body = read_response_keep(sock)
        assert (headers["Connection"], body) == ("close", VERSION_REPLY)
        assert is_closed(sock)


def test_connection_close_is_answered_with_connection_close_then_eof(srv: Running) -> None:
    with srv.connect() as sock:
        # the pipelined second request comes after `close`: never answered
        sock.sendall(post(VERSION_BODY, "Connection: close") + post(VERSION_BODY))
        raw = read_all(sock)  # ends because the server closes, not at a time-out
    assert raw.endswith(b"Content-Length: 28\r\nConnection: close\r\n\r\n" + VERSION_REPLY)
    assert raw.count(b"HTTP/1.1 200 OK") == 1


def test_pipelined_requests_are_answered_in_order(srv: Running) -> None:
    bodies = [
        b'{"action": "version"}',
        b'{"action": "apiReflect", "version": 6, "params": {"scopes": []}}',
        b'{"action": "nope", "version": 6}',
        b"",
    ]
    raw = b"".join(post(b) for b in bodies) + post(VERSION_BODY, "Connection: close")
    with srv.connect() as sock:
        sock.sendall(raw)
        replies = [read_response_keep(sock)[2] for _ in range(5)]
        assert is_closed(sock)
    assert replies == [
        b"6",
        b'{"result": {"scopes": []}, "error": null}',
        b'{"result": null, "error": "unsupported action"}',
        b'{"apiVersion": "AnkiConnect v.6"}',
        VERSION_REPLY,
    ]


def test_a_thousand_pipelined_requests_in_one_write(srv: Running) -> None:
    """Synchronous replies are served by a loop, not by recursion."""
    with srv.connect(timeout=20) as sock:
        sock.sendall(post(VERSION_BODY) * 1000)
        for _ in range(1000):
            assert read_response_keep(sock)[2] == VERSION_REPLY


def test_a_client_that_half_closes_gets_every_reply_then_eof(srv: Running) -> None:
    with srv.connect() as sock:
        sock.sendall(post(VERSION_BODY) * 3)
        sock.shutdown(socket.SHUT_WR)
        assert read_all(sock).count(VERSION_REPLY) == 3


# --- time-outs ----------------------------------------------------------------------------------


def test_idle_persistent_connection_is_closed_after_the_idle_timeout() -> None:
    with running(limits=Limits(idle_timeout=0.3)) as srv, srv.connect() as sock:
        sock.sendall(post(VERSION_BODY))
        assert read_response_keep(sock)[2] == VERSION_REPLY
        started = time.monotonic()
        assert is_closed(sock, timeout=3)
        assert 0.2 < time.monotonic() - started < 2.5


def test_stalled_body_is_closed_without_a_reply() -> None:
    with running(limits=Limits(idle_timeout=0.3)) as srv, srv.connect() as sock:
        sock.sendall(post(VERSION_BODY)[:-5])
        started = time.monotonic()
        assert is_closed(sock, timeout=3)
        assert 0.2 < time.monotonic() - started < 2.5
        sock.settimeout(1)
        assert read_all(sock) == b""


class SlowApp:
    """Answers each request 0.6 s later, from a single-shot timer on the server thread."""

    def handle(self, request: HttpRequest, respond: Respond) -> None:
        def answer() -> None:
            respond(HttpResponse(200, [("Content-Length", "4")], b"late"))

        QTimer.singleShot(600, answer)

    def protocol_error(self, status: int, message: str) -> HttpResponse:
        return HttpResponse(status, [("Content-Length", "0")])


def test_a_request_being_worked_on_is_never_timed_out() -> None:
    with running(SlowApp(), limits=Limits(idle_timeout=0.2)) as srv, srv.connect() as sock:
        for _ in range(2):  # each reply comes after three time-outs' worth of silence
            sock.sendall(b"GET / HTTP/1.1\r\n\r\n")
            assert read_response_keep(sock)[2] == b"late"
        assert is_closed(sock, timeout=3)  # idle afterwards: now the time-out applies


# --- nothing polls --------------------------------------------------------------------------


def timer_state(srv: Running) -> tuple[list[bool], bool]:
    def read() -> tuple[list[bool], bool]:
        timers = srv.driver.findChildren(QTimer)
        return [t.isSingleShot() for t in timers], srv.driver.deadline_timer.isActive()

    result: tuple[list[bool], bool] = srv.on_server_thread(read)
    return result


def test_no_poll_timer_and_no_timer_at_all_while_nobody_is_connected() -> None:
    with running(limits=Limits(idle_timeout=0.2)) as srv:
        assert not hasattr(srv.server, "selector")
        assert timer_state(srv) == ([True], False)  # one single-shot timer, not running
        sock = srv.connect()
        sock.sendall(post(VERSION_BODY))
        assert read_response_keep(sock)[2] == VERSION_REPLY
        assert timer_state(srv) == ([True], True)  # armed for the idle connection
        assert is_closed(sock, timeout=3)
        sock.close()
        deadline = time.monotonic() + 3
        while timer_state(srv)[1] and time.monotonic() < deadline:
            time.sleep(0.02)
        assert timer_state(srv) == ([True], False)  # nothing left to time out: no wake-ups
