"""Media file names: what Anki would call a file, and which names are safe to touch.

Anki's backend normalizes the name it *writes* (``col.media.write_data``), but its
trash call takes names verbatim: ``trash_files([""])`` moves the whole media folder
to the trash. So every name we hand to the backend for trashing comes from here.

:func:`anki_normalized_name` mirrors the backend's own normalization (rslib
``media/files.rs``: NFC, disallowed and control characters removed, NBSP to space,
Windows-safe, then shortened past 120 bytes). We need it to know which existing file a write
will collide with, so that ``deleteExisting`` trashes that file first. The unit
tests compare it with the backend on a corpus of awkward names.
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata

from ..api.errors import ActionError

MAX_NAME_BYTES = 120
MAX_EXTENSION_BYTES = 10

# Anki's disallowed characters; ASCII control characters are removed as well.
_DISALLOWED = re.compile(r'[\[\]<>:"/?*^\\|\x00-\x1f\x7f]')
_WINDOWS_DEVICE = re.compile(r"(?i)^(CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9])(\.|$)")
# What AnkiConnect's retrieve/delete strip (Anki's legacy ``stripIllegal``).
_LEGACY_ILLEGAL = re.compile(r'[\][><:"/?*^\\|\0\r\n]')
_NOT_FILES = frozenset({"", ".", ".."})


def invalid_name(filename: str) -> ActionError:
    return ActionError(f"invalid media file name: {filename!r}")


def anki_normalized_name(filename: str) -> str:
    """The name Anki's backend gives ``filename`` before its lower-casing of new files."""
    return _normalized_nfc_name(unicodedata.normalize("NFC", filename))


# Anki 26.05 started lower-casing the names of the media files it creates.
LOWER_CASING_SINCE = 260500


@functools.cache
def anki_lowercases_new_names() -> bool:
    from anki.utils import point_version

    return point_version() >= LOWER_CASING_SINCE


def anki_new_file_name(filename: str) -> str:
    """The name Anki gives a file it creates: the normalized name, lower-cased by
    Anki >= 26.05 (older versions keep the case, and so must our guess, or a
    ``deleteExisting`` store would trash a different file).

    Lower-casing may lengthen a name (``İ`` becomes two code points) or expose a
    non-NFC sequence, so when it changes anything Anki normalizes the result again.
    """
    normalized = anki_normalized_name(filename)
    if not anki_lowercases_new_names():
        return normalized
    lowered = normalized.lower()
    return normalized if lowered == normalized else anki_normalized_name(lowered)


def _normalized_nfc_name(name: str) -> str:
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
    """Shorten a name longer than MAX_NAME_BYTES the way Anki does.

    Measured on Anki 26.9.3: the extension (after the last dot) keeps at most 10
    bytes, the stem gets what is left of ``MAX_NAME_BYTES - 2``, both cut on a
    character boundary, and a result ending in a dot or space gets ``_``.
    """
    if len(name.encode("utf-8")) <= MAX_NAME_BYTES:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    ext = _cut(ext, MAX_EXTENSION_BYTES)
    stem = _cut(stem, MAX_NAME_BYTES - 2 - len(ext.encode("utf-8")))
    name = f"{stem}.{ext}" if ext else stem
    if name.endswith((".", " ")):
        name += "_"
    return name


def _cut(text: str, max_bytes: int) -> str:
    return text.encode("utf-8")[: max(max_bytes, 0)].decode("utf-8", errors="ignore")


def collision_candidates(filename: str) -> list[str]:
    """Existing names a ``deleteExisting`` store of ``filename`` must clear first.

    The requested name itself (as the original trashes it, when it is a plain name
    inside the media folder), Anki's normalized name, and that name lower-cased (Anki
    >= 26.05 lower-cases the names of new files, so a differing ``foo.txt`` would
    otherwise force ``foo-<sha1>.txt``).
    """
    candidates = [filename, anki_normalized_name(filename), anki_new_file_name(filename)]
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


def base_name(filename: str) -> str:
    """The name without any folder part, the way retrieve, delete and store all see it."""
    return os.path.basename(filename) if isinstance(filename, str) else filename


def existing_media_name(filename: str) -> str:
    """Reduce a requested name as AnkiConnect does for retrieve and delete.

    Basename, NFC, Anki's legacy illegal characters stripped. Names that still
    cannot designate a media file (empty, ``.``, ``..``) are refused.
    """
    name = base_name(filename)
    name = unicodedata.normalize("NFC", name)
    name = _LEGACY_ILLEGAL.sub("", name)
    if not is_plain_name(name):
        raise invalid_name(filename)
    return name
