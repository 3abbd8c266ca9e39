"""HTTP/1.1 connection semantics (RFC 9112 §9) against a real headless Anki, and the one
readiness-driven code path with a Windows-like selector forced.

HTTP/1.1 connections persist unless the client says ``Connection: close``; HTTP/1.0
ones only with ``Connection: keep-alive``; a reply after which the server closes says
``Connection: close``; idle and stalled connections close after ``webIdleTimeout``
(5 s by default), a stalled request without a reply.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from .conftest import AnkiFactory
from .harness import AnkiInstance, RawConnection
from .support import anki_eval, http_request, json_body

VERSION_6 = {"result": 6, "error": None}
IDLE_TIMEOUT_S = 5.0  # the default webIdleTimeout


def http10_request(anki: AnkiInstance, body: bytes, headers: dict[str, str] | None = None) -> bytes:
    return http_request(anki, body, headers).replace(b" HTTP/1.1\r\n", b" HTTP/1.0\r\n", 1)


def connection_header(conn: RawConnection) -> tuple[dict[str, object], str | None]:
    response = conn.read_response()
    return response.json(), response.header("Connection")


# --------------------------------------------------------------------------- HTTP/1.1 reuse


def test_two_and_ten_requests_on_one_http11_connection_without_a_connection_header(
    anki: AnkiInstance,
) -> None:
    for count in (2, 10):
        with anki.raw_connection() as conn:
            for index in range(count):
                conn.send(http_request(anki, json_body("version")))
                response = conn.read_response()
                assert response.json() == VERSION_6, index
                assert response.header("Connection") is None  # persistent is the default
            assert not conn.is_closed_by_peer(wait=0.2)


def test_an_http_client_library_reuses_its_connection(anki: AnkiInstance) -> None:
    """What .NET's HttpClient, Go's net/http and libcurl do: the second request goes out
    on the first one's socket. Before, it met a reset."""
    client = http.client.HTTPConnection(anki.host, anki.port, timeout=10)
    try:
        ports = set()
        for action in ["version", "deckNames", "version"] + ["getActiveProfile"] * 7:
            client.request("POST", "/", json_body(action), {"Content-Type": "application/json"})
            reply = json.loads(client.getresponse().read())
            assert reply["error"] is None, action
            assert client.sock is not None
            ports.add(client.sock.getsockname()[1])
        assert len(ports) == 1, "every request on the same connection"
    finally:
        client.close()


def test_connection_close_gets_connection_close_and_then_eof(anki: AnkiInstance) -> None:
    """A client that reads until the socket closes still gets its reply and the EOF."""
    with anki.raw_connection() as conn:
        conn.send(http_request(anki, json_body("version"), {"Connection": "close"}))
        raw = conn.read_all()  # returns only because the server closes at once
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[-1] == b"Connection: close"
    assert json.loads(body) == VERSION_6


def test_pipelined_requests_are_answered_in_order_on_a_persistent_connection(
    anki: AnkiInstance,
) -> None:
    with anki.raw_connection() as conn:
        # a collection action (queued), instant ones, a GUI-thread one, then the close
        conn.send(
            http_request(anki, json_body("deckNames", version=4))
            + http_request(anki, json_body("version"))
            + http_request(anki, json_body("getActiveProfile", version=4))
            + http_request(anki, json_body("version", version=5), {"Connection": "close"})
        )
        responses = [conn.read_response() for _ in range(4)]
        assert conn.is_closed_by_peer(wait=2.0)
    assert "Default" in responses[0].json()
    assert responses[1].json() == VERSION_6
    assert responses[2].json() == "User 1"
    assert responses[3].json() == VERSION_6
    assert [r.header("Connection") for r in responses] == [None, None, None, "close"]
    for response in responses[:3]:  # the original's headers, nothing added
        assert [name for name, _ in response.headers] == [
            "Content-Type",
            "Access-Control-Allow-Origin",
            "Access-Control-Allow-Headers",
            "Content-Length",
        ]


def test_requests_after_connection_close_are_not_run(anki: AnkiInstance) -> None:
    before = anki.invoke("deckNames")
    with anki.raw_connection() as conn:
        conn.send(
            http_request(anki, json_body("version"), {"Connection": "close"})
            + http_request(anki, json_body("createDeck", deck="AfterClose"))
        )
        assert conn.read_response().json() == VERSION_6
        assert conn.is_closed_by_peer(wait=2.0)
    assert anki.invoke("deckNames") == before


# --------------------------------------------------------------------------- HTTP/1.0


def test_http10_without_keep_alive_is_answered_with_connection_close_then_closed(
    anki: AnkiInstance,
) -> None:
    with anki.raw_connection() as conn:
        conn.send(http10_request(anki, json_body("version")))
        assert connection_header(conn) == (VERSION_6, "close")
        assert conn.is_closed_by_peer(wait=2.0)


def test_http10_with_keep_alive_stays_open_and_says_so(anki: AnkiInstance) -> None:
    keep = {"Connection": "keep-alive"}
    with anki.raw_connection() as conn:
        for _ in range(3):
            conn.send(http10_request(anki, json_body("version"), keep))
            assert connection_header(conn) == (VERSION_6, "keep-alive")
        assert not conn.is_closed_by_peer(wait=0.2)
        conn.send(http10_request(anki, json_body("version")))  # no keep-alive: the last
        assert connection_header(conn) == (VERSION_6, "close")
        assert conn.is_closed_by_peer(wait=2.0)


def test_256_simultaneous_clients_are_all_answered_each_twice(anki: AnkiInstance) -> None:
    clients = 256
    barrier = threading.Barrier(clients)

    def one(_index: int) -> list[object]:
        with anki.raw_connection(timeout=30) as conn:
            barrier.wait()
            replies = []
            for _ in range(2):  # a new connection, then reused
                conn.send(http_request(anki, json_body("version")))
                replies.append(conn.read_response().json())
            return replies

    with ThreadPoolExecutor(max_workers=clients) as pool:
        results = list(pool.map(one, range(clients)))
    assert results == [[VERSION_6, VERSION_6]] * clients


# --------------------------------------------------------------------------- time-outs


def test_idle_and_stalled_connections_are_closed_after_five_seconds(anki: AnkiInstance) -> None:
    """Both run at once to spend the 5 s only once. The stalled request is never run."""
    before = anki.invoke("deckNames")
    request = http_request(anki, json_body("createDeck", deck="Stalled"))
    with anki.raw_connection() as idle, anki.raw_connection() as stalled:
        idle.send(http_request(anki, json_body("version")))
        assert idle.read_response().json() == VERSION_6
        stalled.send(request[:-3])  # headers complete, the body is not
        started = time.monotonic()
        assert stalled.is_closed_by_peer(wait=IDLE_TIMEOUT_S + 5)
        assert stalled.read_all() == b"", "closed without a reply"
        assert idle.is_closed_by_peer(wait=2.0)
        waited = time.monotonic() - started
    assert IDLE_TIMEOUT_S - 1 < waited < IDLE_TIMEOUT_S + 5
    assert anki.invoke("deckNames") == before


def test_a_connection_that_keeps_talking_is_not_timed_out(anki: AnkiInstance) -> None:
    with anki.raw_connection() as conn:
        for _ in range(4):  # 6 s in all, more than the time-out; each pause shorter
            conn.send(http_request(anki, json_body("version")))
            assert conn.read_response().json() == VERSION_6
            time.sleep(1.5)
        conn.send(http_request(anki, json_body("version")))
        assert conn.read_response().json() == VERSION_6


# --------------------------------------------------------------------------- one code path

NO_POLLING = """
import selectors
from aqt.qt import QTimer
driver = service.driver
timers = driver.findChildren(QTimer)
result = {
    "select": selectors.DefaultSelector is selectors.SelectSelector,
    "server_has_selector": hasattr(service.server, "selector"),
    "repeating_timers": [t.interval() for t in timers if not t.isSingleShot()],
    "timers": len(timers),
    "app_nap": service.app_nap is not None,
}
"""


def test_windows_like_selector_forced_requests_are_answered_without_a_tick(
    anki_factory: AnkiFactory,
) -> None:
    """With selectors.DefaultSelector replaced by Windows' select() selector (the set-up
    the issue measured 50 ms in), nothing polls and requests are answered at once: the
    server never used a selector, so there is no other path to fall back to."""
    forced = anki_factory(extra_env={"ANKICONNECT_FORCE_SELECTOR": "select"})
    state = anki_eval(forced, NO_POLLING)
    assert state == {
        "select": True,
        "server_has_selector": False,
        "repeating_timers": [],
        "timers": 1,  # the single-shot time-out timer
        "app_nap": False,  # macOS only
    }
    request = http_request(forced, json_body("version"), {"Connection": "close"})
    started = time.monotonic()
    for _ in range(50):
        with forced.raw_connection() as conn:
            conn.send(request)
            assert conn.read_response().json() == VERSION_6
    elapsed = time.monotonic() - started
    # One 25 ms poll tick per request would take 1.25 s, the old two ticks 2.5 s.
    assert elapsed < 50 * 0.025, f"{elapsed:.2f} s for 50 new connections"
    with forced.raw_connection() as conn:  # and keep-alive on the same path
        for _ in range(10):
            conn.send(http_request(forced, json_body("version")))
            assert conn.read_response().json() == VERSION_6
