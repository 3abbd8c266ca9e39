"""Graphical actions on the Browser window (spec §B Graphical)."""

from __future__ import annotations

from typing import Any, Literal, TypedDict, TypeVar

from ..api.context import ActionContext
from ..api.deferred import Deferred
from ..api.errors import ActionError
from ..api.registry import action

T = TypeVar("T")


class ReorderCards(TypedDict):
    order: Literal["ascending", "descending"]
    columnId: str


def _browser_shown(ctx: ActionContext, value: T, browser: Any, what: str) -> Deferred[T]:
    """``value`` once the Browser's editor shows the selected note (if any)."""
    from ..gui.settle import live_webs, settle

    def webs() -> list[Any]:
        editor = getattr(browser, "editor", None)
        return live_webs(getattr(editor, "web", None)) if editor is not None else []

    return settle(ctx, value, what=what, webs=webs)


def _parse_reorder(reorder: Any) -> tuple[Any, bool] | None:
    """(column key, descending) from ``reorderCards``, with the original's error texts."""
    if reorder is None:
        return None
    if not isinstance(reorder, dict):
        raise ActionError(f"reorderCards should be a dict: {reorder}")
    if "columnId" not in reorder or "order" not in reorder:
        raise ActionError('Must provide a "columnId" and a "order" property"')  # sic
    order = reorder["order"]
    if order not in ("ascending", "descending"):
        raise ActionError(f"invalid card order: {order}")
    return reorder["columnId"], order == "descending"


@action("gui", runs="gui", loose=("reorderCards",))
def guiBrowse(
    ctx: ActionContext, query: str | None = None, reorderCards: ReorderCards | None = None
) -> Deferred[list[int]]:
    """Open the Browser, search for `query`, and return the ids of the cards found.

    Opens the Card Browser (or brings the open one to the front) and runs the search
    as if typed into its search bar. Without `query` the Browser's search is left as
    it is and the result is `[]`. `reorderCards` sorts the Browser by one of its
    shown columns, e.g. `{"order": "descending", "columnId": "noteFld"}`; the column
    key must be an active column. A bad search answers Anki's search error text.
    Answers once the Browser shows the rows (and the selected card's note)."""
    from ..gui.browser import active_columns, open_browser, search, set_sort

    reorder = _parse_reorder(reorderCards)
    col = ctx.col
    browser = open_browser(ctx.mw)
    if reorder is not None:
        column_id, _ = reorder
        if column_id not in active_columns(browser):
            raise ActionError(f"invalid columnId: {column_id}")
    if query is not None:
        search(browser, query)
    if reorder is not None:
        set_sort(browser, *reorder)
    found = [] if query is None else [int(c) for c in col.find_cards(query, order=True)]
    return _browser_shown(ctx, found, browser, "the Browser's rows")


def _select(ctx: ActionContext, card_id: int) -> bool | Deferred[bool]:
    from ..gui.browser import current_browser, select_card

    browser = current_browser()
    if browser is None:
        return False
    select_card(browser, card_id)
    return _browser_shown(ctx, True, browser, "the selected card")


@action("gui", runs="gui")
def guiSelectCard(ctx: ActionContext, card: int) -> bool | Deferred[bool]:
    """Select one card in the open Browser; false if the Browser is not open.

    The selection is cleared first, then the row of `card` is selected (nothing is
    selected if the card is not among the rows shown). Answers once the Browser's
    editor shows the selected card's note."""
    return _select(ctx, card)


@action("gui", runs="gui")
def guiSelectNote(ctx: ActionContext, note: int) -> bool | Deferred[bool]:
    """Deprecated alias of guiSelectCard: the value is a **card** id.

    Kept as AnkiConnect has it: despite its name the id is looked up as a card."""
    return _select(ctx, note)


@action("gui", runs="gui")
def guiSelectedNotes(ctx: ActionContext) -> list[int]:
    """Ids of the notes selected in the open Browser; `[]` if it is not open."""
    from ..gui.browser import current_browser, selected_note_ids

    browser = current_browser()
    if browser is None:
        return []
    return selected_note_ids(browser)
