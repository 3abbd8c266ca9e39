"""Settings (§A.8): keys, code defaults, env vars, coercion, the shipped config.json."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError, fields
from pathlib import Path

import pytest

from plugin.config import (
    SETTING_NAMES,
    Settings,
    env_defaults,
    setting_value,
    settings_from,
)

ROOT = Path(__file__).resolve().parents[2]
ORIGINAL_KEYS = {
    "apiKey",
    "apiLogPath",
    "webBindAddress",
    "webBindPort",
    "webCorsOriginList",
    "ignoreOriginList",
    "webCorsOrigin",
    "apiVersion",
    "apiPollInterval",
    "webBacklog",
    "webTimeout",
}


def test_original_keys_and_defaults() -> None:
    s = settings_from({}, environ={})
    assert ORIGINAL_KEYS <= SETTING_NAMES
    assert s.apiKey is None
    assert s.apiLogPath is None
    assert s.webBindAddress == "127.0.0.1"
    assert s.webBindPort == 8765
    assert s.webCorsOriginList == ("http://localhost",)
    assert s.ignoreOriginList == ()
    assert s.webCorsOrigin is None
    assert s.apiVersion == 6
    assert s.apiPollInterval == 25
    assert s.webTimeout == 10000


def test_backlog_never_below_512() -> None:
    assert Settings().listen_backlog >= 512
    assert settings_from({"webBacklog": 5}, environ={}).listen_backlog == 512
    assert settings_from({"webBacklog": 1024}, environ={}).listen_backlog == 1024


def test_our_keys_have_defaults() -> None:
    s = Settings()
    assert s.webAllowedHosts == ()
    assert s.webMaxBodySize == 256 * 1024 * 1024
    assert s.webIdleTimeout > 0
    assert s.mediaAllowPath in ("always", "local", "never")


def test_user_config_overrides_defaults() -> None:
    s = settings_from(
        {
            "apiKey": "k",
            "webBindPort": 9999,
            "webCorsOriginList": ["http://a", "http://b"],
            "ignoreOriginList": ["http://c"],
        },
        environ={},
    )
    assert (s.apiKey, s.webBindPort) == ("k", 9999)
    assert s.webCorsOriginList == ("http://a", "http://b")
    assert s.ignoreOriginList == ("http://c",)


def test_unknown_keys_are_ignored() -> None:
    assert settings_from({"bogus": 1, "webBindPort": 1}, environ={}) == Settings(webBindPort=1)


def test_none_config_is_defaults() -> None:
    assert settings_from(None, environ={}) == Settings()


def test_bind_address_env_var_only_when_config_lacks_the_key() -> None:
    env = {"ANKICONNECT_BIND_ADDRESS": "0.0.0.0"}
    assert settings_from({}, environ=env).webBindAddress == "0.0.0.0"
    assert settings_from({"webBindAddress": "127.0.0.1"}, environ=env).webBindAddress == "127.0.0.1"


def test_cors_origin_env_var_is_effective_and_appended() -> None:
    env = {"ANKICONNECT_CORS_ORIGIN": "http://env.example"}
    s = settings_from({"webCorsOriginList": ["http://localhost"]}, environ=env)
    assert s.webCorsOrigin == "http://env.example"
    assert s.cors_origins == ("http://localhost", "http://env.example")
    assert settings_from({"webCorsOrigin": "http://cfg"}, environ=env).webCorsOrigin == "http://cfg"


def test_no_port_env_var() -> None:
    assert settings_from({}, environ={"ANKICONNECT_BIND_PORT": "1"}).webBindPort == 8765


def test_empty_env_vars_are_ignored() -> None:
    env = {"ANKICONNECT_BIND_ADDRESS": "", "ANKICONNECT_CORS_ORIGIN": ""}
    assert env_defaults(env) == {}
    assert settings_from({}, environ=env) == Settings()


def test_env_defaults_reads_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANKICONNECT_BIND_ADDRESS", "::1")
    monkeypatch.delenv("ANKICONNECT_CORS_ORIGIN", raising=False)
    assert env_defaults() == {"webBindAddress": "::1"}
    assert settings_from({}).webBindAddress == "::1"


def test_lists_are_normalised_to_string_tuples() -> None:
    s = settings_from(
        {"webCorsOriginList": "http://one", "ignoreOriginList": None, "webAllowedHosts": [1, "x"]},
        environ={},
    )
    assert s.webCorsOriginList == ("http://one",)
    assert s.ignoreOriginList == ()
    assert s.webAllowedHosts == ("1", "x")


def test_numbers_are_coerced_and_bad_values_fall_back_to_defaults() -> None:
    s = settings_from(
        {"webBindPort": "9000", "webTimeout": 5.5, "webBacklog": "lots", "apiVersion": None},
        environ={},
    )
    assert s.webBindPort == 9000
    assert s.webTimeout == 5
    assert s.webBacklog == Settings().webBacklog
    assert s.apiVersion == 6


def test_settings_are_frozen() -> None:
    with pytest.raises(FrozenInstanceError):
        Settings().apiKey = "x"  # type: ignore[misc]


def test_setting_value() -> None:
    s = settings_from({"webCorsOriginList": ["http://a"]}, environ={})
    assert setting_value(s, "webCorsOriginList") == ["http://a"]
    assert setting_value(s, "webBindPort") == 8765
    with pytest.raises(KeyError) as caught:
        setting_value(s, "nope")
    assert caught.value.args[0] == "setting nope not found"


def test_shipped_config_json_matches_the_original() -> None:
    path = ROOT / "config.json"
    if not path.exists():
        pytest.skip("config.json not written yet")
    shipped = json.loads(path.read_text())
    for key, value in {
        "apiKey": None,
        "apiLogPath": None,
        "webBindAddress": "127.0.0.1",
        "webBindPort": 8765,
        "webCorsOriginList": ["http://localhost"],
        "ignoreOriginList": [],
    }.items():
        assert shipped[key] == value
    assert set(shipped) <= SETTING_NAMES
    # The shipped values agree with the code defaults (env vars aside).
    assert settings_from(shipped, environ={}) == Settings()


def test_every_setting_is_documented_in_config_md() -> None:
    path = ROOT / "config.md"
    if not path.exists():
        pytest.skip("config.md not written yet")
    text = path.read_text()
    missing = [f.name for f in fields(Settings) if f.name not in text]
    assert missing == []


def test_non_list_values_for_list_keys_do_not_crash() -> None:
    s = settings_from({"webCorsOriginList": 5, "ignoreOriginList": True}, environ={})
    assert s.webCorsOriginList == ("5",)
    assert s.ignoreOriginList == ("True",)
