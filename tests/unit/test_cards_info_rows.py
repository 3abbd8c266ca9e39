"""cardsInfo's fast path (card and note rows read with SQL, rendered by id) gives
exactly the entry built from Anki's Card and Note objects, for every kind of card;
where it cannot be exact it hands the card to the object path."""

from __future__ import annotations

import json
from typing import Any

import pytest
from anki import hooks
from anki.collection import Collection
from anki.decks import DeckId
from anki.errors import DBError

from plugin.actions.cards_info import CARD_COLUMNS, CardInfoBuilder
from plugin.actions.cards_lookup import card_columns


def add(col: Collection, model: str, deck: str = "Default", **fields: str) -> list[int]:
    note = col.new_note(col.models.by_name(model))  # type: ignore[arg-type]
    for name, value in fields.items():
        note[name] = value
    col.add_note(note, DeckId(col.decks.id(deck)))  # type: ignore[arg-type]
    return [int(card_id) for card_id in note.card_ids()]


def varied_collection(col: Collection) -> list[int]:
    ids: list[int] = []
    ids += add(col, "Basic", Front="cat <b>猫</b>", Back="[sound:cat.mp3] back")
    ids += add(col, "Basic (and reversed card)", "Japanese::Vocab", Front="犬", Back="dog")
    ids += add(col, "Cloze", Text="{{c1::Paris}} is in {{c2::France}}", **{"Back Extra": "x"})
    ids += add(col, "Basic", Front="[anki:tts lang=en_US]hi[/anki:tts]", Back="[SOUND:a.mp3]")
    ids += add(col, "Basic", Front="[latex]x^2[/latex]", Back="plain")
    ids += add(col, "Basic", Front='"quoted" \\ \u2028 😀', Back="")
    # states: suspended, buried, flagged, reviewed, in learning, in a filtered deck
    col.sched.suspend_cards([ids[0]])  # type: ignore[list-item]
    col.sched.bury_cards([ids[1]])  # type: ignore[list-item]
    col.set_user_flag_for_cards(3, [ids[2]])  # type: ignore[list-item]
    col.sched.set_due_date([ids[3]], "5")  # type: ignore[list-item]
    card = col.get_card(ids[4])  # type: ignore[arg-type]
    card.start_timer()
    col.sched.answerCard(card, 1)  # type: ignore[attr-defined]
    col.sched.set_due_date([ids[5]], "0")  # type: ignore[list-item]
    filtered = col.sched.get_or_create_filtered_deck(0)  # type: ignore[arg-type]
    filtered.name = "Filtered"
    filtered.config.search_terms[0].search = '"deck:Japanese::Vocab"'
    col.sched.add_or_update_filtered_deck(filtered)
    return ids


def by_objects(col: Collection, ids: list[int]) -> list[Any]:
    builder = CardInfoBuilder(col)
    return [builder.info(col.get_card(card_id)) for card_id in ids]  # type: ignore[arg-type]


def test_rows_give_the_entries_objects_give(col: Collection) -> None:
    ids = varied_collection(col)
    ours = CardInfoBuilder(col).infos(ids)
    assert json.dumps(ours) == json.dumps(by_objects(col, ids))
    assert any(info["deckName"] == "Filtered" for info in ours)


def test_fast_path_used_for_plain_cards_and_not_for_latex(col: Collection) -> None:
    ids = varied_collection(col)
    builder = CardInfoBuilder(col)
    rows = builder._rows(ids)
    fast = {card_id: builder._entry_text(rows[card_id]) for card_id in ids}
    latex = ids[-2]
    assert fast[latex] is None
    assert sum(entry is not None for entry in fast.values()) == len(ids) - 1
    objects = by_objects(col, ids)
    expected = {card_id: json.dumps(entry) for card_id, entry in zip(ids, objects, strict=True)}
    assert all(text == expected[card_id] for card_id, text in fast.items() if text is not None)


def test_custom_filters_and_add_on_hooks_take_the_object_path(col: Collection) -> None:
    basic = col.models.by_name("Basic")
    assert basic is not None
    basic["tmpls"][0]["qfmt"] = "{{shout:Front}}"
    col.models.update_dict(basic)

    def shout(text: str, _field: str, name: str, _ctx: Any) -> str:
        return text.upper() if name == "shout" else text

    hooks.field_filter.append(shout)
    try:
        ids = add(col, "Basic", Front="quiet", Back="b")
        info = CardInfoBuilder(col).infos(ids)[0]
        assert info["question"].endswith("QUIET")
        assert json.dumps([info]) == json.dumps(by_objects(col, ids))
    finally:
        hooks.field_filter.remove(shout)

    def mark(output: Any, _context: Any) -> None:
        output.question_text += "!"

    hooks.card_did_render.append(mark)
    try:
        info = CardInfoBuilder(col).infos(ids)[0]
        assert info["question"].endswith("quiet!")  # the filter hook is gone by now
    finally:
        hooks.card_did_render.remove(mark)


def test_odd_rows_are_loaded_through_anki(col: Collection) -> None:
    ids = add(col, "Basic", Front="f", Back="b")
    col.db.execute("update cards set due = 1.5 where id = ?", ids[0])
    rows = card_columns(col, CARD_COLUMNS, ids)
    assert rows[ids[0]][6] == 1.5  # a float in the column: Anki decides what it means
    assert json.dumps(CardInfoBuilder(col).infos(ids)) == json.dumps(by_objects(col, ids))
    col.db.execute("update cards set due = 1, factor = 70000 where id = ?", ids[0])
    with pytest.raises(DBError) as ours:
        CardInfoBuilder(col).infos(ids)
    with pytest.raises(DBError) as anki:
        by_objects(col, ids)
    assert str(ours.value) == str(anki.value)


def test_reply_json_is_json_dumps(col: Collection) -> None:
    from plugin.api.reply_json import encode_slices

    ids = varied_collection(col)
    reply = {"result": CardInfoBuilder(col).infos([*ids, 1, ids[0]]), "error": None}
    assert b"".join(encode_slices(reply)) == json.dumps(reply).encode("ascii")


def test_entries_written_as_text_are_json_dumps_of_the_objects(col: Collection) -> None:
    # field and note type names that need escaping (and a % the format must keep)
    odd = col.models.new('Odd "%s" 100% 猫')
    for name in ("Front 'q' <i>", "50% x", "猫\\"):
        col.models.add_field(odd, col.models.new_field(name))
    template = col.models.new_template("Card 1")
    template["qfmt"] = "{{Front 'q' <i>}} {{50% x}}"
    template["afmt"] = "{{FrontSide}}<hr id=answer>{{猫\\}}"
    col.models.add_template(odd, template)
    col.models.add(odd)
    ids = varied_collection(col)
    ids += add(col, odd["name"], **{"Front 'q' <i>": "%d %s \u2028", "50% x": "{}", "猫\\": "😀"})
    asked = [*ids, 1, ids[0], ids[-1], ids[0]]  # unknown and repeated ids
    expected = json.dumps(by_objects_or_empty(col, asked)).encode("ascii")
    assert b"".join(CardInfoBuilder(col).encoded(asked).slices) == expected
    assert CardInfoBuilder(col).infos(asked) == json.loads(expected)


def test_a_note_with_the_wrong_field_count_is_left_to_anki(col: Collection) -> None:
    ids = add(col, "Basic", Front="f", Back="b")
    note_of_card = "(select nid from cards where id = ?)"
    col.db.execute(f"update notes set flds = 'only one' where id = {note_of_card}", ids[0])
    builder = CardInfoBuilder(col)
    assert builder._entry_text(builder._rows(ids)[ids[0]]) is None
    # Anki's note keeps the one value: the entry fails as the object path (and the
    # original, which indexes the note's fields the same way) fails
    with pytest.raises(IndexError):
        by_objects(col, ids)
    with pytest.raises(IndexError):
        builder.infos(ids)


def by_objects_or_empty(col: Collection, ids: list[int]) -> list[Any]:
    known = set(col.db.list("select id from cards"))
    builder = CardInfoBuilder(col)
    return [builder.info(col.get_card(i)) if i in known else {} for i in ids]  # type: ignore[arg-type]
