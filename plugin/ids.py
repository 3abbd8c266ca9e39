"""Id lists as Anki's batch operations want them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def distinct_ids(ids: Iterable[Any]) -> list[Any]:
    """The ids as ints, first occurrence kept, repeats dropped.

    Anki's bulk operations put the ids in a table with a unique key, so a repeated
    id would fail the whole call with a raw database error.
    """
    return list(dict.fromkeys(int(item) for item in ids))
