"""Graphical actions in a real headless Anki: the Add window and importing.

Widget state is read back with the ``__testEval`` hook; asynchronous changes are
polled with a deadline, never waited for with a fixed sleep.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .gui_support import error_of, ev, wait_until
from .harness import AnkiInstance

pytestmark = pytest.mark.e2e

# --------------------------------------------------------------------------- Add window

ADD_WINDOW_STATE = """
from aqt.addcards import AddCards
from aqt.qt import QApplication
w = aqt.dialogs._dialogs["AddCards"][1]
result = None if w is None else {
    "fields": dict(w.editor.note.items()),
    "tags": list(w.editor.note.tags),
    "noteId": int(w.editor.note.id),
    "deck": mw.col.decks.name(w.deck_chooser.selected_deck_id),
    "model": mw.col.models.get(w.notetype_chooser.selected_notetype_id)["name"],
    "visibleAddWindows": sum(
        1 for x in QApplication.topLevelWidgets() if isinstance(x, AddCards) and x.isVisible()
    ),
}
"""


@pytest.fixture
def discards_add_window(anki: AnkiInstance) -> Iterator[None]:
    yield
    ev(anki, 'w = aqt.dialogs._dialogs["AddCards"][1]\nif w is not None:\n    w._close()\n')


@pytest.mark.usefixtures("discards_add_window")
def test_add_cards_window_shows_the_note(anki: AnkiInstance) -> None:
    deck = f"GuiAdd{uuid.uuid4().hex[:8]}"
    anki.invoke("__testEval", code=f"mw.col.decks.id({deck!r})")
    note = {
        "deckName": deck,
        "modelName": "Basic",
        # case-sensitive names: "back" is not the Back field and is ignored
        "fields": {"Front": "shown front", "back": "ignored", "Back": "shown back"},
        "tags": ["gui", "added"],
    }

    assert anki.invoke("guiAddCards", note=note) == 0

    state = ev(anki, ADD_WINDOW_STATE)
    assert state == {
        "fields": {"Front": "shown front", "Back": "shown back"},
        "tags": ["gui", "added"],
        "noteId": 0,
        "deck": deck,
        "model": "Basic",
        "visibleAddWindows": 1,
    }


@pytest.mark.usefixtures("discards_add_window")
def test_add_cards_replaces_an_open_add_window(anki: AnkiInstance) -> None:
    first = {"deckName": "Default", "modelName": "Basic", "fields": {"Front": "first"}}
    second = {"deckName": "Default", "modelName": "Cloze", "fields": {"Text": "{{c1::second}}"}}
    anki.invoke("guiAddCards", note=first)
    first_window = ev(anki, 'result = id(aqt.dialogs._dialogs["AddCards"][1])')

    assert anki.invoke("guiAddCards", note=second) == 0

    state = ev(anki, ADD_WINDOW_STATE)
    assert state["model"] == "Cloze"
    assert state["fields"]["Text"] == "{{c1::second}}"
    assert state["visibleAddWindows"] == 1
    assert ev(anki, 'result = id(aqt.dialogs._dialogs["AddCards"][1])') != first_window


@pytest.mark.usefixtures("discards_add_window")
def test_add_cards_stores_media_immediately(anki: AnkiInstance) -> None:
    name = f"gui_add_{uuid.uuid4().hex[:8]}.png"
    note = {
        "deckName": "Default",
        "modelName": "Basic",
        "fields": {"Front": "with picture"},
        "picture": {"filename": name, "data": "iVBORw0KGgo=", "fields": ["Back"]},
    }
    anki.invoke("guiAddCards", note=note)

    state = ev(anki, ADD_WINDOW_STATE)
    assert state["fields"]["Back"] == f'<img src="{name}">'
    stored = ev(
        anki, f"import os\nresult = os.path.exists(os.path.join(mw.col.media.dir(), {name!r}))"
    )
    assert stored is True


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ({"deckName": "No Such Deck", "modelName": "Basic"}, "deck was not found: No Such Deck"),
        (
            {"deckName": "Default", "modelName": "No Such Model"},
            "model was not found: No Such Model",
        ),
        ({"modelName": "Basic"}, "'deckName'"),
    ],
)
def test_add_cards_errors(anki: AnkiInstance, note: dict[str, Any], message: str) -> None:
    assert error_of(anki, "guiAddCards", note=note) == message


# --------------------------------------------------------------------------- Import

VISIBLE_WINDOWS = """
from aqt.qt import QApplication
result = sorted(type(w).__name__ for w in QApplication.topLevelWidgets() if w.isVisible())
"""

CLOSE_IMPORT_WINDOWS = """
from aqt.qt import QApplication
for w in QApplication.topLevelWidgets():
    if w.isVisible() and type(w).__name__ in ("ImportDialog", "QFileDialog", "MessageBox"):
        w.reject()
"""


@pytest.fixture
def closes_import_windows(anki: AnkiInstance) -> Iterator[None]:
    yield
    ev(anki, CLOSE_IMPORT_WINDOWS)
    wait_until(
        lambda: not {"ImportDialog", "QFileDialog", "MessageBox"} & set(ev(anki, VISIBLE_WINDOWS)),
        "import windows to close",
    )


@pytest.mark.usefixtures("closes_import_windows")
def test_import_file_without_path_shows_a_file_picker(anki: AnkiInstance) -> None:
    assert anki.invoke("guiImportFile") is None
    assert "QFileDialog" in ev(anki, VISIBLE_WINDOWS)


@pytest.mark.usefixtures("closes_import_windows")
def test_import_file_opens_the_import_dialog(anki: AnkiInstance, tmp_path: Path) -> None:
    package = tmp_path / "deck.apkg"
    assert anki.invoke("exportPackage", deck="Default", path=str(package)) is True
    notes_before = anki.invoke("__testEval", code="result = mw.col.note_count()")

    assert anki.invoke("guiImportFile", path=str(package)) is None

    assert "ImportDialog" in ev(anki, VISIBLE_WINDOWS)
    # nothing is imported until the user confirms in the dialog
    assert anki.invoke("__testEval", code="result = mw.col.note_count()") == notes_before


@pytest.mark.usefixtures("closes_import_windows")
def test_import_file_of_unknown_type_warns_without_blocking(
    anki: AnkiInstance, tmp_path: Path
) -> None:
    path = tmp_path / "notes.unknown"
    path.write_text(json.dumps({}))
    assert anki.invoke("guiImportFile", path=str(path)) is None
    assert "MessageBox" in ev(anki, VISIBLE_WINDOWS)
    # the warning waits for the user, the server does not
    assert anki.invoke("version") == 6
