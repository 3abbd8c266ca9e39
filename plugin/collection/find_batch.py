"""Many field lookups in about one pass over the notes (Yomitan's ``multi``).

Yomitan asks, for every word on screen, ``findNotes "expression:<word>"`` (spec §D),
twenty at a time in one ``multi``. Each such search evaluates a field comparison on
every note, so twenty of them cost twenty passes over a 100,000-note collection.

Here the terms on one field are first answered together by one regex search,
``"expression:re:(?:w1|w2|…)"``, which matches every note any of the exact
searches matches (and possibly more: the regex is case-insensitive and unanchored,
the exact search matches the whole field and folds ASCII case only). Then each
term's own query runs restricted to those few candidates (``(<query>) nid:…``), so
Anki's own search still decides every result. A result of two or more notes is left
to the term's own unrestricted search, whose order (unspecified, Anki's) could
differ from the restricted one's; a term whose shape is not the plain one below is
left alone entirely. A term left alone is simply run as it would be without this.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from anki.collection import Collection

# Yomitan's query: an optional quoted deck, then a quoted field search for a word.
_TERM = re.compile(r'(?:"deck:[^"\\*_]+" )?"(?P<field>[A-Za-z0-9]+):(?P<word>[^"\\]+)"')
# Words Anki's search reads as keywords, not field names, before a colon.
_KEYWORDS = frozenset(
    [
        "added",
        "card",
        "cid",
        "deck",
        "dupe",
        "edited",
        "flag",
        "introduced",
        "is",
        "mid",
        "nc",
        "nid",
        "note",
        "preset",
        "prop",
        "rated",
        "re",
        "resched",
        "sc",
        "tag",
        "w",
    ]
)
# More candidates than this and the restricted searches stop paying for themselves.
MAX_CANDIDATES = 1000


def _field_and_word(query: str) -> tuple[str, str] | None:
    """(field, word) for a query of the plain shape whose word the regex matches as
    it is: letters and digits only (no wildcards, spaces or regex syntax), in NFC."""
    match = _TERM.fullmatch(query)
    if match is None:
        return None
    word = match["word"]
    if not all(char.isalnum() for char in word) or unicodedata.normalize("NFC", word) != word:
        return None
    return match["field"].lower(), word


def find_notes_many(col: Collection, queries: Iterable[str]) -> dict[str, list[int]]:
    """``{query: col.find_notes(query)}`` for the queries answered here exactly; the
    others are missing and must be searched on their own."""
    by_field: dict[str, dict[str, str]] = {}
    fields = _field_names(col)
    for query in dict.fromkeys(queries):
        parsed = _field_and_word(query)
        if parsed is not None and parsed[0] in fields and parsed[0] not in _KEYWORDS:
            field, word = parsed
            by_field.setdefault(field, {})[query] = word
    answers: dict[str, list[int]] = {}
    for field, words in by_field.items():
        if len(words) > 1:
            answers.update(_answer_field(col, field, words))
    return answers


def _field_names(col: Collection) -> set[str]:
    """Every note type's field names, lower-cased (field searches ignore case)."""
    names: set[str] = set()
    for notetype in col.models.all():
        names.update(str(field["name"]).lower() for field in notetype["flds"])
    return names


def _answer_field(col: Collection, field: str, words: dict[str, str]) -> dict[str, list[int]]:
    alternatives = "|".join(dict.fromkeys(words.values()))
    try:
        candidates = col.find_notes(f'"{field}:re:(?:{alternatives})"')
    except Exception:
        return {}
    if not candidates:
        return {query: [] for query in words}
    if len(candidates) > MAX_CANDIDATES:
        return {}
    restriction = "nid:" + ",".join(str(int(note_id)) for note_id in candidates)
    answers: dict[str, list[int]] = {}
    for query in words:
        try:
            found = col.find_notes(f"({query}) {restriction}")
        except Exception:
            continue  # its own search gives its own error
        if len(found) <= 1:
            answers[query] = [int(note_id) for note_id in found]
    return answers
