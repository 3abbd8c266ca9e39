"""Direct reads of the collection database, and id lists as Anki's batch calls want them.

Writes go through Anki's API (mod/usn, undo); these helpers serve the batched reads
that keep 10,000-id requests fast.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ..api.errors import CollectionUnavailable

if TYPE_CHECKING:
    from anki.collection import Collection
    from anki.dbproxy import DBProxy

# Well under SQLite's bound-parameter limit, so id lists of any length can be queried.
SQL_CHUNK = 500


def database(col: Collection) -> DBProxy:
    """The collection's database (None only once the collection is closed)."""
    if col.db is None:
        raise CollectionUnavailable()
    return col.db


def chunks(ids: Sequence[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def id_chunks(ids: Sequence[int], size: int = SQL_CHUNK) -> Iterator[tuple[str, list[int]]]:
    """Yield ``("?,?,…", chunk)`` pairs for parameterised ``IN (…)`` queries."""
    for chunk in chunks(ids, size):
        yield ",".join("?" * len(chunk)), chunk


def distinct_ids(ids: Iterable[Any]) -> list[Any]:
    """The ids as ints, first occurrence kept, repeats dropped.

    Anki's bulk operations put the ids in a table with a unique key, so a repeated
    id would fail the whole call with a raw database error.
    """
    return list(dict.fromkeys(int(item) for item in ids))
