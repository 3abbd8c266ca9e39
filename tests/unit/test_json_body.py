"""Large request bodies decode exactly as json.loads would, without one long C call."""

from __future__ import annotations

import base64
import json
import os
import time

import pytest

from plugin.api.json_body import LARGE_BODY, LONG_STRING, RawText, parse_body


def upload(size: int) -> dict:
    data = base64.b64encode(os.urandom(size)).decode()
    return {"action": "storeMediaFile", "version": 6, "params": {"filename": "a.bin", "data": data}}


def same_upload(parsed: dict, envelope: dict) -> bool:
    """A storeMediaFile's `data` comes back as RawText: the request's own bytes."""
    data = parsed["params"]["data"]
    assert isinstance(data, RawText)
    rest = {**parsed, "params": {**parsed["params"], "data": str(data)}}
    return rest == envelope


def test_large_upload_round_trips() -> None:
    envelope = upload(3 * LARGE_BODY)
    body = json.dumps(envelope).encode()
    assert same_upload(parse_body(body), envelope)
    assert same_upload(parse_body(bytearray(body)), envelope)


def test_only_a_top_level_media_upload_stays_raw() -> None:
    data = "QUJD" * LARGE_BODY
    other = {"action": "addNote", "params": {"data": data}}
    assert parse_body(json.dumps(other).encode()) == other
    nested = {"action": "multi", "params": {"actions": [upload(LARGE_BODY)]}}
    assert parse_body(json.dumps(nested).encode()) == nested


def test_raw_text_is_released_once_consumed() -> None:
    parsed = parse_body(json.dumps(upload(2 * LARGE_BODY)).encode())
    data = parsed["params"]["data"]
    assert len(data) > LARGE_BODY and repr(data).startswith("RawText(")
    data.release()
    with pytest.raises(ValueError, match="already consumed"):
        str(data)


@pytest.mark.parametrize(
    "envelope",
    [
        {"a": "x" * LONG_STRING * 20, "b": ["y" * LONG_STRING * 2, {"k": "short"}]},
        {"z" * LONG_STRING * 20: 1},  # a long key
        {"a": "é" * LARGE_BODY},  # non-ASCII: json's own path
        {"a": 'quote " and \\ backslash ' * 100_000},  # escapes: json's own path
        {"a": "line\nbreak" * 200_000},
    ],
)
def test_tricky_bodies_match_json(envelope: dict) -> None:
    body = json.dumps(envelope).encode()
    assert len(body) >= LARGE_BODY
    assert parse_body(body) == json.loads(body)


def test_unescaped_slash_escapes_and_raw_control_characters() -> None:
    escaped = b'{"data": "' + b"ab\\/cd" * 300_000 + b'"}'
    assert parse_body(escaped) == json.loads(escaped)
    raw_control = b'{"data": "' + b"a" * LARGE_BODY + b'\x01"}'
    with pytest.raises(ValueError) as ours:
        parse_body(raw_control)
    with pytest.raises(ValueError) as theirs:
        json.loads(raw_control)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize(
    "body",
    [
        b'{"data": "' + b"a" * LARGE_BODY,  # unterminated string
        b'{"data": "' + b"a" * LARGE_BODY + b'"} trailing',
        b'{"data" "' + b"a" * LARGE_BODY + b'"}',
    ],
)
def test_errors_are_json_errors(body: bytes) -> None:
    with pytest.raises(ValueError) as ours:
        parse_body(body)
    with pytest.raises(ValueError) as theirs:
        json.loads(body)
    assert str(ours.value) == str(theirs.value)


def test_a_placeholder_lookalike_in_the_request_is_left_alone() -> None:
    envelope = {"a": "\u0000ankiconnect-lifted-0", "b": "x" * LARGE_BODY}
    body = json.dumps(envelope).encode()
    assert parse_body(body) == envelope


def test_fifty_mebibytes_parse_quickly() -> None:
    envelope = upload(50 * 1024 * 1024)
    body = json.dumps(envelope).encode()
    started = time.process_time()
    parsed = parse_body(body)
    assert time.process_time() - started < 2.0
    assert same_upload(parsed, envelope)
