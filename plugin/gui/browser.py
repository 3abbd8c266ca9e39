"""The Browser window as the API drives it (guiBrowse and the selection actions).

Searches run synchronously (no "save the editor first" round trip through the web
view), so a guiSelectCard sent right after guiBrowse sees the new rows. Search errors
are raised to the caller instead of Anki's modal warning, and a sort request never
reaches Anki's "cannot sort on this column" message box: nothing here waits for the
user.
"""

from __future__ import annotations

from typing import Any

import aqt
from anki.collection import BrowserColumns

from .dialogs import open_instance

DIALOG_NAME = "Browser"


def current_browser() -> Any:
    """The open Browser window, or None."""
    return open_instance(DIALOG_NAME)


def open_browser(mw: Any) -> Any:
    """Open the Browser, or bring the open one to the front."""
    browser = aqt.dialogs.open(DIALOG_NAME, mw)
    browser.activateWindow()
    browser.raise_()
    return browser


def active_columns(browser: Any) -> list[str]:
    """Keys of the columns the Browser shows in its current (cards/notes) mode."""
    col = browser.col
    if browser.table.is_notes_mode():
        return list(col.load_browser_note_columns())
    return list(col.load_browser_card_columns())


def search(browser: Any, query: str) -> None:
    """Run ``query`` in the Browser as if typed into its search bar.

    Raises Anki's search error (e.g. a syntax error) instead of showing a warning.
    """
    normalized = browser.col.build_search_string(query)
    browser.search_for(normalized)
    browser.update_history()


def set_sort(browser: Any, column_key: str, descending: bool) -> bool:
    """Sort the Browser's rows by an active column; False if it cannot sort by it."""
    table = browser.table
    column = browser.col.get_browser_column(column_key)
    if column is None:
        return False
    sorting = column.sorting_notes if table.is_notes_mode() else column.sorting_cards
    if sorting == BrowserColumns.SORTING_NONE:
        return False
    # Anki keeps the sort in the table state (saved to the collection config); the
    # header's own handler would show a modal box for unsortable columns.
    state = table._state
    state.sort_column = column_key
    state.sort_backwards = descending
    browser.search()
    table._set_sort_indicator()
    return True


def select_card(browser: Any, card_id: int) -> None:
    """Clear the selection, then select the row of ``card_id`` (if it is listed)."""
    table = browser.table
    table.clear_selection()
    table.select_single_card(card_id)


def selected_note_ids(browser: Any) -> list[int]:
    return [int(note_id) for note_id in browser.selected_notes()]
