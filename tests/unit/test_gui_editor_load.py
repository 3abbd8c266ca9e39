"""plugin.gui.editor_load's bridge filter, without a web view.

That the filter keeps an in-process change from being undone by the page's late
report is tested end to end in tests/e2e/test_gui_add_note_set_data.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from plugin.gui import editor_load

UNHANDLED = (False, None)


class Editor:
    """A bridge context: the hook only uses it as a key."""


@pytest.fixture
def editor() -> Iterator[Editor]:
    context = Editor()
    yield context
    editor_load._guards.pop(context, None)


def guard(editor: Editor, token: int, seconds: float = 60.0) -> None:
    editor_load._guards[editor] = (token, time.monotonic() + seconds)


@pytest.mark.parametrize("message", ["key:1:0:old text", "blur:0:0:old text"])
def test_reports_are_dropped_until_the_page_ran_the_load(editor: Editor, message: str) -> None:
    assert editor_load.on_js_message(UNHANDLED, message, editor) is UNHANDLED
    guard(editor, 41)
    assert editor_load.on_js_message(UNHANDLED, message, editor) == (True, None)
    editor_load._lift(40)  # an earlier load's barrier lifts nothing
    assert editor_load.on_js_message(UNHANDLED, message, editor) == (True, None)
    editor_load._lift(41)
    assert editor_load.on_js_message(UNHANDLED, message, editor) is UNHANDLED


@pytest.mark.parametrize("message", ["focus:0", "saveTags:[]", "domDone", "keyboard"])
def test_other_messages_pass_while_guarded(editor: Editor, message: str) -> None:
    guard(editor, 1)
    assert editor_load.on_js_message(UNHANDLED, message, editor) is UNHANDLED


def test_other_editors_and_handled_messages_pass(editor: Editor) -> None:
    guard(editor, 1)
    assert editor_load.on_js_message(UNHANDLED, "key:0:0:x", Editor()) is UNHANDLED
    assert editor_load.on_js_message(UNHANDLED, "key:0:0:x", None) is UNHANDLED
    assert editor_load.on_js_message(UNHANDLED, "key:0:0:x", {"unhashable": 1}) is UNHANDLED
    handled = (True, "by another add-on")
    assert editor_load.on_js_message(handled, "key:0:0:x", editor) is handled


def test_a_guard_whose_page_never_answers_expires(editor: Editor) -> None:
    guard(editor, 1, seconds=-1.0)
    assert editor_load.on_js_message(UNHANDLED, "key:0:0:typed", editor) is UNHANDLED
    assert editor not in editor_load._guards
