"""Duplicate checks for new notes beyond Anki's own (spec §E.1).

Anki's fields check covers the default case (same note type, whole collection).
The original switches to its own check when the scope is ``"deck"`` or
``checkAllModels`` is set: a note is a duplicate when another note's first-field
checksum matches (same note type unless ``checkAllModels``) and, for deck scope,
that note has a card in the scope deck (``duplicateScopeOptions.deckName`` or the
target deck, plus subdecks with ``checkChildren``; an unknown deck never matches).

:class:`BatchDuplicates` lets addNotes insert a whole batch in one transaction
while answering as the original, which adds notes one at a time and so sees the
earlier notes of the same batch as already in the collection.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from hashlib import sha1
from typing import TYPE_CHECKING

from ..collection.db import database

if TYPE_CHECKING:
    from anki.collection import Collection

    from .draft import NoteDraft


@dataclass(frozen=True)
class DuplicateScope:
    """Where duplicates are looked for (the ``duplicateScope*`` options)."""

    deck_scope: bool = False
    deck_name: str | None = None
    check_children: bool = False
    check_all_models: bool = False

    @property
    def uses_custom_check(self) -> bool:
        return self.deck_scope or self.check_all_models


def first_field_text(col: Collection, text: str) -> str:
    """The first field as Anki compares it: NFC (collection setting), HTML stripped
    with media file names kept."""
    from anki.collection import Config

    if col.get_config_bool(Config.Bool.NORMALIZE_NOTE_TEXT):
        text = unicodedata.normalize("NFC", text)
    return _strip_html(col, text)


def compared_first_field(col: Collection, draft: NoteDraft) -> str:
    """:func:`first_field_text` of the draft's note, computed once per draft."""
    if draft.compared_first_field is None:
        draft.compared_first_field = first_field_text(col, draft.note.fields[0])
    return draft.compared_first_field


def _strip_html(col: Collection, text: str) -> str:
    from anki.collection import StripHtmlMode

    return col._backend.strip_html(text=text, mode=StripHtmlMode.PRESERVE_MEDIA_FILENAMES)


def fast_fields_check(col: Collection, draft: NoteDraft) -> int | None:
    """Anki's fields check (empty, cloze, duplicate) without its slow duplicate query.

    Anki looks duplicates up by note type and checksum; on a collection SQLite has
    no statistics for (never analysed) it walks every note of the type, ~0.7 ms per
    check at 10,000 notes. This gives the same answer through the checksum index.
    Returns None when a field may hold cloze syntax: the caller then asks Anki.
    """
    from anki.notes import NoteFieldsCheckResult

    note = draft.note
    if any("{{c" in str(value).lower() for value in note.fields):
        return None
    notetype = col.models.get(note.mid)
    if notetype is None or notetype["type"] != 0:  # cloze note types need Anki's check
        return None
    text = compared_first_field(col, draft)
    if not text.strip():
        return NoteFieldsCheckResult.EMPTY
    rows = database(col).all(
        # `+mid` keeps SQLite on the checksum index whatever its statistics say.
        "select id, flds from notes where csum = ? and +mid = ?",
        checksum_of(text),
        note.mid,
    )
    for note_id, fields in rows:
        if note_id != note.id and _strip_html(col, fields.split("\x1f", 1)[0]) == text:
            return NoteFieldsCheckResult.DUPLICATE
    return NoteFieldsCheckResult.NORMAL


def checksum_of(compared_text: str) -> int:
    """Anki's first-field checksum (the ``notes.csum`` column) of compared text."""
    return int(sha1(compared_text.encode("utf-8")).hexdigest()[:8], 16)


def scope_deck_ids(col: Collection, scope: DuplicateScope, target_deck: str) -> list[int] | None:
    """The decks searched by a deck-scoped check; None when the scope deck is unknown."""
    name = target_deck if scope.deck_name is None else scope.deck_name
    deck_id = col.decks.id_for_name(name) if isinstance(name, str) else None
    if deck_id is None:
        return None
    if scope.check_children:
        return [int(did) for did in col.decks.deck_and_child_ids(deck_id)]
    return [int(deck_id)]


def is_duplicate_in_scope(
    col: Collection,
    draft: NoteDraft,
    scope: DuplicateScope,
    batch: BatchDuplicates | None = None,
) -> bool:
    """The original's own duplicate check (scope ``deck`` or ``checkAllModels``)."""
    from anki.utils import ids2str

    deck_ids: list[int] | None = None
    if scope.deck_scope:
        deck_ids = scope_deck_ids(col, scope, draft.deck_name)
        if deck_ids is None:
            return False
    csum = checksum_of(compared_first_field(col, draft))
    if scope.check_all_models:
        note_ids = database(col).list("select id from notes where csum = ?", csum)
    else:
        note_ids = database(col).list(
            "select id from notes where csum = ? and +mid = ?", csum, draft.note.mid
        )
    if note_ids and (
        deck_ids is None
        or database(col).scalar(
            f"select 1 from cards where nid in {ids2str(note_ids)}"
            f" and did in {ids2str(deck_ids)} limit 1"
        )
    ):
        return True
    return batch is not None and batch.has_checksum_match(
        csum, draft.note.mid, scope.check_all_models, deck_ids
    )


@dataclass
class _Accepted:
    model_id: int
    deck_id: int


@dataclass
class BatchDuplicates:
    """The notes accepted so far in one addNotes call, indexed for duplicate checks."""

    _first_fields: set[tuple[int, str]] = field(default_factory=set)
    _by_checksum: dict[int, list[_Accepted]] = field(default_factory=dict)

    def record(self, col: Collection, draft: NoteDraft) -> None:
        text = compared_first_field(col, draft)
        self._first_fields.add((int(draft.note.mid), text))
        accepted = _Accepted(model_id=int(draft.note.mid), deck_id=draft.deck_id)
        self._by_checksum.setdefault(checksum_of(text), []).append(accepted)

    def has_same_first_field(self, col: Collection, draft: NoteDraft) -> bool:
        """Anki's rule: same note type and identical compared first field."""
        if not self._first_fields:
            return False
        text = compared_first_field(col, draft)
        return (int(draft.note.mid), text) in self._first_fields

    def has_checksum_match(
        self, csum: int, model_id: int, all_models: bool, deck_ids: list[int] | None
    ) -> bool:
        for accepted in self._by_checksum.get(csum, ()):
            if not all_models and accepted.model_id != model_id:
                continue
            if deck_ids is None or accepted.deck_id in deck_ids:
                return True
        return False
