"""Encode a reply to JSON off the main thread, in slices, without changing a byte.

``json.dumps`` is one C call that holds the GIL for its whole run: 50 MB of
``cardsInfo`` takes ~0.4 s during which no other Python thread runs, so encoding on
a worker thread would still freeze Anki's window. Here the outer lists and objects
are walked in Python and every element is encoded by its own ``json.dumps`` call,
so the GIL changes hands between elements. The text is identical to
``json.dumps(reply).encode("ascii")`` (default separators, ASCII escapes): JSON's
array and object syntax is the elements joined by ``", "`` and ``": "``.

The result is a list of byte slices of about :data:`SLICE_BYTES` each, which the
server writes one after the other without joining them into one copy.

An action whose result only goes into such a reply (``ActionContext.reply_is_json``)
may return a :class:`JsonArray` — its result already encoded, built with a
:class:`JsonArrayWriter` — whose slices are passed through as they are.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any, Generic, TypeVar

from . import orjson_text

# Containers are walked this deep (a multi reply's items' results); below that, and
# for containers of more than BATCH elements, json.dumps encodes BATCH elements a call
# (64 cards of cardsInfo take about a millisecond).
SPLIT_DEPTH = 4
BATCH = 64
SLICE_BYTES = 1 << 20


Item = TypeVar("Item")


class JsonArray(Generic[Item]):
    """A list result encoded ahead, as the byte slices of ``json.dumps(items)``.

    Building the text of each item straight from its parts, instead of building
    objects and encoding them, is what lets ``cardsInfo`` of 20,000 cards hold only
    its reply's bytes at its peak. Anywhere a plain object is needed (the API log, a
    reply encoded on the main thread), :meth:`decoded` gives the equal list.
    """

    __slots__ = ("slices",)

    def __init__(self, slices: list[bytes]) -> None:
        self.slices = slices

    def decoded(self) -> list[Item]:
        return list(json.loads(b"".join(self.slices)))


class JsonArrayWriter:
    """Collects the JSON text of a list's items into slices of about SLICE_BYTES."""

    def __init__(self) -> None:
        self._slices: list[bytes] = []
        self._pending: list[str] = ["["]
        self._size = 1
        self._empty = True

    def add(self, item_text: str) -> None:
        """Append one item's text, exactly as ``json.dumps(item)`` spells it."""
        if not self._empty:
            self._pending.append(", ")
        self._empty = False
        self._pending.append(item_text)
        self._size += len(item_text) + 2
        if self._size >= SLICE_BYTES:
            self._flush()

    def extend(self, item_texts: list[str]) -> None:
        """Append several items' texts (one join instead of one call per item)."""
        if item_texts:
            self.add(", ".join(item_texts))

    def _flush(self) -> None:
        self._slices.append("".join(self._pending).encode("ascii"))
        self._pending.clear()
        self._size = 0

    def finish(self) -> JsonArray[Any]:
        self._pending.append("]")
        self._flush()
        return JsonArray(self._slices)


def plain_json(value: Any) -> Any:
    """``json.dumps``'s ``default``: a :class:`JsonArray` as its list; anything else
    fails as json.dumps fails on it."""
    if isinstance(value, JsonArray):
        return value.decoded()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


@dataclass(frozen=True)
class EncodedReply:
    """A reply and its JSON body, encoded where the reply was computed."""

    body: list[bytes] | None  # None: the reply cannot be encoded (see ``encode_error``)
    error: str | None  # the reply envelope's `error`, for the request history
    encode_error: str | None = None
    logged: bool = False  # already written to the API log (on the worker)

    @property
    def length(self) -> int:
        return sum(len(part) for part in self.body or ())


def encode_reply(reply: Any, *, log: Callable[[Any], None] | None = None) -> EncodedReply:
    """Encode (and consume) a reply; ``log`` writes it to the API log first."""
    error = reply.get("error") if isinstance(reply, dict) else None
    error_text = error if isinstance(error, str) else None
    if log is not None:
        log(reply)  # here, not on the main thread: a 50 MB reply takes a while to log
    # The reply's own big lists drop each batch of elements once it is encoded, so
    # the objects and their JSON are not both held in full at the peak.
    owned: set[int] = set()
    _owned_lists(reply, SPLIT_DEPTH, owned)
    try:
        body = encode_slices(reply, owned)
    # RecursionError: a result nested too deeply for json.dumps must still be
    # answered (with an error), as the main-thread encoding does.
    except (TypeError, ValueError, RecursionError) as exc:
        return EncodedReply(None, error_text, str(exc), log is not None)
    _release(reply, SPLIT_DEPTH)
    return EncodedReply(body, error_text, None, log is not None)


def _release(value: Any, depth: int) -> None:
    """Empty the reply's big lists a batch at a time.

    Dropping a 20,000-card reply frees every object in one deallocation that holds
    the GIL for tens of milliseconds. Only lists nothing else refers to are emptied
    (the reply's own containers, never an object an action keeps in a cache).
    """
    if depth == 0:
        return
    if isinstance(value, dict):
        if len(value) <= BATCH:  # bigger ones are encoded whole, batch by batch
            for item in value.values():
                _release(item, depth - 1)
    elif isinstance(value, list) and len(value) > BATCH:
        # references: its container, the caller's loop variable, our parameter and
        # getrefcount's argument; one more means someone else holds it too
        if sys.getrefcount(value) > 4:
            return
        while value:
            del value[-BATCH:]  # each batch of elements (and all they hold) freed apart
    elif isinstance(value, list):
        for item in value:
            _release(item, depth - 1)


def _owned_lists(value: Any, depth: int, found: set[int]) -> None:
    """The ids of the big lists only the reply refers to (as :func:`_release`),
    walking what :func:`_pieces` walks element by element."""
    if depth == 0:
        return
    if isinstance(value, dict):
        if len(value) <= BATCH:
            for item in value.values():
                _owned_lists(item, depth - 1, found)
    elif isinstance(value, list) and len(value) > BATCH:
        if sys.getrefcount(value) <= 4:  # as in _release
            found.add(id(value))
    elif isinstance(value, list):
        for item in value:
            _owned_lists(item, depth - 1, found)


def encode_slices(value: Any, release: set[int] | None = None) -> list[bytes]:
    """``json.dumps(value).encode("ascii")`` as a list of slices.

    Lists whose id is in ``release`` have each batch of elements replaced by None
    once it is encoded (the caller owns them and needs only the text).
    """
    slices: list[bytes] = []
    pending: list[str] = []
    size = 0
    for piece in _pieces(value, SPLIT_DEPTH, release or set()):
        if isinstance(piece, bytes):  # a JsonArray's slice, encoded already
            if pending:
                slices.append("".join(pending).encode("ascii"))
                pending.clear()
                size = 0
            slices.append(piece)
            continue
        pending.append(piece)
        size += len(piece)
        if size >= SLICE_BYTES:
            slices.append("".join(pending).encode("ascii"))
            pending.clear()
            size = 0
    if pending or not slices:
        slices.append("".join(pending).encode("ascii"))
    return slices


def _pieces(value: Any, depth: int, release: set[int]) -> Iterator[str | bytes]:
    """The JSON text of ``value`` in pieces; big containers in batches of elements."""
    if isinstance(value, JsonArray):
        yield from value.slices
        return
    if depth == 0 or not value or not isinstance(value, list | tuple | dict):
        yield json.dumps(value, default=plain_json)
        return
    is_dict = isinstance(value, dict)
    yield "{" if is_dict else "["
    first = True
    for part in _parts(value, depth, release):
        if not first:
            yield ", "
        first = False
        yield from part
    yield "}" if is_dict else "]"


def _parts(value: Any, depth: int, release: set[int]) -> Iterator[Iterator[str | bytes]]:
    """The text of each element (or batch of elements) between the brackets."""
    if isinstance(value, dict):
        if len(value) > BATCH:
            # json.dumps of a part of the object is that part's members, braces aside
            batch_dumps = _BatchDumps()
            for batch in _batches(iter(value.items())):
                yield iter((batch_dumps(dict(batch))[1:-1],))
        else:
            for key, item in value.items():
                yield _member(key, item, depth - 1, release)
    elif len(value) > BATCH:
        drop = id(value) in release
        batch_dumps = _BatchDumps()
        for start in range(0, len(value), BATCH):
            text = batch_dumps(value[start : start + BATCH])[1:-1]
            if drop:
                value[start : start + BATCH] = [None] * len(value[start : start + BATCH])
            yield iter((text,))
    else:
        for item in value:
            yield _pieces(item, depth - 1, release)


class _BatchDumps:
    """json.dumps for the batches of one big container: through orjson while its
    batches are plain (:mod:`.orjson_text`), json.dumps from the first one that is not
    (a list of cards with HTML would otherwise pay orjson's attempt on every batch)."""

    def __init__(self) -> None:
        self.plain = True

    def __call__(self, batch: Any) -> str:
        if self.plain:
            text = orjson_text.dumps(batch)
            if text is not None:
                return text
            self.plain = False
        return json.dumps(batch, default=plain_json)


def _member(key: Any, item: Any, depth: int, release: set[int]) -> Iterator[str | bytes]:
    # json.dumps({key: None}) spells the key as json.dumps would (ints, None, floats)
    yield json.dumps({key: None})[1:-5]
    yield from _pieces(item, depth, release)


def _batches(items: Iterator[tuple[Any, Any]]) -> Iterator[list[tuple[Any, Any]]]:
    # islice takes each batch in C: a Python loop over 20,000 members cost ~5 ms
    while batch := list(islice(items, BATCH)):
        yield batch
