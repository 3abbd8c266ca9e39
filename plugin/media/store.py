"""Storing media files: the whole ``storeMediaFile`` semantics, shared with the notes code.

``store_media`` is what ``storeMediaFile`` and the ``audio``/``video``/``picture``
objects of ``addNote`` and friends call. Files are written and trashed only through
Anki's media API (``col.media.write_data`` / ``trash_files``) so the media database
and media sync see every change; names handed to ``trash_files`` are checked first
because the backend does not confine them to the media folder.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from typing import Any

from ..api.context import ActionContext
from ..api.errors import ActionError
from ..api.json_body import RawText
from ..api.security import FILE_PATHS_SETTING, file_path_refusal, url_guard_applies
from .download import download
from .names import anki_normalized_name, base_name, collision_candidates, invalid_name
from .upload import prepare_large_upload

NO_SOURCE = 'You must provide a "data", "path", or "url" field.'


def load_media_bytes(
    ctx: ActionContext, *, data: str | RawText | None, path: str | None, url: str | None
) -> bytes:
    """The content to store: ``data`` (base64) before ``path`` before ``url``.

    Empty strings count as absent, as in the original (it tests truthiness).
    """
    if data:
        return decode_base64(data)
    if path:
        return read_local_file(ctx, path)
    if url:
        return download(url, ctx.settings, public_only=url_guard_applies(ctx.settings, ctx.caller))
    raise ActionError(NO_SOURCE)


def store_media(
    ctx: ActionContext,
    filename: str,
    *,
    data: str | RawText | None = None,
    path: str | None = None,
    url: str | None = None,
    skip_hash: str | None = None,
    delete_existing: bool | None = True,
) -> str | None:
    """Store one media file; the stored name, or None when ``skip_hash`` matches.

    ``delete_existing`` true trashes the file the new one would collide with, so the
    new content takes the requested (normalized) name; false or None keeps existing
    files and lets Anki pick a unique name (``stem-<sha1>.ext``) on a clash.

    A folder part of the name is dropped (``sub/dir.txt`` is stored as ``dir.txt``),
    as the original does: retrieve and delete reduce names to their base name too,
    so the three agree on which file a name means.
    """
    requested = filename
    filename = base_name(filename)
    large = prepare_large_upload(filename, data) if data else None
    if large is not None:
        digest, write = large.md5, large.write
    else:
        content = load_media_bytes(ctx, data=data, path=path, url=url)
        digest = hashlib.md5(content).hexdigest()

        def write(media: Any) -> str:
            return str(media.write_data(filename, content))

    if skip_hash is not None and skip_hash == digest:
        return None
    if not anki_normalized_name(filename):
        # Anki would fail with an I/O error naming the media folder; the original
        # first trashed "" — the whole media folder.
        raise invalid_name(requested)
    media = ctx.col.media
    if delete_existing:
        _trash_existing(media, collision_candidates(filename))
    return write(media)


def _trash_existing(media: Any, names: list[str]) -> None:
    folder = media.dir()
    existing = [
        name
        for name in names
        if os.path.lexists(os.path.join(folder, name))
        and not os.path.isdir(os.path.join(folder, name))
    ]
    if existing:
        media.trash_files(existing)


def decode_base64(data: str | RawText) -> bytes:
    """Decode like the original (``base64.b64decode``): linear time, binascii errors.

    Characters outside the base64 alphabet are skipped, a wrong length gives
    ``Incorrect padding`` and similar binascii texts. Large well-formed uploads never
    get here: :mod:`.upload` decodes them in slices straight into Anki's request.
    """
    return base64.b64decode(data.view if isinstance(data, RawText) else data)


def read_local_file(ctx: ActionContext, path: str) -> bytes:
    """Read a file on the Anki host, if the ``mediaAllowPath`` setting lets this caller."""
    if not isinstance(path, str):
        raise ActionError('"path" must be a string')
    _check_path_allowed(ctx)
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = None  # let open() report the error in Python's words
    if mode is not None and not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        # A FIFO or device would block the server or never end (/dev/zero).
        raise ActionError(f"{path} is not a regular file")
    with open(path, "rb") as file:
        return file.read()


def _check_path_allowed(ctx: ActionContext) -> None:
    policy = ctx.settings.mediaAllowPath
    if policy == "always":
        return
    if policy == "never":
        raise ActionError(
            'reading media from a "path" is disabled by the setting mediaAllowPath ("never");'
            ' send the content as "data" instead'
        )
    if ctx.caller.kind != "local":
        # web pages, extensions, Anki's pages: the one setting for every file path
        if file_path_refusal(ctx.settings, ctx.caller, "path") is None:
            return
        raise ActionError(
            'reading media from a "path" is only allowed for local tools (setting'
            ' mediaAllowPath is "local": requests without an Origin header); web pages,'
            " browser extensions and Anki's pages may not read files on this computer:"
            f' send the content as "data" instead, or set {FILE_PATHS_SETTING} to true'
        )
    if not ctx.caller.is_local_tool:
        raise ActionError(
            'reading media from a "path" is only allowed for local tools'
            ' (setting mediaAllowPath is "local": in-process calls and loopback requests'
            ' without an Origin header); send the content as "data" instead'
        )
