"""Who may talk to us and what they may do (docs/security.md has the threat model).

Origin/CORS (§A.6), API key (§A.4), Host check (DNS rebinding), and the policy by
caller: Anki's own pages may only read, web origins get no file paths and no `url`
downloads into this machine or the LAN; local programs (no Origin) keep everything.

Pure functions of settings and request facts, so they are tested without Qt.
"""

from __future__ import annotations

import hmac
import ipaddress
import urllib.parse
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..config import Settings
from .context import Caller
from .effects import Effect

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


# --- who is calling: local programs, Anki's own pages, web origins ------------------

_LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def is_anki_page_url(value: str | None, anki_ports: Collection[int] | None) -> bool:
    """Whether an Origin or Referer value is a page of Anki's own media server.

    Anki serves its reviewer, previewer, card layout and editor from
    ``http://127.0.0.1:<port>`` (aqt/mediasrv.py), so JavaScript in a shared deck's
    card template sends that origin. ``anki_ports`` is the port Anki reports; None
    means it is not known (yet), and then every loopback http page counts, which
    can only restrict more callers, never fewer.
    """
    if not value or not value[:8].lower().startswith(("http://", "https://")):
        return False  # cheap for the usual callers (no Origin, extensions)
    try:
        parts = urllib.parse.urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https") or port is None:
        return False
    if (parts.hostname or "").lower() not in _LOOPBACK_NAMES:
        return False
    return anki_ports is None or port in anki_ports


def is_anki_page_request(
    origin: str | None, referer: str | None, anki_ports: Collection[int] | None
) -> bool:
    """True when the request comes from one of Anki's own pages (Origin or Referer)."""
    return is_anki_page_url(origin, anki_ports) or is_anki_page_url(referer, anki_ports)


# --- what each caller may do ---------------------------------------------------------

ANKI_PAGES_SETTING = "ankiPagesAllow"
FILE_PATHS_SETTING = "allowFilePathsFromWeb"
PRIVATE_URLS_SETTING = "mediaUrlAllowPrivateFromWeb"

_EFFECT_WORDS: dict[Effect, str] = {
    "reads": "only reads",
    "writes": "changes the collection or the media folder",
    "gui": "opens or switches Anki's windows",
    "files": "touches files outside the collection",
}
MAX_MULTI_DEPTH = 64


def request_effects(
    envelope: Mapping[str, Any], effect_of: Callable[[str], Effect | None]
) -> list[tuple[str, Effect]]:
    """(action, effect) of the envelope and of every ``multi`` item, nested ones too.

    Unknown actions are left out: they fail as "unsupported action" anyway. Items
    nested deeper than the dispatcher could run count as writes.
    """
    found: list[tuple[str, Effect]] = []
    stack: list[tuple[Any, int]] = [(envelope, 0)]
    while stack:
        item, depth = stack.pop()
        if not isinstance(item, Mapping):
            continue
        name = item.get("action")
        if not isinstance(name, str):
            continue
        if depth > MAX_MULTI_DEPTH:
            found.append((name, "writes"))
            continue
        effect = effect_of(name)
        if effect is not None:
            found.append((name, effect))
        params = item.get("params")
        if name == "multi" and isinstance(params, Mapping):
            items = params.get("actions")
            if isinstance(items, list):
                stack.extend((sub, depth + 1) for sub in reversed(items))
    return found


def anki_page_effects(settings: Settings) -> frozenset[str]:
    """Effects Anki's own pages may use: always ``reads``, plus the setting's list."""
    allowed = getattr(settings, ANKI_PAGES_SETTING)
    return frozenset(("reads", *(allowed if isinstance(allowed, tuple) else ())))


def effect_refusal(
    settings: Settings, caller: Caller, effects: Iterable[tuple[str, Effect]]
) -> str | None:
    """Why a request of Anki's own pages must be refused (a 403), or None.

    A card template from a shared deck runs in Anki's reviewer; it may look things up
    (note types such as jp-mining-note do) but not change or export anything.
    Local programs and web origins are not restricted here.
    """
    if caller.kind != "anki_page":
        return None
    allowed = anki_page_effects(settings)
    for name, effect in effects:
        if effect not in allowed:
            return (
                f"{name} refused: it {_EFFECT_WORDS[effect]}, and requests from Anki's own "
                "pages (card templates, the editor, the card layout) may only read. "
                f'Add "{effect}" to the setting {ANKI_PAGES_SETTING} to allow it.'
            )
    return None


def file_path_refusal(settings: Settings, caller: Caller, what: str) -> str | None:
    """Why a file path on this machine must not be used for this caller, or None.

    Local programs (no Origin) may name any path, as in the original; a web page or
    extension the user allowed must not gain the user's files.
    """
    if caller.kind == "local" or getattr(settings, FILE_PATHS_SETTING) is True:
        return None
    return (
        f"{what} refused: file paths on this computer are not accepted from web pages, "
        f"browser extensions or Anki's pages (Origin {caller.origin or 'of an Anki page'}). "
        f"Set {FILE_PATHS_SETTING} to true to allow it."
    )


def url_guard_applies(settings: Settings, caller: Caller) -> bool:
    """Whether ``url`` downloads for this caller must avoid this machine and the LAN."""
    return caller.kind != "local" and getattr(settings, PRIVATE_URLS_SETTING) is not True


IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def ip_of(address: str) -> IpAddress | None:
    """The IP of a socket address string (zone index dropped; IPv4-mapped IPv6 as IPv4),
    or None when it is no IP."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return None
    mapped = getattr(ip, "ipv4_mapped", None)
    return mapped if mapped is not None else ip


def is_public_address(address: str) -> bool:
    """Whether a web origin may make Anki connect to ``address`` (an IP, no brackets).

    Refused: loopback, private (RFC 1918, unique local), link-local (169.254/16, the
    cloud metadata address among them), unspecified, multicast, reserved, shared
    (100.64/10) — anything not globally routable. IPv4-mapped IPv6 is judged as IPv4.
    """
    ip = ip_of(address)
    if ip is None:
        return False
    return bool(
        ip.is_global
        and not (
            ip.is_loopback
            or ip.is_private
            or ip.is_link_local
            or ip.is_unspecified
            or ip.is_multicast
            or ip.is_reserved
        )
    )
