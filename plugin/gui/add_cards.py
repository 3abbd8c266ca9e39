"""Anki's Add window, pre-filled from an API note (guiAddCards, spec §B Graphical).

Anki's own (legacy) Add window is used: it is the one Anki opens by default and the
one whose ``set_note`` copies field contents and tags. An Add window that is already
open is closed without asking and replaced, as AnkiConnect documents ("invoking it
multiple times closes the old window and reopens it with the new values").
"""

from __future__ import annotations

from typing import Any

import aqt
from anki.decks import DeckId
from anki.notes import Note

from .dialogs import open_instance

DIALOG_NAME = "AddCards"


def current_add_window() -> Any:
    return open_instance(DIALOG_NAME)


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
