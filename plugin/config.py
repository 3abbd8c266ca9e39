"""Settings: the AnkiConnect keys (spec §A.8) plus our own, with defaults and env vars.

The effective value of a key is the user's add-on config if it has the key, else the
code default below. Two defaults come from the environment, as in the original:
``ANKICONNECT_BIND_ADDRESS`` and ``ANKICONNECT_CORS_ORIGIN``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

MiB = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    # --- keys of the original AnkiConnect ---
    apiKey: str | None = None
    apiLogPath: str | None = None
    webBindAddress: str = "127.0.0.1"
    webBindPort: int = 8765
    webCorsOriginList: tuple[str, ...] = ("http://localhost",)
    ignoreOriginList: tuple[str, ...] = ()
    webCorsOrigin: str | None = None
    apiVersion: int = 6
    apiPollInterval: int = 25  # ms; accepted and ignored: the server is readiness-driven
    # The original's 5 refuses clients. Never below 512: with 128, a burst of 256
    # connects on a busy machine overflowed the queue and waited 1 s for a SYN retry.
    webBacklog: int = 512
    webTimeout: int = 10000  # ms, for `url` media downloads
    # --- our own keys (config.md documents each) ---
    webAllowedHosts: tuple[str, ...] = ()  # extra Host header values accepted on loopback
    webMaxBodySize: int = 256 * MiB
    webIdleTimeout: int = 5000  # ms a connection may be silent while no reply is owed
    webListenIpv6: bool = True  # with 127.0.0.1, also listen on ::1
    mediaAllowPath: str = "local"  # "always" | "local" | "never": storeMediaFile `path`
    mediaAllowUrl: bool = True  # storeMediaFile `url` (http/https only)
    mediaMaxDownloadSize: int = 256 * MiB
    # --- what hostile content may do (docs/security.md); secure by default ---
    ankiPagesAllow: tuple[str, ...] = ()  # effects beyond "reads" for Anki's own pages
    allowFilePathsFromWeb: bool = False  # file paths from callers with an Origin
    mediaUrlAllowPrivateFromWeb: bool = False  # `url` to loopback/LAN for web origins

    @property
    def cors_origins(self) -> tuple[str, ...]:
        """The allowed-origin list: webCorsOriginList plus the legacy webCorsOrigin."""
        if self.webCorsOrigin:
            return (*self.webCorsOriginList, self.webCorsOrigin)
        return self.webCorsOriginList

    @property
    def listen_backlog(self) -> int:
        return max(self.webBacklog, 512)


SETTING_NAMES = frozenset(f.name for f in fields(Settings))


def env_defaults(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    environ = os.environ if environ is None else environ
    defaults: dict[str, Any] = {}
    if environ.get("ANKICONNECT_BIND_ADDRESS"):
        defaults["webBindAddress"] = environ["ANKICONNECT_BIND_ADDRESS"]
    if environ.get("ANKICONNECT_CORS_ORIGIN"):
        defaults["webCorsOrigin"] = environ["ANKICONNECT_CORS_ORIGIN"]
    return defaults


def settings_from(
    user_config: Mapping[str, Any] | None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Build effective settings; unknown keys are ignored, lists become tuples."""
    values: dict[str, Any] = env_defaults(environ)
    for key, value in (user_config or {}).items():
        if key in SETTING_NAMES:
            values[key] = value
    for key in ("webCorsOriginList", "ignoreOriginList", "webAllowedHosts", "ankiPagesAllow"):
        if key in values:
            values[key] = _as_strings(values[key])
    for key in (
        "webBindPort",
        "webBacklog",
        "webTimeout",
        "webMaxBodySize",
        "webIdleTimeout",
        "apiVersion",
        "apiPollInterval",
        "mediaMaxDownloadSize",
    ):
        if key in values:
            values[key] = _as_int(key, values[key])
    return Settings(**values)


def _as_strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(str(item) for item in value)
    # A single value where a list belongs (a string, or a number typed by hand in
    # the config dialog) must not stop the add-on from starting.
    return (str(value),)


def _as_int(key: str, value: Any) -> int:
    defaults = Settings()
    try:
        return int(value)
    except (TypeError, ValueError):
        return int(getattr(defaults, key))


def setting_value(settings: Settings, key: str) -> Any:
    """Read one key for the user-facing API; unknown keys raise the original's text."""
    if key not in SETTING_NAMES:
        raise KeyError(f"setting {key} not found")
    value = getattr(settings, key)
    return list(value) if isinstance(value, tuple) else value
