"""Who may talk to us: origin/CORS (§A.6), API key (§A.4), Host check (DNS rebinding).

Pure functions of settings and request facts, so they are tested without Qt.
"""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass

from ..config import Settings

LOCALHOST_ORIGIN = "http://localhost"
# Origins let in whenever "http://localhost" is allowed (spec §A.6).
_LOCAL_EXACT = ("http://127.0.0.1", "https://127.0.0.1")
_LOCAL_PREFIXES = (
    "http://127.0.0.1:",
    "chrome-extension://",
    "moz-extension://",
    "safari-web-extension://",
)


@dataclass(frozen=True)
class OriginDecision:
    allowed: bool
    cors_origin: str  # the Access-Control-Allow-Origin value to send


def decide_origin(settings: Settings, origin: str | None) -> OriginDecision:
    allowed_list = settings.cors_origins
    if "*" in allowed_list:
        return OriginDecision(True, "*")
    if origin is None:
        return OriginDecision(True, LOCALHOST_ORIGIN)
    if origin in allowed_list:
        return OriginDecision(True, origin)
    if LOCALHOST_ORIGIN in allowed_list and (
        origin in _LOCAL_EXACT or origin.startswith(_LOCAL_PREFIXES)
    ):
        return OriginDecision(True, origin)
    return OriginDecision(False, LOCALHOST_ORIGIN)


def api_key_matches(sent: object, configured: str | None) -> bool:
    """Strict equality of the sent key with the configured one, in constant time.

    An empty configured key means none is set: only requests without a key (or
    with ``null``) pass, and any key sent while none is set is refused (§A.4, §E.7).
    """
    expected = configured or None
    if expected is not None and not isinstance(expected, str):
        # A number written in the JSON config (`"apiKey": 12345`): compare like the
        # original's `!=` instead of failing every request on `.encode()`.
        return type(sent) is type(expected) and sent == expected
    if expected is None or not isinstance(sent, str):
        return sent is None and expected is None
    return hmac.compare_digest(sent.encode("utf-8"), expected.encode("utf-8"))


def is_loopback_host(host: str) -> bool:
    name = host.strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def split_host_header(value: str) -> str:
    """The host name of a Host header value, without port or IPv6 brackets."""
    value = value.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        return value[1:end] if end > 0 else value
    if value.count(":") == 1:
        return value.split(":", 1)[0]
    return value


def host_refusal(settings: Settings, host_header: str | None) -> str | None:
    """Why a request must be refused for its Host header, or None when it may pass.

    When we listen on a loopback address, a page on a foreign domain that resolves
    to 127.0.0.1 (DNS rebinding) reaches us with its own name in Host; browsers
    always send Host, so such requests are recognisable and refused. Bound to any
    other address the user chose to be reachable by name, so no check applies.
    """
    if not is_loopback_host(settings.webBindAddress):
        return None
    if host_header is None:
        return None  # not a browser (they always send Host), so not a rebinding page
    name = split_host_header(host_header)
    allowed_names = {settings.webBindAddress.lower(), "localhost"}
    allowed_names.update(split_host_header(h) for h in settings.webAllowedHosts)
    if name in allowed_names or is_loopback_host(name) or name.endswith(".localhost"):
        return None
    return (
        f"Host {host_header!r} is not allowed: AnkiConnect listens on "
        f"{settings.webBindAddress} and only answers requests addressed to localhost "
        "or a loopback address (protection against DNS rebinding). Add the name to "
        "the webAllowedHosts setting to allow it."
    )
