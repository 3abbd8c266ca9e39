"""Who may use the API: refused origins, DNS rebinding, API keys (every path),
``requestPermission`` abuse and binding beyond loopback — against real Anki.

The rule checked throughout: a refused request never *executes*. Each attack uses a
write action (createDeck, addNote, storeMediaFile) and the test then verifies on the
collection and on disk that nothing changed. The protocol basics (exact 403 bytes,
CORS headers, key texts) are in test_protocol_*.py; this module is about attacks.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import AnkiFactory
from .harness import AnkiInstance
from .support import (
    anki_eval,
    http_request,
    json_body,
    private_instance,
    wait_for,
)

KEY = "correct horse battery staple"
IGNORED_ORIGIN = "https://ignored.example"
EXTRA_HOST = "anki.home.arpa"
BARE_403 = (
    b"HTTP/1.1 403 Forbidden\r\n"
    b"Access-Control-Allow-Origin: http://localhost\r\n"
    b"Access-Control-Allow-Headers: *\r\n"
    b"Connection: close\r\n\r\n"  # no Content-Length: the connection ends the reply
)
REFUSED_ORIGINS = [
    "https://evil.example",
    "null",  # sandboxed iframes, file:// pages
    "",
    "http://localhost:3000",  # not allowed by default (§E.16)
    "https://localhost",
    "http://localhost.evil.example",
    "http://127.0.0.1.evil.example",
    "https://127.0.0.1:8443",
    "HTTP://LOCALHOST",
    "http://[::1]",
    "http://0.0.0.0",
]
PACKAGE = "service.__class__.__module__.rsplit('.', 1)[0]"  # the add-on's package name
PERMISSION = (
    "import importlib\n"
    "from aqt.qt import QMessageBox\n"
    f"permission = importlib.import_module({PACKAGE} + '.gui.permission')\n"
    "dialogs = permission.OPEN_DIALOGS\n"
)
STATUS = f"import importlib\nstatus = importlib.import_module({PACKAGE} + '.gui.status')\n"


@pytest.fixture(scope="module")
def key_anki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnkiInstance]:
    config = {
        "apiKey": KEY,
        "ignoreOriginList": [IGNORED_ORIGIN],
        "webAllowedHosts": [EXTRA_HOST],
    }
    base = tmp_path_factory.mktemp("keyed") / "base"
    with private_instance(base, config, api_key=KEY) as instance:
        yield instance


# --------------------------------------------------------------------------- state


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


class Writes:
    """Three write attempts with unique names, and a check that none of them landed."""

    def __init__(self, instance: AnkiInstance) -> None:
        self.instance = instance
        self.deck = unique("Attack")
        self.front = unique("attack-front-")
        self.media = unique("attack-") + ".txt"
        self.media_dir = instance.invoke("getMediaDirPath")

    def envelopes(self, key: str | None = None) -> list[dict[str, Any]]:
        note = {
            "deckName": "Default",
            "modelName": "Basic",
            "fields": {"Front": self.front, "Back": "x"},
        }
        data = base64.b64encode(b"pwned").decode()
        envelopes = [
            {"action": "createDeck", "version": 6, "params": {"deck": self.deck}},
            {"action": "addNote", "version": 6, "params": {"note": note}},
            {
                "action": "storeMediaFile",
                "version": 6,
                "params": {"filename": self.media, "data": data},
            },
        ]
        envelopes.append({"action": "multi", "version": 6, "params": {"actions": list(envelopes)}})
        if key is not None:
            for envelope in envelopes:
                envelope["key"] = key
        return envelopes

    def assert_nothing_written(self) -> None:
        assert self.deck not in self.instance.invoke("deckNames")
        assert self.instance.invoke("findNotes", query=f'"Front:{self.front}"') == []
        assert not os.path.exists(os.path.join(self.media_dir, self.media))
        assert self.instance.invoke("getMediaFilesNames", pattern=self.media) == []


def send(
    instance: AnkiInstance, envelope: dict[str, Any] | bytes, headers: dict[str, str], **kw: Any
) -> bytes:
    body = envelope if isinstance(envelope, bytes) else json.dumps(envelope).encode()
    return instance.send_raw(http_request(instance, body, headers, **kw))


# --------------------------------------------------------------------------- origins


@pytest.mark.parametrize("origin", REFUSED_ORIGINS)
def test_refused_origin_never_executes_a_write(anki: AnkiInstance, origin: str) -> None:
    writes = Writes(anki)
    for envelope in writes.envelopes():
        # a "simple" cross-site request needs no preflight: the server must refuse it
        for headers in (
            {"Origin": origin, "Content-Type": "text/plain"},
            {"Origin": origin, "Content-Type": "application/x-www-form-urlencoded"},
        ):
            assert send(anki, envelope, headers) == BARE_403
        assert send(anki, envelope, {"Origin": origin}, method="GET") == BARE_403
    writes.assert_nothing_written()


def test_last_origin_header_wins_and_is_the_one_judged(anki: AnkiInstance) -> None:
    writes = Writes(anki)
    request = http_request(
        anki, json.dumps(writes.envelopes()[0]).encode(), {"Origin": "http://localhost"}
    )
    # a second Origin header (last wins, §A.1) cannot sneak past the check
    request = request.replace(b"\r\n\r\n", b"\r\nOrigin: https://evil.example\r\n\r\n", 1)
    assert anki.send_raw(request) == BARE_403
    writes.assert_nothing_written()


def test_options_preflight_with_a_body_executes_nothing(anki: AnkiInstance) -> None:
    writes = Writes(anki)
    for envelope in writes.envelopes():
        raw = send(anki, envelope, {"Origin": "https://evil.example"}, method="OPTIONS")
        assert raw.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"Access-Control-Allow-Origin: http://localhost\r\n" in raw
    writes.assert_nothing_written()


def test_refused_origin_on_keep_alive_gets_403_and_the_connection_closes(
    anki: AnkiInstance,
) -> None:
    """Browsers keep connections alive; the 403 has no Content-Length, so its end is
    the end of the connection. Keeping it open left the page waiting 30 s."""
    writes = Writes(anki)
    body = json.dumps(writes.envelopes()[0]).encode()
    follow_up = http_request(anki, json.dumps(writes.envelopes()[1]).encode())
    with anki.raw_connection() as conn:
        conn.send(
            http_request(anki, body, {"Origin": "https://evil.example", "Connection": "keep-alive"})
        )
        conn.send(follow_up)  # pipelined after the 403: never read, the connection ends
        assert conn.read_all() == BARE_403
    writes.assert_nothing_written()


# --------------------------------------------------------------------------- DNS rebinding

REBINDING_HOSTS = [
    "evil.example",
    "evil.example:8765",
    "localhost.evil.example",
    "127.0.0.1.nip.io",
    "0.0.0.0",
    "2130706433",  # 127.0.0.1 as a decimal number: a browser would have normalised it
    "[::ffff:7f00:1].evil",
]


@pytest.mark.parametrize("host", REBINDING_HOSTS)
def test_dns_rebinding_host_is_refused_and_executes_nothing(anki: AnkiInstance, host: str) -> None:
    writes = Writes(anki)
    for envelope in writes.envelopes():
        for headers in ({}, {"Origin": "http://localhost"}):
            with anki.raw_connection() as conn:
                conn.send(http_request(anki, json.dumps(envelope).encode(), headers, host=host))
                response = conn.read_response()
            assert response.status == 403
            assert "DNS rebinding" in response.json()["error"]
    writes.assert_nothing_written()


def test_duplicate_host_headers_last_wins(anki: AnkiInstance) -> None:
    writes = Writes(anki)
    request = http_request(anki, json.dumps(writes.envelopes()[0]).encode())
    request = request.replace(b"\r\n\r\n", b"\r\nHost: evil.example\r\n\r\n", 1)
    raw = anki.send_raw(request)
    assert raw.startswith(b"HTTP/1.1 403 ")
    writes.assert_nothing_written()


def test_web_allowed_hosts_lets_a_configured_name_in(key_anki: AnkiInstance) -> None:
    body = json_body("version")[:-1] + f', "key": {json.dumps(KEY)}}}'.encode()
    raw = key_anki.send_raw(http_request(key_anki, body, host=f"{EXTRA_HOST}:{key_anki.port}"))
    assert raw.endswith(b'{"result": 6, "error": null}')
    raw = key_anki.send_raw(http_request(key_anki, body, host="other.home.arpa"))
    assert raw.startswith(b"HTTP/1.1 403 ")


# --------------------------------------------------------------------------- api key

WRONG_KEYS: list[Any] = [
    None,
    "",
    "wrong",
    KEY.upper(),
    KEY + " ",
    " " + KEY,
    KEY[:-1],
    0,
    True,
    [KEY],
    {"key": KEY},
]


def _envelope(action: str, key: Any = "absent", **params: Any) -> dict[str, Any]:
    envelope: dict[str, Any] = {"action": action, "version": 6, "params": params}
    if key != "absent":
        envelope["key"] = key
    return envelope


def test_every_wrong_key_is_refused_and_nothing_runs(key_anki: AnkiInstance) -> None:
    writes = Writes(key_anki)
    for wrong in ["absent", *WRONG_KEYS]:
        for envelope in writes.envelopes():
            envelope = dict(envelope)
            envelope.pop("key", None)
            if wrong != "absent":
                envelope["key"] = wrong
            reply = key_anki.request(envelope)
            assert reply == {"result": None, "error": "valid api key must be provided"}, wrong
        # the key check comes before the action lookup (§A.4)
        reply = key_anki.request(_envelope("noSuchAction", wrong))
        assert reply["error"] == "valid api key must be provided"
    # a key in params is not a key
    reply = key_anki.request({"action": "deckNames", "version": 6, "params": {"key": KEY}})
    assert reply["error"] == "valid api key must be provided"
    writes.assert_nothing_written()
    assert key_anki.request(_envelope("version", KEY)) == {"result": 6, "error": None}


def test_multi_items_each_need_the_key(key_anki: AnkiInstance) -> None:
    writes = Writes(key_anki)
    unkeyed = writes.envelopes()[:3]  # createDeck, addNote, storeMediaFile
    wrong = [{**item, "key": "wrong"} for item in unkeyed]
    reply = key_anki.request(_envelope("multi", KEY, actions=[*unkeyed, *wrong]))
    assert reply["error"] is None
    assert reply["result"] == [{"result": None, "error": "valid api key must be provided"}] * 6
    # nested multi: the inner multi carries the key, its items do not
    inner = {"action": "multi", "key": KEY, "params": {"actions": unkeyed}}
    reply = key_anki.request(_envelope("multi", KEY, actions=[inner]))
    assert reply["result"] == [[{"result": None, "error": "valid api key must be provided"}] * 3]
    # and the outer multi without a key runs nothing at all
    keyed = [{**item, "key": KEY} for item in unkeyed]
    assert key_anki.request(_envelope("multi", actions=keyed))["error"] == (
        "valid api key must be provided"
    )
    writes.assert_nothing_written()
    reply = key_anki.request(_envelope("multi", KEY, actions=[{"action": "version", "key": KEY}]))
    assert reply == {"result": [6], "error": None}


def test_in_process_api_checks_the_key_like_http(key_anki: AnkiInstance) -> None:
    writes = Writes(key_anki)
    code = f"""
api = mw.ankiconnect
deck = {writes.deck!r}
key = {KEY!r}
result = {{
    'no key': api.invoke('createDeck', {{'deck': deck}}),
    'wrong key': api.invoke('createDeck', {{'deck': deck}}, key='nope'),
    'multi item without key': api.invoke(
        'multi', {{'actions': [{{'action': 'createDeck', 'params': {{'deck': deck}}}}]}}, key=key),
    'with key': api.invoke('version', key=key),
    'call uses the configured key': api.call('version'),
}}
"""
    result = anki_eval(key_anki, code)
    refused = {"result": None, "error": "valid api key must be provided"}
    assert result["no key"] == refused
    assert result["wrong key"] == refused
    assert result["multi item without key"] == {"result": [refused], "error": None}
    assert result["with key"] == {"result": 6, "error": None}
    assert result["call uses the configured key"] == 6
    writes.assert_nothing_written()


def test_test_hook_obeys_the_key_too(key_anki: AnkiInstance) -> None:
    reply = key_anki.request({"action": "__testEval", "params": {"code": "result = 1"}})
    assert reply == {"result": None, "error": "valid api key must be provided"}


def test_request_permission_needs_no_key_and_reveals_only_that_one_is_needed(
    key_anki: AnkiInstance,
) -> None:
    reply = key_anki.request({"action": "requestPermission", "version": 6})
    assert reply == {
        "result": {"permission": "granted", "requireApikey": True, "version": 6},
        "error": None,
    }
    raw = send(key_anki, {"action": "requestPermission", "version": 6}, {"Origin": IGNORED_ORIGIN})
    assert raw.endswith(b'{"result": {"permission": "denied"}, "error": null}')


# --------------------------------------------------------------------------- requestPermission


def open_dialog_count(instance: AnkiInstance) -> int:
    return anki_eval(instance, PERMISSION + "result = len(dialogs)")


def close_dialogs(instance: AnkiInstance) -> None:
    anki_eval(
        instance,
        PERMISSION
        + "for box in list(dialogs):\n    box.button(QMessageBox.StandardButton.No).click()",
    )


def test_refused_origin_cannot_smuggle_params_or_other_actions(anki: AnkiInstance) -> None:
    writes = Writes(anki)
    evil = {"Origin": "https://evil.example"}
    cases = [
        # extra params are Python kwargs of requestPermission: refused before it runs
        {"action": "requestPermission", "params": {"actions": writes.envelopes()}},
        {"action": "requestPermission", "params": {"deck": writes.deck}},
    ]
    for envelope in cases:
        reply = json.loads(send(anki, envelope, evil).partition(b"\r\n\r\n")[2])
        assert reply["result"] is None
        assert "got an unexpected keyword argument" in reply["error"]
    # duplicate "action" keys: the gate and the dispatcher read the same parsed value
    dup_write_last = (
        b'{"action": "requestPermission", "action": "createDeck", "params": {"deck": "%s"}}'
        % writes.deck.encode()
    )
    assert send(anki, dup_write_last, evil) == BARE_403
    dup_permission_last = (
        b'{"action": "createDeck", "action": "requestPermission", "params": {"deck": "%s"}}'
        % writes.deck.encode()
    )
    assert b"unexpected keyword argument 'deck'" in send(anki, dup_permission_last, evil)
    # lookalike names are ordinary (refused) actions
    for name in ("RequestPermission", "requestPermission ", "requestpermission"):
        assert send(anki, {"action": name}, evil) == BARE_403
    # requestPermission inside multi: the multi itself is refused
    multi = {
        "action": "multi",
        "params": {"actions": [{"action": "requestPermission"}, *writes.envelopes()]},
    }
    assert send(anki, multi, evil) == BARE_403
    assert open_dialog_count(anki) == 0
    writes.assert_nothing_written()


def test_request_permission_in_multi_from_a_local_tool_fails(anki: AnkiInstance) -> None:
    reply = anki.call("multi", actions=[{"action": "requestPermission", "version": 6}])
    assert reply == {
        "result": [
            {
                "result": None,
                "error": "AnkiConnect.requestPermission() missing 2 required positional "
                "arguments: 'origin' and 'allowed'",
            }
        ],
        "error": None,
    }


def test_refused_origin_claiming_to_be_allowed_gets_a_dialog_for_itself(
    anki: AnkiInstance,
) -> None:
    body = json.dumps(
        {
            "action": "requestPermission",
            "version": 6,
            "params": {"origin": "http://localhost", "allowed": True},
        }
    ).encode()
    before = anki_eval(anki, "result = list(service.settings.webCorsOriginList)")
    with anki.raw_connection(timeout=20) as conn:
        conn.send(http_request(anki, body, {"Origin": "https://liar.example"}))
        texts = wait_for(
            lambda: anki_eval(anki, PERMISSION + "result = [b.text() for b in dialogs]"),
            what="the permission dialog",
        )
        assert len(texts) == 1 and "https://liar.example" in texts[0]
        close_dialogs(anki)
        response = conn.read_response()
    assert response.json() == {"result": {"permission": "denied"}, "error": None}
    assert response.header("Access-Control-Allow-Origin") == "https://liar.example"
    assert anki_eval(anki, "result = list(service.settings.webCorsOriginList)") == before


def test_permission_requests_from_one_origin_share_one_dialog(anki: AnkiInstance) -> None:
    body = json_body("requestPermission")
    connections = [anki.raw_connection(timeout=20) for _ in range(10)]
    try:
        for conn in connections:
            conn.send(http_request(anki, body, {"Origin": "https://spammer.example"}))
        wait_for(lambda: open_dialog_count(anki) >= 1, what="a permission dialog")
        wait_for(  # every request has arrived and waits for the answer
            lambda: (
                anki_eval(
                    anki,
                    "result = sum(1 for c in service.server.connections if c.in_flight is not None)",
                )
                >= 10
            ),
            what="all ten requests to be waiting",
        )
        count = open_dialog_count(anki)
        close_dialogs(anki)
        for conn in connections:
            assert conn.read_response().json()["result"] == {"permission": "denied"}
    finally:
        close_dialogs(anki)
        for conn in connections:
            conn.close()
    assert count == 1


# --------------------------------------------------------------------------- binding


def test_binding_to_all_interfaces(anki_factory: AnkiFactory) -> None:
    """Only loopback traffic is sent; the instances live for a few seconds."""
    bare = anki_factory({"webBindAddress": "0.0.0.0"}, start=False)
    keyed = anki_factory({"webBindAddress": "0.0.0.0", "apiKey": KEY}, start=False, api_key=KEY)
    for instance in (bare, keyed):
        instance.launch()
    for instance in (bare, keyed):
        instance.wait_until_ready()

    # without a key: a warning in the log and in the status dialog; requests work
    assert "AnkiConnect: WARNING: listening on 0.0.0.0 without an apiKey" in bare.log
    shown = anki_eval(
        bare,
        STATUS + "dialog = status.show_status(service)\n"
        "result = [status.warnings_text(service.settings), dialog.warning.text(),"
        " dialog.warning.isVisible(), dialog.listening.text()]\n"
        "dialog.close()",
    )
    assert "0.0.0.0" in shown[0] and "apiKey" in shown[0]
    assert shown[1] == shown[0] and shown[2] is True
    assert "0.0.0.0" in shown[3]
    assert bare.call("version") == {"result": 6, "error": None}

    # with a key: no warning, and the key is what protects it (no Host check applies
    # to a non-loopback bind, so a foreign Host with the key is served)
    assert "WARNING" not in keyed.log
    assert keyed.call("version") == {"result": 6, "error": None}
    raw = keyed.send_raw(
        http_request(keyed, json_body("createDeck", deck="LanDeck"), host="anki.lan")
    )
    assert raw.endswith(b'{"result": null, "error": "valid api key must be provided"}')
    assert "LanDeck" not in keyed.invoke("deckNames")
    body = json.dumps({"action": "version", "version": 6, "key": KEY}).encode()
    raw = keyed.send_raw(http_request(keyed, body, host="anki.lan"))
    assert raw.endswith(b'{"result": 6, "error": null}')
    status = anki_eval(
        keyed,
        STATUS + "result = status.warnings_text(service.settings)",
    )
    assert status == ""
