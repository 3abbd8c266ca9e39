"""The review-log rows of one deck's cards after a review id, by the cheaper of two plans.

SQLite answers ``revlog where id > ? and cid in (cards of the deck)`` by probing the
revlog's cid index once per card of the deck, then fetching and sorting the rows it
found. For a big deck that costs more than reading the review log in id order (no
sort: rows come out in the reply's order) and keeping the rows of the deck's cards,
which is what ``+cid`` makes it do (a unary + keeps a column from using its index).
For a small deck in a big review log, or a start id in the distant past, probing wins.
Both plans give the same rows in the same order; only the time differs.

Where the reply is the result's only reader, SQLite writes the rows as JSON text
(``json_group_array``): ~20,000 rows are then one string through Anki's database
bridge, not 180,000 values turned into Python ints and encoded again (~13 ms). The
text is used only if it holds nothing but ints, as Anki's review log does. (One case
tells the two apart that no Anki-written collection has: a BLOB in a review-log
column that happens to be valid JSONB; SQLite 3.45+ writes it as the JSON it encodes,
where the rows would hold its bytes. Other BLOBs fail the JSON query and the rows
answer.)

Costs measured at 10^5 reviews (Anki's SQLite, through its database bridge):
probing ~0.5 µs a card of the deck and ~2.5 µs a row found (fetch, sort, transfer);
the scan ~0.075 µs a review-log row after the start id, ~0.15 µs a card of the deck
(the set of its ids) and ~1.5 µs a row found.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from anki.errors import DBError

from ..api.reply_json import SLICE_BYTES, JsonArray
from .db import database

if TYPE_CHECKING:
    from anki.collection import Collection

REVLOG_COLUMNS = "id, cid, usn, ease, ivl, lastIvl, factor, time, type"
# Relative costs of the measurements above, in nanoseconds.
SCAN_NS_PER_REVIEW = 75
PROBE_NS_SAVED_PER_CARD = 350  # probing a card (500) less adding it to the set (150)
SORT_NS_SAVED_PER_ROW = 1000  # a row found by a probe (2500) less by the scan (1500)

_QUERY = (
    f"select {REVLOG_COLUMNS} from revlog where id > ?"
    " and {cid} in (select id from cards where did = ?) order by id"
)
PROBE_QUERY = _QUERY.format(cid="cid")
SCAN_QUERY = _QUERY.format(cid="+cid")
# The same rows as one JSON array of arrays; the aggregate's own ORDER BY is what
# orders its elements (SQLite 3.44 and later; but see 3.44 itself below).
_JSON_QUERY = (
    f"select json_group_array(json_array({REVLOG_COLUMNS}) order by id) from revlog"
    " where id > ? and {cid} in (select id from cards where did = ?)"
)
PROBE_JSON_QUERY = _JSON_QUERY.format(cid="cid")
SCAN_JSON_QUERY = _JSON_QUERY.format(cid="+cid")
# SQLite 3.44 (Anki 24.06) loses json_array's JSON subtype in an ordered aggregate and
# writes each row as a string; known once per process (the library is Anki's own).
_ORDERED_JSON_PROBE = "select json_group_array(json_array(1) order by 1)"
_ordered_json: list[bool] = []
# What SQLite writes for arrays of ints: anything else (a float, text, null) is not
# what the rows path would answer byte for byte, so the rows path answers.
_INT_ARRAY_CHARS = "0123456789-,[]"
_NOTHING = str.maketrans("", "", _INT_ARRAY_CHARS)
# Cheap next to the query (~0.5 ms for a 20,000-card deck): the first and last ids are
# b-tree lookups, count() of a whole table reads page headers only, and the deck's count
# reads its entries of the cards' (did, queue, due) index.
_SIZES = (
    "select (select count() from cards where did = ?), (select count() from cards),"
    " (select count() from revlog), (select min(id) from revlog),"
    " (select max(id) from revlog)"
)


def deck_reviews(col: Collection, deck_id: int, start_id: int) -> list[list[int]]:
    """``[[id, cid, usn, ease, ivl, lastIvl, factor, time, type], …]`` of the reviews
    after ``start_id`` of the cards whose deck is ``deck_id``, oldest first."""
    query = SCAN_QUERY if scan_is_cheaper(col, deck_id, start_id) else PROBE_QUERY
    rows = database(col).all(query, start_id, deck_id)
    return cast("list[list[int]]", rows)  # the database's rows are lists already


def deck_reviews_json(col: Collection, deck_id: int, start_id: int) -> JsonArray[list[int]] | None:
    """:func:`deck_reviews` already encoded as ``json.dumps`` would; None where the rows
    hold anything but ints (then the caller reads them as rows)."""
    if not _orders_json(col):
        return None
    scan = scan_is_cheaper(col, deck_id, start_id)
    try:
        text = database(col).scalar(
            SCAN_JSON_QUERY if scan else PROBE_JSON_QUERY, start_id, deck_id
        )
    except DBError:  # a BLOB value: "JSON cannot hold BLOB values"
        return None
    if not isinstance(text, str) or text.translate(_NOTHING):
        return None
    # SQLite writes no spaces, json.dumps one after each comma; a slice at a time, so
    # no single call holds the GIL for a huge reply
    return JsonArray(
        [
            text[start : start + SLICE_BYTES].replace(",", ", ").encode("ascii")
            for start in range(0, len(text), SLICE_BYTES)
        ]
    )


def _orders_json(col: Collection) -> bool:
    if not _ordered_json:
        try:
            _ordered_json.append(database(col).scalar(_ORDERED_JSON_PROBE) == "[[1]]")
        except DBError:  # no ORDER BY in aggregates (SQLite before 3.44)
            _ordered_json.append(False)
    return _ordered_json[0]


def scan_is_cheaper(col: Collection, deck_id: int, start_id: int) -> bool:
    sizes = database(col).first(_SIZES, deck_id)
    if sizes is None:
        return False
    deck_cards, all_cards, reviews, first_id, last_id = sizes
    if not deck_cards or not reviews:
        return False  # nothing to probe for, or nothing to find
    return _scan_is_cheaper(
        deck_cards, all_cards, _reviews_after(start_id, reviews, first_id, last_id)
    )


def _reviews_after(start_id: int, reviews: int, first_id: int, last_id: int) -> float:
    """About how many reviews have an id above ``start_id``: ids are the reviews'
    millisecond times, taken as spread evenly between the first and the last."""
    if start_id < first_id:
        return float(reviews)
    if start_id >= last_id:
        return 0.0
    return reviews * (last_id - start_id) / (last_id - first_id)


def _scan_is_cheaper(deck_cards: int, all_cards: int, reviews_after: float) -> bool:
    # the deck's share of the reviews, taken as its share of the cards
    rows_found = reviews_after * deck_cards / max(all_cards, deck_cards)
    scan_cost = SCAN_NS_PER_REVIEW * reviews_after
    saved = PROBE_NS_SAVED_PER_CARD * deck_cards + SORT_NS_SAVED_PER_ROW * rows_found
    return scan_cost < saved
