"""WebApp: preflight, 403, banner, the §A.3 body pipeline, requestPermission injection, framing."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from anki.collection import Collection

from plugin.api import dispatch
from plugin.api.context import ActionContext, Caller
from plugin.api.deferred import Deferred
from plugin.api.registry import HIDDEN, action
from plugin.api.web import WebApp, parse_envelope
from plugin.config import Settings
from plugin.http.parser import HttpRequest
from plugin.http.server import HttpResponse
from tests.spec_examples import SPEC_SCHEMA_ERRORS

if "_testEchoWeb" not in HIDDEN:

    @action("misc", runs="protocol", hidden=True, name="_testEchoWeb")
    def _test_echo_web(ctx: ActionContext, value: Any = None) -> Any:
        """Returns `value` unchanged."""
        return value

    @action("misc", runs="protocol", hidden=True, name="_testUnserialisable")
    def _test_unserialisable(ctx: ActionContext, kind: str) -> Any:
        """Returns something json.dumps cannot encode."""
        if kind == "set":
            return {1, 2}
        deep: list[Any] = []
        for _ in range(100_000):
            deep = [deep]
        return deep


class Harness:
    """A WebApp over the real dispatcher and a real collection; records every response."""

    def __init__(self, col: Collection | None, settings: Settings) -> None:
        self.settings = settings
        self.col = col
        self.saved: list[dict[str, Any]] = []
        self.asked: list[str] = []
        self.answers: list[Deferred[tuple[bool, bool]]] = []
        self.callers: list[Caller] = []
        self.envelopes: list[dict[str, Any]] = []
        self.app = WebApp(lambda: self.settings, self.run_request)

    def run_request(
        self, envelope: dict[str, Any], caller: Caller, done: Callable[[Any], None]
    ) -> None:
        self.callers.append(caller)
        self.envelopes.append(envelope)
        ctx = ActionContext(
            get_collection=lambda: self.col,
            settings=self.settings,
            caller=caller,
            save_settings=self.saved.append,
            ask_permission=self.ask,
        )
        dispatch.run(envelope, ctx, done)

    def ask(self, origin: str) -> Deferred[tuple[bool, bool]]:
        self.asked.append(origin)
        answer: Deferred[tuple[bool, bool]] = Deferred()
        self.answers.append(answer)
        return answer

    def send(
        self,
        body: bytes | str | dict[str, Any] = b"",
        *,
        method: str = "POST",
        origin: str | None = None,
        host: str | None = "127.0.0.1:8765",
        headers: dict[str, str] | None = None,
    ) -> list[HttpResponse]:
        if isinstance(body, dict):
            body = json.dumps(body)
        if isinstance(body, str):
            body = body.encode("utf-8")
        all_headers = dict(headers or {})
        if origin is not None:
            all_headers["origin"] = origin
        if host is not None:
            all_headers["host"] = host
        request = HttpRequest(method, "/", "HTTP/1.1", all_headers, body, remote="127.0.0.1")
        responses: list[HttpResponse] = []
        self.app.handle(request, responses.append)
        return responses

    def one(self, *args: Any, **kwargs: Any) -> HttpResponse:
        responses = self.send(*args, **kwargs)
        assert len(responses) == 1
        return responses[0]


@pytest.fixture
def web(col: Collection) -> Harness:
    return Harness(col, Settings())


def json_of(response: HttpResponse) -> Any:
    assert response.status == 200
    assert response.headers[0] == ("Content-Type", "application/json")
    return json.loads(response.body)


def header_names(response: HttpResponse) -> list[str]:
    return [name for name, _ in response.headers]


# --- framing ------------------------------------------------------------------------------------


def test_success_bytes(web: Harness) -> None:
    response = web.one({"action": "version", "version": 6})
    assert response.encode() == (
        b"HTTP/1.1 200 OK\r\n"
        b"Content-Type: application/json\r\n"
        b"Access-Control-Allow-Origin: http://localhost\r\n"
        b"Access-Control-Allow-Headers: *\r\n"
        b"Content-Length: 28\r\n"
        b'\r\n{"result": 6, "error": null}'
    )


def test_json_uses_default_separators_and_ascii_escapes(web: Harness) -> None:
    value = {"b": ["日本", "é", "\U0001f600"], "a": [1, 2.5, None, True]}
    response = web.one({"action": "_testEchoWeb", "version": 6, "params": {"value": value}})
    assert response.body == json.dumps({"result": value, "error": None}).encode()
    assert response.body == (
        b'{"result": {"b": ["\\u65e5\\u672c", "\\u00e9", "\\ud83d\\ude00"], '
        b'"a": [1, 2.5, null, true]}, "error": null}'
    )
    assert ("Content-Length", str(len(response.body))) in response.headers


def test_allowed_origin_is_echoed_in_acao(web: Harness) -> None:
    response = web.one({"action": "version"}, origin="moz-extension://abc")
    assert response.headers[1] == ("Access-Control-Allow-Origin", "moz-extension://abc")
    assert response.body == b"6"


def test_star_origin_list(web: Harness) -> None:
    web.settings = Settings(webCorsOriginList=("*",))
    response = web.one({"action": "version"}, origin="https://site.example")
    assert response.headers[1] == ("Access-Control-Allow-Origin", "*")


# --- 403 ---------------------------------------------------------------------------------------------


def test_disallowed_origin_gets_bare_403(web: Harness) -> None:
    response = web.one({"action": "version"}, origin="http://localhost:3000")
    assert response.encode() == (
        b"HTTP/1.1 403 Forbidden\r\n"
        b"Access-Control-Allow-Origin: http://localhost\r\n"
        b"Access-Control-Allow-Headers: *\r\n"
        b"\r\n"
    )
    assert web.envelopes == []  # the action never ran
    assert web.app.recent[-1].status == 403 and web.app.recent[-1].action == "version"


@pytest.mark.parametrize("body", [b"", b"{1: 2}", b"[]", b'{"action": ""}', b"\xe7\x8c"])
def test_disallowed_origin_with_bad_or_empty_body_is_403(web: Harness, body: bytes) -> None:
    response = web.one(body, origin="https://evil.example")
    assert response.status == 403
    assert response.body == b""
    assert header_names(response) == [
        "Access-Control-Allow-Origin",
        "Access-Control-Allow-Headers",
    ]


def test_foreign_host_is_refused_before_anything_runs(web: Harness) -> None:
    response = web.one({"action": "version"}, host="rebind.evil.example")
    assert response.status == 403
    reply = json.loads(response.body)
    assert reply["result"] is None and "rebind.evil.example" in reply["error"]
    assert web.envelopes == []
    # OPTIONS too: a rebinding page must not even learn the CORS answer.
    assert web.one(method="OPTIONS", host="rebind.evil.example").status == 403


def test_missing_host_is_allowed(web: Harness) -> None:
    assert web.one({"action": "version"}, host=None).body == b"6"


# --- OPTIONS --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "acao"),
    [
        (None, "http://localhost"),
        ("chrome-extension://abc", "chrome-extension://abc"),
        ("https://evil.example", "http://localhost"),
    ],
)
def test_preflight(web: Harness, origin: str | None, acao: str) -> None:
    response = web.one(method="OPTIONS", origin=origin)
    assert response.status == 200 and response.body == b""
    assert response.headers == [
        ("Content-Type", "application/json"),
        ("Access-Control-Allow-Origin", acao),
        ("Access-Control-Allow-Headers", "*"),
        ("Content-Length", "0"),
    ]
    assert web.envelopes == []


def test_preflight_private_network_only_when_requested(web: Harness) -> None:
    asked = web.one(method="OPTIONS", headers={"access-control-request-private-network": "true"})
    assert asked.headers[-1] == ("Access-Control-Allow-Private-Network", "true")
    assert len(asked.headers) == 5
    for value in ("false", "TRUE", "1"):
        other = web.one(method="OPTIONS", headers={"access-control-request-private-network": value})
        assert "Access-Control-Allow-Private-Network" not in header_names(other)


def test_options_ignores_the_body(web: Harness) -> None:
    response = web.one({"action": "deleteDecks"}, method="OPTIONS")
    assert response.body == b"" and web.envelopes == []


# --- banner and body pipeline (§A.3) -----------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE", "HEAD"])
def test_banner_for_an_empty_body(web: Harness, method: str) -> None:
    response = web.one(b"", method=method)
    assert response.body == b'{"apiVersion": "AnkiConnect v.6"}'
    assert response.headers[0] == ("Content-Type", "application/json")


def test_banner_follows_api_version_setting(web: Harness) -> None:
    web.settings = Settings(apiVersion=7)
    assert web.one(b"").body == b'{"apiVersion": "AnkiConnect v.7"}'


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{1: 2}", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
        (b'{"action": "version", "version": 6},', "Extra data: line 1 column 36 (char 35)"),
        (b"\xe7\x8c", "'utf-8' codec can't decode bytes in position 0-1: unexpected end of data"),
        (b"1.2", "1.2 is not of type 'object'"),
        (b"[]", "[] is not of type 'object'"),
        (b"null", "None is not of type 'object'"),
        (b"{}", "'action' is a required property"),
        (b'{"action": 1}', "1 is not of type 'string'"),
        (b'{"action": ""}', "'' should be non-empty"),
        (b'{"action":"x","version":"6"}', "'6' is not of type 'integer'"),
        (b'{"action":"x","version":true}', "True is not of type 'integer'"),
        (b'{"action":"x","version":6.5}', "6.5 is not of type 'integer'"),
        (b'{"action":"x","params":[]}', "[] is not of type 'object'"),
        (b'{"action":"x","params":null}', "None is not of type 'object'"),
        (b"   ", "Expecting value: line 1 column 4 (char 3)"),
        (
            b"\xef\xbb\xbf{}",
            "Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)",
        ),
    ],
)
def test_body_pipeline_errors(web: Harness, body: bytes, error: str) -> None:
    reply = json_of(web.one(body))
    assert reply["result"] is None
    # JSON errors are one line; schema errors go on with "Failed validating" (below)
    first, _, rest = reply["error"].partition("\n\n")
    assert first == error
    assert rest.startswith("Failed validating") == (error != reply["error"])
    assert web.envelopes == []


@pytest.mark.parametrize(("body", "error"), SPEC_SCHEMA_ERRORS)
def test_schema_error_is_jsonschemas_full_text_byte_for_byte(
    web: Harness, body: bytes, error: str
) -> None:
    payload = json.dumps({"result": None, "error": error}).encode("ascii")
    assert web.one(body).encode() == (
        b"HTTP/1.1 200 OK\r\n"
        b"Content-Type: application/json\r\n"
        b"Access-Control-Allow-Origin: http://localhost\r\n"
        b"Access-Control-Allow-Headers: *\r\n"
        b"Content-Length: " + str(len(payload)).encode() + b"\r\n\r\n" + payload
    )


def test_schema_error_of_a_large_body_is_its_first_line(web: Harness) -> None:
    # pretty-printing a value of many megabytes would stall Anki for seconds
    body = b"[" + b"0," * 40_000 + b"0]"
    error = json_of(web.one(body))["error"]
    assert error.endswith("] is not of type 'object'") and "\n" not in error


def test_pipeline_error_shape_ignores_version(web: Harness) -> None:
    reply = json_of(web.one(b'{"action": "", "version": 2}'))
    assert reply["result"] is None
    assert reply["error"].startswith("'' should be non-empty\n\nFailed validating 'minLength'")


def test_deeply_nested_body_answers_with_an_error(web: Harness) -> None:
    reply = json_of(web.one(b"[" * 100_000))
    assert reply["result"] is None and "recursion" in reply["error"]
    nested = b'{"action": "version", "params": {"x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}"
    assert "recursion" in json_of(web.one(nested))["error"]


def test_integral_float_version_and_unknown_top_level_keys_pass(web: Harness) -> None:
    body = b'{"action": "version", "version": 6.0, "whatever": [1], "key": null}'
    assert json_of(web.one(body)) == {"result": 6, "error": None}


def test_no_version_means_bare_and_errors_enveloped(web: Harness) -> None:
    assert web.one({"action": "deckNames"}).body == b'["Default"]'
    assert json_of(web.one({"action": "nope"})) == {"result": None, "error": "unsupported action"}


def test_any_method_runs_the_body(web: Harness) -> None:
    assert web.one({"action": "version"}, method="GET").body == b"6"
    assert web.one({"action": "version"}, method="BREW").body == b"6"


def test_unserialisable_result_becomes_an_error(web: Harness) -> None:
    reply = json_of(web.one({"action": "_testUnserialisable", "params": {"kind": "set"}}))
    assert reply == {"result": None, "error": "Object of type set is not JSON serializable"}


def test_too_deep_result_becomes_an_error(web: Harness) -> None:
    reply = json_of(web.one({"action": "_testUnserialisable", "params": {"kind": "deep"}}))
    assert reply["result"] is None and "recursion" in reply["error"]


def test_caller_carries_origin_and_remote(web: Harness) -> None:
    web.one({"action": "version"}, origin="chrome-extension://abc")
    web.one({"action": "version"})
    assert web.callers[0] == Caller(origin="chrome-extension://abc", remote="127.0.0.1")
    assert web.callers[1] == Caller(origin=None, remote="127.0.0.1")


def test_recent_requests_are_recorded(web: Harness) -> None:
    web.one({"action": "version"})
    web.one({"action": "nope"})
    web.one(b"{")
    assert [(r.action, r.error, r.status) for r in web.app.recent] == [
        ("version", None, 200),
        ("nope", "unsupported action", 200),
        ("", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)", 200),
    ]


def test_protocol_error_response() -> None:
    response = WebApp(Settings, lambda *a: None).protocol_error(413, "too big")
    assert response.status == 413
    assert response.encode().startswith(
        b"HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\n"
    )
    assert json.loads(response.body) == {"result": None, "error": "too big"}


def test_parse_envelope_returns_the_dict() -> None:
    assert parse_envelope(b'{"action": "x", "params": {}}') == {"action": "x", "params": {}}


# --- requestPermission injection (§A.7) ----------------------------------------------------


def test_request_permission_from_allowed_origin_is_granted(web: Harness) -> None:
    response = web.one(
        {"action": "requestPermission", "version": 6}, origin="http://127.0.0.1:5000"
    )
    assert response.headers[1] == ("Access-Control-Allow-Origin", "http://127.0.0.1:5000")
    assert json_of(response) == {
        "result": {"permission": "granted", "requireApikey": False, "version": 6},
        "error": None,
    }
    assert web.envelopes[0]["params"] == {"origin": "http://127.0.0.1:5000", "allowed": True}
    assert web.asked == []


def test_request_permission_default_version_is_bare(web: Harness) -> None:
    web.settings = Settings(apiKey="k")
    response = web.one({"action": "requestPermission"})
    assert json_of(response) == {"permission": "granted", "requireApikey": True, "version": 6}


def test_request_permission_without_origin_header(web: Harness) -> None:
    web.one({"action": "requestPermission"})
    assert web.envelopes[0]["params"] == {"origin": "", "allowed": True}


def test_request_permission_overwrites_client_origin_and_allowed(web: Harness) -> None:
    body = {
        "action": "requestPermission",
        "params": {"origin": "http://localhost", "allowed": True},
    }
    web.settings = Settings(ignoreOriginList=("https://site.example",))
    response = web.one(body, origin="https://site.example")
    assert web.envelopes[0]["params"] == {"origin": "https://site.example", "allowed": False}
    assert json_of(response) == {"permission": "denied"}
    assert response.headers[1] == ("Access-Control-Allow-Origin", "https://site.example")


def test_request_permission_extra_params_are_a_type_error(web: Harness) -> None:
    body = {"action": "requestPermission", "params": {"please": True}}
    assert json_of(web.one(body, origin="https://site.example")) == {
        "result": None,
        "error": "AnkiConnect.requestPermission() got an unexpected keyword argument 'please'",
    }


def test_request_permission_from_disallowed_origin_waits_for_the_user(web: Harness) -> None:
    responses = web.send(
        {"action": "requestPermission", "version": 6}, origin="https://site.example"
    )
    assert responses == [] and web.asked == ["https://site.example"]
    web.answers[0].resolve((True, False))
    assert len(responses) == 1
    response = responses[0]
    assert response.headers[1] == ("Access-Control-Allow-Origin", "https://site.example")
    assert json_of(response)["result"] == {
        "permission": "granted",
        "requireApikey": False,
        "version": 6,
    }
    assert web.saved == [{"webCorsOriginList": ["http://localhost", "https://site.example"]}]


def test_request_permission_ignores_key_and_origin_gate(web: Harness) -> None:
    web.settings = Settings(apiKey="k", ignoreOriginList=("https://site.example",))
    body = {"action": "requestPermission", "key": "wrong", "version": 6}
    response = web.one(body, origin="https://site.example")
    assert json_of(response) == {"result": {"permission": "denied"}, "error": None}


def test_request_permission_body_errors_from_disallowed_origin_are_403(web: Harness) -> None:
    response = web.one(b'{"action": "requestPermission", "params": []}', origin="https://x.example")
    assert response.status == 403


def test_other_actions_from_disallowed_origin_do_not_get_injection(web: Harness) -> None:
    response = web.one({"action": "multi", "params": {"actions": []}}, origin="https://x.example")
    assert response.status == 403 and web.envelopes == []


# --- large bodies decoded on a worker ------------------------------------------------


def test_large_body_is_decoded_through_the_offload_hook() -> None:
    from plugin.api.json_body import LARGE_BODY

    offloaded: list[str] = []
    replies: list[HttpResponse] = []

    def offload(compute: Any, on_done: Any) -> None:
        offloaded.append("called")
        on_done(compute(), None)

    def run_request(envelope: Any, caller: Any, done: Any) -> None:
        done({"result": len(envelope["params"]["text"]), "error": None})

    app = WebApp(lambda: Settings(), run_request, offload=offload)
    text = "x" * LARGE_BODY
    body = json.dumps({"action": "version", "version": 6, "params": {"text": text}}).encode()
    app.handle(HttpRequest("POST", "/", "HTTP/1.1", {}, body), replies.append)
    assert offloaded == ["called"]
    assert json.loads(replies[0].body) == {"result": LARGE_BODY, "error": None}


def test_a_failure_after_offloading_still_answers() -> None:
    from plugin.api.json_body import LARGE_BODY

    replies: list[HttpResponse] = []

    def run_request(envelope: Any, caller: Any, done: Any) -> None:
        raise OSError("disk full")

    app = WebApp(
        lambda: Settings(), run_request, offload=lambda compute, on_done: on_done(compute(), None)
    )
    body = json.dumps({"action": "version", "params": {"t": "x" * LARGE_BODY}}).encode()
    app.handle(HttpRequest("POST", "/", "HTTP/1.1", {}, body), replies.append)
    assert replies[0].status == 500
    assert "disk full" in json.loads(replies[0].body)["error"]
