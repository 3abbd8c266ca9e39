"""The incremental HTTP request parser (spec §A.1 framing, plus chunked/pipelining/limits)."""

from __future__ import annotations

import time

import pytest

from plugin.http.parser import HttpRequest, ParseFailure, RequestParser
from plugin.http.response import client_keeps_alive

MiB = 1024 * 1024


def parser(max_header: int = 64 * 1024, max_body: int = 10 * MiB) -> RequestParser:
    return RequestParser(max_header_bytes=max_header, max_body_bytes=max_body)


def parse_one(raw: bytes, **limits: int) -> HttpRequest | ParseFailure | None:
    p = parser(**limits)
    p.feed(raw)
    return p.next_request()


def request(raw: bytes, **limits: int) -> HttpRequest:
    item = parse_one(raw, **limits)
    assert isinstance(item, HttpRequest), item
    return item


def failure(raw: bytes, **limits: int) -> ParseFailure:
    item = parse_one(raw, **limits)
    assert isinstance(item, ParseFailure), item
    return item


# --- request line and headers ---------------------------------------------------------


def test_simple_post_with_content_length() -> None:
    req = request(b"POST /anything?x=1 HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello")
    assert req.method == "POST"
    assert req.target == "/anything?x=1"
    assert req.http_version == "HTTP/1.1"
    assert req.body == b"hello"
    assert req.headers == {"content-length": "5"}


def test_method_is_upper_cased() -> None:
    assert request(b"options / HTTP/1.1\r\n\r\n").method == "OPTIONS"


def test_header_names_lower_cased_and_last_duplicate_wins() -> None:
    req = request(b"GET / HTTP/1.1\r\nX-Thing: one\r\nx-THING: two\r\nOrigin: http://a\r\n\r\n")
    assert req.headers["x-thing"] == "two"
    assert req.header("origin") == "http://a"
    assert req.header("missing") is None


def test_header_lines_without_colon_space_separator_are_ignored() -> None:
    # The original splits on the exact 2-byte ": "; "Content-Length:5" is not a header.
    req = request(b"POST / HTTP/1.1\r\nContent-Length:5\r\nGarbage\r\n\r\n")
    assert req.headers == {}
    assert req.body == b""


def test_missing_content_length_means_empty_body() -> None:
    p = parser()
    p.feed(b"POST / HTTP/1.1\r\nHost: x\r\n\r\n")
    first = p.next_request()
    assert isinstance(first, HttpRequest) and first.body == b""
    assert p.next_request() is None


def test_truncated_request_line_defaults() -> None:
    req = request(b"GET\r\n\r\n")
    assert (req.method, req.target, req.http_version) == ("GET", "/", "HTTP/1.0")
    empty = request(b"\r\n\r\n")
    assert empty.method == ""


@pytest.mark.parametrize(
    ("raw", "persists"),
    [
        (b"GET / HTTP/1.1\r\n\r\n", True),
        (b"GET / http/1.1\r\n\r\n", True),  # the version is upper-cased as parsed
        (b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", False),
        (b"GET / HTTP/1.1\r\nCONNECTION: Close\r\n\r\n", False),  # names lower-cased
        (b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", True),
        (b"GET /\r\n\r\n", False),  # no version: HTTP/1.0, which closes
        (b"GET\r\n\r\n", False),
    ],
)
def test_parsed_requests_feed_the_persistence_rule(raw: bytes, persists: bool) -> None:
    assert client_keeps_alive(request(raw)) is persists


def test_garbage_head_is_still_framed_without_crashing() -> None:
    req = request(b"\x00\xff\xfe garbage \x01\r\n\x80\x81: \x82\r\n\r\n")
    assert req.method == "\x00\xff\xfe".upper()
    assert req.headers == {"\x80\x81": "\x82"}


# --- incremental feeding -----------------------------------------------------------------


def test_byte_by_byte_feeding_gives_the_same_request() -> None:
    raw = b"POST / HTTP/1.1\r\nContent-Length: 11\r\nOrigin: http://x\r\n\r\nhello world"
    p = parser()
    results = []
    for i in range(len(raw)):
        p.feed(raw[i : i + 1])
        item = p.next_request()
        if item is not None:
            results.append(item)
    assert len(results) == 1
    assert isinstance(results[0], HttpRequest)
    assert results[0].body == b"hello world"
    assert results[0].headers["origin"] == "http://x"


def test_header_terminator_split_across_feeds() -> None:
    p = parser()
    p.feed(b"GET / HTTP/1.1\r\nA: b\r")
    assert p.next_request() is None
    p.feed(b"\n\r")
    assert p.next_request() is None
    p.feed(b"\n")
    item = p.next_request()
    assert isinstance(item, HttpRequest) and item.headers == {"a": "b"}


def test_awaiting_body_and_expects_continue() -> None:
    p = parser()
    p.feed(b"POST / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n")
    assert not p.awaiting_body
    assert p.next_request() is None
    assert p.awaiting_body and p.expects_continue
    p.feed(b"abc")
    item = p.next_request()
    assert isinstance(item, HttpRequest) and item.body == b"abc"
    assert not p.awaiting_body and not p.expects_continue


def test_an_http_1_0_expectation_of_continue_is_ignored() -> None:
    p = parser()
    p.feed(b"POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
    assert p.next_request() is None
    assert p.awaiting_body and not p.expects_continue


def test_no_expect_header_means_no_continue() -> None:
    p = parser()
    p.feed(b"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\n")
    assert p.next_request() is None
    assert p.awaiting_body and not p.expects_continue


# --- pipelining -----------------------------------------------------------------------------


def test_pipelined_requests_come_out_in_order() -> None:
    raw = b"".join(
        b"POST /%d HTTP/1.1\r\nContent-Length: %d\r\n\r\n%s"
        % (i, len(b"body%d" % i), b"body%d" % i)
        for i in range(5)
    )
    p = parser()
    p.feed(raw + b"GET /partial HTTP/1.1\r\n")
    bodies = []
    while isinstance(item := p.next_request(), HttpRequest):
        bodies.append((item.target, item.body))
    assert bodies == [(f"/{i}", b"body%d" % i) for i in range(5)]
    assert p.next_request() is None
    p.feed(b"\r\n")
    last = p.next_request()
    assert isinstance(last, HttpRequest) and last.target == "/partial"


def test_pipelined_chunked_then_sized() -> None:
    p = parser()
    p.feed(
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
        b"POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\nxy"
    )
    first, second = p.next_request(), p.next_request()
    assert isinstance(first, HttpRequest) and first.body == b"abc"
    assert isinstance(second, HttpRequest) and second.body == b"xy"


# --- chunked bodies ----------------------------------------------------------------------


def test_chunked_body_with_extensions_and_trailers() -> None:
    raw = (
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;name=value\r\nhello\r\n"
        b"1\r\n \r\n"
        b"A\r\n0123456789\r\n"
        b"0\r\nX-Trailer: yes\r\n\r\n"
    )
    assert request(raw).body == b"hello 0123456789"


def test_chunked_fed_byte_by_byte() -> None:
    raw = (
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n"
    )
    p = parser()
    items = []
    for i in range(len(raw)):
        p.feed(raw[i : i + 1])
        if (item := p.next_request()) is not None:
            items.append(item)
    assert [i.body for i in items if isinstance(i, HttpRequest)] == [b"Wikipedia"]


def test_transfer_encoding_chunked_wins_over_content_length() -> None:
    raw = (
        b"POST / HTTP/1.1\r\nContent-Length: 100\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"
        b"2\r\nok\r\n0\r\n\r\n"
    )
    assert request(raw).body == b"ok"


@pytest.mark.parametrize(
    "size_line",
    [b"zz", b"-1", b"0x5", b"+5", b"1_0", b"", b" "],
)
def test_invalid_chunk_size_is_400(size_line: bytes) -> None:
    raw = (
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        + size_line
        + b"\r\nhello\r\n0\r\n\r\n"
    )
    result = failure(raw)
    assert result.status == 400
    assert "chunk" in result.message


def test_chunk_data_not_followed_by_crlf_is_400() -> None:
    raw = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXY3\r\nabc\r\n0\r\n\r\n"
    assert failure(raw).status == 400


def test_overlong_chunk_size_line_is_400() -> None:
    raw = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + b"1" * 2000
    assert failure(raw).status == 400


def test_chunked_body_over_limit_is_413() -> None:
    raw = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n"
    result = failure(raw, max_body=10)
    assert result.status == 413
    assert "10 bytes" in result.message


def test_huge_chunk_size_is_413_without_waiting_for_data() -> None:
    raw = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + b"f" * 40 + b"\r\n"
    assert failure(raw, max_body=1000).status == 413


def test_oversized_trailers_are_431() -> None:
    raw = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n" + b"x" * 300
    assert failure(raw, max_header=200).status == 431


# --- limits and invalid framing ---------------------------------------------------------


def test_content_length_over_limit_is_413_before_the_body_arrives() -> None:
    result = failure(b"POST / HTTP/1.1\r\nContent-Length: 1001\r\n\r\n", max_body=1000)
    assert result.status == 413
    assert "1000 bytes" in result.message and "webMaxBodySize" in result.message


def test_content_length_at_limit_is_accepted() -> None:
    assert request(b"POST / HTTP/1.1\r\nContent-Length: 4\r\n\r\nabcd", max_body=4).body == b"abcd"


@pytest.mark.parametrize(
    "value",
    [b"abc", b"-1", b"+5", b"1e3", b"5, 5", b"0x10", b"\xb2", b"\xb9\xb3", b"1.0"],
)
def test_invalid_content_length_is_400(value: bytes) -> None:
    result = failure(b"POST / HTTP/1.1\r\nContent-Length: " + value + b"\r\n\r\nabc")
    assert result.status == 400
    assert result.message.startswith("invalid Content-Length")


def test_content_length_with_surrounding_spaces_is_accepted() -> None:
    assert request(b"POST / HTTP/1.1\r\nContent-Length:  3 \r\n\r\nabc").body == b"abc"


def test_headers_over_limit_without_terminator_are_431() -> None:
    p = parser(max_header=100)
    p.feed(b"GET / HTTP/1.1\r\n" + b"X: " + b"a" * 200)
    result = p.next_request()
    assert isinstance(result, ParseFailure) and result.status == 431


def test_headers_over_limit_with_terminator_are_431() -> None:
    result = failure(b"GET / HTTP/1.1\r\nX: " + b"a" * 200 + b"\r\n\r\n", max_header=100)
    assert result.status == 431


def test_headers_under_limit_are_accepted() -> None:
    assert request(b"GET / HTTP/1.1\r\nX: abc\r\n\r\n", max_header=100).headers == {"x": "abc"}


def test_failure_is_sticky() -> None:
    p = parser()
    p.feed(b"POST / HTTP/1.1\r\nContent-Length: nope\r\n\r\n")
    first = p.next_request()
    p.feed(b"GET / HTTP/1.1\r\n\r\n")
    assert p.next_request() == first
    assert p.failed == first


# --- linear time ----------------------------------------------------------------------------
# CPU time of this process, not wall time: other jobs on a busy machine must not make
# these fail, while quadratic buffering (seconds of CPU for 50 MiB) still does.


def test_fifty_mib_body_parses_in_well_under_a_second() -> None:
    size = 50 * MiB
    payload = b"x" * size
    p = parser(max_body=256 * MiB)
    p.feed(b"POST / HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % size)
    step = 256 * 1024
    started = time.process_time()
    item = p.next_request()
    for offset in range(0, size, step):
        p.feed(payload[offset : offset + step])
        item = p.next_request()
    elapsed = time.process_time() - started
    assert isinstance(item, HttpRequest) and len(item.body) == size
    assert elapsed < 0.8


def test_fifty_mib_chunked_body_parses_quickly() -> None:
    size = 50 * MiB
    chunk = 64 * 1024
    piece = b"%x\r\n" % chunk + b"y" * chunk + b"\r\n"
    p = parser(max_body=256 * MiB)
    p.feed(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
    started = time.process_time()
    item = p.next_request()
    for _ in range(size // chunk):
        p.feed(piece)
        item = p.next_request()
    p.feed(b"0\r\n\r\n")
    item = p.next_request()
    elapsed = time.process_time() - started
    assert isinstance(item, HttpRequest) and len(item.body) == size
    assert elapsed < 0.8


def test_head_fed_one_byte_at_a_time_is_linear() -> None:
    head = b"POST / HTTP/1.1\r\n" + b"X-A: b\r\n" * 6000 + b"\r\n"
    p = parser(max_header=128 * 1024)
    started = time.process_time()
    item = None
    for i in range(len(head)):
        p.feed(head[i : i + 1])
        item = p.next_request()
    assert isinstance(item, HttpRequest)
    assert time.process_time() - started < 0.5
