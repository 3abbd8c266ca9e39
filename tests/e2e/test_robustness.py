"""Hostile and broken input against the real add-on in real Anki (issue: "hostile input,
crashes and concurrency lose nothing and let no one in").

Every reply must be a valid response (a JSON reply or error, the spec's bare 403, or
our 400/413/431 JSON errors), the server must keep answering ``version`` after each
batch, and Anki's memory must stay bounded. Generated input comes from
``scripts/fuzz.py`` (the same campaigns run there for as long as you like); here each
campaign runs a CI-sized number of examples with a fixed seed.

Inputs that could run real actions go to a private instance (``fuzz_anki``) whose
config keeps media params away from the host's files and the network; the shared
``anki`` only receives requests that cannot change anything.
"""

from __future__ import annotations

import importlib.util
import json
import resource
import socket
import struct
import threading
import time
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from .harness import REPO_ROOT, AnkiInstance, RawConnection
from .support import http_request, json_body, private_instance

SEED = 20260


def _load_fuzz() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "_ankiconnect_fuzz", REPO_ROOT / "scripts/fuzz.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fuzz = _load_fuzz()


def report(what: str, count: int) -> None:
    """Counts of inputs tried, visible with ``pytest -s`` (summed in the issue report)."""
    print(f"\n[fuzz] {what}: {count} inputs")


@pytest.fixture(scope="module")
def fuzz_anki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnkiInstance]:
    """A private Anki that random params may change (it is thrown away after)."""
    base = tmp_path_factory.mktemp("fuzz") / "base"
    with private_instance(base, fuzz.FUZZ_CONFIG) as instance:
        yield instance


@pytest.fixture(scope="module")
def limits_anki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnkiInstance]:
    """Small limits so they are reached quickly: 64 KiB bodies, 0.5 s idle time-out."""
    base = tmp_path_factory.mktemp("limits") / "base"
    config = {"webMaxBodySize": 65536, "webIdleTimeout": 500}
    with private_instance(base, config) as instance:
        yield instance


def rss_mib(instance: AnkiInstance) -> float:
    assert instance.process is not None
    return fuzz.rss_kib(instance.process.pid) / 1024


def assert_valid(raw: bytes, *, allow_empty: bool = False) -> None:
    problem = fuzz.http_problem(raw, allow_empty=allow_empty)
    assert problem is None, f"{problem}: {raw[:300]!r}"


def status_of(raw: bytes) -> int:
    return int(raw.split(b" ", 2)[1])


def reply_of(raw: bytes) -> Any:
    assert_valid(raw)
    return json.loads(raw.partition(b"\r\n\r\n")[2])


def deck_names(instance: AnkiInstance) -> list[str]:
    return instance.invoke("deckNames")


# --------------------------------------------------------------------------- framing


def _head(instance: AnkiInstance, extra: str = "") -> str:
    return f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{instance.port}\r\n{extra}"


MALFORMED: list[tuple[str, str]] = [
    # (name, request with {head} standing for the request line and Host header)
    ("empty head", "\r\n\r\n"),
    ("request line only", "POST\r\n\r\n"),
    ("no version", "POST /\r\n\r\n"),
    ("truncated request line", "PO"),
    ("truncated header", "{head}Content-Le"),
    ("HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
    ("bare LF lines", "POST / HTTP/1.1\nHost: 127.0.0.1\n\n"),
    ("header without colon", "{head}NoColonHere\r\n\r\n"),
    ("header without space", "{head}Content-Length:5\r\n\r\n12345"),
    ("negative Content-Length", "{head}Content-Length: -1\r\n\r\n"),
    ("non-numeric Content-Length", "{head}Content-Length: abc\r\n\r\n"),
    ("hex Content-Length", "{head}Content-Length: 0x10\r\n\r\n"),
    ("float Content-Length", "{head}Content-Length: 1e3\r\n\r\n"),
    ("plus Content-Length", "{head}Content-Length: +5\r\n\r\n{body}"),
    ("superscript Content-Length", "{head}Content-Length: \u00b2\r\n\r\n"),
    ("list Content-Length", "{head}Content-Length: 5, 5\r\n\r\n"),
    ("huge Content-Length", "{head}Content-Length: 99999999999999999999999\r\n\r\n"),
    ("Content-Length 2^63", "{head}Content-Length: 9223372036854775808\r\n\r\n"),
    ("body shorter than announced", "{head}Content-Length: 500\r\n\r\n{body}"),
    ("two Content-Lengths", "{head}Content-Length: 3\r\nContent-Length: {len}\r\n\r\n{body}"),
    ("chunked", "{head}Transfer-Encoding: chunked\r\n\r\n{chunked}"),
    (
        "chunked + Content-Length",
        "{head}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n{chunked}",
    ),
    ("chunked bad hex", "{head}Transfer-Encoding: chunked\r\n\r\nzz\r\n{body}\r\n0\r\n\r\n"),
    ("chunked negative", "{head}Transfer-Encoding: chunked\r\n\r\n-5\r\n{body}\r\n0\r\n\r\n"),
    ("chunked 0x prefix", "{head}Transfer-Encoding: chunked\r\n\r\n0x5\r\n12345\r\n0\r\n\r\n"),
    ("chunked huge size", "{head}Transfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n"),
    ("chunked missing CRLF", "{head}Transfer-Encoding: chunked\r\n\r\n2\r\nabcd0\r\n\r\n"),
    ("chunked unterminated", "{head}Transfer-Encoding: chunked\r\n\r\n5\r\nab"),
    ("chunked long size line", "{head}Transfer-Encoding: chunked\r\n\r\n" + "1" * 3000),
    (
        "chunked with trailers",
        "{head}Transfer-Encoding: chunked\r\n\r\n{chunked_no_end}0\r\nX-T: 1\r\n\r\n",
    ),
    ("HTTP/1.0", "POST / HTTP/1.0\r\nContent-Length: {len}\r\n\r\n{body}"),
    ("HTTP/0.9 style", "GET /\r\n\r\n"),
    ("unknown version", "POST / HTTP/7.3\r\nContent-Length: {len}\r\n\r\n{body}"),
    (
        "absolute target",
        "POST http://evil.example/x HTTP/1.1\r\nContent-Length: {len}\r\n\r\n{body}",
    ),
    ("lower-case method", "post / HTTP/1.1\r\nContent-Length: {len}\r\n\r\n{body}"),
    ("expect continue then close", "{head}Expect: 100-continue\r\nContent-Length: {len}\r\n\r\n"),
    ("NUL bytes in head", "{head}X-\x00: \x00\r\n\r\n"),
    ("latin-1 header value", "{head}X-Name: caf\u00e9\r\nContent-Length: {len}\r\n\r\n{body}"),
    ("TLS client hello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + "\x00" * 40),
]


@pytest.mark.parametrize("name,template", MALFORMED, ids=[name for name, _ in MALFORMED])
def test_malformed_request_gets_a_valid_answer_or_none(
    anki: AnkiInstance, name: str, template: str
) -> None:
    body = json_body("version").decode()
    request = template.format(
        head=_head(anki),
        body=body,
        len=len(body),
        chunked=f"{len(body):x}\r\n{body}\r\n0\r\n\r\n",
        chunked_no_end=f"{len(body):x}\r\n{body}\r\n",
    )
    raw = anki.send_raw(request.encode("latin-1"))
    assert_valid(raw, allow_empty=True)


def test_malformed_batch_then_server_still_serves(anki: AnkiInstance) -> None:
    # (runs after the parametrized cases above) nothing got stuck or crashed
    fuzz.assert_serving(anki.port)


@pytest.mark.parametrize(
    "length",
    ["-1", "abc", "0x10", "1e3", "5, 5", "99999999999999999999999"],
)
def test_bad_content_length_never_executes(anki: AnkiInstance, length: str) -> None:
    before = deck_names(anki)
    body = json_body("createDeck", deck="BadLength")
    raw = anki.send_raw(_head(anki, f"Content-Length: {length}\r\n\r\n").encode() + body)
    assert status_of(raw) in (400, 413)
    assert reply_of(raw)["error"]
    assert deck_names(anki) == before


def test_body_shorter_than_announced_then_closed_never_executes(anki: AnkiInstance) -> None:
    before = deck_names(anki)
    body = json_body("createDeck", deck="ShortBody")
    request = _head(anki, f"Content-Length: {len(body) + 10}\r\n\r\n").encode() + body
    assert anki.send_raw(request) == b""
    assert deck_names(anki) == before


def test_sixty_four_kib_of_headers_is_refused_and_the_body_not_run(anki: AnkiInstance) -> None:
    before = deck_names(anki)
    filler = "".join(f"X-Filler-{i}: {'a' * 60}\r\n" for i in range(1100))  # ~80 KiB
    body = json_body("createDeck", deck="HugeHeaders")
    request = _head(anki, filler + f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    raw = anki.send_raw(request)
    assert status_of(raw) == 431
    assert "larger than the limit" in reply_of(raw)["error"]
    # one long header line, and a long request line
    raw = anki.send_raw(_head(anki, f"X-Long: {'b' * 70000}\r\n\r\n").encode())
    assert status_of(raw) == 431
    raw = anki.send_raw(f"POST /{'c' * 70000} HTTP/1.1\r\n\r\n".encode())
    assert status_of(raw) == 431
    assert deck_names(anki) == before


def test_headers_just_under_the_limit_are_served(anki: AnkiInstance) -> None:
    filler = "".join(f"X-Filler-{i}: {'a' * 50}\r\n" for i in range(900))  # ~57 KiB
    body = json_body("version")
    raw = anki.send_raw(
        _head(anki, filler + f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    )
    assert reply_of(raw) == {"result": 6, "error": None}


def test_body_over_the_limit_is_413_by_length_and_by_chunks(limits_anki: AnkiInstance) -> None:
    before = deck_names(limits_anki)
    body = json_body("createDeck", deck="x" * 70000)
    raw = limits_anki.send_raw(
        _head(limits_anki, f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    )
    assert status_of(raw) == 413
    assert "webMaxBodySize" in reply_of(raw)["error"]
    chunks = b"".join(
        b"4000\r\n" + body[i : i + 0x4000].ljust(0x4000) + b"\r\n"
        for i in range(0, 0x14000, 0x4000)
    )
    raw = limits_anki.send_raw(
        _head(limits_anki, "Transfer-Encoding: chunked\r\n\r\n").encode() + chunks + b"0\r\n\r\n"
    )
    assert status_of(raw) == 413
    # exactly at the limit is fine
    padded = json_body("version").ljust(65536)
    raw = limits_anki.send_raw(
        _head(limits_anki, "Content-Length: 65536\r\n\r\n").encode() + padded
    )
    assert reply_of(raw) == {"result": 6, "error": None}
    assert deck_names(limits_anki) == before


def test_idle_connection_is_closed_after_the_idle_timeout(limits_anki: AnkiInstance) -> None:
    with limits_anki.raw_connection() as conn:
        conn.send(_head(limits_anki).encode())  # headers never finished
        started = time.monotonic()
        assert conn.is_closed_by_peer(wait=5.0)
        # 0.5 s time-out (webIdleTimeout), on a timer set for the deadline
        assert time.monotonic() - started < 3.0
    fuzz.assert_serving(limits_anki.port)


# --------------------------------------------------------------------------- pipelining


def _multi_of(count: int) -> bytes:
    items = [{"action": "version"}] * count
    return json_body("multi", actions=items)


def test_hundred_pipelined_keep_alive_requests_answered_in_order(anki: AnkiInstance) -> None:
    requests = b"".join(
        http_request(anki, _multi_of(i), {"Connection": "keep-alive"}) for i in range(100)
    )
    with anki.raw_connection() as conn:
        conn.send(requests)
        for i in range(100):
            assert conn.read_response().json() == {"result": [6] * i, "error": None}


def test_pipelined_bad_request_answers_the_good_ones_before_it_then_closes(
    anki: AnkiInstance,
) -> None:
    before = deck_names(anki)
    good = [http_request(anki, _multi_of(i), {"Connection": "keep-alive"}) for i in range(3)]
    bad = _head(anki, "Connection: keep-alive\r\nContent-Length: nope\r\n\r\n").encode()
    after = http_request(
        anki, json_body("createDeck", deck="AfterBad"), {"Connection": "keep-alive"}
    )
    with anki.raw_connection() as conn:
        conn.send(b"".join(good) + bad + after)
        for i in range(3):
            assert conn.read_response().json()["result"] == [6] * i
        assert conn.read_response().status == 400
        assert conn.is_closed_by_peer(wait=2.0)
    assert deck_names(anki) == before


def test_pipelined_after_connection_close_runs_only_the_first(anki: AnkiInstance) -> None:
    before = deck_names(anki)
    data = http_request(anki, json_body("version"), {"Connection": "close"}) + http_request(
        anki, json_body("createDeck", deck="PipelinedAfterClose")
    )
    with anki.raw_connection() as conn:
        conn.send(data)
        assert conn.read_response().json() == {"result": 6, "error": None}
        assert conn.is_closed_by_peer(wait=2.0)
    assert deck_names(anki) == before


# --------------------------------------------------------------------------- connections


def _open_many(port: int, count: int, partial: bytes) -> list[socket.socket]:
    sockets = []
    for index in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        if index % 2:
            sock.sendall(partial[: index % len(partial)])
        sockets.append(sock)
    return sockets


def _drop(sockets: list[socket.socket]) -> None:
    for index, sock in enumerate(sockets):
        if index % 2:  # reset instead of FIN
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()


def fd_budget(instance: AnkiInstance) -> int:
    """How many sockets both this process and Anki may hold (raising our soft limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 2300 if hard == resource.RLIM_INFINITY else min(hard, 2300)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        soft = wanted
    assert instance.process is not None
    with open(f"/proc/{instance.process.pid}/limits", encoding="ascii") as limits:
        line = next(row for row in limits if row.startswith("Max open files"))
    anki_soft = line.split()[3]
    budgets = [int(soft) if soft != resource.RLIM_INFINITY else 10**6]
    budgets.append(10**6 if anki_soft == "unlimited" else int(anki_soft))
    return min(budgets) - 100  # room for Anki's own files and our other sockets


def test_thousand_held_connections_then_dropped_keep_serving_and_memory(
    anki: AnkiInstance,
) -> None:
    budget = fd_budget(anki)
    if budget < 1000:
        pytest.skip(f"only {budget} file descriptors available")
    rss_before = rss_mib(anki)
    partial = http_request(anki, json_body("version"))[:-4]
    sockets = _open_many(anki.port, 1000, partial)
    try:
        started = time.monotonic()
        fuzz.assert_serving(anki.port, within=1.0)
        assert time.monotonic() - started < 1.0
    finally:
        _drop(sockets)
    fuzz.assert_serving(anki.port, within=1.0)
    # more than the server's connection cap (2,048): the oldest idle ones make room
    if budget >= 2100:
        sockets = _open_many(anki.port, 2100, partial)
        try:
            fuzz.assert_serving(anki.port, within=2.0)
        finally:
            _drop(sockets)
    fuzz.assert_serving(anki.port, within=1.0)
    assert rss_mib(anki) - rss_before < 150, "3,100 connections left memory behind"


def test_slowloris_clients_do_not_delay_others(anki: AnkiInstance) -> None:
    request = http_request(anki, json_body("version"))
    answers: list[bytes] = []

    def trickle() -> None:
        with RawConnection("127.0.0.1", anki.port, timeout=20) as conn:
            for byte in request:  # ~1 s per request
                conn.send(bytes([byte]))
                time.sleep(0.01)
            answers.append(conn.read_response().body)

    threads = [threading.Thread(target=trickle, daemon=True) for _ in range(20)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.2)
        for _ in range(10):
            started = time.monotonic()
            fuzz.assert_serving(anki.port, within=1.0)
            assert anki.invoke("deckNames")
            assert time.monotonic() - started < 1.0
            time.sleep(0.05)
    finally:
        for thread in threads:
            thread.join(30)
    assert answers == [b'{"result": 6, "error": null}'] * 20


# --------------------------------------------------------------------------- bodies


INVALID_BODIES: list[tuple[bytes, str]] = [
    (b"{1: 2}", "Expecting property name enclosed in double quotes"),
    (b'{"action": "version"', "Expecting ',' delimiter"),
    (b"\xe7\x8c", "'utf-8' codec can't decode"),
    (b"\xff\xfe{\x00}\x00", "'utf-8' codec can't decode"),
    (b'{"action": "caf\xe9"}', "'utf-8' codec can't decode"),
    (b"\xc0\xaf", "'utf-8' codec can't decode"),  # overlong "/"
    (b"\xed\xa0\x80", "'utf-8' codec can't decode"),  # a surrogate encoded in UTF-8
    (b'\xef\xbb\xbf{"action": "version"}', "Unexpected UTF-8 BOM"),
    ('{"action": "version"}'.encode("utf-16"), "'utf-8' codec can't decode"),
    (b"1.2", "1.2 is not of type 'object'"),
    (b"[]", "[] is not of type 'object'"),
    (b"null", "None is not of type 'object'"),
    (b'"version"', "'version' is not of type 'object'"),
    (b"true", "True is not of type 'object'"),
    (b"NaN", "nan is not of type 'object'"),
    (b'{"action": "version", "version": NaN}', "nan is not of type 'integer'"),
    (b'{"action": "version", "version": 1e400}', "inf is not of type 'integer'"),
    (b'{"action": "version", "params": []}', "[] is not of type 'object'"),
    (b'{"action": ["version"]}', "['version'] is not of type 'string'"),
    (b'{"action": "version"} {}', "Extra data"),
    (b" ", "Expecting value"),
]


def test_invalid_bodies_get_json_errors(fuzz_anki: AnkiInstance) -> None:
    for body, error in INVALID_BODIES:
        reply = reply_of(fuzz.post_json(fuzz_anki.port, body))
        assert reply["result"] is None
        assert error in reply["error"], (body, reply)
    report("invalid bodies", len(INVALID_BODIES))
    fuzz.assert_serving(fuzz_anki.port)


def test_lone_surrogates_in_json_strings_are_errors_not_crashes(fuzz_anki: AnkiInstance) -> None:
    cases = [
        ('{"action": "\\ud800", "version": 6}', "unsupported action"),
        ('{"action": "createDeck", "version": 6, "params": {"deck": "\\udfff"}}', "surrogates"),
        ('{"action": "findNotes", "version": 6, "params": {"query": "\\ud800"}}', "surrogates"),
        (
            '{"action": "storeMediaFile", "version": 6, "params": {"filename": "\\ud800.txt", "data": "eA=="}}',
            "",
        ),
        ('{"action": "version", "version": 6, "key": "\\ud800"}', "valid api key"),
    ]
    for body, error in cases:
        reply = reply_of(fuzz.post_json(fuzz_anki.port, body.encode()))
        assert fuzz.envelope_problem(reply) is None
        assert reply["error"] is not None and error in reply["error"], (body, reply)
    report("lone surrogates", len(cases))
    assert "\ud800" not in "".join(deck_names(fuzz_anki))


def _nested(depth: int, kind: str = "array") -> str:
    if kind == "array":
        return "[" * depth + "]" * depth
    return '{"a": ' * depth + "1" + "}" * depth


@pytest.mark.parametrize("depth", [10, 100, 500, 900, 990, 1000, 1100, 5000, 10000])
def test_deep_nesting_anywhere_gets_a_json_reply(fuzz_anki: AnkiInstance, depth: int) -> None:
    array, obj = _nested(depth), _nested(depth, "object")
    bodies = [
        array,
        obj,
        f'{{"action": "addNote", "version": 6, "params": {{"note": {obj}}}}}',
        f'{{"action": "cardsInfo", "version": 6, "params": {{"cards": {array}}}}}',
        f'{{"action": "multi", "version": 6, "params": {{"actions": {array}}}}}',
        f'{{"action": "version", "version": 6, "extra": {array}}}',
    ]
    for body in bodies:
        raw = fuzz.post_json(fuzz_anki.port, body.encode())
        assert status_of(raw) == 200
        reply = reply_of(raw)
        assert isinstance(reply, dict) and "error" in reply, reply
    report(f"deep nesting {depth}", len(bodies))
    fuzz.assert_serving(fuzz_anki.port)


@pytest.mark.parametrize("depth", [1, 10, 100, 300, 330])
def test_nested_multi_gets_a_json_reply(fuzz_anki: AnkiInstance, depth: int) -> None:
    # built as text: json.dumps itself would hit the recursion limit
    prefix = '{"action": "multi", "version": 6, "params": {"actions": ['
    body = prefix * depth + '{"action": "version", "version": 6}' + "]}}" * depth
    reply = reply_of(fuzz.post_json(fuzz_anki.port, body.encode()))
    assert fuzz.envelope_problem(reply) is None
    # unwrap as far as it went: every level is a valid reply
    levels = 0
    while reply["error"] is None and isinstance(reply["result"], list):
        reply = reply["result"][0]
        levels += 1
        assert fuzz.envelope_problem(reply) is None
    if reply["error"] is None:
        assert reply == {"result": 6, "error": None} and levels == depth
    else:
        assert "recursion" in reply["error"]


HUNDRED_K = 100_000


def test_hundred_thousand_element_arrays_answer_promptly(fuzz_anki: AnkiInstance) -> None:
    rss_before = rss_mib(fuzz_anki)
    unknown = list(range(1, HUNDRED_K + 1))
    cases: list[tuple[str, dict[str, Any]]] = [
        ("cardsInfo", {"cards": unknown}),
        ("notesInfo", {"notes": unknown}),
        ("areSuspended", {"cards": unknown}),
        ("getEaseFactors", {"cards": unknown}),
        ("cardsModTime", {"cards": unknown}),
        ("notesModTime", {"notes": unknown}),
        ("cardsToNotes", {"cards": unknown}),
        ("getDecks", {"cards": unknown}),
        ("findModelsById", {"modelIds": unknown}),
        ("deleteNotes", {"notes": unknown}),
        ("canAddNotes", {"notes": [{}] * HUNDRED_K}),
        ("addNotes", {"notes": [{}] * HUNDRED_K}),
        ("addNotes", {"notes": [1] * HUNDRED_K}),
        ("deckNames", {f"p{i}": i for i in range(HUNDRED_K)}),
        ("multi", {"actions": [{"action": "version"}] * HUNDRED_K}),
        ("multi", {"actions": [{"action": "nope"}] * HUNDRED_K}),
    ]
    timings = []
    for action, params in cases:
        started = time.monotonic()
        reply = reply_of(fuzz.post_json(fuzz_anki.port, json_body(action, **params)))
        elapsed = time.monotonic() - started
        timings.append((action, round(elapsed, 2)))
        assert fuzz.envelope_problem(reply) is None, (action, str(reply)[:300])
        assert elapsed < 15, f"{action} took {elapsed:.1f} s"
    print("\n[fuzz] 100k timings (s):", timings)
    report("100k arrays", len(cases))
    fuzz.assert_serving(fuzz_anki.port)
    assert rss_mib(fuzz_anki) - rss_before < 400


# --------------------------------------------------------------------------- params


def test_wrong_type_for_every_param_of_every_action_is_refused(fuzz_anki: AnkiInstance) -> None:
    """Generated from the registry's schemas: one wrong-typed param, the others valid.

    Validation refuses before the action runs, so even GUI and destructive actions
    are safe here (and would show up as a result, not an error, if it did not)."""
    # requestPermission's params are filled by the server from the request itself
    actions = sorted(
        (a for a in fuzz.REGISTRY.values() if a.name != "requestPermission"),
        key=lambda a: a.name,
    )
    count = 0
    for name, params, param in fuzz.wrong_type_cases(actions):
        count += 1
        reply = reply_of(fuzz.post_json(fuzz_anki.port, json_body(name, **params)))
        error = reply["error"] or ""
        assert error.startswith(f"AnkiConnect.{name}() parameter '{param}"), (name, params, reply)
        assert " must be " in error
    assert count > 500
    report("wrong param types", count)
    fuzz.assert_serving(fuzz_anki.port)


def test_missing_and_unexpected_params_for_every_action(fuzz_anki: AnkiInstance) -> None:
    count = 0
    for found in sorted(fuzz.REGISTRY.values(), key=lambda a: a.name):
        required = [p for p in found.params if p.required]
        valid = {p.name: fuzz.minimal_value(p.schema) for p in required}
        # an unexpected name is refused before anything runs, even with valid params
        reply = reply_of(
            fuzz.post_json(fuzz_anki.port, json_body(found.name, **valid, bogusParam=1))
        )
        assert reply == {
            "result": None,
            "error": f"AnkiConnect.{found.name}() got an unexpected keyword argument 'bogusParam'",
        }
        count += 1
        if found.name == "requestPermission":
            continue  # the server fills its params (test_security covers it)
        if required:
            reply = reply_of(fuzz.post_json(fuzz_anki.port, json_body(found.name)))
            plural = "argument" if len(required) == 1 else "arguments"
            expected = (
                f"AnkiConnect.{found.name}() missing {len(required)} required positional {plural}: "
            )
            assert reply["result"] is None and reply["error"].startswith(expected), reply
            count += 1
    report("missing/unexpected params", count)
    fuzz.assert_serving(fuzz_anki.port)


# --------------------------------------------------------------------------- campaigns


def test_raw_http_campaign_smoke(anki: AnkiInstance) -> None:
    count = fuzz.http_campaign(anki.port, 300, SEED)
    report("raw HTTP campaign", count)


def test_body_campaign_smoke(fuzz_anki: AnkiInstance) -> None:
    count = fuzz.body_campaign(fuzz_anki.port, 300, SEED)
    report("body campaign", count)


def test_params_campaign_smoke(fuzz_anki: AnkiInstance) -> None:
    errors: dict[str, set[str]] = {}
    count = fuzz.params_campaign(fuzz_anki.port, 400, SEED, errors)
    report("params campaign", count)
    assert count >= 400


def test_memory_stays_bounded_after_all_fuzzing(fuzz_anki: AnkiInstance) -> None:
    # boot RSS is ~330-390 MiB; after every campaign above it must not have exploded
    assert rss_mib(fuzz_anki) < 1200
    fuzz.assert_serving(fuzz_anki.port)
    # nothing escaped into Qt's event loop or the server's last-resort handler
    assert "Traceback" not in fuzz_anki.log
    assert "AnkiConnect: server error" not in fuzz_anki.log
