"""Media attached to a note object: ``audio``, ``video``, ``picture`` (spec §E.3).

Each key holds one media object or a list of them (``filename``, one of
``data``/``path``/``url``, optional ``skipHash``, ``deleteExisting``, ``fields``).
Each object is stored as storeMediaFile would store it — except that a missing or
null ``deleteExisting`` keeps an existing file (Anki's unique renaming) — and a
reference to the stored name is appended to every listed field the note has:
``[sound:name]`` for audio and video, ``<img src="name">`` for pictures.

A failed download or decoding does not fail the note: the HTML-escaped error text
is appended to the listed fields instead (a media object without ``fields`` then
raises ``KeyError('fields')``, as the original does). A skipHash match stores and
appends nothing.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..media.store import store_media

if TYPE_CHECKING:
    from anki.notes import Note

    from ..api.context import ActionContext

MEDIA_KINDS = ("audio", "video", "picture")


def _sound_tag(filename: str) -> str:
    return f"[sound:{filename}]"


def _img_tag(filename: str) -> str:
    return f'<img src="{filename}">'


_REFERENCE: dict[str, Callable[[str], str]] = {
    "audio": _sound_tag,
    "video": _sound_tag,
    "picture": _img_tag,
}


def media_objects(value: Any) -> list[Any]:
    """One media object or a list of them, as a list."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def attach_media(ctx: ActionContext, note: Note, params: dict[str, Any]) -> None:
    """Store every media object of ``params`` and append its reference to ``note``.

    The note is changed in memory only; the caller saves it.
    """
    for kind in MEDIA_KINDS:
        for media in media_objects(params.get(kind)):
            _attach_one(ctx, note, media, _REFERENCE[kind])


def _attach_one(
    ctx: ActionContext, note: Note, media: Any, reference: Callable[[str], str]
) -> None:
    try:
        delete_existing = media.get("deleteExisting")
        stored = store_media(
            ctx,
            media["filename"],
            data=media.get("data"),
            path=media.get("path"),
            url=media.get("url"),
            skip_hash=media.get("skipHash"),
            delete_existing=False if delete_existing is None else delete_existing,
        )
    except Exception as exc:  # the note is still added, carrying the error text
        _append(note, media["fields"], html.escape(str(exc)))
        return
    if stored is None:  # skipHash matched: nothing stored, nothing referenced
        return
    _append(note, media.get("fields") or [], reference(stored))


def _append(note: Note, field_names: Any, text: str) -> None:
    for name in media_objects(field_names):
        if isinstance(name, str) and name in note:
            note[name] = note[name] + text
