"""Property-based tests of the JSON/params layer: whatever arrives, a JSON reply comes back.

Arbitrary bodies go through ``WebApp.handle`` and arbitrary params (drawn from each
registered action's own schema, plus off-schema values) through ``dispatch.run``,
against a real collection. No exception may escape, and every reply must be one JSON
document of the right shape. Example counts are bounded so the file runs in seconds.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from anki.collection import Collection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import plugin.actions  # noqa: F401  (fills the registry)
from plugin.api import dispatch
from plugin.api.context import ActionContext, Caller
from plugin.api.registry import REGISTRY, JsonSchema
from plugin.api.web import WebApp
from plugin.config import Settings
from plugin.http.parser import HttpRequest
from plugin.http.server import HttpResponse

# These read or write files at paths the client names; random paths could touch the
# real file system, so their params are not fuzzed here (their own tests cover them).
UNSAFE_TO_FUZZ = frozenset({"exportPackage", "importPackage", "guiImportFile"})

# Media sources other than inline data are switched off: no network, no local files.
FUZZ_SETTINGS = Settings(mediaAllowUrl=False, mediaAllowPath="never")


def fuzz(examples: int) -> settings:
    """Bounded, reproducible runs (derandomized: no example database is written)."""
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        derandomize=True,
        database=None,
    )


# --- strategies ------------------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=6,
)
ids = st.integers(min_value=-1, max_value=2**53) | st.sampled_from([0, 1, 1_500_000_000_000])
names = st.text(max_size=12) | st.sampled_from(["Default", "Basic", "Front", "Back", "Card 1", ""])


def from_schema(schema: JsonSchema) -> st.SearchStrategy[Any]:
    """Values valid for a (registry-generated) JSON schema fragment."""
    if not schema:
        return json_values
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "anyOf" in schema:
        return st.one_of([from_schema(option) for option in schema["anyOf"]])
    kind = schema.get("type")
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return ids
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False, width=32) | ids
    if kind == "string":
        return names
    if kind == "array":
        if "prefixItems" in schema:
            return st.tuples(*(from_schema(s) for s in schema["prefixItems"])).map(list)
        return st.lists(from_schema(schema.get("items", {})), max_size=4)
    if kind == "object":
        if "properties" in schema:
            required = set(schema.get("required", []))
            properties = schema["properties"]
            return st.fixed_dictionaries(
                {k: from_schema(v) for k, v in properties.items() if k in required},
                optional={k: from_schema(v) for k, v in properties.items() if k not in required},
            )
        return st.dictionaries(
            names, from_schema(schema.get("additionalProperties", {})), max_size=3
        )
    return json_values


def params_for(name: str) -> st.SearchStrategy[dict[str, Any]]:
    """Schema-valid params, or the same names with arbitrary JSON, or junk names."""
    found = REGISTRY[name]
    required = {p.name: from_schema(p.schema) for p in found.params if p.required}
    optional = {p.name: from_schema(p.schema) for p in found.params if not p.required}
    valid = st.fixed_dictionaries(required, optional=optional)
    wrong_types = st.fixed_dictionaries(
        {p.name: json_values for p in found.params if p.required},
        optional={p.name: json_values for p in found.params if not p.required},
    )
    junk = st.dictionaries(st.text(max_size=6), json_values, max_size=3)
    return st.one_of(valid, valid, wrong_types, junk)


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_col(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Collection]:
    folder = tmp_path_factory.mktemp("fuzz")
    collection = Collection(str(folder / "collection.anki2"))
    note = collection.new_note(collection.models.by_name("Basic"))  # type: ignore[arg-type]
    note["Front"], note["Back"] = "front", "back"
    collection.add_note(note, collection.decks.id("Default"))  # type: ignore[arg-type]
    previous = os.getcwd()
    os.chdir(folder)  # any relative path an action might write stays in here
    try:
        yield collection
    finally:
        os.chdir(previous)
        collection.close()


@pytest.fixture
def fuzz_ctx(fuzz_col: Collection) -> ActionContext:
    return ActionContext(
        get_collection=lambda: fuzz_col,
        settings=FUZZ_SETTINGS,
        caller=Caller(origin=None, remote="127.0.0.1"),
    )


def check_reply(reply: Any, version: Any) -> None:
    json.dumps(reply)  # serialisable
    if isinstance(reply, dict) and set(reply) == {"result", "error"}:
        assert reply["error"] is None or isinstance(reply["error"], str)
        if reply["error"] is not None:
            assert reply["result"] is None
        return
    # A bare success is only allowed at version <= 4.
    assert isinstance(version, (int, float)) and version <= 4, reply


# --- dispatcher --------------------------------------------------------------------------------

FUZZED_ACTIONS = sorted(set(REGISTRY) - UNSAFE_TO_FUZZ)


@pytest.mark.parametrize("name", FUZZED_ACTIONS)
@fuzz(5)
@given(data=st.data())
def test_every_action_answers_json_for_arbitrary_params(
    fuzz_ctx: ActionContext, name: str, data: st.DataObject
) -> None:
    params = data.draw(params_for(name), label="params")
    version = data.draw(st.sampled_from([4, 6]), label="version")
    replies: list[Any] = []
    dispatch.run({"action": name, "version": version, "params": params}, fuzz_ctx, replies.append)
    assert len(replies) <= 1  # deferred ones (none without a GUI) may answer later
    for reply in replies:
        check_reply(reply, version)


# Cheap actions for the envelope-level tests (every action's params are fuzzed above).
ENVELOPE_ACTIONS = ["version", "apiReflect", "deckNames", "requestPermission", "findNotes", "nope"]
envelopes = st.fixed_dictionaries(
    {"action": st.sampled_from(ENVELOPE_ACTIONS) | st.text(max_size=10) | json_values},
    optional={
        "version": json_values | st.integers(-3, 9),
        "params": json_values | st.dictionaries(st.text(max_size=8), json_values, max_size=3),
        "key": json_values,
    },
)


@fuzz(150)
@given(envelope=envelopes)
def test_dispatch_run_never_raises(fuzz_ctx: ActionContext, envelope: dict[str, Any]) -> None:
    if envelope.get("action") in ("multi", *UNSAFE_TO_FUZZ):
        envelope = {**envelope, "action": "version"}
    replies: list[Any] = []
    dispatch.run(envelope, fuzz_ctx, replies.append)
    assert len(replies) == 1
    check_reply(replies[0], envelope.get("version", 4))


@fuzz(60)
@given(items=st.lists(envelopes | json_values, max_size=6))
def test_multi_with_arbitrary_items(fuzz_ctx: ActionContext, items: list[Any]) -> None:
    safe = [
        {**item, "action": "version"}
        if isinstance(item, dict) and item.get("action") in (*UNSAFE_TO_FUZZ, "multi")
        else item
        for item in items
    ]
    replies: list[Any] = []
    dispatch.run(
        {"action": "multi", "version": 6, "params": {"actions": safe}}, fuzz_ctx, replies.append
    )
    assert len(replies) == 1
    reply = replies[0]
    json.dumps(reply)
    if reply["error"] is None:
        assert len(reply["result"]) == len(safe)
    else:
        assert reply["error"].endswith("object has no attribute 'get'")


# --- web layer ----------------------------------------------------------------------------------


def make_web(col: Collection, settings_value: Settings) -> WebApp:
    def run_request(envelope: dict[str, Any], caller: Caller, done: Any) -> None:
        ctx = ActionContext(get_collection=lambda: col, settings=settings_value, caller=caller)
        dispatch.run(envelope, ctx, done)

    return WebApp(lambda: settings_value, run_request)


def handle(web: WebApp, body: bytes, method: str, headers: dict[str, str]) -> HttpResponse:
    responses: list[HttpResponse] = []
    web.handle(HttpRequest(method, "/", "HTTP/1.1", headers, body, "127.0.0.1"), responses.append)
    assert len(responses) == 1
    return responses[0]


def safe_body(value: Any) -> bytes:
    if isinstance(value, dict) and value.get("action") in ("multi", *UNSAFE_TO_FUZZ):
        value = {**value, "action": "version"}
    return json.dumps(value).encode()


bodies = (
    st.binary(max_size=200)
    | json_values.map(safe_body)
    | envelopes.map(safe_body)
    | st.text(max_size=60).map(lambda t: t.encode("utf-8"))
)
origins = st.none() | st.sampled_from(
    ["http://localhost", "chrome-extension://x", "https://evil.example", "", "null"]
)
hosts = st.none() | st.sampled_from(["127.0.0.1:8765", "localhost", "evil.example", "[::1]:1"])


@fuzz(150)
@given(
    body=bodies,
    method=st.sampled_from(["POST", "GET", "OPTIONS", "PUT", ""]),
    origin=origins,
    host=hosts,
)
def test_web_handle_always_answers(
    fuzz_col: Collection, body: bytes, method: str, origin: str | None, host: str | None
) -> None:
    headers = {}
    if origin is not None:
        headers["origin"] = origin
    if host is not None:
        headers["host"] = host
    response = handle(make_web(fuzz_col, FUZZ_SETTINGS), body, method, headers)
    assert response.status in (200, 403)
    encoded = response.encode()
    assert encoded.startswith(
        b"HTTP/1.1 200 OK\r\n" if response.status == 200 else b"HTTP/1.1 403 Forbidden\r\n"
    )
    header_map = dict(response.headers)
    if "Content-Length" in header_map:
        assert int(header_map["Content-Length"]) == len(response.body)
    if response.body:
        response.body.decode("ascii")  # ensure_ascii: never raw non-ASCII
        json.loads(response.body)
    else:
        assert response.status == 403 or method == "OPTIONS"


@fuzz(100)
@given(params=json_values, version=json_values)
def test_request_permission_through_web_never_raises(
    fuzz_col: Collection, params: Any, version: Any
) -> None:
    envelope: dict[str, Any] = {"action": "requestPermission", "version": version, "params": params}
    body = json.dumps(envelope).encode()
    response = handle(
        make_web(fuzz_col, FUZZ_SETTINGS), body, "POST", {"origin": "https://site.example"}
    )
    valid_envelope = (params is None or isinstance(params, dict)) and (
        isinstance(version, (int, float))
        and not isinstance(version, bool)
        and version == int(version)
    )
    if params is None:
        valid_envelope = False  # "params": null fails the schema (None is not an object)
    if not valid_envelope:
        assert response.status == 403 and response.body == b""  # the origin is not allowed
        return
    assert response.status == 200
    # The page may read the answer: ACAO is its own origin (§A.7).
    assert ("Access-Control-Allow-Origin", "https://site.example") in response.headers
    reply = json.loads(response.body)
    if set(params) - {"origin", "allowed"}:
        assert reply["error"].startswith("AnkiConnect.requestPermission() got an unexpected")
    else:
        assert reply in (
            {"permission": "denied"},
            {"result": {"permission": "denied"}, "error": None},
        )
