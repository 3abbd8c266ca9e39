"""Graphical actions in a real headless Anki: the Browser and the Edit window.

Widget state is read back with the ``__testEval`` hook; asynchronous changes are
polled with a deadline, never waited for with a fixed sleep.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .gui_support import error_of, ev, wait_until
from .harness import AnkiInstance

pytestmark = pytest.mark.e2e

# --------------------------------------------------------------------------- fixtures

SETUP_NOTES = """
import json
deck_name = {deck!r}
deck_id = mw.col.decks.id(deck_name)
model = mw.col.models.by_name("Basic (and reversed card)")
notes = []
for front, back in {pairs!r}:
    note = mw.col.new_note(model)
    note["Front"] = front
    note["Back"] = back
    mw.col.add_note(note, deck_id)
    notes.append({{"note": note.id, "cards": [c.id for c in note.cards()]}})
result = {{"deck": deck_name, "deckId": deck_id, "notes": notes}}
"""


@pytest.fixture(scope="module")
def browse_data(anki: AnkiInstance) -> dict[str, Any]:
    """A deck of its own with two two-card notes (card ids differ from note ids)."""
    deck = f"GuiBrowse{uuid.uuid4().hex[:8]}"
    pairs = [("alpha front", "alpha back"), ("beta front", "beta back")]
    return ev(anki, SETUP_NOTES.format(deck=deck, pairs=pairs))


def close_window(anki: AnkiInstance, dialog_name: str) -> None:
    """Close a window Anki's dialog manager tracks and wait until it is gone."""
    code = (
        "from aqt.qt import sip\n"
        f"w = aqt.dialogs._dialogs[{dialog_name!r}][1]\n"
        "if w is not None and not sip.isdeleted(w):\n"
        "    w.close()\n"
    )
    ev(anki, code)
    wait_until(
        lambda: ev(anki, f"result = aqt.dialogs._dialogs[{dialog_name!r}][1] is None"),
        f"{dialog_name} to close",
    )


@pytest.fixture
def closes_browser(anki: AnkiInstance) -> Iterator[None]:
    yield
    close_window(anki, "Browser")


BROWSER_STATE = """
b = aqt.dialogs._dialogs["Browser"][1]
result = None if b is None else {
    "search": b.current_search(),
    "selectedCards": [int(c) for c in b.table.get_selected_card_ids()],
    "rows": [int(i) for i in b.table._model._items],
    "notesMode": b.table.is_notes_mode(),
    "sortColumn": b.table._state.sort_column,
    "sortBackwards": b.table._state.sort_backwards,
    "visible": b.isVisible(),
}
"""


def browser_state(anki: AnkiInstance) -> dict[str, Any] | None:
    return ev(anki, BROWSER_STATE)


# --------------------------------------------------------------------------- Browser


@pytest.mark.usefixtures("closes_browser")
def test_browse_select_and_read_back_selection(
    anki: AnkiInstance, browse_data: dict[str, Any]
) -> None:
    query = f"deck:{browse_data['deck']}"
    all_cards = sorted(c for n in browse_data["notes"] for c in n["cards"])

    found = anki.invoke("guiBrowse", query=query)

    assert sorted(found) == all_cards
    assert sorted(found) == sorted(anki.invoke("findCards", query=query))
    state = browser_state(anki)
    assert state is not None and state["visible"]
    assert state["search"] == query
    assert sorted(state["rows"]) == all_cards

    second_note = browse_data["notes"][1]
    card = second_note["cards"][1]
    assert anki.invoke("guiSelectCard", card=card) is True
    assert browser_state(anki)["selectedCards"] == [card]  # type: ignore[index]
    assert anki.invoke("guiSelectedNotes") == [second_note["note"]]

    # the deprecated alias takes a *card* id despite its name
    first_note = browse_data["notes"][0]
    assert anki.invoke("guiSelectNote", note=first_note["cards"][0]) is True
    assert anki.invoke("guiSelectedNotes") == [first_note["note"]]

    # a card not shown: the selection is cleared, nothing selected
    assert anki.invoke("guiSelectCard", card=1) is True
    assert anki.invoke("guiSelectedNotes") == []


@pytest.mark.usefixtures("closes_browser")
def test_browse_without_query_opens_browser_and_returns_empty(anki: AnkiInstance) -> None:
    assert anki.invoke("guiBrowse") == []
    assert browser_state(anki) is not None


@pytest.mark.usefixtures("closes_browser")
def test_browse_reorder_cards_sorts_the_browser(
    anki: AnkiInstance, browse_data: dict[str, Any]
) -> None:
    query = f"deck:{browse_data['deck']}"
    anki.invoke("guiBrowse", query=query)
    before = browser_state(anki)
    assert before is not None and not before["notesMode"]
    try:
        anki.invoke(
            "guiBrowse", query=query, reorderCards={"order": "ascending", "columnId": "noteFld"}
        )
        ascending = browser_state(anki)
        assert ascending is not None
        assert (ascending["sortColumn"], ascending["sortBackwards"]) == ("noteFld", False)
        anki.invoke(
            "guiBrowse", query=query, reorderCards={"order": "descending", "columnId": "noteFld"}
        )
        descending = browser_state(anki)
        assert descending is not None
        assert (descending["sortColumn"], descending["sortBackwards"]) == ("noteFld", True)
        # "alpha …" sorts before "beta …": the rows really are reversed
        alpha_cards = set(browse_data["notes"][0]["cards"])
        assert set(ascending["rows"][:2]) == alpha_cards
        assert set(descending["rows"][2:]) == alpha_cards
    finally:
        restore = (
            "b = aqt.dialogs._dialogs['Browser'][1]\n"
            f"b.table._state.sort_column = {before['sortColumn']!r}\n"
            f"b.table._state.sort_backwards = {before['sortBackwards']!r}\n"
        )
        ev(anki, restore)


@pytest.mark.usefixtures("closes_browser")
@pytest.mark.parametrize(
    ("reorder", "message"),
    [
        ([1, 2], "reorderCards should be a dict: [1, 2]"),
        ("noteCrt", "reorderCards should be a dict: noteCrt"),
        ({"order": "ascending"}, 'Must provide a "columnId" and a "order" property"'),
        ({"columnId": "noteFld"}, 'Must provide a "columnId" and a "order" property"'),
        ({"order": "up", "columnId": "noteFld"}, "invalid card order: up"),
        ({"order": "ascending", "columnId": "noSuchColumn"}, "invalid columnId: noSuchColumn"),
    ],
)
def test_browse_reorder_cards_errors(anki: AnkiInstance, reorder: Any, message: str) -> None:
    assert error_of(anki, "guiBrowse", query="deck:Default", reorderCards=reorder) == message


@pytest.mark.usefixtures("closes_browser")
def test_browse_bad_search_answers_anki_search_error(anki: AnkiInstance) -> None:
    expected = error_of(anki, "findCards", query="deck:((")
    assert expected.startswith("Invalid search")
    assert error_of(anki, "guiBrowse", query="deck:((") == expected


def test_selection_actions_without_browser(anki: AnkiInstance) -> None:
    close_window(anki, "Browser")
    assert anki.invoke("guiSelectCard", card=1) is False
    assert anki.invoke("guiSelectNote", note=1) is False
    assert anki.invoke("guiSelectedNotes") == []


def test_browse_rejects_unknown_param(anki: AnkiInstance) -> None:
    message = "AnkiConnect.guiBrowse() got an unexpected keyword argument 'foobar'"
    assert error_of(anki, "guiBrowse", foobar=1) == message


# --------------------------------------------------------------------------- Edit window

EDIT_WINDOW_STATE = """
w = aqt.dialogs._dialogs["AnkiConnectEditNote"][1]
result = None if w is None else {
    "note": None if w.note is None else int(w.note.id),
    "history": [int(n) for n in w.history.note_ids],
    "back": w.back_button.isEnabled(),
    "forward": w.forward_button.isEnabled(),
    "visible": w.isVisible(),
    "previewCard": None if w.previewer is None else int(w.previewer.card().id),
}
"""


def edit_state(anki: AnkiInstance) -> dict[str, Any] | None:
    return ev(anki, EDIT_WINDOW_STATE)


@pytest.fixture
def closes_edit_window(anki: AnkiInstance) -> Iterator[None]:
    yield
    close_window(anki, "AnkiConnectEditNote")
    close_window(anki, "Browser")


@pytest.mark.usefixtures("closes_edit_window")
def test_edit_note_window_history_preview_and_browse(
    anki: AnkiInstance, browse_data: dict[str, Any]
) -> None:
    first, second = (n["note"] for n in browse_data["notes"])

    assert anki.invoke("guiEditNote", note=first) is None
    state = edit_state(anki)
    assert state is not None and state["visible"]
    assert (state["note"], state["history"]) == (first, [first])
    assert (state["back"], state["forward"]) == (False, False)

    # a second call shows the other note in the same window and extends the history
    assert anki.invoke("guiEditNote", note=second) is None
    state = wait_until(
        lambda: (s := edit_state(anki)) and s["note"] == second and s, "the second note"
    )
    assert state["history"] == [first, second]
    assert (state["back"], state["forward"]) == (True, False)

    ev(anki, 'aqt.dialogs._dialogs["AnkiConnectEditNote"][1].back_button.click()')
    state = wait_until(lambda: (s := edit_state(anki)) and s["note"] == first and s, "Back")
    assert (state["back"], state["forward"]) == (False, True)

    ev(anki, 'aqt.dialogs._dialogs["AnkiConnectEditNote"][1].preview_button.click()')
    state = wait_until(lambda: (s := edit_state(anki)) and s["previewCard"] and s, "the previewer")
    assert state["previewCard"] == browse_data["notes"][0]["cards"][0]

    ev(anki, 'aqt.dialogs._dialogs["AnkiConnectEditNote"][1].browse_button.click()')
    # Anki's Browser runs a search given at creation after its editor saved (async)
    browser = wait_until(
        lambda: (b := browser_state(anki)) and b["rows"] and b, "the Browser's search"
    )
    assert browser["search"] == f"nid:{first}"
    assert sorted(browser["rows"]) == sorted(browse_data["notes"][0]["cards"])


def test_edit_note_unknown_id_answers_anki_not_found_error(
    anki: AnkiInstance, tmp_path: Path
) -> None:
    from anki.collection import Collection
    from anki.notes import NoteId

    col = Collection(str(tmp_path / "probe.anki2"))
    try:
        with pytest.raises(Exception) as raised:
            col.get_note(NoteId(123))
    finally:
        col.close()
    assert error_of(anki, "guiEditNote", note=123) == str(raised.value)
    assert edit_state(anki) is None
