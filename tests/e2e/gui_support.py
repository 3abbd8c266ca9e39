"""Helpers shared by the GUI end-to-end tests.

Widget state is read back with the ``__testEval`` hook; asynchronous changes are
polled with a deadline, never waited for with a fixed sleep.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .harness import AnkiInstance
from .support import anki_eval, wait_for

DEADLINE = 20.0


def ev(anki: AnkiInstance, code: str) -> Any:
    """Run ``code`` on Anki's main thread; the value of ``result`` comes back."""
    return anki_eval(anki, code)


def wait_until(check: Callable[[], Any], what: str, timeout: float = DEADLINE) -> Any:
    return wait_for(check, timeout=timeout, what=what)


def error_of(anki: AnkiInstance, action: str, **params: Any) -> str:
    reply = anki.call(action, **params)
    assert reply["result"] is None, reply
    return str(reply["error"])
