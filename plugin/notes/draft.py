"""The note being built: shared by the builder and the duplicate checks, owned by neither."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from anki.decks import DeckId
    from anki.notes import Note


@dataclass
class NoteDraft:
    """An unsaved note and the deck its cards go to."""

    note: Note
    deck_id: DeckId
    deck_name: str
    # The first field as Anki compares it, filled by the duplicate checks on first use.
    compared_first_field: str | None = None
