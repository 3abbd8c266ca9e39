"""Miscellaneous protocol actions: version, apiReflect, requestPermission (§B misc, §A.7)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from plugin.api import dispatch
from plugin.api.context import ActionContext
from plugin.api.deferred import Deferred
from plugin.api.registry import HIDDEN, REGISTRY
from plugin.config import Settings

# The conftest's `api` fixture raises its ApiError (str() = the error text) on errors.
Api = Any
ApiError = Exception

GRANTED = {"permission": "granted", "requireApikey": False, "version": 6}
DENIED = {"permission": "denied"}


@pytest.fixture
def ctx(lazy_ctx: ActionContext) -> ActionContext:
    """Most tests here never touch the collection: open it only when an action asks."""
    return lazy_ctx


# --- version -----------------------------------------------------------------------------


def test_version(api: Api) -> None:
    assert api("version") == 6
    assert api.reply({"action": "version"}) == 6


def test_version_follows_setting(ctx: ActionContext) -> None:
    custom = replace(ctx, settings=Settings(apiVersion=7))
    assert dispatch.run_sync({"action": "version"}, custom) == 7


def test_version_works_without_a_collection(ctx: ActionContext) -> None:
    closed = replace(ctx, get_collection=lambda: None)
    assert dispatch.run_sync({"action": "version"}, closed) == 6


# --- apiReflect ---------------------------------------------------------------------------


def test_api_reflect_all_actions_alphabetical(api: Api) -> None:
    result = api("apiReflect", scopes=["actions"])
    assert list(result) == ["scopes", "actions"]
    assert result["scopes"] == ["actions"]
    assert result["actions"] == sorted(REGISTRY)
    assert result["actions"] == sorted(result["actions"])
    for name in ("version", "apiReflect", "multi", "requestPermission"):
        assert name in result["actions"]
    assert not set(HIDDEN) & set(result["actions"])


def test_api_reflect_explicit_null_actions(api: Api) -> None:
    assert api("apiReflect", scopes=["actions"], actions=None)["actions"] == sorted(REGISTRY)


def test_api_reflect_filters_in_input_order(api: Api) -> None:
    assert api("apiReflect", scopes=["actions"], actions=["apiReflect", "invalidMethod"]) == {
        "scopes": ["actions"],
        "actions": ["apiReflect"],
    }
    result = api(
        "apiReflect", scopes=["actions"], actions=["version", "multi", "Version", "apiReflect"]
    )
    assert result["actions"] == ["version", "multi", "apiReflect"]
    assert api("apiReflect", scopes=["actions"], actions=[])["actions"] == []


def test_api_reflect_non_string_names_are_dropped(api: Api) -> None:
    result = api("apiReflect", scopes=["actions"], actions=[1, None, ["version"], "version"])
    assert result["actions"] == ["version"]


def test_api_reflect_hidden_actions_are_not_revealed(api: Api) -> None:
    from plugin.api.registry import action

    if "_testMiscHidden" not in HIDDEN:

        @action("misc", runs="protocol", hidden=True, name="_testMiscHidden")
        def _hidden(ctx: ActionContext) -> int:
            """Hidden."""
            return 1

    assert api("_testMiscHidden") == 1
    assert api("apiReflect", scopes=["actions"], actions=["_testMiscHidden"])["actions"] == []


@pytest.mark.parametrize("scopes", [[], ["other"], ["Actions"], [None, 1]])
def test_api_reflect_unknown_scopes_are_dropped(api: Api, scopes: list[Any]) -> None:
    assert api("apiReflect", scopes=scopes) == {"scopes": []}
    assert api("apiReflect", scopes=scopes, actions=["version"]) == {"scopes": []}


def test_api_reflect_known_scope_among_others(api: Api) -> None:
    assert api("apiReflect", scopes=["x", "actions", "y"], actions=["version"]) == {
        "scopes": ["actions"],
        "actions": ["version"],
    }


@pytest.mark.parametrize("scopes", ["actions", None, {"actions": 1}, 1, True])
def test_api_reflect_invalid_scopes(api: Api, scopes: Any) -> None:
    with pytest.raises(ApiError, match="^scopes has invalid value$"):
        api("apiReflect", scopes=scopes)


@pytest.mark.parametrize("actions", ["version", 1, {"a": 1}, True])
def test_api_reflect_invalid_actions(api: Api, actions: Any) -> None:
    with pytest.raises(ApiError, match="^actions has invalid value$"):
        api("apiReflect", scopes=["actions"], actions=actions)


def test_api_reflect_scopes_checked_first(api: Api) -> None:
    with pytest.raises(ApiError, match="^scopes has invalid value$"):
        api("apiReflect", scopes="x", actions="y")


def test_api_reflect_missing_scopes(api: Api) -> None:
    # the original's `scopes` has a default, so its own check answers, not Python's
    for params in ({}, {"actions": ["version"]}):
        with pytest.raises(ApiError, match="^scopes has invalid value$"):
            api("apiReflect", **params)


def test_api_reflect_at_v4_is_bare(api: Api) -> None:
    reply = api.reply({"action": "apiReflect", "params": {"scopes": []}})
    assert reply == {"scopes": []}


# --- requestPermission ----------------------------------------------------------------------


class Permission:
    """An ActionContext whose dialog answer the test supplies, and a record of saves."""

    def __init__(self, ctx: ActionContext, settings: Settings | None = None, dialog: bool = True):
        self.saved: list[dict[str, Any]] = []
        self.asked: list[str] = []
        self.pending: list[Deferred[tuple[bool, bool]]] = []
        self.ctx = replace(
            ctx,
            settings=settings or Settings(),
            save_settings=self.saved.append,
            ask_permission=self.ask if dialog else None,
        )

    def ask(self, origin: str) -> Deferred[tuple[bool, bool]]:
        self.asked.append(origin)
        deferred: Deferred[tuple[bool, bool]] = Deferred()
        self.pending.append(deferred)
        return deferred

    def request(self, origin: str, allowed: bool, version: int = 6) -> list[Any]:
        replies: list[Any] = []
        envelope = {
            "action": "requestPermission",
            "version": version,
            "params": {"origin": origin, "allowed": allowed},
        }
        dispatch.run(envelope, self.ctx, replies.append)
        return replies


def ok(result: Any) -> dict[str, Any]:
    return {"result": result, "error": None}


def test_allowed_origin_is_granted_without_asking(ctx: ActionContext) -> None:
    perm = Permission(ctx)
    replies = perm.request("http://localhost", True)
    assert replies == [ok(GRANTED)]
    assert list(replies[0]["result"]) == ["permission", "requireApikey", "version"]
    assert perm.asked == [] and perm.saved == []


def test_require_apikey_spelling_and_value(ctx: ActionContext) -> None:
    keyed = Permission(ctx, Settings(apiKey="secret", apiVersion=6))
    result = keyed.request("", True)[0]["result"]
    assert result == {"permission": "granted", "requireApikey": True, "version": 6}
    assert "requireApiKey" not in result
    assert (
        Permission(ctx, Settings(apiKey="")).request("", True)[0]["result"]["requireApikey"]
        is False
    )


def test_granted_version_follows_api_version(ctx: ActionContext) -> None:
    result = Permission(ctx, Settings(apiVersion=9)).request("", True)[0]["result"]
    assert result["version"] == 9


def test_ignored_origin_is_denied_without_asking(ctx: ActionContext) -> None:
    perm = Permission(ctx, Settings(ignoreOriginList=("https://site.example",)))
    assert perm.request("https://site.example", False) == [ok(DENIED)]
    assert perm.asked == [] and perm.saved == []


def test_ignore_list_does_not_affect_allowed_origins(ctx: ActionContext) -> None:
    perm = Permission(ctx, Settings(ignoreOriginList=("http://localhost",)))
    assert perm.request("http://localhost", True) == [ok(GRANTED)]


def test_no_dialog_available_means_denied(ctx: ActionContext) -> None:
    perm = Permission(ctx, dialog=False)
    assert perm.request("https://site.example", False) == [ok(DENIED)]
    assert perm.saved == []


def test_user_grants(ctx: ActionContext) -> None:
    perm = Permission(ctx, Settings(webCorsOriginList=("http://localhost", "http://a")))
    replies = perm.request("https://site.example", False)
    assert replies == [] and perm.asked == ["https://site.example"]
    perm.pending[0].resolve((True, False))
    assert replies == [ok(GRANTED)]
    assert perm.saved == [
        {"webCorsOriginList": ["http://localhost", "http://a", "https://site.example"]}
    ]
    # The context's settings follow the saved change (a second request in the same
    # context sees the origin as listed).
    assert "https://site.example" in perm.ctx.settings.webCorsOriginList


def test_user_grants_with_ignore_ticked_still_only_grants(ctx: ActionContext) -> None:
    perm = Permission(ctx)
    replies = perm.request("https://site.example", False)
    perm.pending[0].resolve((True, True))
    assert replies == [ok(GRANTED)]
    assert perm.saved == [{"webCorsOriginList": ["http://localhost", "https://site.example"]}]


def test_user_grants_an_origin_already_listed_saves_nothing(ctx: ActionContext) -> None:
    perm = Permission(ctx, Settings(webCorsOriginList=("https://site.example",)))
    replies = perm.request("https://site.example", False)
    perm.pending[0].resolve((True, False))
    assert replies == [ok(GRANTED)] and perm.saved == []


def test_user_denies_and_ignores(ctx: ActionContext) -> None:
    perm = Permission(ctx, Settings(ignoreOriginList=("https://old.example",)))
    replies = perm.request("https://site.example", False)
    perm.pending[0].resolve((False, True))
    assert replies == [ok(DENIED)]
    assert perm.saved == [{"ignoreOriginList": ["https://old.example", "https://site.example"]}]
    assert perm.ctx.settings.ignoreOriginList == ("https://old.example", "https://site.example")


def test_user_denies_without_ignoring(ctx: ActionContext) -> None:
    perm = Permission(ctx)
    replies = perm.request("https://site.example", False)
    perm.pending[0].resolve((False, False))
    assert replies == [ok(DENIED)] and perm.saved == []


def test_ignore_with_empty_origin_is_not_saved(ctx: ActionContext) -> None:
    perm = Permission(ctx)
    replies = perm.request("", False)
    perm.pending[0].resolve((False, True))
    assert replies == [ok(DENIED)] and perm.saved == []


def test_dialog_failure_means_denied(ctx: ActionContext) -> None:
    perm = Permission(ctx)
    replies = perm.request("https://site.example", False)
    perm.pending[0].reject(RuntimeError("dialog crashed"))
    assert replies == [ok(DENIED)] and perm.saved == []


def test_dialog_answering_none_means_denied(ctx: ActionContext) -> None:
    perm = Permission(ctx)
    replies = perm.request("https://site.example", False)
    perm.pending[0].resolve(None)  # type: ignore[arg-type]
    assert replies == [ok(DENIED)]


def test_dialog_answer_already_known(ctx: ActionContext) -> None:
    perm = Permission(ctx)

    def instant(origin: str) -> Deferred[tuple[bool, bool]]:
        deferred: Deferred[tuple[bool, bool]] = Deferred()
        deferred.resolve((True, False))
        return deferred

    perm.ctx.ask_permission = instant
    assert perm.request("https://site.example", False) == [ok(GRANTED)]


def test_grant_without_a_save_callback(ctx: ActionContext) -> None:
    perm = Permission(ctx)
    perm.ctx.save_settings = None
    replies = perm.request("https://site.example", False)
    perm.pending[0].resolve((True, False))
    assert replies == [ok(GRANTED)]


def test_request_permission_reply_is_bare_at_v4(ctx: ActionContext) -> None:
    perm = Permission(ctx)
    assert perm.request("", True, version=4) == [GRANTED]
    replies = perm.request("https://x.example", False, version=4)
    perm.pending[0].resolve((False, False))
    assert replies == [DENIED]


def test_request_permission_param_types(api: Api) -> None:
    with pytest.raises(ApiError, match="parameter 'allowed' must be boolean"):
        api("requestPermission", origin="x", allowed="yes")


# --- GUI-bound misc actions without a main window -----------------------------------------


@pytest.mark.parametrize("name", ["getProfiles", "getActiveProfile", "sync", "reloadCollection"])
def test_gui_misc_actions_fail_cleanly_without_anki_window(api: Api, name: str) -> None:
    if name not in REGISTRY:
        pytest.skip(f"{name} not registered")
    with pytest.raises(ApiError) as caught:
        api(name)
    assert str(caught.value)  # a JSON error, not an exception out of the dispatcher
