"""Decode request bodies, including 50 MiB media uploads, without stalling Anki.

``json.loads`` of a body holding one long base64 string is a single C call that
keeps the GIL for hundreds of milliseconds, so even on a worker thread it freezes
Anki's main thread. For large bodies we first lift out long plain string literals
(base64, long field text without escapes) with fast byte searches, parse the small
remainder with ``json``, and put the strings back, decoding them in slices so the
GIL is released between slices. Anything unusual falls back to ``json.loads``,
so results and error texts are exactly those of the standard parser.
"""

from __future__ import annotations

import json
import os
from typing import Any

from .registry import REGISTRY

LARGE_BODY = 1024 * 1024  # below this, plain json.loads is quick enough
LONG_STRING = 64 * 1024  # string literals at least this long are lifted out
SLICE = 1024 * 1024  # bytes decoded per C call, so other threads get the GIL

_BACKSLASH = b"\\"
# bytes.translate(None, _NON_CONTROL) deletes everything but control characters.
_NON_CONTROL = bytes(range(0x20, 0x100))
# Many strings: not an upload, and plain json.loads is the fast path. Counted while
# scanning (a full count of a 67 MB body would itself hold the GIL for 20 ms).
MAX_STRINGS = 5_000


def parse_body(body: bytes | bytearray) -> Any:
    """``json.loads(body.decode("utf-8"))``, faster for large bodies."""
    if len(body) >= LARGE_BODY:
        lifted = _parse_lifting_long_strings(body)
        if lifted is not _FALLBACK:
            return lifted
    return json.loads(body.decode("utf-8"))


_FALLBACK = object()


def _parse_lifting_long_strings(body: bytes | bytearray) -> Any:
    data = memoryview(body)
    pieces: list[bytes] = []
    lifted: dict[str, memoryview] = {}
    token = "\u0000ankiconnect-lifted-" + os.urandom(8).hex() + "-"
    position = 0
    cursor = 0
    length = len(body)
    strings = 0
    while True:
        start = body.find(b'"', cursor)
        if start < 0:
            break
        end = _string_end(body, start + 1)
        if end < 0:
            return _FALLBACK  # unterminated string: let json report it
        if end - start - 1 >= LONG_STRING:
            raw = data[start + 1 : end]
            if not _is_plain_text(raw):
                return _FALLBACK
            key = f"{token}{len(lifted)}"
            lifted[key] = raw
            pieces.append(bytes(data[position:start]))
            pieces.append(json.dumps(key).encode("ascii"))
            position = end + 1
        cursor = end + 1
        strings += 1
        if strings > MAX_STRINGS:
            return _FALLBACK
        if cursor >= length:
            break
    if not lifted:
        return _FALLBACK
    pieces.append(bytes(data[position:]))
    skeleton = b"".join(pieces).decode("utf-8")
    try:
        parsed = json.loads(skeleton)
    except ValueError:
        return _FALLBACK  # report the error exactly as json would on the real body
    raw_keys = _raw_text_placeholders(parsed, token)
    restored = {
        key: RawText(raw) if key in raw_keys else str(raw, "ascii") for key, raw in lifted.items()
    }
    return _restore(parsed, restored, token)


def _raw_text_placeholders(parsed: Any, token: str) -> set[str]:
    """Placeholders standing for top-level params whose action admits RawText."""
    if not isinstance(parsed, dict) or not isinstance(parsed.get("params"), dict):
        return set()
    found = REGISTRY.get(parsed.get("action"))  # type: ignore[arg-type]
    if found is None:
        return set()
    values = (parsed["params"].get(name) for name in found.raw_text_params)
    return {value for value in values if isinstance(value, str) and value.startswith(token)}


def _string_end(body: bytes | bytearray, index: int) -> int:
    """Index of the quote closing the string whose content starts at ``index``."""
    while True:
        end = body.find(b'"', index)
        if end < 0:
            return -1
        backslashes = 0
        probe = end - 1
        while probe >= index and body[probe] == _BACKSLASH[0]:
            backslashes += 1
            probe -= 1
        if backslashes % 2 == 0:
            return end
        index = end + 1


def _is_plain_text(raw: memoryview) -> bool:
    """Whether the string's value is its bytes: ASCII, no escapes, no control bytes.

    Checked slice by slice, so other threads get the GIL in between.
    """
    for offset in range(0, len(raw), SLICE):
        chunk = bytes(raw[offset : offset + SLICE])
        if _BACKSLASH in chunk or not chunk.isascii() or chunk.translate(None, _NON_CONTROL):
            return False
    return True


class RawText:
    """A long ASCII JSON string kept as a view of the request body, not copied.

    Only a top-level param whose type hint admits RawText gets one (storeMediaFile's
    base64 `data`): the media code decodes it straight from the request bytes and
    then releases them, so a 50 MiB upload is never held as a Python string as
    well. Everywhere else long strings are ordinary `str`.
    """

    __slots__ = ("_view",)
    __json_schema__ = {"type": "string"}  # what it is on the wire
    __raw_text__ = True  # marks hints that admit it (registry.Param.raw_text)

    def __init__(self, view: memoryview) -> None:
        self._view: memoryview | None = view

    @property
    def view(self) -> memoryview:
        if self._view is None:
            raise ValueError("the request data was already consumed")
        return self._view

    def __len__(self) -> int:
        return len(self.view)

    def __str__(self) -> str:
        return str(self.view, "ascii")

    def __repr__(self) -> str:
        return f"RawText({len(self)} characters)"

    def release(self) -> None:
        """Drop the request bytes once decoded (they may be 67 MB)."""
        if self._view is not None:
            self._view.release()
            self._view = None


def _restore(value: Any, lifted: dict[str, Any], token: str) -> Any:
    if isinstance(value, str):
        return lifted.get(value, value) if value.startswith(token) else value
    if isinstance(value, list):
        return [_restore(item, lifted, token) for item in value]
    if isinstance(value, dict):
        return {
            _restore(key, lifted, token): _restore(item, lifted, token)
            for key, item in value.items()
        }
    return value
