"""Origin/CORS decision (§A.6), API key (§A.4, §E.7) and the Host check (DNS rebinding, §F)."""

from __future__ import annotations

import pytest

from plugin.api.security import (
    OriginDecision,
    api_key_matches,
    decide_origin,
    host_refusal,
    is_loopback_host,
    split_host_header,
)
from plugin.config import Settings

DEFAULT = Settings()


# --- origin decision -----------------------------------------------------------------------


def test_no_origin_header_is_allowed_with_localhost_acao() -> None:
    assert decide_origin(DEFAULT, None) == OriginDecision(True, "http://localhost")


def test_exact_listed_origin_is_echoed() -> None:
    assert decide_origin(DEFAULT, "http://localhost") == OriginDecision(True, "http://localhost")
    settings = Settings(webCorsOriginList=("https://app.example",))
    assert decide_origin(settings, "https://app.example") == OriginDecision(
        True, "https://app.example"
    )


@pytest.mark.parametrize(
    "origin",
    [
        "http://127.0.0.1",
        "https://127.0.0.1",
        "http://127.0.0.1:3000",
        "http://127.0.0.1:",
        "chrome-extension://likgccmbimhjbgkjambclfkhldnlhbnn",
        "moz-extension://0f7d1e3a-1111-2222-3333-444455556666",
        "safari-web-extension://ABCDEF",
    ],
)
def test_local_and_extension_origins_pass_by_default(origin: str) -> None:
    assert decide_origin(DEFAULT, origin) == OriginDecision(True, origin)


@pytest.mark.parametrize(
    "origin",
    [
        "http://localhost:3000",
        "https://127.0.0.1:8080",
        "null",
        "",
        "https://evil.example",
        "http://127.0.0.1.evil.example",
        "https://localhost",
        "HTTP://127.0.0.1",
        "http://[::1]:8765",
        "file://",
    ],
)
def test_other_origins_are_refused_with_localhost_acao(origin: str) -> None:
    assert decide_origin(DEFAULT, origin) == OriginDecision(False, "http://localhost")


def test_local_prefixes_only_apply_while_localhost_is_listed() -> None:
    settings = Settings(webCorsOriginList=("https://app.example",))
    assert decide_origin(settings, "chrome-extension://abc") == OriginDecision(
        False, "http://localhost"
    )
    assert decide_origin(settings, "http://127.0.0.1:3000").allowed is False
    # No Origin header is still allowed whatever the list says.
    assert decide_origin(settings, None) == OriginDecision(True, "http://localhost")


def test_star_allows_everything_with_star_acao() -> None:
    settings = Settings(webCorsOriginList=("https://a.example", "*"))
    for origin in (None, "https://evil.example", "null", "http://localhost"):
        assert decide_origin(settings, origin) == OriginDecision(True, "*")


def test_legacy_web_cors_origin_is_appended() -> None:
    settings = Settings(webCorsOrigin="http://legacy.example")
    assert settings.cors_origins == ("http://localhost", "http://legacy.example")
    assert decide_origin(settings, "http://legacy.example") == OriginDecision(
        True, "http://legacy.example"
    )
    assert decide_origin(settings, "chrome-extension://x").allowed  # localhost still listed
    star = Settings(webCorsOriginList=(), webCorsOrigin="*")
    assert decide_origin(star, "https://any.example") == OriginDecision(True, "*")


def test_empty_legacy_origin_is_ignored() -> None:
    assert Settings(webCorsOrigin="").cors_origins == ("http://localhost",)


def test_empty_list_refuses_browsers_but_not_tools() -> None:
    settings = Settings(webCorsOriginList=())
    assert decide_origin(settings, "http://localhost") == OriginDecision(False, "http://localhost")
    assert decide_origin(settings, None).allowed


# --- API key ----------------------------------------------------------------------------------


def test_no_key_configured_and_none_sent_passes() -> None:
    assert api_key_matches(None, None)


@pytest.mark.parametrize("sent", ["", "secret", 0, False, [], {}])
def test_any_key_sent_while_none_is_configured_is_refused(sent: object) -> None:
    assert not api_key_matches(sent, None)


def test_configured_key_must_match_exactly() -> None:
    assert api_key_matches("s3cret", "s3cret")
    for sent in (None, "S3CRET", "s3cret ", "s3cre", "", 1, ["s3cret"], {"k": "s3cret"}):
        assert not api_key_matches(sent, "s3cret"), sent


def test_non_ascii_keys() -> None:
    assert api_key_matches("ключ🔑", "ключ🔑")
    assert not api_key_matches("ключ", "ключ🔑")


def test_empty_configured_key_means_no_key() -> None:
    assert api_key_matches(None, "")
    assert not api_key_matches("", "")


def test_non_string_configured_key_compares_by_equality() -> None:
    # A user may write `"apiKey": 12345` in the JSON config; the original compares with
    # `!=`, so the same number sent by the client passes and nothing crashes.
    assert api_key_matches(12345, 12345)  # type: ignore[arg-type]
    assert not api_key_matches("12345", 12345)  # type: ignore[arg-type]
    assert not api_key_matches(None, 12345)  # type: ignore[arg-type]


# --- Host check -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("localhost:8765", "localhost"),
        ("LOCALHOST", "localhost"),
        ("127.0.0.1:8765", "127.0.0.1"),
        ("[::1]:8765", "::1"),
        ("[::1]", "::1"),
        ("::1", "::1"),
        (" example.com ", "example.com"),
        ("[broken", "[broken"),
    ],
)
def test_split_host_header(value: str, name: str) -> None:
    assert split_host_header(value) == name


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("192.168.1.2", False),
        ("example.com", False),
        ("", False),
    ],
)
def test_is_loopback_host(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


@pytest.mark.parametrize(
    "host",
    [
        None,
        "localhost",
        "localhost:8765",
        "127.0.0.1:8765",
        "127.0.0.2",
        "[::1]:8765",
        "anki.localhost:8765",
        "LocalHost:8765",
    ],
)
def test_loopback_hosts_pass_when_bound_to_loopback(host: str | None) -> None:
    assert host_refusal(DEFAULT, host) is None


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:8765",
        "127.0.0.1.evil.example",
        "localhost.evil.example",
        "192.168.1.5:8765",
        "",
    ],
)
def test_foreign_hosts_are_refused_when_bound_to_loopback(host: str) -> None:
    refusal = host_refusal(DEFAULT, host)
    assert refusal is not None
    assert repr(host) in refusal
    assert "webAllowedHosts" in refusal and "DNS rebinding" in refusal


def test_allowed_hosts_setting_admits_a_name() -> None:
    settings = Settings(webAllowedHosts=("anki.lan:8765", "Other.Example"))
    assert host_refusal(settings, "anki.lan") is None
    assert host_refusal(settings, "anki.lan:9999") is None
    assert host_refusal(settings, "other.example:8765") is None
    assert host_refusal(settings, "third.example") is not None


def test_no_host_check_when_bound_to_a_non_loopback_address() -> None:
    for address in ("0.0.0.0", "192.168.1.2", "::"):
        settings = Settings(webBindAddress=address)
        assert host_refusal(settings, "evil.example") is None


def test_host_check_for_ipv6_and_named_loopback_bind() -> None:
    assert host_refusal(Settings(webBindAddress="::1"), "[::1]:8765") is None
    assert host_refusal(Settings(webBindAddress="::1"), "evil.example") is not None
    assert host_refusal(Settings(webBindAddress="localhost"), "localhost:8765") is None
    assert host_refusal(Settings(webBindAddress="localhost"), "evil.example") is not None
