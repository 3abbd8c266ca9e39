"""guiAddNoteSetData in a real headless Anki: changing the open Add window's note.

The window is opened with guiAddCards, changed over the API and read back through
the test hooks; nothing is pressed, so no note is ever added.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from .gui_support import error_of, ev, wait_until
from .harness import AnkiInstance

pytestmark = pytest.mark.e2e

NOT_OPEN = {"error": "Add Note dialog is not open", "code": 1}
# The smallest PNG header, as the Add window tests use it.
PICTURE = "iVBORw0KGgo="

WINDOW_NOTE = """
from aqt.qt import sip
w = aqt.dialogs._dialogs["AddCards"][1]
result = None if w is None or sip.isdeleted(w) else {
    "fields": dict(w.editor.note.items()),
    "tags": list(w.editor.note.tags),
    "deck": mw.col.decks.name(w.deck_chooser.selected_deck_id),
    "model": mw.col.models.get(w.notetype_chooser.selected_notetype_id)["name"],
    "noteId": int(w.editor.note.id),
}
"""
CLOSE_ADD_WINDOW = """
from aqt.qt import sip
w = aqt.dialogs._dialogs["AddCards"][1]
if w is not None and not sip.isdeleted(w):
    w._close()
"""


def media_exists(anki: AnkiInstance, name: str) -> bool:
    code = f"import os\nresult = os.path.exists(os.path.join(mw.col.media.dir(), {name!r}))"
    return bool(ev(anki, code))


@pytest.fixture
def add_window(anki: AnkiInstance) -> Iterator[str]:
    """An Add window showing a Basic note in a deck of its own; discarded afterwards."""
    deck = f"SetData{uuid.uuid4().hex[:8]}"
    anki.invoke("createDeck", deck=deck)
    note = {
        "deckName": deck,
        "modelName": "Basic",
        "fields": {"Front": "typed front", "Back": "typed back"},
        "tags": ["first"],
    }
    assert anki.invoke("guiAddCards", note=note) == 0
    try:
        yield deck
    finally:
        ev(anki, CLOSE_ADD_WINDOW)
        anki.invoke("deleteDecks", decks=[deck], cardsToo=True)


def test_replace_fields_and_tags(anki: AnkiInstance, add_window: str) -> None:
    notes_before = anki.invoke("findNotes", query="deck:*")
    reply = anki.call(
        "guiAddNoteSetData",
        note={
            "fields": {"Front": "new front", "front": "ignored", "Nope": "x"},
            "tags": ["a", "b"],
        },
    )
    assert reply == {"result": True, "error": None}
    assert ev(anki, WINDOW_NOTE) == {
        "fields": {"Front": "new front", "Back": "typed back"},
        "tags": ["a", "b"],
        "deck": add_window,
        "model": "Basic",
        "noteId": 0,
    }
    assert sorted(anki.invoke("findNotes", query="deck:*")) == sorted(notes_before)


def test_append_fields_tags_and_a_picture(anki: AnkiInstance, add_window: str) -> None:
    name = f"set_data_{uuid.uuid4().hex[:8]}.png"
    note = {
        "fields": {"Front": " and more", "Back": "!"},
        "tags": ["FIRST", "second"],  # tags ignore case: FIRST is already there
        "picture": {"filename": name, "data": PICTURE, "fields": ["Back"]},
    }
    assert anki.invoke("guiAddNoteSetData", note=note, append=True) is True
    state = ev(anki, WINDOW_NOTE)
    assert state["fields"] == {
        "Front": "typed front and more",
        "Back": f'typed back!<img src="{name}">',
    }
    assert state["tags"] == ["first", "second"]
    assert media_exists(anki, name)


def test_deck_and_note_type_replace_the_windows(anki: AnkiInstance, add_window: str) -> None:
    other = f"{add_window}::Other"
    anki.invoke("createDeck", deck=other)
    reply = anki.invoke(
        "guiAddNoteSetData",
        note={"modelName": "Basic (and reversed card)", "deckName": other},
    )
    assert reply is True
    state = ev(anki, WINDOW_NOTE)
    assert (state["model"], state["deck"]) == ("Basic (and reversed card)", other)
    # Anki carries the contents over to the new type, as when the user switches it
    assert state["fields"] == {"Front": "typed front", "Back": "typed back"}
    assert state["tags"] == ["first"]


def test_bad_data_is_refused_before_any_media_is_stored(
    anki: AnkiInstance, add_window: str
) -> None:
    name = f"never_{uuid.uuid4().hex[:8]}.png"
    picture = {"filename": name, "data": PICTURE, "fields": ["Back"]}
    before = ev(anki, WINDOW_NOTE)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"deckName": "No Such Deck", "picture": picture}, "deck was not found: No Such Deck"),
        ({"modelName": "No Such Model", "picture": picture}, "model was not found: No Such Model"),
        (
            {"fields": ["Front"], "picture": picture},
            "AnkiConnect.guiAddNoteSetData() parameter 'note['fields']' must be object,"
            ' got ["Front"]',
        ),
        (
            {"fields": {"Front": 12345}, "picture": picture},
            "AnkiConnect.guiAddNoteSetData() parameter 'note['fields']['Front']' must be"
            " string, got 12345",
        ),
    ]
    for note, message in cases:
        assert error_of(anki, "guiAddNoteSetData", note=note) == message
    assert not media_exists(anki, name)
    assert ev(anki, WINDOW_NOTE) == before


def test_without_an_add_window_the_result_is_the_not_open_object(anki: AnkiInstance) -> None:
    ev(anki, CLOSE_ADD_WINDOW)
    name = f"closed_{uuid.uuid4().hex[:8]}.png"
    note = {
        "fields": {"Front": "x"},
        "picture": {"filename": name, "data": PICTURE, "fields": ["Front"]},
    }
    assert anki.call("guiAddNoteSetData", note=note) == {"result": NOT_OPEN, "error": None}
    # a version-4 client gets the object bare, as the original answers it
    assert anki.call("guiAddNoteSetData", version=4, note=note) == NOT_OPEN
    assert ev(anki, WINDOW_NOTE) is None  # it never opens one
    assert not media_exists(anki, name)


def test_in_process_calls_answer_at_once(anki: AnkiInstance, add_window: str) -> None:
    # another add-on calls on the main thread and cannot be answered later
    code = (
        "result = [mw.ankiconnect.invoke('guiAddNoteSetData',"
        " {'note': {'fields': {'Back': ' in process'}}, 'append': True}),"
        " mw.ankiconnect.invoke('guiDeckBrowser')]"
    )
    assert ev(anki, code) == [{"result": True, "error": None}, {"result": None, "error": None}]
    assert ev(anki, WINDOW_NOTE)["fields"]["Back"] == "typed back in process"


# The editor's page reports the Back field's old text, as its pending typing echo
# does; the report reaches Python only after this main-thread code has run, so after
# the in-process change: the race a real editor has. The probe message that follows
# it records what the note holds once the report has been handled.
STALE_REPORT_DURING_IN_PROCESS_CALL = """
from aqt import gui_hooks
w = aqt.dialogs._dialogs["AddCards"][1]
seen = []
def probe(handled, message, context):
    if message != "setdata-test:probe":
        return handled
    seen.append(w.editor.note["Back"])
    return (True, None)
mw._setdata_probe = (probe, seen)
gui_hooks.webview_did_receive_js_message.append(probe)
w.editor.web.eval('pycmd("key:1:0:typed back"); pycmd("setdata-test:probe");')
result = mw.ankiconnect.invoke(
    "guiAddNoteSetData", {"note": {"fields": {"Back": " in process"}}, "append": True}
)
"""
PROBE_SEEN = "result = list(mw._setdata_probe[1])"
REMOVE_PROBE = """
from aqt import gui_hooks
probe, _seen = mw.__dict__.pop("_setdata_probe")
gui_hooks.webview_did_receive_js_message.remove(probe)  # a no-op if it is not there
"""


def test_a_late_report_of_the_old_text_does_not_undo_an_in_process_change(
    anki: AnkiInstance, add_window: str
) -> None:
    try:
        reply = ev(anki, STALE_REPORT_DURING_IN_PROCESS_CALL)
        assert reply == {"result": True, "error": None}
        seen = wait_until(lambda: ev(anki, PROBE_SEEN), "the probe after the stale report")
    finally:
        ev(anki, REMOVE_PROBE)
    assert seen == ["typed back in process"]
    assert ev(anki, WINDOW_NOTE)["fields"]["Back"] == "typed back in process"
