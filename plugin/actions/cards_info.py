"""cardsInfo: one object per requested card, rendered as Anki renders it for review.

The original loads, for every card, the card, its note, its note type and its
deck through separate backend calls, and an unknown id costs a raised and logged
NotFoundError. Here unknown ids are found with one SQL query, and notes, note
types, deck names and answer-button labels are loaded once per request and
shared between the cards that use them. Rendering still goes through Anki's
template renderer with every ``field_filter`` and ``card_did_render`` hook (LaTeX
images, add-on filters), so question and answer match what the reviewer shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypedDict, cast

from anki.utils import ids2str

from ..collection.db import chunks, database, distinct_ids
from .cards_lookup import CHUNK, card_columns

if TYPE_CHECKING:
    from anki.cards import Card, CardId
    from anki.collection import Collection
    from anki.notes import Note
    from anki.scheduler_pb2 import SchedulingStates

# The cards columns an entry shows, in _info_from_row's order (after the id).
CARD_COLUMNS = "nid, did, ord, mod, type, queue, due, ivl, factor, reps, lapses, left, flags"
FIELD_SEPARATOR = "\x1f"


def _plain_row(row: tuple[Any, ...]) -> bool:
    """Whether every column holds what Anki's Card holds (ord u16, due i32, ivl, reps,
    lapses and left u32, factor u16, flags u8); other rows are loaded through Anki,
    which decides what they mean."""
    if not all(type(value) is int for value in row):
        return False
    _nid, _did, ordinal, _mod, kind, queue, due, ivl, factor, reps, lapses, left, flags = row
    counts = (ivl, reps, lapses, left)
    return (
        0 <= ordinal < 1 << 16
        and 0 <= kind < 4
        and -3 <= queue < 5
        and -(1 << 31) <= due < 1 << 31
        and 0 <= factor < 1 << 16
        and 0 <= flags < 1 << 8
        and min(counts) >= 0
        and max(counts) < 1 << 32
    )


# Anki wraps the numbers of interval labels in Unicode isolation marks (U+2068,
# U+2069) for right-to-left layouts; the API documents plain text such as "<10m".
_ISOLATION_MARKS = str.maketrans("", "", "\u2068\u2069")


def without_isolation_marks(label: str) -> str:
    return label.translate(_ISOLATION_MARKS)


class FieldValue(TypedDict):
    value: str
    order: int


class CardInfo(TypedDict, total=False):
    """Keys of one cardsInfo entry, in the original's order (`{}` for an unknown id)."""

    cardId: int
    fields: dict[str, FieldValue]
    fieldOrder: int
    question: str
    answer: str
    modelName: str
    ord: int
    deckName: str
    css: str
    factor: int
    interval: int
    note: int
    type: int
    queue: int
    due: int
    reps: int
    lapses: int
    left: int
    mod: int
    nextReviews: list[str]
    flags: int


class _NoteType:
    """What every card of one note type shares: the dict, field names and order, css."""

    def __init__(self, notetype: dict[str, Any]) -> None:
        self.dict = notetype
        self.name: str = notetype["name"]
        self.css: str = notetype["css"]
        self.fields: list[tuple[str, int]] = [(f["name"], f["ord"]) for f in notetype["flds"]]


class CardInfoBuilder:
    """Builds cardsInfo entries; caches live for one request only."""

    def __init__(self, col: Collection) -> None:
        # Imported here: loading anki.template before anki.collection is a circular import.
        from ..collection import card_render

        self._render_card = card_render.render_card
        self._render_texts = card_render.render_texts
        self._hooks_may_change = card_render.hooks_may_change
        self.col = col
        self._notes: dict[int, Note] = {}
        self._notetypes: dict[int, _NoteType] = {}
        self._deck_names: dict[int, str] = {}
        self._labels: dict[tuple[bytes, ...], list[str]] = {}

    def infos(self, ids: Sequence[int]) -> list[CardInfo]:
        rows = card_columns(self.col, CARD_COLUMNS, ids)
        self._load_note_rows(row[0] for row in rows.values())
        plain = not self._hooks_may_change()
        built: dict[int, CardInfo] = {}
        for card_id in dict.fromkeys(ids):
            row = rows.get(card_id)
            if row is None:
                continue
            fast = self._info_from_row(card_id, row) if plain and _plain_row(row) else None
            built[card_id] = (
                fast if fast is not None else self.info(self.col.get_card(cast("CardId", card_id)))
            )
        return [built.get(card_id, CardInfo()) for card_id in ids]

    def _info_from_row(self, card_id: int, row: tuple[Any, ...]) -> CardInfo | None:
        """The entry from the card's row and its note's row, rendered by id.

        What :meth:`info` gives from Card and Note objects, without loading them
        through the backend (two round trips a card); None where only that is exact.
        """
        note_id, deck_id, ordinal, mod, kind, queue, due, ivl, factor, reps, lapses, left, flags = (
            row
        )
        note_row = self._note_rows.get(note_id)
        texts = self._render_texts(self.col, card_id) if note_row is not None else None
        if note_row is None or texts is None:
            return None
        question, answer, style = texts
        notetype = self._notetype(note_row[0])
        values = note_row[1]
        return CardInfo(
            cardId=card_id,
            fields={
                name: FieldValue(value=values[order], order=order)
                for name, order in notetype.fields
            },
            fieldOrder=ordinal,
            question=f"<style>{style}</style>{question}",
            answer=f"<style>{style}</style>{answer}",
            modelName=notetype.name,
            ord=ordinal,
            deckName=self._deck_name(deck_id),
            css=notetype.css,
            factor=factor,
            interval=ivl,
            note=note_id,
            type=kind,
            queue=queue,
            due=due,
            reps=reps,
            lapses=lapses,
            left=left,
            mod=mod,
            nextReviews=self._next_reviews(card_id),
            flags=flags,
        )

    def _load_note_rows(self, note_ids: Iterable[int]) -> None:
        self._note_rows: dict[int, tuple[int, list[str]]] = {}
        for chunk in chunks(distinct_ids(note_ids), CHUNK):
            for note_id, model_id, flds in database(self.col).all(
                f"select id, mid, flds from notes where id in {ids2str(chunk)}"
            ):
                self._note_rows[note_id] = (model_id, flds.split(FIELD_SEPARATOR))

    def info(self, card: Card) -> CardInfo:
        note = self._note(card.nid)
        card._note = note  # rendering reads the note through the card; share the cached one
        notetype = self._notetype(note.mid)
        rendered = self._render_card(self.col, card, note, notetype.dict)
        return CardInfo(
            cardId=card.id,
            fields={
                name: FieldValue(value=note.fields[order], order=order)
                for name, order in notetype.fields
            },
            fieldOrder=card.ord,
            question=rendered.question_and_style(),
            answer=rendered.answer_and_style(),
            modelName=notetype.name,
            ord=card.ord,
            deckName=self._deck_name(card.did),
            css=notetype.css,
            factor=card.factor,
            interval=card.ivl,
            note=card.nid,
            type=card.type,
            queue=card.queue,
            due=card.due,
            reps=card.reps,
            lapses=card.lapses,
            left=card.left,
            mod=card.mod,
            nextReviews=self._next_reviews(card.id),
            flags=card.flags,
        )

    def _note(self, note_id: Any) -> Note:
        note = self._notes.get(note_id)
        if note is None:
            note = self._notes[note_id] = self.col.get_note(note_id)
        return note

    def _notetype(self, notetype_id: Any) -> _NoteType:
        notetype = self._notetypes.get(notetype_id)
        if notetype is None:
            found = self.col.models.get(notetype_id)
            if found is None:
                raise LookupError(f"note type {notetype_id} is missing: run Check Database")
            notetype = self._notetypes[notetype_id] = _NoteType(found)
        return notetype

    def _deck_name(self, deck_id: Any) -> str:
        name = self._deck_names.get(deck_id)
        if name is None:
            # Anki's lookup falls back to Default for a missing deck, as the original's does.
            deck = self.col.decks.get(deck_id)
            name = self._deck_names[deck_id] = deck["name"] if deck else "Default"
        return name

    def _next_reviews(self, card_id: int) -> list[str]:
        """The four answer-button labels (Again, Hard, Good, Easy) the reviewer shows.

        The labels depend only on the four next states (and the collection's
        settings), so cards sharing them, such as new cards of one preset, share
        one description call.
        """
        states: SchedulingStates = self.col._backend.get_scheduling_states(card_id)
        key = tuple(
            state.SerializeToString()
            for state in (states.again, states.hard, states.good, states.easy)
        )
        labels = self._labels.get(key)
        if labels is None:
            labels = self._labels[key] = [
                without_isolation_marks(label)
                for label in self.col._backend.describe_next_states(states)
            ]
        return list(labels)
