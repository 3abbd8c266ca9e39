"""insertReviews (spec §B "Statistics"): add review-log rows, all or none.

The original splices the values into the SQL text. Here every row is checked
first, then all rows are inserted with bound parameters in one transaction, so a
bad row produces a clear error and nothing is written. Anki has no API for adding
review-log rows, so this is the one raw-SQL write; committing through Anki's
database proxy marks the collection modified.
"""

from __future__ import annotations

from typing import Any

from ..api.context import ActionContext
from ..api.errors import ActionError
from ..api.registry import action
from ..collection.db import database, id_chunks

REVIEW_FIELDS = ("id", "cid", "usn", "ease", "ivl", "lastIvl", "factor", "time", "type")
INSERT_REVIEW = f"insert into revlog ({', '.join(REVIEW_FIELDS)}) values ({', '.join('?' * len(REVIEW_FIELDS))})"
SQLITE_INT_MIN = -(2**63)
SQLITE_INT_MAX = 2**63 - 1


@action("stats")
def insertReviews(ctx: ActionContext, reviews: list[list[int]]) -> None:
    """Add review-log entries, each `[id, cardId, usn, ease, ivl, lastIvl, factor, time, type]`.

    All rows are checked before anything is written: each must have nine integers,
    and review ids must be unique and not already in the log. Any bad row fails
    the whole call with an error naming it, and nothing is inserted. An empty list
    does nothing. Card ids are not checked, as in the original.
    """
    if not reviews:
        return None
    for index, row in enumerate(reviews):
        _check_row(index, row)
    _check_ids_are_new(ctx, reviews)
    db = database(ctx.col)
    # One transaction: should the insert still fail, nothing is written.
    db.transact(lambda: db.executemany(INSERT_REVIEW, reviews))
    return None


def _check_row(index: int, row: list[Any]) -> None:
    if len(row) != len(REVIEW_FIELDS):
        raise ActionError(
            f"review {index} must have {len(REVIEW_FIELDS)} values "
            f"({', '.join(REVIEW_FIELDS)}), got {len(row)}"
        )
    for name, value in zip(REVIEW_FIELDS, row, strict=True):
        # The schema already guarantees integers; SQLite stores at most 64 bits.
        if not SQLITE_INT_MIN <= value <= SQLITE_INT_MAX:
            raise ActionError(f"review {index}: {name} is out of range: {value}")


def _check_ids_are_new(ctx: ActionContext, reviews: list[list[int]]) -> None:
    seen: dict[int, int] = {}
    for index, row in enumerate(reviews):
        review_id = row[0]
        if review_id in seen:
            raise ActionError(
                f"review {index}: id {review_id} is repeated (also review {seen[review_id]})"
            )
        seen[review_id] = index
    for marks, chunk in id_chunks(list(seen)):
        existing = database(ctx.col).list(f"select id from revlog where id in ({marks})", *chunk)
        if existing:
            review_id = min(existing)
            raise ActionError(
                f"review {seen[review_id]}: a review with id {review_id} already exists"
            )
