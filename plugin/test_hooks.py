"""Test-only actions, registered only when ANKICONNECT_TEST_HOOKS=1.

End-to-end tests use them to look inside the running Anki (widget state, open
dialogs) instead of sleeping and hoping. They are never registered for users: the
environment variable is set only by the test harness. See docs/security.md.
"""

from __future__ import annotations

from typing import Any

from .api.context import ActionContext
from .api.registry import HIDDEN, action

_service: Any = None


def enable(service: Any) -> None:
    global _service
    _service = service
    if "__testEval" in HIDDEN:
        return

    @action("misc", runs="gui", name="__testEval", hidden=True)
    def test_eval(ctx: ActionContext, code: str) -> Any:
        """Run Python in Anki's main thread; the value of `result` is returned."""
        import aqt

        namespace: dict[str, Any] = {
            "mw": aqt.mw,
            "aqt": aqt,
            "ctx": ctx,
            "service": _service,
            "result": None,
        }
        exec(compile(code, "<test-hook>", "exec"), namespace)
        return namespace["result"]
