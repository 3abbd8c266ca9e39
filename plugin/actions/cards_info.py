"""cardsInfo: one object per requested card, rendered as Anki renders it for review.

The original loads, for every card, the card, its note, its note type and its
deck through separate backend calls, and an unknown id costs a raised and logged
NotFoundError. Here the card and note rows of a thousand cards come in one SQL
query, note types, deck names and answer-button labels are loaded once per
request, and each card costs two calls into Anki: rendering it by id and its
next scheduling states. Each entry's JSON text is written straight from those
parts (the note type's css, escaped once, is most of every entry), so a 20,000-card
reply never exists as objects. Cards that only Anki's full renderer gets exactly
right (template errors, field filters, LaTeX, an add-on's render hook, odd rows)
are built from Card and Note objects through that renderer, with every
``field_filter`` and ``card_did_render`` hook, so question and answer always match
what the reviewer shows.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypedDict, cast

from anki.cards_pb2 import CardId as CardIdMessage
from anki.scheduler_pb2 import SchedulingStates
from anki.utils import ids2str

from ..api.reply_json import JsonArray, JsonArrayWriter
from ..collection.db import chunks, database, distinct_ids
from .entry_json import FieldsJson, json_str

if TYPE_CHECKING:
    from anki.cards import Card, CardId
    from anki.collection import Collection
    from anki.notes import Note

# The cards columns an entry shows, in _entry_text's order (after the id).
CARD_COLUMNS = "nid, did, ord, mod, type, queue, due, ivl, factor, reps, lapses, left, flags"
# Whether every column holds what Anki's Card holds (ord u16, due i32, ivl, reps,
# lapses and left u32, factor u16, flags u8), checked by SQLite for every row; other
# rows are loaded through Anki, which decides what they mean.
_PLAIN_ROW = " and ".join(
    [f"typeof(c.{column}) = 'integer'" for column in CARD_COLUMNS.split(", ")]
    + [
        "c.ord between 0 and 65535",
        "c.type between 0 and 3",
        "c.queue between -3 and 4",
        "c.due between -2147483648 and 2147483647",
        "c.factor between 0 and 65535",
        "c.flags between 0 and 255",
    ]
    + [f"c.{column} between 0 and 4294967295" for column in ("ivl", "reps", "lapses", "left")]
)
# One query reads the card rows with their notes' note type and fields (left join: a
# card whose note is missing is left to Anki, which reports it).
ROWS_QUERY = (
    "select c.id, "
    + ", ".join(f"c.{column}" for column in CARD_COLUMNS.split(", "))
    + f", n.mid, n.flds, {_PLAIN_ROW} from cards c left join notes n on n.id = c.nid"
    + " where c.id in "
)
# Cards per query: their rows and the entries' text are all a chunk holds at once.
ROWS_CHUNK = 1000
FIELD_SEPARATOR = "\x1f"


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
    """What every card of one note type shares: the dict, field names and order, css,
    and the JSON text of those parts of an entry."""

    def __init__(self, notetype: dict[str, Any]) -> None:
        self.dict = notetype
        self.name: str = notetype["name"]
        self.css: str = notetype["css"]
        self.fields: list[tuple[str, int]] = [(f["name"], f["ord"]) for f in notetype["flds"]]
        self.name_json = json_str(self.name)
        self.css_json = json_str(self.css)
        self.fields_json = FieldsJson(self.fields)


class CardInfoBuilder:
    """Builds cardsInfo entries; caches live for one request only."""

    def __init__(self, col: Collection) -> None:
        # Imported here: loading anki.template before anki.collection is a circular import.
        from ..collection import card_render

        self._render_card = card_render.render_card
        self._renderer = card_render.TextRenderer(col)
        self._hooks_may_change = card_render.hooks_may_change
        self.col = col
        self._notes: dict[int, Note] = {}
        self._notetypes: dict[int, _NoteType] = {}
        self._deck_names: dict[int, str] = {}
        self._deck_names_json: dict[int, str] = {}
        self._labels: dict[bytes, list[str]] = {}
        self._labels_json: dict[bytes, str] = {}
        # "<style>css</style>" as the start of a JSON string, by css
        self._style_openings: dict[str, str] = {}
        self._states_request = CardIdMessage()

    def infos(self, ids: Sequence[int]) -> list[CardInfo]:
        """The entries as objects (for in-process callers): the decoded :meth:`encoded`."""
        return cast("list[CardInfo]", self.encoded(ids).decoded())

    def encoded(self, ids: Sequence[int]) -> JsonArray[CardInfo]:
        """The entries' JSON text, exactly ``json.dumps(entries)``, in slices."""
        plain = not self._hooks_may_change()
        counts = Counter(ids)
        repeated: dict[int, str] = {}  # the text of ids asked for more than once
        writer = JsonArrayWriter()
        for chunk in chunks(ids, ROWS_CHUNK):
            rows = self._rows([card_id for card_id in chunk if card_id not in repeated])
            texts: list[str] = []
            for card_id in chunk:
                text = repeated.get(card_id)
                if text is None:
                    text = self._text(card_id, rows.get(card_id), plain)
                    if counts[card_id] > 1:
                        repeated[card_id] = text
                texts.append(text)
            writer.extend(texts)
        return writer.finish()

    def _rows(self, ids: list[int]) -> dict[int, Sequence[Any]]:
        if not ids:
            return {}
        query = ROWS_QUERY + ids2str(distinct_ids(ids))
        return {row[0]: row for row in database(self.col).all(query)}

    def _text(self, card_id: int, row: Sequence[Any] | None, plain: bool) -> str:
        if row is None:
            return "{}"  # unknown id
        text = self._entry_text(row) if plain else None
        if text is None:
            text = json.dumps(self.info(self.col.get_card(cast("CardId", card_id))))
        return text

    def _entry_text(self, row: Sequence[Any]) -> str | None:
        """An entry's JSON text from its card and note row, rendered by id.

        What ``json.dumps(self.info(card))`` gives, without loading Card and Note
        objects (two backend round trips a card) or building the entry; None where
        only that is exact.
        """
        (
            card_id,
            note_id,
            deck_id,
            ordinal,
            mod,
            kind,
            queue,
            due,
            ivl,
            factor,
            reps,
            lapses,
            left,
            flags,
            model_id,
            flds,
            plain,
        ) = row
        if model_id is None or plain != 1:
            return None
        notetype = self._notetype(model_id)
        values = flds.split(FIELD_SEPARATOR)
        if len(values) != len(notetype.fields):
            return None  # Anki decides what a note with the wrong field count shows
        texts = self._renderer.texts(card_id)
        if texts is None:
            return None
        question, answer, style = texts
        opening = self._style_openings.get(style)
        if opening is None:
            opening = self._style_openings[style] = json_str(f"<style>{style}</style>")[:-1]
        # the keys in CardInfo's order, spelt as json.dumps spells them
        return (
            f'{{"cardId": {card_id}, "fields": {notetype.fields_json.text(values)}, '
            f'"fieldOrder": {ordinal}, '
            f'"question": {opening}{json_str(question)[1:]}, '
            f'"answer": {opening}{json_str(answer)[1:]}, '
            f'"modelName": {notetype.name_json}, "ord": {ordinal}, '
            f'"deckName": {self._deck_name_json(deck_id)}, "css": {notetype.css_json}, '
            f'"factor": {factor}, "interval": {ivl}, "note": {note_id}, "type": {kind}, '
            f'"queue": {queue}, "due": {due}, "reps": {reps}, "lapses": {lapses}, '
            f'"left": {left}, "mod": {mod}, '
            f'"nextReviews": {self._next_reviews_json(card_id)}, "flags": {flags}}}'
        )

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

    def _deck_name_json(self, deck_id: Any) -> str:
        text = self._deck_names_json.get(deck_id)
        if text is None:
            text = self._deck_names_json[deck_id] = json_str(self._deck_name(deck_id))
        return text

    def _next_reviews(self, card_id: int) -> list[str]:
        """The four answer-button labels (Again, Hard, Good, Easy) the reviewer shows."""
        return list(self._labels_of(self._scheduling_states(card_id)))

    def _next_reviews_json(self, card_id: int) -> str:
        states = self._scheduling_states(card_id)
        key = _without_current_state(states)
        text = self._labels_json.get(key)
        if text is None:
            text = self._labels_json[key] = json.dumps(self._labels_of(states))
        return text

    def _scheduling_states(self, card_id: int) -> bytes:
        """The card's next states, serialized: the key the labels are cached by."""
        self._states_request.cid = card_id
        return bytes(
            self.col._backend.get_scheduling_states_raw(self._states_request.SerializeToString())
        )

    def _labels_of(self, states: bytes) -> list[str]:
        """The labels depend only on the four next states (and the collection's
        settings), so cards sharing them, such as new cards of one preset, share one
        description call: the key leaves out the card's current state."""
        key = _without_current_state(states)
        labels = self._labels.get(key)
        if labels is None:
            described = self.col._backend.describe_next_states(SchedulingStates.FromString(states))
            labels = self._labels[key] = [without_isolation_marks(label) for label in described]
        return labels


def _without_current_state(states: bytes) -> bytes:
    """A serialized SchedulingStates without its leading ``current`` field (field 1,
    length-delimited: tag byte 0x0A and a varint length); as it is otherwise."""
    if not states or states[0] != 0x0A:
        return states
    if len(states) > 1 and states[1] < 0x80:  # a one-byte length: the usual case
        return states[2 + states[1] :]
    length = shift = 0
    position = 1
    while position < len(states):
        byte = states[position]
        position += 1
        length |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return states[position + length :]
    return states
