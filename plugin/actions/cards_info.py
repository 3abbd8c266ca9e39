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

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypedDict

from .cards_lookup import load_cards

if TYPE_CHECKING:
    from anki.cards import Card
    from anki.collection import Collection
    from anki.notes import Note
    from anki.scheduler_pb2 import SchedulingStates

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
        from ..collection.card_render import render_card

        self._render_card = render_card
        self.col = col
        self._notes: dict[int, Note] = {}
        self._notetypes: dict[int, _NoteType] = {}
        self._deck_names: dict[int, str] = {}
        self._labels: dict[tuple[bytes, ...], list[str]] = {}

    def infos(self, ids: Sequence[int]) -> list[CardInfo]:
        cards = load_cards(self.col, ids)
        built: dict[int, CardInfo] = {}
        for card_id, card in cards.items():
            built[card_id] = self.info(card)
        return [built.get(card_id, CardInfo()) for card_id in ids]

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
