"""Media actions (spec §B "Media").

Every name a client sends is confined to the media folder: names to store, read or
delete are reduced to their base name as AnkiConnect does (stored names then go
through Anki's own normalization), and glob matches outside the folder are dropped.
"""

from __future__ import annotations

import base64
import glob
import os
from typing import Literal

from ..api.context import ActionContext
from ..api.json_body import RawText
from ..api.registry import action
from ..media.names import existing_media_name
from ..media.store import store_media


@action("media")
def storeMediaFile(
    ctx: ActionContext,
    filename: str,
    data: str | RawText | None = None,
    path: str | None = None,
    url: str | None = None,
    skipHash: str | None = None,
    deleteExisting: bool | None = True,
) -> str | None:
    """Store a file in the media folder; the name it was stored under.

    The content comes from `data` (base64), else `path` (a file on the Anki host),
    else `url` (downloaded); empty strings count as absent. A folder part of the
    name is dropped (`sub/dir.txt` is stored as `dir.txt`, which retrieveMediaFile
    and deleteMediaFile then find under either name). Anki normalizes the name
    (NFC, strips ``[]<>:"/?*^\\|`` and control characters, lower-cases new names) so
    the result may differ from `filename`. With `deleteExisting` (default true) a
    file of that name is moved to Anki's media trash first; with false an existing
    file with different content makes Anki choose ``stem-<sha1>.ext``. When
    `skipHash` equals the MD5 hex of the content nothing is stored and the result
    is null. `path` is governed by the setting mediaAllowPath, `url` by
    mediaAllowUrl, mediaMaxDownloadSize and webTimeout."""
    return store_media(
        ctx,
        filename,
        data=data,
        path=path,
        url=url,
        skip_hash=skipHash,
        delete_existing=deleteExisting,
    )


@action("media")
def retrieveMediaFile(ctx: ActionContext, filename: str) -> str | Literal[False]:
    """Base64 content of a file in the media folder, or false if there is none.

    The name is reduced to its base name, NFC-normalized and stripped of
    ``[]<>:"/?*^\\|``, NUL and line breaks, so only the media folder is read."""
    name = existing_media_name(filename)
    full_path = os.path.join(ctx.col.media.dir(), name)
    if not os.path.isfile(full_path):
        return False
    with open(full_path, "rb") as file:
        return base64.b64encode(file.read()).decode("ascii")


@action("media")
def getMediaFilesNames(ctx: ActionContext, pattern: str = "*") -> list[str]:
    """Names of the files in the media folder that match a shell glob pattern.

    Unsorted. Matches outside the media folder (``../*``, absolute patterns) and in
    its subfolders are left out."""
    media_dir = os.path.abspath(ctx.col.media.dir())
    if "\x00" in pattern:
        return []  # no file name contains NUL; glob would raise
    matches = glob.glob(os.path.join(glob.escape(media_dir), pattern))
    return [
        os.path.basename(match)
        for match in matches
        if os.path.dirname(os.path.normpath(match)) == media_dir
    ]


@action("media")
def deleteMediaFile(ctx: ActionContext, filename: str) -> None:
    """Move a file of the media folder to Anki's media trash; a missing file is no error.

    The name is reduced like retrieveMediaFile's, so nothing outside the media
    folder is touched."""
    name = existing_media_name(filename)
    ctx.col.media.trash_files([name])


@action("media")
def getMediaDirPath(ctx: ActionContext) -> str:
    """Absolute path of the current profile's media folder."""
    return os.path.abspath(ctx.col.media.dir())
