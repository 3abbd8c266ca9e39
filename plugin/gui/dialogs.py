"""Anki's registry of single-instance windows (`aqt.dialogs`), across versions."""

from __future__ import annotations

from typing import Any

import aqt


def open_instance(name: str) -> Any:
    """The open window registered as ``name``, or None.

    `DialogManager.getInstance` exists only in recent Anki; older versions keep the
    instance in the private `_dialogs` table.
    """
    getter = getattr(aqt.dialogs, "getInstance", None)
    if getter is not None:
        return getter(name)
    entry = getattr(aqt.dialogs, "_dialogs", {}).get(name)
    return entry[1] if entry else None
