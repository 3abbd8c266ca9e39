"""Spec §A.4 (API key), §A.6 (origin/CORS), §E.7/§E.16 and our Host/size limits, over
HTTP against real Anki.

Default-config behaviour is checked on the shared instance. The rest uses one private
instance booted with ``ANKICONNECT_CORS_ORIGIN``, ``webAllowedHosts`` and a small
``webMaxBodySize``; the origin lists and ``apiKey`` are then changed while it runs
(the spec says they are re-read on every request), each test restoring the config.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .harness import AnkiInstance
from .support import anki_eval, http_request, json_body, private_instance

FORBIDDEN = (
    b"HTTP/1.1 403 Forbidden\r\n"
    b"Access-Control-Allow-Origin: http://localhost\r\n"
    b"Access-Control-Allow-Headers: *\r\n"
    b"Connection: close\r\n\r\n"  # no Content-Length: the connection ends the reply
)
ENV_ORIGIN = "http://env.example"
MAX_BODY = 4096
IDLE_MS = 1000


def with_origin(anki: AnkiInstance, origin: str | None, body: bytes, **kwargs: Any) -> bytes:
    headers = {"Origin": origin} if origin is not None else {}
    return anki.send_raw(http_request(anki, body, headers, **kwargs))


def acao(raw: bytes) -> str | None:
    head = raw.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(": ")
        if name == "Access-Control-Allow-Origin":
            return value
    return None


def reply_of(raw: bytes) -> Any:
    assert raw.startswith(b"HTTP/1.1 200 OK\r\n"), raw[:200]
    return json.loads(raw.split(b"\r\n\r\n", 1)[1])


# --------------------------------------------------------------------------- default config


REFUSED = [
    "https://evil.example",
    "http://localhost:3000",
    "https://127.0.0.1:8080",
    "null",
    "http://127.0.0.1.evil.example",
    "https://localhost",
    "HTTP://LOCALHOST",
]


@pytest.mark.parametrize("origin", REFUSED)
def test_refused_origins_get_a_bare_403_and_nothing_runs(anki: AnkiInstance, origin: str) -> None:
    before = anki.invoke("deckNames")
    raw = with_origin(anki, origin, json_body("createDeck", deck="From a refused origin"))
    assert raw == FORBIDDEN
    assert anki.invoke("deckNames") == before
    # an empty body (banner) is refused too
    assert with_origin(anki, origin, b"", method="GET") == FORBIDDEN


ALLOWED = [
    "http://localhost",
    "http://127.0.0.1",
    "https://127.0.0.1",
    "http://127.0.0.1:3000",
    "chrome-extension://abc",
    "moz-extension://x",
    "safari-web-extension://y",
]


@pytest.mark.parametrize("origin", ALLOWED)
def test_allowed_origins_are_echoed(anki: AnkiInstance, origin: str) -> None:
    raw = with_origin(anki, origin, json_body("version"))
    assert acao(raw) == origin
    assert reply_of(raw) == {"result": 6, "error": None}
    banner = with_origin(anki, origin, b"", method="GET")
    assert acao(banner) == origin
    assert reply_of(banner) == {"apiVersion": "AnkiConnect v.6"}


def test_no_origin_is_allowed_with_localhost_acao(anki: AnkiInstance) -> None:
    raw = with_origin(anki, None, json_body("version"))
    assert acao(raw) == "http://localhost"
    assert reply_of(raw) == {"result": 6, "error": None}


def test_request_permission_is_granted_at_once_to_allowed_callers(
    anki: AnkiInstance,
) -> None:
    # allowed origin: granted at once, bare at the default version 4
    raw = with_origin(anki, "http://127.0.0.1:5000", b'{"action": "requestPermission"}')
    assert acao(raw) == "http://127.0.0.1:5000"
    assert reply_of(raw) == {"permission": "granted", "requireApikey": False, "version": 6}
    raw = with_origin(anki, None, json_body("requestPermission"))
    assert reply_of(raw) == {
        "result": {"permission": "granted", "requireApikey": False, "version": 6},
        "error": None,
    }


# --------------------------------------------------------------------------- private instance


@pytest.fixture(scope="module")
def custom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnkiInstance]:
    root = tmp_path_factory.mktemp("anki-security")
    api_log = root / "api.log"
    api_log.write_text("left over from an earlier run\n", encoding="utf8")
    config = {
        "webAllowedHosts": ["anki.example", "Other.Example:1234"],
        "webMaxBodySize": MAX_BODY,
        "webIdleTimeout": IDLE_MS,
        "apiLogPath": str(api_log),
    }
    env = {
        "ANKICONNECT_CORS_ORIGIN": ENV_ORIGIN,
        # ineffective: the shipped config.json sets webBindAddress (spec §A.8)
        "ANKICONNECT_BIND_ADDRESS": "127.0.0.2",
    }
    with private_instance(root / "base", config, extra_env=env) as instance:
        yield instance


@contextlib.contextmanager
def configured(anki: AnkiInstance, **changes: Any) -> Iterator[None]:
    """Change the running add-on's config like the config dialog does; restore after."""
    snapshot = anki_eval(anki, "result = mw.addonManager.getConfig(service.module)")
    anki_eval(
        anki,
        "cfg = mw.addonManager.getConfig(service.module)\n"
        f"cfg.update({changes!r})\n"
        "mw.addonManager.writeConfig(service.module, cfg)\n"
        "service.on_config_updated(cfg)",
    )
    old_key = anki.api_key
    anki.api_key = (changes["apiKey"] or None) if "apiKey" in changes else old_key
    try:
        yield
    finally:
        anki_eval(
            anki,
            f"cfg = {snapshot!r}\n"
            "mw.addonManager.writeConfig(service.module, cfg)\n"
            "service.on_config_updated(cfg)",
        )
        anki.api_key = old_key


def test_legacy_cors_origin_from_environment(custom: AnkiInstance) -> None:
    raw = with_origin(custom, ENV_ORIGIN, json_body("version"))
    assert acao(raw) == ENV_ORIGIN
    assert reply_of(raw)["result"] == 6
    # the default list still applies next to it
    assert acao(with_origin(custom, "moz-extension://x", json_body("version"))) == (
        "moz-extension://x"
    )
    assert with_origin(custom, "https://evil.example", json_body("version")) == FORBIDDEN


def test_legacy_cors_origin_from_config_overrides_the_environment(custom: AnkiInstance) -> None:
    with configured(custom, webCorsOrigin="http://legacy.example"):
        raw = with_origin(custom, "http://legacy.example", json_body("version"))
        assert acao(raw) == "http://legacy.example"
        assert with_origin(custom, ENV_ORIGIN, json_body("version")) == FORBIDDEN


def test_star_allows_every_origin_with_star_acao(custom: AnkiInstance) -> None:
    with configured(custom, webCorsOriginList=["*"]):
        for origin in ("https://evil.example", "null", None):
            raw = with_origin(custom, origin, json_body("version"))
            assert acao(raw) == "*"
            assert reply_of(raw) == {"result": 6, "error": None}
        options = with_origin(custom, "https://evil.example", b"", method="OPTIONS")
        assert acao(options) == "*"
    assert with_origin(custom, "https://evil.example", json_body("version")) == FORBIDDEN


def test_list_without_localhost_drops_the_loopback_and_extension_rules(
    custom: AnkiInstance,
) -> None:
    with configured(custom, webCorsOriginList=["https://only.example"]):
        assert acao(with_origin(custom, "https://only.example", json_body("version"))) == (
            "https://only.example"
        )
        for origin in ("http://127.0.0.1:3000", "chrome-extension://abc", "http://localhost"):
            assert with_origin(custom, origin, json_body("version")) == FORBIDDEN
        # still allowed: the legacy origin from the environment, and no Origin at all
        assert reply_of(with_origin(custom, ENV_ORIGIN, json_body("version")))["result"] == 6
        assert reply_of(with_origin(custom, None, json_body("version")))["result"] == 6


def test_allowed_hosts_setting(custom: AnkiInstance) -> None:
    for host in ("anki.example", "ANKI.example:8765", "other.example", "localhost:1"):
        raw = custom.send_raw(http_request(custom, json_body("version"), host=host))
        assert reply_of(raw) == {"result": 6, "error": None}, host
    raw = custom.send_raw(http_request(custom, json_body("version"), host="evil.example"))
    assert raw.startswith(b"HTTP/1.1 403 Forbidden\r\n")
    assert json.loads(raw.split(b"\r\n\r\n", 1)[1])["result"] is None


def test_max_body_size(custom: AnkiInstance) -> None:
    padding = " " * (MAX_BODY - len(json_body("version")))
    fits = json_body("version")[:-1] + padding.encode() + b"}"
    assert len(fits) == MAX_BODY
    assert reply_of(custom.send_raw(http_request(custom, fits))) == {"result": 6, "error": None}

    too_big = fits[:-1] + b" }"
    with custom.raw_connection() as conn:
        conn.send(http_request(custom, too_big))
        response = conn.read_response()
    assert response.status == 413
    assert response.header("Content-Type") == "application/json"
    reply = response.json()
    assert reply["result"] is None and "webMaxBodySize" in reply["error"]

    # announced only: refused before the body is sent, without a "100 Continue"
    for extra in ({}, {"Expect": "100-continue"}):
        head = http_request(custom, headers={**extra, "Content-Length": str(10**9)})
        with custom.raw_connection() as conn:
            conn.send(head)
            assert conn.read_response().status == 413

    # chunked bodies are counted too
    chunk = b"x" * 3000
    chunked = http_request(custom, headers={"Transfer-Encoding": "chunked"})
    chunked += b"%x\r\n%s\r\n" % (len(chunk), chunk) * 2 + b"0\r\n\r\n"
    with custom.raw_connection() as conn:
        conn.send(chunked)
        assert conn.read_response().status == 413
    assert custom.call("version") == {"result": 6, "error": None}


# --------------------------------------------------------------------------- API key


def post_envelope(anki: AnkiInstance, envelope: dict[str, Any]) -> Any:
    status, _headers, body = anki.post_raw(json.dumps(envelope).encode())
    assert status == 200
    return json.loads(body)


def test_api_key_rules(custom: AnkiInstance) -> None:
    key_error = {"result": None, "error": "valid api key must be provided"}
    with configured(custom, apiKey="secret"):
        assert post_envelope(custom, {"action": "version", "version": 6}) == key_error
        assert post_envelope(custom, {"action": "version", "key": None}) == key_error
        assert post_envelope(custom, {"action": "version", "key": "wrong"}) == key_error
        assert post_envelope(custom, {"action": "version", "key": "SECRET"}) == key_error
        assert post_envelope(custom, {"action": "version", "key": ["secret"]}) == key_error
        assert post_envelope(custom, {"action": "version", "key": "secret"}) == 6
        assert post_envelope(custom, {"action": "version", "key": "secret", "version": 6}) == {
            "result": 6,
            "error": None,
        }
        # the key check comes before the action lookup
        assert post_envelope(custom, {"action": "nope", "version": 6}) == key_error
        assert post_envelope(custom, {"action": "nope", "key": "secret"}) == {
            "result": None,
            "error": "unsupported action",
        }
        # and before param checks
        assert post_envelope(custom, {"action": "createDeck"}) == key_error
        # an allowed origin still needs the key; a refused one still gets 403
        raw = with_origin(custom, "chrome-extension://abc", json_body("version"))
        assert reply_of(raw) == key_error
        assert with_origin(custom, "https://evil.example", json_body("version")) == FORBIDDEN


def test_api_key_is_checked_per_multi_item(custom: AnkiInstance) -> None:
    key_error = {"result": None, "error": "valid api key must be provided"}
    with configured(custom, apiKey="secret"):
        reply = post_envelope(
            custom,
            {
                "action": "multi",
                "version": 6,
                "key": "secret",
                "params": {
                    "actions": [
                        {"action": "version"},
                        {"action": "version", "key": "secret"},
                        {"action": "version", "key": "wrong", "version": 6},
                        {"action": "nope", "key": "secret"},
                        {"action": "requestPermission"},
                    ]
                },
            },
        )
        assert reply == {
            "result": [
                key_error,
                6,
                key_error,
                {"result": None, "error": "unsupported action"},
                {
                    "result": None,
                    "error": "AnkiConnect.requestPermission() missing 2 required positional"
                    " arguments: 'origin' and 'allowed'",
                },
            ],
            "error": None,
        }
        # the outer request needs the key as well
        outer = {"action": "multi", "params": {"actions": [{"action": "version", "key": "secret"}]}}
        assert post_envelope(custom, outer) == key_error


def test_request_permission_is_exempt_from_the_key(custom: AnkiInstance) -> None:
    with configured(custom, apiKey="secret"):
        granted = {"permission": "granted", "requireApikey": True, "version": 6}
        assert post_envelope(custom, {"action": "requestPermission"}) == granted
        assert post_envelope(custom, {"action": "requestPermission", "key": "wrong"}) == granted
        raw = with_origin(custom, "http://127.0.0.1:3000", json_body("requestPermission"))
        assert reply_of(raw) == {"result": granted, "error": None}


def test_empty_api_key_means_none(custom: AnkiInstance) -> None:
    with configured(custom, apiKey=""):
        assert post_envelope(custom, {"action": "version"}) == 6
        assert post_envelope(custom, {"action": "version", "key": ""})["error"] == (
            "valid api key must be provided"
        )
        assert post_envelope(custom, {"action": "requestPermission"})["requireApikey"] is False


def test_in_process_api_with_a_key(custom: AnkiInstance) -> None:
    with configured(custom, apiKey="secret"):
        code = (
            "api = mw.ankiconnect\n"
            "result = [api.invoke('version'), api.invoke('version', key='wrong'),"
            " api.invoke('version', key='secret'), api.invoke('deckNames', version=4,"
            " key='secret'), api.call('version')]"
        )
        first, wrong, right, names, called = anki_eval(custom, code)
    assert first == {"result": None, "error": "valid api key must be provided"}
    assert wrong == first
    assert right == {"result": 6, "error": None}
    assert "Default" in names
    assert called == 6  # call() supplies the configured key itself


def test_config_restored_after_key_tests(custom: AnkiInstance) -> None:
    assert custom.api_key is None
    assert post_envelope(custom, {"action": "version"}) == 6
    meta = json.loads((custom.addon_dir / "meta.json").read_text(encoding="utf8"))
    assert meta["config"].get("apiKey") is None


# --------------------------------------------------------------------------- other settings


def test_bind_address_env_var_is_shadowed_by_the_shipped_config(custom: AnkiInstance) -> None:
    assert anki_eval(custom, "result = [service.settings.webBindAddress, service.addresses]") == [
        "127.0.0.1",
        [f"127.0.0.1:{custom.port}", f"[::1]:{custom.port}"],
    ]


def test_idle_connections_are_closed(custom: AnkiInstance) -> None:
    with custom.raw_connection() as conn:
        conn.send(http_request(custom, json_body("version"))[:30])
        started = time.monotonic()
        assert conn.is_closed_by_peer(wait=IDLE_MS / 1000 + 3)
        assert time.monotonic() - started >= IDLE_MS / 1000 - 0.5
        assert conn.read_all() == b""  # closed without a response
    assert custom.call("version") == {"result": 6, "error": None}


def test_api_log(custom: AnkiInstance) -> None:
    log_path = Path(anki_eval(custom, "result = service.settings.apiLogPath"))
    envelope = {"action": "deckNames", "version": 6, "params": {}}
    reply = post_envelope(custom, envelope)
    text = log_path.read_text(encoding="utf8")
    assert not text.startswith("left over"), "truncated when Anki starts"
    request_entry = "[request]\n" + json.dumps(envelope, indent=4, sort_keys=True) + "\n"
    reply_entry = "[reply]\n" + json.dumps(reply, indent=4, sort_keys=True) + "\n"
    assert request_entry + "\n" + reply_entry in text
