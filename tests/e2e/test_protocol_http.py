"""Spec §A.1/§A.2 over real sockets against real Anki: framing, banner, preflight,
exact headers, JSON formatting, and the HTTP features we add (keep-alive, pipelining,
chunked bodies, ``Expect: 100-continue``, size limits, Host check, IPv6, bad input)."""

from __future__ import annotations

import json
import socket
import struct
import time

import pytest

from .harness import AnkiInstance, RawConnection
from .support import http_request, json_body

BANNER = b'{"apiVersion": "AnkiConnect v.6"}'


def ok_head(length: int, origin: str = "http://localhost", *, closing: bool = False) -> bytes:
    """The exact status line and headers of a 200 (§A.2), in order; a reply after
    which the server closes also says ``Connection: close`` (last)."""
    return (
        b"HTTP/1.1 200 OK\r\n"
        b"Content-Type: application/json\r\n"
        + f"Access-Control-Allow-Origin: {origin}\r\n".encode()
        + b"Access-Control-Allow-Headers: *\r\n"
        + f"Content-Length: {length}\r\n".encode()
        + (b"Connection: close\r\n" if closing else b"")
        + b"\r\n"
    )


# --------------------------------------------------------------------------- banner


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE", "HEAD"])
def test_empty_body_gets_the_json_banner_for_any_method(anki: AnkiInstance, method: str) -> None:
    raw = anki.send_raw(http_request(anki, method=method))
    # HEAD gets the banner's body too, as from the original; the connection then ends,
    # so a client cannot take those bytes for the start of its next reply.
    assert raw == ok_head(len(BANNER), closing=method == "HEAD") + BANNER


def test_banner_ignores_path_and_query(anki: AnkiInstance) -> None:
    request = f"GET /some/path?x=1 HTTP/1.0\r\nHost: 127.0.0.1:{anki.port}\r\n\r\n".encode()
    assert anki.send_raw(request) == ok_head(len(BANNER), closing=True) + BANNER


def test_get_with_a_json_body_is_executed(anki: AnkiInstance) -> None:
    raw = anki.send_raw(http_request(anki, json_body("version"), method="GET"))
    body = b'{"result": 6, "error": null}'
    assert raw == ok_head(len(body)) + body


# --------------------------------------------------------------------------- exact framing


def test_200_has_exact_status_line_headers_order_and_stays_open(anki: AnkiInstance) -> None:
    with anki.raw_connection() as conn:
        conn.send(http_request(anki, json_body("version")))
        response = conn.read_response()
        assert not conn.is_closed_by_peer(wait=0.3), "HTTP/1.1 persists by default"
    assert (response.status, response.reason) == (200, "OK")
    body = b'{"result": 6, "error": null}'
    assert response.headers == [
        ("Content-Type", "application/json"),
        ("Access-Control-Allow-Origin", "http://localhost"),
        ("Access-Control-Allow-Headers", "*"),
        ("Content-Length", str(len(body))),
    ]
    assert response.body == body


def test_403_has_no_content_type_no_length_and_empty_body(anki: AnkiInstance) -> None:
    raw = anki.send_raw(
        http_request(anki, json_body("version"), {"Origin": "https://evil.example"})
    )
    assert raw == (
        b"HTTP/1.1 403 Forbidden\r\n"
        b"Access-Control-Allow-Origin: http://localhost\r\n"
        b"Access-Control-Allow-Headers: *\r\n"
        b"Connection: close\r\n\r\n"  # no Content-Length: its end is the connection's
    )


@pytest.mark.parametrize(
    ("origin", "acao"),
    [
        ("https://evil.example", "http://localhost"),
        ("http://127.0.0.1:3000", "http://127.0.0.1:3000"),
        (None, "http://localhost"),
    ],
)
def test_options_preflight_without_private_network(
    anki: AnkiInstance, origin: str | None, acao: str
) -> None:
    headers = {"Access-Control-Request-Method": "POST"}
    if origin is not None:
        headers["Origin"] = origin
    raw = anki.send_raw(http_request(anki, method="OPTIONS", headers=headers))
    assert raw == ok_head(0, acao)


def test_options_preflight_with_private_network(anki: AnkiInstance) -> None:
    headers = {
        "Origin": "chrome-extension://abc",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Private-Network": "true",
    }
    raw = anki.send_raw(http_request(anki, method="OPTIONS", headers=headers))
    assert raw == (
        ok_head(0, "chrome-extension://abc")[:-2]
        + b"Access-Control-Allow-Private-Network: true\r\n\r\n"
    )
    assert b"Access-Control-Allow-Methods" not in raw


def test_options_with_a_body_does_not_execute_it(anki: AnkiInstance) -> None:
    before = anki.invoke("deckNames")
    raw = anki.send_raw(
        http_request(anki, json_body("createDeck", deck="From OPTIONS"), method="OPTIONS")
    )
    assert raw == ok_head(0)
    assert anki.invoke("deckNames") == before


def test_json_dumps_formatting_and_ascii_escapes(anki: AnkiInstance) -> None:
    name = "Ünïcode ✓ 日本"
    anki.invoke("createDeck", deck=name)
    try:
        status, headers, body = anki.post_raw(json_body("deckNames"))
        assert status == 200
        assert headers["Content-Length"] == str(len(body))
        body.decode("ascii")  # non-ASCII is escaped, never sent raw
        assert b"\\u00dcn\\u00efcode \\u2713 \\u65e5\\u672c" in body
        decoded = json.loads(body)
        assert name in decoded["result"]
        # exactly Python's json.dumps defaults: ", " and ": ", result before error
        assert body == json.dumps(decoded).encode()
        assert body.startswith(b'{"result": ["') and body.endswith(b'], "error": null}')
    finally:
        anki.invoke("deleteDecks", decks=[name], cardsToo=True)


# Connection reuse, HTTP/1.0, `Connection: close`, pipelining and time-outs:
# test_protocol_persistence.py.


# --------------------------------------------------------------------------- bodies


def test_chunked_request_body(anki: AnkiInstance) -> None:
    body = json_body("version")
    chunks = [body[:5], body[5:17], body[17:]]
    encoded = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"
    request = (
        http_request(anki, headers={"Transfer-Encoding": "chunked"}, content_length=False) + encoded
    )
    with anki.raw_connection() as conn:
        for piece in (request[:40], request[40:90], request[90:]):  # split anywhere
            conn.send(piece)
        response = conn.read_response()
    assert response.status == 200
    assert response.json() == {"result": 6, "error": None}


def test_chunked_body_with_extensions_and_trailers(anki: AnkiInstance) -> None:
    body = json_body("version")
    encoded = b"%X;name=value\r\n%s\r\n0\r\nX-Trailer: yes\r\n\r\n" % (len(body), body)
    request = http_request(anki, headers={"Transfer-Encoding": "chunked"}) + encoded
    with anki.raw_connection() as conn:
        conn.send(request)
        assert conn.read_response().json() == {"result": 6, "error": None}


@pytest.mark.parametrize("size_line", [b"zz", b"-5", b"0x5", b"+5"])
def test_bad_chunk_size_is_400_with_json_error(anki: AnkiInstance, size_line: bytes) -> None:
    request = http_request(anki, headers={"Transfer-Encoding": "chunked"})
    with anki.raw_connection() as conn:
        conn.send(request + size_line + b"\r\nhello\r\n0\r\n\r\n")
        response = conn.read_response()
        assert conn.is_closed_by_peer(wait=2.0)
    assert response.status == 400
    assert response.json()["result"] is None
    assert response.json()["error"]


def test_expect_100_continue(anki: AnkiInstance) -> None:
    body = json_body("version")
    head = http_request(anki, headers={"Expect": "100-continue", "Content-Length": str(len(body))})
    with anki.raw_connection() as conn:
        conn.send(head)
        interim = conn.read_response()
        assert (interim.status, interim.reason, interim.body) == (100, "Continue", b"")
        conn.send(body)
        response = conn.read_response()
    assert response.json() == {"result": 6, "error": None}


def test_body_split_across_packets_is_reassembled(anki: AnkiInstance) -> None:
    request = http_request(anki, json_body("version"))
    with anki.raw_connection() as conn:
        for byte in range(len(request)):
            conn.send(request[byte : byte + 1])
        assert conn.read_response().json() == {"result": 6, "error": None}


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "12 34", "²"])
def test_invalid_content_length_is_400_with_json_error(anki: AnkiInstance, value: str) -> None:
    request = http_request(
        anki, b'{"action": "version"}', {"Content-Length": value}, content_length=False
    )
    with anki.raw_connection() as conn:
        conn.send(request)
        response = conn.read_response()
        assert conn.is_closed_by_peer(wait=2.0)
    assert response.status == 400
    assert response.header("Content-Type") == "application/json"
    reply = response.json()
    assert reply["result"] is None
    assert "Content-Length" in reply["error"]


def test_oversized_headers_are_431(anki: AnkiInstance) -> None:
    request = http_request(anki, headers={"X-Padding": "a" * (70 * 1024)})
    with anki.raw_connection() as conn:
        conn.send(request)
        response = conn.read_response()
    assert response.status == 431
    assert response.reason == "Request Header Fields Too Large"
    assert response.json()["result"] is None
    assert anki.call("version") == {"result": 6, "error": None}


# --------------------------------------------------------------------------- Host header


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "localhost:8765",
        "127.0.0.1",
        "127.0.0.1:1",
        "127.1.2.3:99",
        "[::1]",
        "[::1]:8765",
        "LOCALHOST:80",
    ],
)
def test_loopback_host_names_pass(anki: AnkiInstance, host: str) -> None:
    raw = anki.send_raw(http_request(anki, json_body("version"), host=host))
    assert raw.startswith(b"HTTP/1.1 200 OK\r\n")
    assert raw.endswith(b'{"result": 6, "error": null}')


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:8765",
        "localhost.evil.example",
        "10.0.0.1:8765",
        "[2001:db8::1]",
    ],
)
def test_foreign_host_is_refused_with_json_error_and_not_executed(
    anki: AnkiInstance, host: str
) -> None:
    before = anki.invoke("deckNames")
    with anki.raw_connection() as conn:
        conn.send(http_request(anki, json_body("createDeck", deck="Rebound"), host=host))
        response = conn.read_response()
    assert response.status == 403
    assert response.header("Content-Type") == "application/json"
    reply = response.json()
    assert reply["result"] is None
    assert "webAllowedHosts" in reply["error"] and host in reply["error"]
    assert anki.invoke("deckNames") == before


def test_foreign_host_is_refused_even_for_the_banner(anki: AnkiInstance) -> None:
    status, _headers, _body = anki.post_raw(b"", {"Host": "rebind.example"}, method="GET")
    assert status == 403


# --------------------------------------------------------------------------- IPv6


def test_ipv6_loopback_is_served_too(anki: AnkiInstance) -> None:
    with socket.create_connection(("::1", anki.port), timeout=5) as sock:
        sock.sendall(http_request(anki, json_body("version"), host=f"[::1]:{anki.port}"))
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 200 OK\r\n")
    assert data.endswith(b'{"result": 6, "error": null}')


# --------------------------------------------------------------------------- bad input


def test_garbage_bytes_then_server_still_serves(anki: AnkiInstance) -> None:
    garbage = bytes(range(256)) * 4
    # no header terminator: the server waits; closing the socket must not hurt it
    assert anki.send_raw(garbage) == b""
    # a terminator after garbage: parsed as some request with an empty body
    raw = anki.send_raw(b"\x00\xff\xfe garbage \x01\r\nx\r\n\r\n")
    assert raw == b"" or raw.startswith(b"HTTP/1.1 ")
    assert anki.call("version") == {"result": 6, "error": None}


def test_truncated_request_then_close_gets_no_response_and_does_not_run(
    anki: AnkiInstance,
) -> None:
    before = anki.invoke("deckNames")
    body = json_body("createDeck", deck="Truncated")
    request = http_request(anki, body)
    assert anki.send_raw(request[:-5]) == b""
    assert anki.call("version") == {"result": 6, "error": None}
    assert anki.invoke("deckNames") == before


def test_stalled_client_does_not_block_others(anki: AnkiInstance) -> None:
    request = http_request(anki, json_body("version"))
    with anki.raw_connection() as slow:
        slow.send(request[:20])  # headers unfinished
        for index in range(3):
            slow.send(request[20 + index : 21 + index])  # a byte now and then
            started = time.monotonic()
            assert anki.call("version") == {"result": 6, "error": None}
            assert time.monotonic() - started < 1.0
        with anki.raw_connection() as stalled_body:
            stalled_body.send(request[:-3])  # headers complete, body incomplete
            started = time.monotonic()
            assert anki.invoke("deckNames")
            assert time.monotonic() - started < 1.0
            stalled_body.send(request[-3:])
            assert stalled_body.read_response().json() == {"result": 6, "error": None}
        slow.send(request[23:])
        assert slow.read_response().json() == {"result": 6, "error": None}


def test_thousand_connections_opened_and_dropped(anki: AnkiInstance) -> None:
    sockets: list[socket.socket] = []
    try:
        for index in range(1000):
            sock = socket.create_connection(("127.0.0.1", anki.port), timeout=10)
            if index % 2:
                # close with RST instead of FIN
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            if index % 3 == 0:
                sock.sendall(b"POST / HTTP/1.1\r\nContent-Le")
            sockets.append(sock)
    finally:
        for sock in sockets:
            sock.close()
    started = time.monotonic()
    assert anki.call("version") == {"result": 6, "error": None}
    assert time.monotonic() - started < 1.0
    with RawConnection("127.0.0.1", anki.port) as conn:
        conn.send(http_request(anki, json_body("deckNames", version=4)))
        assert "Default" in conn.read_response().json()
