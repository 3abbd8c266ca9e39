"""Spec §A.3-§A.5 and §E.5/§E.6 over HTTP against real Anki: body validation texts,
version shaping, dispatch errors, ``multi``, ``apiReflect`` and the misc actions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ..spec_examples import SPEC_SCHEMA_ERRORS
from .harness import AnkiInstance
from .support import SPEC_ACTIONS, anki_eval, http_request, wait_for


def post(anki: AnkiInstance, body: bytes, headers: dict[str, str] | None = None) -> Any:
    status, response_headers, raw = anki.post_raw(body, headers)
    assert status == 200, raw
    assert response_headers["Content-Type"] == "application/json"
    return json.loads(raw)


def request(anki: AnkiInstance, envelope: dict[str, Any]) -> Any:
    return post(anki, json.dumps(envelope).encode())


def error_of(reply: Any) -> str:
    assert isinstance(reply, dict) and set(reply) == {"result", "error"}, reply
    assert reply["result"] is None
    assert isinstance(reply["error"], str)
    return str(reply["error"])


# --------------------------------------------------------------------------- §A.3 table

A3_TABLE = [
    (b" ", "Expecting value: line 1 column 2 (char 1)"),
    (b"{1: 2}", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
    (b'{"action": "version", "version": 6},', "Extra data: line 1 column 36 (char 35)"),
    (b"\xe7\x8c", "'utf-8' codec can't decode bytes in position 0-1: unexpected end of data"),
    (b"1.2", "1.2 is not of type 'object'"),
    (b"[]", "[] is not of type 'object'"),
    (b"null", "None is not of type 'object'"),
    (b"{}", "'action' is a required property"),
    (b'{"action": 1}', "1 is not of type 'string'"),
    (b'{"action": ""}', "'' should be non-empty"),  # jsonschema >= 4.2x wording
    (b'{"action":"x","version":"6"}', "'6' is not of type 'integer'"),
    (b'{"action":"x","version":true}', "True is not of type 'integer'"),
    (b'{"action":"x","version":4.5}', "4.5 is not of type 'integer'"),
    (b'{"action":"x","params":[]}', "[] is not of type 'object'"),
    (b'{"action":"x","params":"a"}', "'a' is not of type 'object'"),
]


@pytest.mark.parametrize(("body", "first_line"), A3_TABLE, ids=[row[1][:40] for row in A3_TABLE])
def test_bad_bodies_get_the_original_error_texts(
    anki: AnkiInstance, body: bytes, first_line: str
) -> None:
    reply = post(anki, body)
    assert error_of(reply).split("\n")[0] == first_line


def test_bad_body_error_shape_ignores_version(anki: AnkiInstance) -> None:
    # the body never parsed, so version 2 cannot make it bare
    reply = post(anki, b'{"action": 1, "version": 2}')
    assert set(reply) == {"result", "error"} and reply["result"] is None
    assert reply["error"].startswith("1 is not of type 'string'\n\nFailed validating")


@pytest.mark.parametrize(("body", "error"), SPEC_SCHEMA_ERRORS, ids=["root", "version"])
def test_schema_errors_are_the_full_jsonschema_text_byte_for_byte(
    anki: AnkiInstance, body: bytes, error: str
) -> None:
    payload = json.dumps({"result": None, "error": error}).encode("ascii")
    raw = anki.send_raw(http_request(anki, body))
    assert raw == (
        b"HTTP/1.1 200 OK\r\n"
        b"Content-Type: application/json\r\n"
        b"Access-Control-Allow-Origin: http://localhost\r\n"
        b"Access-Control-Allow-Headers: *\r\n"
        b"Content-Length: " + str(len(payload)).encode() + b"\r\n\r\n" + payload
    )


def test_bad_body_from_refused_origin_is_403(anki: AnkiInstance) -> None:
    status, _headers, body = anki.post_raw(b"{1: 2}", {"Origin": "https://evil.example"})
    assert (status, body) == (403, b"")


def test_key_and_unknown_top_level_keys_are_not_validated(anki: AnkiInstance) -> None:
    reply = request(anki, {"action": "version", "version": 6, "extra": [1], "key": None})
    assert reply == {"result": 6, "error": None}


# --------------------------------------------------------------------------- versions


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        (None, 6),
        (0, 6),
        (2, 6),
        (4, 6),
        (5, {"result": 6, "error": None}),
        (6, {"result": 6, "error": None}),
        (6.0, {"result": 6, "error": None}),
        (7, {"result": 6, "error": None}),
        (100, {"result": 6, "error": None}),
    ],
)
def test_version_shapes_successes(anki: AnkiInstance, version: Any, expected: Any) -> None:
    envelope: dict[str, Any] = {"action": "version"}
    if version is not None:
        envelope["version"] = version
    assert request(anki, envelope) == expected


def test_version_shaping_of_list_and_null_results(anki: AnkiInstance) -> None:
    names = request(anki, {"action": "deckNames", "version": 2})
    assert isinstance(names, list) and "Default" in names
    assert request(anki, {"action": "deckNames", "version": 6}) == {"result": names, "error": None}
    # a null result stays a bare null at version <= 4
    status, _headers, raw = anki.post_raw(b'{"action": "reloadCollection"}')
    assert (status, raw) == (200, b"null")


@pytest.mark.parametrize("version", [None, 2, 4, 5, 6])
def test_errors_are_always_an_envelope(anki: AnkiInstance, version: int | None) -> None:
    envelope: dict[str, Any] = {"action": "noSuchAction"}
    if version is not None:
        envelope["version"] = version
    assert request(anki, envelope) == {"result": None, "error": "unsupported action"}


def test_version_string_is_rejected(anki: AnkiInstance) -> None:
    reply = request(anki, {"action": "version", "version": "6"})
    assert error_of(reply).split("\n")[0] == "'6' is not of type 'integer'"


# --------------------------------------------------------------------------- dispatch errors


def test_unknown_and_case_mismatched_actions(anki: AnkiInstance) -> None:
    for name in ("noSuchAction", "DeckNames", "browse", "upgrade", "updateCompleteDeck"):
        assert error_of(anki.call(name)) == "unsupported action"


def test_key_sent_while_none_configured_is_refused(anki: AnkiInstance) -> None:
    reply = request(anki, {"action": "version", "version": 6, "key": "anything"})
    assert reply == {"result": None, "error": "valid api key must be provided"}
    # and precedes the unsupported-action error
    reply = request(anki, {"action": "nope", "version": 6, "key": "anything"})
    assert reply == {"result": None, "error": "valid api key must be provided"}
    # an explicit null key equals "no key"
    assert request(anki, {"action": "version", "version": 6, "key": None})["result"] == 6


def test_missing_and_unexpected_params(anki: AnkiInstance) -> None:
    assert error_of(anki.call("createDeck")) == (
        "AnkiConnect.createDeck() missing 1 required positional argument: 'deck'"
    )
    assert error_of(anki.call("deckNames", foobar=1)) == (
        "AnkiConnect.deckNames() got an unexpected keyword argument 'foobar'"
    )
    assert error_of(anki.call("requestPermission", foobar=1)) == (
        "AnkiConnect.requestPermission() got an unexpected keyword argument 'foobar'"
    )
    reply = request(anki, {"action": "sync", "version": 6, "params": {"version": 6}})
    assert error_of(reply) == ("AnkiConnect.sync() got an unexpected keyword argument 'version'")


def test_wrong_param_type_names_param_and_type(anki: AnkiInstance) -> None:
    text = error_of(anki.call("createDeck", deck=5))
    assert text.startswith("AnkiConnect.createDeck() parameter 'deck' must be ")
    assert "string" in text and text.endswith("got 5")
    text = error_of(anki.call("findNotes", query=["deck:Default"]))
    assert "'query'" in text and "string" in text


def test_params_null_is_not_an_object(anki: AnkiInstance) -> None:
    reply = request(anki, {"action": "version", "version": 6, "params": None})
    assert error_of(reply).split("\n")[0] == "None is not of type 'object'"


# --------------------------------------------------------------------------- multi


def test_multi_spec_example_exactly(anki: AnkiInstance) -> None:
    names = anki.invoke("deckNames")
    reply = anki.call(
        "multi",
        actions=[
            {"action": "deckNames"},
            {"action": "deckNames", "version": 6},
            {"action": "invalidAction", "params": {"useless": "param"}},
            {"action": "invalidAction", "params": {"useless": "param"}, "version": 6},
        ],
    )
    assert reply == {
        "result": [
            names,
            {"result": names, "error": None},
            {"result": None, "error": "unsupported action"},
            {"result": None, "error": "unsupported action"},
        ],
        "error": None,
    }


def test_multi_raw_bytes_at_version_6(anki: AnkiInstance) -> None:
    body = json.dumps(
        {"action": "multi", "version": 6, "params": {"actions": [{"action": "version"}]}}
    )
    status, _headers, raw = anki.post_raw(body.encode())
    assert (status, raw) == (200, b'{"result": [6], "error": null}')


def test_multi_outer_version_shapes_outer_reply_only(anki: AnkiInstance) -> None:
    reply = request(
        anki,
        {"action": "multi", "params": {"actions": [{"action": "version", "version": 6}]}},
    )
    assert reply == [{"result": 6, "error": None}]


def test_nested_multi(anki: AnkiInstance) -> None:
    inner = {"action": "multi", "params": {"actions": [{"action": "version"}]}}
    inner6 = {**inner, "version": 6}
    reply = anki.invoke("multi", actions=[inner, inner6, {"action": "multi", "version": 6}])
    assert reply == [
        [6],
        {"result": [6], "error": None},
        {
            "result": None,
            "error": "AnkiConnect.multi() missing 1 required positional argument: 'actions'",
        },
    ]


def test_multi_item_errors_do_not_abort_others(anki: AnkiInstance) -> None:
    reply = anki.invoke(
        "multi",
        actions=[
            {"action": "createDeck", "version": 6},
            {"action": "version", "version": 6},
            {"action": "deckNames", "params": {"x": 1}, "version": 6},
            {"action": "getActiveProfile"},
            {"action": "requestPermission", "version": 6},
            {"action": "version", "key": "stray", "version": 6},
            {"action": "sync", "version": 6},
            {"action": "version"},
        ],
    )
    assert reply == [
        {
            "result": None,
            "error": "AnkiConnect.createDeck() missing 1 required positional argument: 'deck'",
        },
        {"result": 6, "error": None},
        {"result": None, "error": "AnkiConnect.deckNames() got an unexpected keyword argument 'x'"},
        "User 1",
        {
            "result": None,
            "error": "AnkiConnect.requestPermission() missing 2 required positional arguments:"
            " 'origin' and 'allowed'",
        },
        {"result": None, "error": "valid api key must be provided"},
        {"result": None, "error": "sync: auth not configured"},
        6,
    ]


def test_multi_non_object_item_fails_the_whole_call(anki: AnkiInstance) -> None:
    reply = anki.call("multi", actions=[{"action": "version"}, "version"])
    assert reply == {"result": None, "error": "'str' object has no attribute 'get'"}


def test_multi_does_not_execute_from_refused_origin(anki: AnkiInstance) -> None:
    before = anki.invoke("deckNames")
    body = json.dumps(
        {
            "action": "multi",
            "params": {"actions": [{"action": "createDeck", "params": {"deck": "Evil"}}]},
        }
    ).encode()
    status, _headers, raw = anki.post_raw(body, {"Origin": "http://localhost:3000"})
    assert (status, raw) == (403, b"")
    assert anki.invoke("deckNames") == before


# --------------------------------------------------------------------------- apiReflect


def test_api_reflect_all_is_every_action_alphabetically(anki: AnkiInstance) -> None:
    reply = anki.invoke("apiReflect", scopes=["actions"], actions=None)
    assert reply == {"scopes": ["actions"], "actions": SPEC_ACTIONS}
    assert "__testEval" not in reply["actions"]


def test_api_reflect_filters_and_errors(anki: AnkiInstance) -> None:
    assert anki.invoke(
        "apiReflect", scopes=["actions"], actions=["version", "apiReflect", "invalidMethod"]
    ) == {"scopes": ["actions"], "actions": ["version", "apiReflect"]}
    assert anki.invoke("apiReflect", scopes=["actions", "other"]) == {
        "scopes": ["actions"],
        "actions": SPEC_ACTIONS,
    }
    assert anki.invoke("apiReflect", scopes=["other"]) == {"scopes": []}
    assert anki.invoke("apiReflect", scopes=[]) == {"scopes": []}
    assert error_of(anki.call("apiReflect", scopes="actions")) == "scopes has invalid value"
    assert error_of(anki.call("apiReflect", scopes=["actions"], actions="version")) == (
        "actions has invalid value"
    )
    assert error_of(anki.call("apiReflect")) == "scopes has invalid value"
    # version 2 (Yomitan) gets it bare
    assert request(
        anki,
        {
            "action": "apiReflect",
            "version": 2,
            "params": {"scopes": ["actions"], "actions": ["multi"]},
        },
    ) == {"scopes": ["actions"], "actions": ["multi"]}


# --------------------------------------------------------------------------- misc actions


def test_version_action(anki: AnkiInstance) -> None:
    assert anki.call("version") == {"result": 6, "error": None}
    status, _headers, raw = anki.post_raw(b'{"action": "version"}')
    assert (status, raw) == (200, b"6")


def test_sync_without_login(anki: AnkiInstance) -> None:
    assert anki.call("sync") == {"result": None, "error": "sync: auth not configured"}


def test_profiles(anki: AnkiInstance) -> None:
    assert anki.invoke("getProfiles") == ["User 1"]
    assert anki.invoke("getActiveProfile") == "User 1"
    assert anki.invoke("loadProfile", name="No Such Profile") is False
    assert anki.invoke("loadProfile", name="User 1") is True
    # switching to the open profile keeps it open and usable
    assert anki.invoke("getActiveProfile") == "User 1"
    assert wait_for(lambda: anki_eval(anki, "result = mw.col is not None"), what="collection")
    assert "Default" in anki.invoke("deckNames")
    assert error_of(anki.call("loadProfile")) == (
        "AnkiConnect.loadProfile() missing 1 required positional argument: 'name'"
    )


def test_in_process_api_without_key(anki: AnkiInstance) -> None:
    code = (
        "result = [mw.ankiconnect.invoke('version'),"
        " mw.ankiconnect.invoke('version', version=4),"
        " mw.ankiconnect.invoke('nope'),"
        " mw.ankiconnect.invoke('version', key='x'),"
        " mw.ankiconnect.call('getActiveProfile')]"
    )
    assert anki_eval(anki, code) == [
        {"result": 6, "error": None},
        6,
        {"result": None, "error": "unsupported action"},
        {"result": None, "error": "valid api key must be provided"},
        "User 1",
    ]


def test_raw_request_with_body_and_lowercase_headers(anki: AnkiInstance) -> None:
    # header names are case-insensitive; a duplicate header: the last one wins
    body = b'{"action": "version", "version": 6}'
    request_bytes = http_request(
        anki,
        body,
        {"origin": "https://evil.example", "ORIGIN": "http://127.0.0.1:9"},
    )
    raw = anki.send_raw(request_bytes)
    assert raw.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"Access-Control-Allow-Origin: http://127.0.0.1:9\r\n" in raw


def test_header_without_the_space_after_the_colon_is_ignored(anki: AnkiInstance) -> None:
    # §A.1: header lines split on the exact ": "; "Origin:x" is no Origin header at all
    request_bytes = http_request(anki, b'{"action": "version"}', {"Origin": "http://127.0.0.1:7"})
    request_bytes = request_bytes.replace(b"Origin: ", b"Origin:")
    raw = anki.send_raw(request_bytes)
    assert b"Access-Control-Allow-Origin: http://localhost\r\n" in raw
    assert raw.endswith(b"\r\n\r\n6")


def test_multi_item_params_must_be_a_mapping(anki: AnkiInstance) -> None:
    reply = anki.invoke("multi", actions=[{"action": "version", "params": [], "version": 6}])
    assert reply == [
        {
            "result": None,
            "error": "AnkiConnect.version() argument after ** must be a mapping, not list",
        }
    ]
