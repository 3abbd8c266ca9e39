"""Decks actions against a real Collection: names, create, move, delete, stats, names by id."""

from __future__ import annotations

import pytest
from anki.collection import Collection
from anki.scheduler_pb2 import CardAnswer

# Errors come back as the conftest's ApiError, whose str() is the error text.


def add_cards(col: Collection, deck: str, count: int, prefix: str = "q") -> list[int]:
    """Add `count` Basic notes to `deck` (created if needed); return their card ids."""
    deck_id = col.decks.id(deck)
    model = col.models.by_name("Basic")
    card_ids = []
    for index in range(count):
        note = col.new_note(model)
        note["Front"] = f"{prefix}{deck}{index}"
        note["Back"] = "back"
        col.add_note(note, deck_id)
        card_ids.append(note.cards()[0].id)
    return card_ids


def make_filtered_deck(col: Collection, name: str, search: str) -> int:
    filtered = col.sched.get_or_create_filtered_deck(0)
    filtered.name = name
    filtered.config.search_terms[0].search = search
    filtered.config.search_terms[0].limit = 100
    return col.sched.add_or_update_filtered_deck(filtered).id


def answer_good(col: Collection, deck_id: int) -> int:
    """Answer the next card of a deck with Good through Anki's scheduler; its id."""
    col.decks.select(deck_id)
    queued = col.sched.get_queued_cards(fetch_limit=1).cards[0]
    card = col.get_card(queued.card.id)
    card.start_timer()
    col.sched.answer_card(
        col.sched.build_answer(card=card, states=queued.states, rating=CardAnswer.GOOD)
    )
    return card.id


# --- deckNames / deckNamesAndIds ------------------------------------------------------


def test_deck_names_in_anki_order_with_default_and_filtered(api, col):
    for name in ("b", "A::c", "Zeta"):
        col.decks.id(name)
    add_cards(col, "b", 1)
    make_filtered_deck(col, "Filt", "deck:b")
    # Anki's order: case-insensitive, parents before children (Python's sorted() would
    # put "b" after the capitalised names).
    assert api("deckNames") == ["A", "A::c", "b", "Default", "Filt", "Zeta"]


def test_deck_names_default_only(api):
    assert api("deckNames") == ["Default"]


def test_deck_names_and_ids(api, col):
    child = col.decks.id("Parent::Child")
    parent = col.decks.id_for_name("Parent")
    assert api("deckNamesAndIds") == {"Default": 1, "Parent": parent, "Parent::Child": child}


def test_deck_names_bare_at_version_4(api):
    assert api.reply({"action": "deckNames"}) == ["Default"]


# --- getDecks -------------------------------------------------------------------------


def test_get_decks_groups_in_input_order_and_unknown_goes_to_default(api, col):
    jp = add_cards(col, "Japanese::JLPT N3", 2)
    default = add_cards(col, "Default", 1)
    result = api("getDecks", cards=[jp[1], default[0], 424242, jp[0]])
    assert result == {
        "Japanese::JLPT N3": [jp[1], jp[0]],
        "Default": [default[0], 424242],
    }


def test_get_decks_empty(api):
    assert api("getDecks", cards=[]) == {}


def test_get_decks_rejects_non_list(api):
    with pytest.raises(Exception, match="parameter 'cards' must be array"):
        api("getDecks", cards=5)


# --- createDeck -----------------------------------------------------------------------


def test_create_deck_creates_parents(api, col):
    deck_id = api("createDeck", deck="Japanese::Tokyo")
    assert isinstance(deck_id, int)
    assert col.decks.id_for_name("Japanese::Tokyo") == deck_id
    assert col.decks.id_for_name("Japanese") is not None


def test_create_deck_existing_returns_its_id(api, col):
    first = api("createDeck", deck="Spanish")
    names_before = api("deckNames")
    assert api("createDeck", deck="Spanish") == first
    assert api("createDeck", deck="spanish") == first  # Anki names are case-insensitive
    assert api("createDeck", deck="Default") == 1
    assert api("deckNames") == names_before


def test_create_deck_missing_param(api):
    with pytest.raises(Exception) as raised:
        api("createDeck")
    assert str(raised.value) == (
        "AnkiConnect.createDeck() missing 1 required positional argument: 'deck'"
    )


# --- changeDeck -----------------------------------------------------------------------


def test_change_deck_creates_target_and_moves(api, col):
    cards = add_cards(col, "Source", 3)
    assert api("changeDeck", cards=cards[:2], deck="New::Target") is None
    target = col.decks.id_for_name("New::Target")
    assert target is not None
    assert [col.get_card(c).did for c in cards] == [target, target, col.decks.id("Source")]
    assert col.get_card(cards[0]).usn == -1


def test_change_deck_takes_cards_out_of_filtered_decks(api, col):
    cards = add_cards(col, "Home", 2)
    home = col.decks.id_for_name("Home")
    answer_good(col, home)  # a learning card: its due is a timestamp that must be restored
    due_before = {c: col.get_card(c).due for c in cards}
    filtered = make_filtered_deck(col, "Cram", "deck:Home")
    assert {col.get_card(c).did for c in cards} == {filtered}
    api("changeDeck", cards=cards, deck="Elsewhere")
    elsewhere = col.decks.id_for_name("Elsewhere")
    for card_id in cards:
        card = col.get_card(card_id)
        assert (card.did, card.odid, card.odue) == (elsewhere, 0, 0)
        assert card.due == due_before[card_id]


def test_change_deck_ignores_unknown_cards(api, col):
    cards = add_cards(col, "Default", 1)
    api("changeDeck", cards=[cards[0], 999], deck="Moved")
    assert col.get_card(cards[0]).did == col.decks.id_for_name("Moved")


def test_change_deck_into_filtered_deck_is_refused(api, col):
    add_cards(col, "Home", 2)
    make_filtered_deck(col, "Cram", "deck:Home")
    other = add_cards(col, "Other", 1)
    with pytest.raises(Exception, match="filtered deck"):
        api("changeDeck", cards=other, deck="Cram")
    assert col.get_card(other[0]).did == col.decks.id_for_name("Other")


# --- deleteDecks ----------------------------------------------------------------------

CARDS_TOO = "Since Anki 2.1.28 it's not possible to delete decks without deleting cards as well"


@pytest.mark.parametrize("params", [{}, {"cardsToo": False}, {"cardsToo": 0}])
def test_delete_decks_requires_cards_too(api, col, params):
    add_cards(col, "Keep", 1)
    with pytest.raises(Exception) as raised:
        api("deleteDecks", decks=["Keep"], **params)
    assert str(raised.value) == CARDS_TOO
    assert col.decks.id_for_name("Keep") is not None


def test_delete_decks_removes_decks_cards_and_skips_unknown(api, col):
    gone = add_cards(col, "Japanese::JLPT N5", 2)
    spanish = add_cards(col, "Easy Spanish", 1)
    kept = add_cards(col, "Kept", 1)
    result = api("deleteDecks", decks=["Japanese::JLPT N5", "Easy Spanish", "Nope"], cardsToo=True)
    assert result is None
    assert api("deckNames") == ["Default", "Japanese", "Kept"]
    remaining = set(col.find_cards(""))
    assert remaining == set(kept)
    assert not remaining & set(gone + spanish)


def test_delete_parent_deletes_subdecks(api, col):
    add_cards(col, "P::C", 1)
    api("deleteDecks", decks=["P"], cardsToo=True)
    assert api("deckNames") == ["Default"]
    assert col.card_count() == 0


# --- getDeckStats ---------------------------------------------------------------------


def test_get_deck_stats_keyed_by_id_with_leaf_name(api, col):
    add_cards(col, "Japanese::JLPT N5", 3)
    spanish = add_cards(col, "Easy Spanish", 2)
    answer_good(col, col.decks.id_for_name("Easy Spanish"))
    n5 = col.decks.id_for_name("Japanese::JLPT N5")
    es = col.decks.id_for_name("Easy Spanish")
    result = api("getDeckStats", decks=["Japanese::JLPT N5", "Easy Spanish"])
    assert list(result) == [str(n5), str(es)]
    assert result[str(n5)] == {
        "deck_id": n5,
        "name": "JLPT N5",
        "new_count": 3,
        "learn_count": 0,
        "review_count": 0,
        "total_in_deck": 3,
    }
    assert result[str(es)] == {
        "deck_id": es,
        "name": "Easy Spanish",
        "new_count": 1,
        "learn_count": 1,
        "review_count": 0,
        "total_in_deck": len(spanish),
    }


def test_get_deck_stats_parent_counts_children_but_total_is_own(api, col):
    add_cards(col, "P::C", 2)
    add_cards(col, "P", 1)
    parent = col.decks.id_for_name("P")
    stats = api("getDeckStats", decks=["P"])[str(parent)]
    assert (stats["new_count"], stats["total_in_deck"]) == (3, 1)


def test_get_deck_stats_creates_unknown_deck(api, col):
    result = api("getDeckStats", decks=["Brand::New"])
    created = col.decks.id_for_name("Brand::New")
    assert created is not None
    assert result == {
        str(created): {
            "deck_id": created,
            "name": "New",
            "new_count": 0,
            "learn_count": 0,
            "review_count": 0,
            "total_in_deck": 0,
        }
    }


# --- deckNameFromId -------------------------------------------------------------------


def test_deck_name_from_id(api, col):
    deck_id = col.decks.id("A::B")
    assert api("deckNameFromId", deckId=deck_id) == "A::B"
    assert api("deckNameFromId", deckId=str(deck_id)) == "A::B"


def test_deck_name_from_unknown_id_is_default(api):
    assert api("deckNameFromId", deckId=123456789) == "Default"


def test_deck_name_from_non_numeric_id(api):
    with pytest.raises(Exception) as raised:
        api("deckNameFromId", deckId="abc")
    assert str(raised.value) == "invalid literal for int() with base 10: 'abc'"
