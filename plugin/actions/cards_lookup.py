"""Batched reads of the cards and revlog tables for the cards actions.

Every card action takes a list of ids that may hold unknown ids, duplicates and
tens of thousands of entries. Reading one column for all of them in a few SQL
queries costs milliseconds, where loading each card through the backend costs a
round trip per id (and an unknown id costs a raised, logged NotFoundError). Only
reads happen here: every change goes through Anki's scheduler or
``col.update_cards``, which set mod/usn and record an undo step.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, cast

from anki.utils import ids2str

from ..api.errors import card_not_found
from ..collection.db import chunks, database, distinct_ids

if TYPE_CHECKING:
    # Not at run time: importing anki.cards before anki.collection is a circular import.
    from anki.cards import Card, CardId
    from anki.collection import Collection

# Ids per SQL statement or search: keeps statements small whatever the request size.
CHUNK = 5000


def card_ids(cards: Iterable[Any]) -> list[CardId]:
    """The request's ids as ints (JSON `5.0` passes the integer schema as a float)."""
    return [cast("CardId", int(card)) for card in cards]


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    return chunks(distinct_ids(ids), CHUNK)


def card_columns(col: Collection, columns: str, ids: Iterable[int]) -> dict[int, Any]:
    """``{card id: value}`` of one column, or ``{id: tuple}`` of several, for known ids."""
    found: dict[int, Any] = {}
    single = "," not in columns
    for chunk in _chunks(ids):
        for row in database(col).all(
            f"select id, {columns} from cards where id in {ids2str(chunk)}"
        ):
            found[row[0]] = row[1] if single else tuple(row[1:])
    return found


def existing_ids(col: Collection, ids: Iterable[int]) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(ids):
        found.update(database(col).list(f"select id from cards where id in {ids2str(chunk)}"))
    return found


def require_cards(col: Collection, ids: Sequence[int], columns: str) -> dict[int, Any]:
    """Like :func:`card_columns`, but the first unknown id (in input order) is an error."""
    found = card_columns(col, columns, ids)
    for card_id in ids:
        if card_id not in found:
            raise card_not_found(card_id)
    return found


def note_ids_of(col: Collection, ids: Iterable[int]) -> list[int]:
    """Distinct note ids of the known cards, each once."""
    seen: dict[int, None] = {}
    for chunk in _chunks(ids):
        for note_id in database(col).list(
            f"select distinct nid from cards where id in {ids2str(chunk)}"
        ):
            seen[note_id] = None
    return list(seen)


def search_ids(col: Collection, ids: Iterable[int], search: str) -> set[int]:
    """The given cards that also match an Anki search term, such as ``is:due``.

    Anki's own search decides, so its rules (learn-ahead limit, filtered decks,
    day rollover) apply unchanged. Pass only known ids: ``cid:`` accepts
    positive ids only.
    """
    matched: set[int] = set()
    for chunk in _chunks(ids):
        query = f"cid:{','.join(map(str, chunk))} {search}"
        matched.update(int(card_id) for card_id in col.find_cards(query))
    return matched


def revlog_rows(col: Collection, ids: Iterable[int]) -> dict[int, list[tuple[int, int]]]:
    """``{card id: [(revlog id, ivl), …]}`` oldest first, for ids having review history.

    Deleted cards may keep their review history; they are looked up all the same,
    as the original does.
    """
    rows: dict[int, list[tuple[int, int]]] = {}
    for chunk in _chunks(ids):
        for card_id, revlog_id, interval in database(col).all(
            f"select cid, id, ivl from revlog where cid in {ids2str(chunk)} order by id"
        ):
            rows.setdefault(card_id, []).append((revlog_id, interval))
    return rows


def load_cards(col: Collection, ids: Sequence[int]) -> dict[int, Card]:
    """Card objects of the known ids (unknown ids are skipped, never raised on)."""
    known = existing_ids(col, ids)
    return {
        card_id: col.get_card(cast("CardId", card_id))
        for card_id in dict.fromkeys(ids)
        if card_id in known
    }
