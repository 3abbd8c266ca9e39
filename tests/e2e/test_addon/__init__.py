"""Test-only add-on: installed by tests/e2e/harness.py beside AnkiConnect, never shipped.

It registers ``__testEval``, which runs Python sent over HTTP on Anki's main thread,
so the end-to-end tests can look inside the running Anki (widget state, open
dialogs) instead of sleeping and hoping. It goes through AnkiConnect's in-process
API (``mw.ankiconnect.register_action``), so the origin rules, the API key and the
effect policy apply to it like to any action. The .ankiaddon holds nothing of this
(tests/e2e/test_packaging.py checks).

The namespace the code runs in: ``mw``, ``aqt``, ``ctx`` (the action context),
``service`` (AnkiConnect's service object) and ``result`` (what is answered).
"""

from __future__ import annotations

from typing import Any

import aqt
from aqt import gui_hooks


def _test_eval(ctx: Any, code: str) -> Any:
    """Run Python in Anki's main thread; the value of `result` is returned."""
    api = aqt.mw.ankiconnect
    namespace: dict[str, Any] = {
        "mw": aqt.mw,
        "aqt": aqt,
        "ctx": ctx,
        "service": api._service,
        "result": None,
    }
    exec(compile(code, "<test-hook>", "exec"), namespace)
    return namespace["result"]


def _register() -> bool:
    api = getattr(aqt.mw, "ankiconnect", None)
    if api is None:
        return False
    # "files": it can do anything, so Anki's pages never reach it by default
    api.register_action("__testEval", _test_eval, effect="files", runs="gui")
    return True


def _register_late() -> None:
    if not _register():
        print("ankiconnect test add-on: AnkiConnect is not loaded; no test hooks")


# Add-ons load in folder-name order; the harness names this folder so it loads after
# AnkiConnect, and the main window's init hook covers any other order.
if aqt.mw is not None and not _register():
    gui_hooks.main_window_did_init.append(_register_late)
