"""The policy for hostile content as pure functions, and where WebApp applies it.

Who is calling (a local program, one of Anki's own pages, a web origin), what each
action does (plugin/api/effects.py), which addresses a web origin may make Anki
fetch from, and which file paths it may name. docs/security.md maps each to a row.
"""

from __future__ import annotations

import http.server
import json
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from anki.collection import Collection

from plugin.api.context import Caller
from plugin.api.effects import ACTION_EFFECTS, EFFECTS
from plugin.api.log import REDACTED, ApiLog, redact_keys
from plugin.api.registry import REGISTRY
from plugin.api.security import (
    anki_page_effects,
    effect_refusal,
    file_path_refusal,
    is_anki_page_request,
    is_anki_page_url,
    is_public_address,
    request_effects,
    url_guard_applies,
)
from plugin.api.web import WebApp, _effect_of
from plugin.config import Settings, settings_from
from plugin.media.download import download
from plugin.media.public_http import AddressRefused, connect_public
from tests.listener import LoopbackListener, loopback_listener

ANKI_PORT = 40123  # stands for the port Anki's media server reports
ANKI_PAGE = f"http://127.0.0.1:{ANKI_PORT}"
EXTENSION = "chrome-extension://likgccmbimhjbgkjambclfkhldnlhbnn"

# --- every action has one effect ----------------------------------------------------------


def test_every_action_has_exactly_one_declared_effect() -> None:
    import plugin.actions  # noqa: F401  (fills the registry)

    assert set(REGISTRY) == set(ACTION_EFFECTS)
    assert {a.effect for a in REGISTRY.values()} == set(EFFECTS)
    assert REGISTRY["deckNames"].effect == "reads"
    assert REGISTRY["createDeck"].effect == "writes"
    assert REGISTRY["guiBrowse"].effect == "gui"
    assert REGISTRY["exportPackage"].effect == "files"
    # the quirky readers that create decks count as writes
    assert REGISTRY["getDeckStats"].effect == "writes"


# --- who is calling -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "is_anki"),
    [
        (ANKI_PAGE, True),
        (f"http://localhost:{ANKI_PORT}", True),
        (f"http://[::1]:{ANKI_PORT}", True),
        (f"{ANKI_PAGE}/_anki/legacyPageData?id=123", True),  # a Referer
        ("http://127.0.0.1:3000", False),  # another local web app
        ("http://127.0.0.1", False),
        (f"http://example.com:{ANKI_PORT}", False),
        (f"http://127.0.0.2:{ANKI_PORT}", False),
        (EXTENSION, False),
        ("null", False),
        ("", False),
        (None, False),
        ("http://127.0.0.1:notaport", False),
    ],
)
def test_anki_page_is_recognised_by_host_and_media_server_port(
    value: str | None, is_anki: bool
) -> None:
    assert is_anki_page_url(value, (ANKI_PORT,)) is is_anki


def test_unknown_media_server_port_counts_every_loopback_page() -> None:
    assert is_anki_page_url("http://127.0.0.1:3000", None)
    assert not is_anki_page_url(EXTENSION, None)


def test_origin_or_referer_makes_an_anki_page() -> None:
    assert is_anki_page_request(ANKI_PAGE, None, (ANKI_PORT,))
    assert is_anki_page_request(None, f"{ANKI_PAGE}/_anki/x", (ANKI_PORT,))
    # a page that sends another Origin but Anki's Referer is still judged as Anki's
    assert is_anki_page_request("null", f"{ANKI_PAGE}/", (ANKI_PORT,))
    assert not is_anki_page_request(EXTENSION, "https://example.com/", (ANKI_PORT,))
    assert not is_anki_page_request(None, None, (ANKI_PORT,))


def test_caller_kinds() -> None:
    assert Caller().kind == "local"
    assert Caller(in_process=True).kind == "local"
    assert Caller(origin=EXTENSION).kind == "web"
    assert Caller(origin=ANKI_PAGE, anki_page=True).kind == "anki_page"
    assert not Caller(origin=None, remote="127.0.0.1", anki_page=True).is_local_tool


# --- what Anki's pages may do -------------------------------------------------------------


def _effects(envelope: dict[str, Any]) -> list[tuple[str, Any]]:
    import plugin.actions  # noqa: F401

    return request_effects(envelope, _effect_of)


def test_request_effects_walk_nested_multi() -> None:
    envelope = {
        "action": "multi",
        "params": {
            "actions": [
                {"action": "deckNames"},
                {"action": "multi", "params": {"actions": [{"action": "createDeck"}]}},
                {"action": "noSuchAction"},
                "not an item",
                {"action": 5},
            ]
        },
    }
    assert _effects(envelope) == [
        ("multi", "reads"),
        ("deckNames", "reads"),
        ("multi", "reads"),
        ("createDeck", "writes"),
    ]


def test_too_deep_multi_counts_as_a_write() -> None:
    envelope: dict[str, Any] = {"action": "deckNames"}
    for _ in range(100):
        envelope = {"action": "multi", "params": {"actions": [envelope]}}
    assert ("multi", "writes") in _effects(envelope)


def test_anki_pages_may_read_only_by_default() -> None:
    page = Caller(origin=ANKI_PAGE, anki_page=True)
    settings = Settings()
    assert effect_refusal(settings, page, [("deckNames", "reads")]) is None
    for effect in ("writes", "gui", "files"):
        refusal = effect_refusal(settings, page, [("deckNames", "reads"), ("x", effect)])
        assert refusal is not None
        assert refusal.startswith("x refused")
        assert "ankiPagesAllow" in refusal and f'"{effect}"' in refusal


def test_ankipagesallow_widens_only_what_it_lists() -> None:
    page = Caller(origin=ANKI_PAGE, anki_page=True)
    settings = settings_from({"ankiPagesAllow": ["gui"]})
    assert anki_page_effects(settings) == {"reads", "gui"}
    assert effect_refusal(settings, page, [("guiBrowse", "gui")]) is None
    assert effect_refusal(settings, page, [("createDeck", "writes")]) is not None
    # a single string where a list belongs still means that one effect
    assert anki_page_effects(settings_from({"ankiPagesAllow": "writes"})) == {"reads", "writes"}


def test_local_programs_and_web_origins_are_not_limited_by_effect() -> None:
    for caller in (Caller(), Caller(in_process=True), Caller(origin=EXTENSION)):
        assert effect_refusal(Settings(), caller, [("exportPackage", "files")]) is None


# --- file paths -----------------------------------------------------------------------------


def test_file_paths_from_web_origins_are_refused_unless_the_setting_allows() -> None:
    for caller in (Caller(origin=EXTENSION), Caller(origin=ANKI_PAGE, anki_page=True)):
        refusal = file_path_refusal(Settings(), caller, "exportPackage with a path")
        assert refusal is not None and "allowFilePathsFromWeb" in refusal
        allowed = settings_from({"allowFilePathsFromWeb": True})
        assert file_path_refusal(allowed, caller, "exportPackage") is None
    # only a real true enables it, not a string typed into the config
    assert file_path_refusal(
        settings_from({"allowFilePathsFromWeb": "false"}), Caller(origin=EXTENSION), "x"
    )
    assert file_path_refusal(Settings(), Caller(), "x") is None
    assert file_path_refusal(Settings(), Caller(remote="192.168.1.5"), "x") is None


# --- url media: which addresses ------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "::1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "fe80::1",
        "fc00::1",
        "0.0.0.0",
        "::",
        "224.0.0.1",
        "ff02::1",
        "240.0.0.1",
        "255.255.255.255",
        "100.64.0.1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "fe80::1%eth0",
        "not an address",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "151.101.1.1"])
def test_public_addresses_are_allowed(address: str) -> None:
    # the addresses Yomitan's audio sources resolve to are ordinary public ones
    assert is_public_address(address)


def test_url_guard_applies_to_callers_with_an_origin_unless_widened() -> None:
    assert url_guard_applies(Settings(), Caller(origin=EXTENSION))
    assert url_guard_applies(Settings(), Caller(origin=ANKI_PAGE, anki_page=True))
    assert not url_guard_applies(Settings(), Caller())
    assert not url_guard_applies(Settings(), Caller(in_process=True))
    widened = settings_from({"mediaUrlAllowPrivateFromWeb": True})
    assert not url_guard_applies(widened, Caller(origin=EXTENSION))


@pytest.fixture
def listener() -> Iterator[LoopbackListener]:
    with loopback_listener() as server:
        yield server


def test_connect_public_refuses_loopback_after_resolving(listener: LoopbackListener) -> None:
    for host in ("127.0.0.1", "localhost"):
        with pytest.raises(AddressRefused, match="mediaUrlAllowPrivateFromWeb"):
            connect_public((host, listener.port), 5)
    assert listener.hits == []


def test_download_for_a_web_origin_never_reaches_the_listener(listener: LoopbackListener) -> None:
    settings = Settings()
    for host in ("127.0.0.1", "localhost", "[::ffff:127.0.0.1]", "2130706433"):
        url = f"http://{host}:{listener.port}/secret"
        with pytest.raises(Exception, match="download refused") as raised:
            download(url, settings, public_only=True)
        assert "mediaUrlAllowPrivateFromWeb" in str(raised.value)
    assert listener.hits == []
    # without an Origin (public_only false) the local server is fetched as before
    assert download(f"http://127.0.0.1:{listener.port}/ok", settings) == b"local secret"
    assert listener.hits == ["/ok"]


def test_redirect_to_loopback_is_refused_for_a_web_origin(listener: LoopbackListener) -> None:
    """A redirect opens a new connection: it is checked like the first."""
    target = f"http://127.0.0.1:{listener.port}/after-redirect"

    class Redirect(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    redirector = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=redirector.serve_forever, daemon=True).start()
    try:
        # the first hop is loopback too here, so from a web origin nothing connects
        first = f"http://127.0.0.1:{redirector.server_address[1]}/"
        with pytest.raises(Exception, match="download refused"):
            download(first, Settings(), public_only=True)
        # from a local program the redirect is followed to the listener
        assert download(first, Settings()) == b"local secret"
        assert listener.hits == ["/after-redirect"]
    finally:
        redirector.shutdown()
        redirector.server_close()


# --- the API log ----------------------------------------------------------------------------


def test_log_never_holds_the_key_and_is_private(tmp_path: Path) -> None:
    path = tmp_path / "api.log"
    path.write_text("old content")
    os.chmod(path, 0o644)
    log = ApiLog(str(path))
    secret = "s3cr3t-key-value"
    envelope = {
        "action": "multi",
        "key": secret,
        "params": {
            "actions": [
                {"action": "deckNames", "key": secret},
                {"action": "multi", "key": secret, "params": {"actions": [{"key": secret}]}},
            ]
        },
    }
    log.write("request", envelope)
    log.close()
    text = path.read_text()
    assert secret not in text and "old content" not in text
    assert text.count(REDACTED) == 4
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    # the envelope that is run keeps its key
    assert envelope["key"] == secret
    assert envelope["params"]["actions"][0]["key"] == secret  # type: ignore[index]


def test_new_log_file_is_created_private(tmp_path: Path) -> None:
    path = tmp_path / "new.log"
    ApiLog(str(path)).close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_redaction_leaves_envelopes_without_a_key_alone() -> None:
    envelope = {"action": "deckNames", "params": {}}
    assert redact_keys(envelope) == envelope
    assert redact_keys("not a dict") == "not a dict"


# --- WebApp applies the policy before anything runs ------------------------------------------


@pytest.fixture
def app(col: Collection) -> Any:
    from tests.unit.test_web import Harness

    harness = Harness(col, Settings())
    harness.app = WebApp(
        lambda: harness.settings, harness.run_request, anki_ports=lambda: (ANKI_PORT,)
    )
    return harness


def test_anki_page_write_is_a_403_naming_the_setting_and_nothing_runs(
    app: Any, col: Collection
) -> None:
    body = {"action": "createDeck", "version": 6, "params": {"deck": "FromTemplate"}}
    response = app.one(body, origin=ANKI_PAGE)
    assert response.status == 403
    reply = json.loads(response.body)
    assert reply["result"] is None and "ankiPagesAllow" in reply["error"]
    assert ("Access-Control-Allow-Origin", ANKI_PAGE) in response.headers
    assert app.envelopes == []  # never reached the dispatcher
    assert col.decks.id_for_name("FromTemplate") is None


def test_anki_page_read_runs(app: Any) -> None:
    response = app.one({"action": "deckNames", "version": 6}, origin=ANKI_PAGE)
    assert response.status == 200
    assert "Default" in json.loads(response.body)["result"]
    assert app.callers[0].kind == "anki_page"


def test_multi_from_an_anki_page_with_one_write_is_refused_whole(app: Any, col: Collection) -> None:
    body = {
        "action": "multi",
        "version": 6,
        "params": {
            "actions": [
                {"action": "createDeck", "params": {"deck": "First"}},
                {"action": "deckNames"},
            ]
        },
    }
    assert app.one(body, origin=ANKI_PAGE).status == 403
    assert col.decks.id_for_name("First") is None
    reads = {"action": "multi", "version": 6, "params": {"actions": [{"action": "deckNames"}]}}
    assert app.one(reads, origin=ANKI_PAGE).status == 200


def test_referer_alone_marks_an_anki_page(app: Any) -> None:
    body = {"action": "createDeck", "version": 6, "params": {"deck": "ViaReferer"}}
    response = app.one(body, headers={"referer": f"{ANKI_PAGE}/_anki/legacyPageData?id=1"})
    assert response.status == 403


def test_other_loopback_pages_and_extensions_still_write(app: Any, col: Collection) -> None:
    for origin, deck in (("http://127.0.0.1:3000", "LocalApp"), (EXTENSION, "Yomitan")):
        body = {"action": "createDeck", "version": 6, "params": {"deck": deck}}
        assert app.one(body, origin=origin).status == 200
        assert col.decks.id_for_name(deck) is not None


def test_media_path_from_a_web_origin_follows_allow_file_paths_from_web(
    col: Collection, tmp_path: Path
) -> None:
    from plugin.api.context import ActionContext
    from plugin.api.errors import ActionError
    from plugin.media.store import store_media

    source = tmp_path / "host.bin"
    source.write_bytes(b"host file")
    web = Caller(origin=EXTENSION, remote="127.0.0.1")
    refused = ActionContext(get_collection=lambda: col, caller=web)
    with pytest.raises(ActionError, match="allowFilePathsFromWeb"):
        store_media(refused, "host.bin", path=str(source))
    allowed = ActionContext(
        get_collection=lambda: col,
        caller=web,
        settings=settings_from({"allowFilePathsFromWeb": True}),
    )
    assert store_media(allowed, "host.bin", path=str(source)) == "host.bin"


def test_through_a_proxy_public_targets_go_and_private_ones_are_refused(
    listener: LoopbackListener, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With http_proxy set, the proxy connects: the target name is checked before."""
    for name in ("no_proxy", "NO_PROXY", "HTTP_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{listener.port}")
    # a private target is refused before anything reaches the proxy
    with pytest.raises(Exception, match="download refused"):
        download("http://10.0.0.1/internal", Settings(), public_only=True)
    assert listener.hits == []
    # a public target goes to the proxy the user configured (here: the listener)
    assert download("http://93.184.216.34/a.mp3", Settings(), public_only=True) == (b"local secret")
    assert listener.hits == ["http://93.184.216.34/a.mp3"]
