"""A repeated id in a request is harmless (Anki's bulk operations reject repeats)."""

from __future__ import annotations

from typing import Any

from anki.collection import Collection


def test_bulk_actions_accept_repeated_ids(api: Any, col: Collection) -> None:
    note_id = api(
        "addNote",
        note={"deckName": "Default", "modelName": "Basic", "fields": {"Front": "a", "Back": "b"}},
    )
    (card_id,) = api("findCards", query=f"nid:{note_id}")
    assert api("addTags", notes=[note_id, note_id], tags="one two") is None
    assert sorted(api("getNoteTags", note=note_id)) == ["one", "two"]
    assert api("removeTags", notes=[note_id, note_id], tags="one") is None
    assert api("addTags", notes=[note_id, note_id], tags="two", add=False) is None
    assert api("getNoteTags", note=note_id) == []
    assert api("changeDeck", cards=[card_id, card_id], deck="Moved") is None
    assert col.get_card(card_id).did == col.decks.id_for_name("Moved")
    assert api("setDueDate", cards=[card_id, card_id], days="3") is True
    assert col.get_card(card_id).queue == 2


def test_an_error_without_text_is_named(api: Any) -> None:
    note_id = api(
        "addNote",
        note={"deckName": "Default", "modelName": "Basic", "fields": {"Front": "x", "Back": "y"}},
    )
    (card_id,) = api("findCards", query=f"nid:{note_id}")
    reply = api.reply(
        {"action": "setDueDate", "version": 6, "params": {"cards": [card_id], "days": ""}}
    )
    assert reply["result"] is None
    assert reply["error"] == "InvalidInput"
