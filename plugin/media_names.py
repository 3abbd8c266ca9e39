"""Media file names: what Anki would call a file, and which names are safe to touch.

Anki's backend normalizes the name it *writes* (``col.media.write_data``), but its
trash call takes names verbatim: ``trash_files([""])`` moves the whole media folder
to the trash. So every name we hand to the backend for trashing comes from here.

:func:`anki_normalized_name` mirrors the backend's own normalization (rslib
``media/files.rs``: NFC, disallowed and control characters removed, NBSP to space,
Windows-safe, at most 120 bytes). We need it to know which existing file a write
will collide with, so that ``deleteExisting`` trashes that file first. The unit
tests compare it with the backend on a corpus of awkward names.
"""

from __future__ import annotations

import os
import re
import unicodedata

from .errors import ActionError

MAX_NAME_BYTES = 120

# Anki's disallowed characters; control characters (Unicode Cc) are removed as well.
_DISALLOWED = re.compile(r'[\[\]<>:"/?*^\\|\x00-\x1f\x7f-\x9f]')
_WINDOWS_DEVICE = re.compile(r"(?i)^(CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9])(\.|$)")
# What AnkiConnect's retrieve/delete strip (Anki's legacy ``stripIllegal``).
_LEGACY_ILLEGAL = re.compile(r'[\][><:"/?*^\\|\0\r\n]')
_NOT_FILES = frozenset({"", ".", ".."})


def invalid_name(filename: str) -> ActionError:
    return ActionError(f"invalid media file name: {filename!r}")


def anki_normalized_name(filename: str) -> str:
    """The name Anki's backend gives ``filename`` before its lower-casing of new files."""
    name = unicodedata.normalize("NFC", filename)
    name = _DISALLOWED.sub("", name)
    name = name.replace("\u00a0", " ")
    name = _windows_safe(name)
    return _truncated(name)


def _windows_safe(name: str) -> str:
    name = _WINDOWS_DEVICE.sub(r"\1_\2", name, count=1)
    if name.endswith((".", " ")):
        name += "_"
    return name


def _truncated(name: str) -> str:
    """Shorten the stem (never the extension) so the name fits in MAX_NAME_BYTES."""
    if len(name.encode("utf-8")) <= MAX_NAME_BYTES:
        return name
    stem, ext = _split_extension(name)
    room = MAX_NAME_BYTES - len(ext.encode("utf-8"))
    encoded = stem.encode("utf-8")[: max(room, 0)]
    stem = encoded.decode("utf-8", errors="ignore")  # drop a cut multi-byte character
    return _windows_safe(stem + ext)


def _split_extension(name: str) -> tuple[str, str]:
    dot = name.rfind(".")
    if dot <= 0:
        return name, ""
    return name[:dot], name[dot:]


def collision_candidates(filename: str) -> list[str]:
    """Existing names a ``deleteExisting`` store of ``filename`` must clear first.

    The requested name itself (as the original trashes it, when it is a plain name
    inside the media folder), Anki's normalized name, and that name lower-cased (Anki
    >= 26.05 lower-cases the names of new files, so a differing ``foo.txt`` would
    otherwise force ``foo-<sha1>.txt``).
    """
    normalized = anki_normalized_name(filename)
    candidates = [filename, normalized, normalized.lower()]
    unique = dict.fromkeys(name for name in candidates if is_plain_name(name))
    return list(unique)


def is_plain_name(name: str) -> bool:
    """True when ``name`` designates a file directly inside the media folder."""
    return (
        name not in _NOT_FILES
        and "/" not in name
        and "\\" not in name
        and "\x00" not in name
        and os.sep not in name
        and (os.altsep is None or os.altsep not in name)
    )


def existing_media_name(filename: str) -> str:
    """Reduce a requested name as AnkiConnect does for retrieve and delete.

    Basename, NFC, Anki's legacy illegal characters stripped. Names that still
    cannot designate a media file (empty, ``.``, ``..``) are refused.
    """
    name = os.path.basename(filename.replace("\\", "/"))
    name = unicodedata.normalize("NFC", name)
    name = _LEGACY_ILLEGAL.sub("", name)
    if not is_plain_name(name):
        raise invalid_name(filename)
    return name
