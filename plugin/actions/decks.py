"""Decks actions (spec §B "Decks"): names, creation, moving cards, deletion, stats.

Deck options groups live in :mod:`.decks_config`; package export/import (category
"misc") in :mod:`.packages`. Both are imported here so the registry sees them.

Several actions create a deck they are given an unknown name for (getDeckStats,
changeDeck); that is the original's behaviour (spec §E.12) and is kept on purpose.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, TypedDict, cast

from ..api.context import ActionContext
from ..api.errors import ActionError
from ..api.registry import action
from ..collection.db import database, distinct_ids, id_chunks
from . import decks_config, packages  # noqa: F401  (register their actions)

if TYPE_CHECKING:
    from anki.collection import Collection
    from anki.decks import DeckId, DeckTreeNode

CARDS_TOO_REQUIRED = (
    "Since Anki 2.1.28 it's not possible to delete decks without deleting cards as well"
)


class DeckStats(TypedDict):
    deck_id: int
    name: str
    new_count: int
    learn_count: int
    review_count: int
    total_in_deck: int


def deck_id_creating(col: Collection, name: str) -> DeckId:
    """Id of the deck with this name, created (parents too) if it does not exist."""
    return cast("DeckId", col.decks.id(name, create=True))


@action("decks")
def deckNames(ctx: ActionContext) -> list[str]:
    """Names of all decks, sorted, including filtered decks and always `Default`.

    The order is Anki's own deck order (the one its deck list shows): by name,
    case-insensitively, parents before their children.
    """
    return [deck.name for deck in ctx.col.decks.all_names_and_ids()]


@action("decks")
def deckNamesAndIds(ctx: ActionContext) -> dict[str, int]:
    """Map of every deck name (filtered decks and `Default` included) to its id."""
    return {deck.name: deck.id for deck in ctx.col.decks.all_names_and_ids()}


@action("decks")
def getDecks(ctx: ActionContext, cards: list[int]) -> dict[str, list[int]]:
    """Group the given card ids by the name of the deck each card is in.

    Cards keep their input order within a deck. An unknown card id is listed under
    `Default`: the original looks up a deck for a missing card and Anki falls back
    to the default deck.
    """
    col = ctx.col
    deck_of_card = _deck_ids_of_cards(col, cards)
    names: dict[int | None, str] = {}
    grouped: dict[str, list[int]] = {}
    for card_id in cards:
        deck_id = deck_of_card.get(card_id)
        if deck_id not in names:
            names[deck_id] = _deck_name_or_default(col, deck_id)
        grouped.setdefault(names[deck_id], []).append(card_id)
    return grouped


def _deck_name_or_default(col: Collection, deck_id: int | None) -> str:
    # Anki's deck lookup answers the default deck for a missing id (or none at all).
    deck = col.decks.get(cast("DeckId", deck_id or 0))
    return str(deck["name"]) if deck else "Default"


def _deck_ids_of_cards(col: Collection, card_ids: Sequence[int]) -> dict[int, int]:
    unique = list(dict.fromkeys(card_ids))
    found: dict[int, int] = {}
    for marks, chunk in id_chunks(unique):
        for card_id, deck_id in database(col).all(
            f"select id, did from cards where id in ({marks})", *chunk
        ):
            found[card_id] = deck_id
    return found


@action("decks")
def createDeck(ctx: ActionContext, deck: str) -> int:
    """Create a deck (and any missing parents of `A::B`); return its id.

    A deck that already exists (names compare case-insensitively) is not an error:
    its id is returned and nothing changes.
    """
    return int(deck_id_creating(ctx.col, deck))


@action("decks")
def changeDeck(ctx: ActionContext, cards: list[int], deck: str) -> None:
    """Move cards to a deck, creating the deck if it does not exist.

    Cards in a filtered deck are first returned to their home deck (their original
    due date restored), then moved. Unknown card ids are ignored. Moving cards into
    a filtered deck is refused by Anki with its own error.
    """
    col = ctx.col
    deck_id = deck_id_creating(col, deck)
    # Anki's set-deck operation takes each card out of its filtered deck before
    # moving it, and records mod/usn and an undo step.
    col.set_deck(card_ids=distinct_ids(cards), deck_id=deck_id)


@action("decks", loose=("cardsToo",))
def deleteDecks(ctx: ActionContext, decks: list[str], cardsToo: bool = False) -> None:
    """Delete decks by name together with their cards (and subdecks).

    `cardsToo` must be true: since Anki 2.1.28 decks cannot be deleted without
    their cards. Unknown names are skipped silently.
    """
    if not cardsToo:
        raise ActionError(CARDS_TOO_REQUIRED)
    col = ctx.col
    deck_ids = [col.decks.id_for_name(name) for name in decks]
    existing = [deck_id for deck_id in deck_ids if deck_id is not None]
    if existing:
        col.decks.remove(existing)


@action("decks")
def getDeckStats(ctx: ActionContext, decks: list[str]) -> dict[str, DeckStats]:
    """Due counts and card total of each deck, keyed by deck id.

    Keys are the deck ids (strings in JSON); `name` is the last `::` component of
    the deck name only. Counts are those of Anki's deck list (today's limits
    applied, subdecks included); `total_in_deck` counts the deck's own cards. An
    unknown deck name is created (with zero counts), as the original does.
    """
    col = ctx.col
    deck_ids = [deck_id_creating(col, name) for name in decks]
    tree = col.sched.deck_due_tree()
    stats: dict[str, DeckStats] = {}
    for deck_id in deck_ids:
        node = col.decks.find_deck_in_tree(tree, deck_id)
        if node is not None:
            stats[str(deck_id)] = _stats_of_node(node)
    return stats


def _stats_of_node(node: DeckTreeNode) -> DeckStats:
    return {
        "deck_id": node.deck_id,
        "name": node.name,
        "new_count": node.new_count,
        "learn_count": node.learn_count,
        "review_count": node.review_count,
        "total_in_deck": node.total_in_deck,
    }


@action("decks")
def deckNameFromId(ctx: ActionContext, deckId: int | str) -> str:
    """Full name of the deck with the given id.

    An unknown id answers `Default` (Anki falls back to the default deck); a
    non-numeric string fails with Python's int() conversion error.
    """
    # DeckManager.get() converts with int() and falls back to the default deck.
    deck = ctx.col.decks.get(cast("DeckId | str", deckId))
    return str(deck["name"]) if deck else "Default"
