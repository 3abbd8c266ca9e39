"""Miscellaneous actions (spec §B "Miscellaneous"): version, reflection, profiles
(`sync` has a module of its own: actions/sync.py)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from ..api.context import ActionContext
from ..api.deferred import Deferred
from ..api.registry import REGISTRY, action
from ..config import settings_from


@action("misc", runs="protocol")
def version(ctx: ActionContext) -> int:
    """The API version this add-on speaks (the `apiVersion` setting, 6)."""
    return ctx.settings.apiVersion


@action("misc", runs="protocol")
def apiReflect(ctx: ActionContext, scopes: Any = None, actions: Any = None) -> dict[str, list[str]]:
    """Describe the API: with scope "actions", the action names that exist.

    `actions` null lists every action alphabetically; a list is filtered, in input
    order, to the names that exist. `scopes` must be a list: anything else, or no
    `scopes` at all, answers `scopes has invalid value`.
    """
    if not isinstance(scopes, list):
        raise ValueError("scopes has invalid value")
    if actions is not None and not isinstance(actions, list):
        raise ValueError("actions has invalid value")
    result: dict[str, list[str]] = {"scopes": []}
    if "actions" in scopes:
        result["scopes"].append("actions")
        if actions is None:
            result["actions"] = sorted(REGISTRY)
        else:
            result["actions"] = [
                name for name in actions if isinstance(name, str) and name in REGISTRY
            ]
    return result


@action("misc", runs="protocol")
def requestPermission(
    ctx: ActionContext, origin: str, allowed: bool
) -> dict[str, Any] | Deferred[dict[str, Any]]:
    """Ask whether the calling web page may use the API.

    The server fills `origin` and `allowed` from the request; clients send no params.
    An allowed origin is granted at once; an ignored one is denied at once; anything
    else asks the user, who can allow it or ignore it from then on.
    """
    settings = ctx.settings
    if allowed:
        return _granted(ctx)
    if origin in settings.ignoreOriginList:
        return {"permission": "denied"}
    if ctx.ask_permission is None:
        return {"permission": "denied"}
    reply: Deferred[dict[str, Any]] = Deferred()

    def decided(answer: tuple[bool, bool] | None, error: BaseException | None) -> None:
        allow, ignore = answer if answer is not None else (False, False)
        current = ctx.latest_settings()
        if allow:
            if origin not in current.webCorsOriginList:
                _save(ctx, {"webCorsOriginList": [*current.webCorsOriginList, origin]})
            reply.resolve(_granted(ctx))
            return
        if ignore and origin and origin not in current.ignoreOriginList:
            _save(ctx, {"ignoreOriginList": [*current.ignoreOriginList, origin]})
        reply.resolve({"permission": "denied"})

    ctx.ask_permission(origin).add_callback(decided)
    return reply


def _granted(ctx: ActionContext) -> dict[str, Any]:
    # `requireApikey` with a lower-case k is what the original sends (§E.8).
    settings = ctx.latest_settings()
    return {
        "permission": "granted",
        "requireApikey": bool(settings.apiKey),
        "version": settings.apiVersion,
    }


def _save(ctx: ActionContext, changes: dict[str, Any]) -> None:
    if ctx.save_settings is not None:
        ctx.save_settings(changes)
        # The context's settings snapshot is refreshed by the service; keep ours in step.
        ctx.settings = settings_from({**asdict(ctx.settings), **changes})


@action("misc", runs="gui")
def getProfiles(ctx: ActionContext) -> list[str]:
    """The names of all Anki profiles."""
    return list(ctx.mw.pm.profiles())


@action("misc", runs="gui")
def getActiveProfile(ctx: ActionContext) -> str | None:
    """The name of the profile that is open (null before any profile was opened)."""
    name = ctx.mw.pm.name
    return str(name) if name is not None else None


@action("misc", runs="gui")
def loadProfile(ctx: ActionContext, name: str) -> bool:
    """Switch to the named profile; false if no such profile exists.

    The switch finishes asynchronously after the reply when another profile is open.
    """
    mw = ctx.mw
    if name not in mw.pm.profiles():
        return False
    if mw.col is not None and mw.pm.name == name:
        return True

    def open_profile() -> None:
        mw.pm.load(name)
        diag = getattr(mw, "profileDiag", None)
        if diag is not None and diag.isVisible():
            diag.closeWithoutQuitting()  # plain close() quits Anki
        mw.loadProfile()

    if mw.col is None:
        open_profile()
    else:
        mw.unloadProfile(open_profile)
    return True


@action("misc", runs="gui")
def reloadCollection(ctx: ActionContext) -> None:
    """Reload the collection's state in Anki's windows (after outside changes)."""
    ctx.col  # noqa: B018  (raises "collection is not available" when closed)
    ctx.mw.reset()
