"""Miscellaneous actions (spec §B "Miscellaneous"): version, reflection, profiles, sync."""

from __future__ import annotations

from typing import Any

from ..context import ActionContext
from ..registry import REGISTRY, action


@action("misc", runs="protocol")
def version(ctx: ActionContext) -> int:
    """The API version this add-on speaks (the `apiVersion` setting, 6)."""
    return ctx.settings.apiVersion


@action("misc", runs="protocol")
def apiReflect(ctx: ActionContext, scopes: Any, actions: Any = None) -> dict[str, list[str]]:
    """Describe the API: with scope "actions", the action names that exist.

    `actions` null lists every action alphabetically; a list is filtered, in input
    order, to the names that exist.
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
