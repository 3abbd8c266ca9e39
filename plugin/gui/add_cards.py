"""Anki's Add window, pre-filled from an API note (guiAddCards, spec §B Graphical).

Anki's own (legacy) Add window is used: it is the one Anki opens by default and the
one whose ``set_note`` copies field contents and tags. An Add window that is already
open is closed without asking and replaced, as AnkiConnect documents ("invoking it
multiple times closes the old window and reopens it with the new values").
guiAddNoteSetData changes the open window's note in place (:func:`change_open_note`).
"""

from __future__ import annotations

from typing import Any

import aqt
from anki.decks import DeckId
from anki.models import NotetypeId
from anki.notes import Note
from aqt.qt import sip

from .dialogs import open_instance
from .editor_load import load_note

DIALOG_NAME = "AddCards"


def current_add_window() -> Any:
    return open_instance(DIALOG_NAME)


def open_add_window() -> Any:
    """The Add window if one is open and shown, else None."""
    window = current_add_window()
    if window is None or sip.isdeleted(window) or not window.isVisible():
        return None
    return window


def change_open_note(
    window: Any,
    *,
    notetype_id: int | None,
    deck_id: int | None,
    fields: dict[str, str],
    tags: list[str] | None,
    append: bool,
) -> Note:
    """Change the note of an open Add window as its user could; returns that note.

    A note type change goes through the window's own chooser, so Anki carries the
    field contents over as when the user switches type (and picks that type's last
    deck, unless ``deck_id`` says otherwise). Fields (matched by exact name, unknown
    ones ignored) and tags replace the window's, or with ``append`` are added to them.
    The editor is redrawn by :func:`redraw_note`, after media has been attached.
    """
    if notetype_id is not None and window.notetype_chooser.selected_notetype_id != notetype_id:
        window.notetype_chooser.selected_notetype_id = NotetypeId(notetype_id)
    if deck_id is not None:
        _select_deck(window, DeckId(deck_id))
    note: Note = window.editor.note
    for name, value in fields.items():
        if name in note:
            note[name] = note[name] + value if append else value
    if tags is not None:
        if append:
            merged = list(note.tags)
            have = {tag.lower() for tag in merged}  # Anki's tags ignore case
            for tag in tags:
                if tag.lower() not in have:
                    have.add(tag.lower())
                    merged.append(tag)
            note.tags = merged
        else:
            note.tags = list(tags)
    return note


def redraw_note(window: Any) -> None:
    """Show the window's (changed) note in its editor; the editor keeps it."""
    load_note(window.editor)


def _select_deck(window: Any, deck_id: DeckId) -> None:
    # AddCards.set_deck is recent (Anki 25.x); older windows expose the chooser only.
    set_deck = getattr(window, "set_deck", None)
    if set_deck is not None:
        set_deck(deck_id)
    else:
        window.deck_chooser.selected_deck_id = deck_id


def _discard(window: Any) -> None:
    """Close an Add window without the "discard current input?" question."""
    window._close()  # Anki's own close path: cleans up, marks closed, deletes later


def open_add_cards(mw: Any, note: Note | None = None, deck_id: int | None = None) -> Any:
    """Open the Add window; with ``note``, show its note type, fields, tags and deck.

    Returns the window. Its editor holds a new, unsaved note (id 0) until the user
    presses Add.
    """
    if note is not None and (existing := current_add_window()) is not None:
        _discard(existing)
    window = aqt.dialogs.open(DIALOG_NAME, mw)
    if note is not None:
        window.set_note(note, DeckId(deck_id) if deck_id else None)
        if deck_id:
            # set_note picks the deck last used with the note type when given none;
            # the requested deck always wins
            _select_deck(window, DeckId(deck_id))
    window.activateWindow()
    window.raise_()
    return window
