"""Show a note the API changed in an editor, without the editor's web view undoing it.

Anki's editor keeps the field text in its web view and reports it back over the JS
bridge ("key:<field>:<note id>:<text>" after a typing pause, "blur:…" when a field
loses focus), and Python stores what it reports in ``editor.note``. Reports made
before the web view has loaded the changed note carry its old text: the echo of
the previous ``loadNote`` waits 600 ms in the page and the next ``loadNote``'s
``saveSession()`` sends it. A note of the Add window has id 0 before and after the
change, so Anki's own check for late reports (a different note id) lets it through,
and the old text silently replaces the change on the Python side. The HTTP path
first saves the editor (``call_after_note_saved``), but an in-process caller cannot
wait for that: its change is in ``editor.note`` when the call returns, and the
page's pending echo then arrived after it (seen on Anki 24.6 and 26.9).

:func:`load_note` therefore drops an editor's "key"/"blur" reports from the moment
it asks the page to load the note until the page reports (a settle barrier queued
after the load) that it has run that load; reports after it carry the new text.
"""

from __future__ import annotations

import itertools
import time
import weakref
from typing import Any

from . import settle

# A page that never runs the barrier (its window closed, say) stops dropping the
# editor's reports after this long, so later typing is never lost.
GUARD_S = settle.SETTLE_TIMEOUT_S
REPORTS = ("key:", "blur:")

_tokens = itertools.count(1)
# editor -> (token of the load being waited for, when dropping stops)
_guards: weakref.WeakKeyDictionary[Any, tuple[int, float]] = weakref.WeakKeyDictionary()


def load_note(editor: Any) -> None:
    """``editor.loadNote()``; its web view's reports of the old text are dropped."""
    editor.loadNote()
    token = next(_tokens)
    _guards[editor] = (token, time.monotonic() + GUARD_S)
    # holds no reference to the editor: a closed window's editor can go away
    settle.when_web_ran(editor.web, lambda: _lift(token))


def _lift(token: int) -> None:
    for editor, (waiting_for, _until) in list(_guards.items()):
        if waiting_for == token:
            del _guards[editor]


def on_js_message(handled: tuple[bool, Any], message: str, context: Any) -> tuple[bool, Any]:
    """The ``webview_did_receive_js_message`` hook: drops the reports of old text."""
    if handled[0] or not message.startswith(REPORTS):
        return handled
    try:
        guard = _guards.get(context)
    except TypeError:  # a context that cannot be a key (unhashable) is no editor of ours
        return handled
    if guard is None:
        return handled
    if time.monotonic() > guard[1]:
        _guards.pop(context, None)
        return handled
    return (True, None)  # sent before the page showed the note the API loaded
