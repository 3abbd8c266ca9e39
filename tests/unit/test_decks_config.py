"""Deck options-group actions against a real Collection."""

from __future__ import annotations

import pytest
from anki import hooks
from anki.collection import Collection

# Errors come back as the conftest's ApiError, whose str() is the error text.


def make_filtered_deck(col: Collection, name: str, search: str) -> int:
    filtered = col.sched.get_or_create_filtered_deck(0)
    filtered.name = name
    filtered.config.search_terms[0].search = search
    filtered.config.search_terms[0].limit = 100
    return col.sched.add_or_update_filtered_deck(filtered).id


def test_get_deck_config_of_default(api):
    config = api("getDeckConfig", deck="Default")
    assert config["id"] == 1
    assert config["name"] == "Default"
    assert config["dyn"] is False
    for section in ("new", "rev", "lapse"):
        assert isinstance(config[section], dict)
    assert config["new"]["perDay"] == 20


def test_get_deck_config_of_unknown_deck_is_false(api, col):
    assert api("getDeckConfig", deck="Nope") is False
    assert col.decks.id_for_name("Nope") is None  # not created


def test_get_deck_config_of_deck_using_other_group(api, col):
    group = col.decks.add_config_returning_id("Other")
    deck = col.decks.get(col.decks.id("Uses Other"))
    col.decks.set_config_id_for_deck_dict(deck, group)
    assert api("getDeckConfig", deck="Uses Other")["id"] == group


def test_get_deck_config_of_filtered_deck_is_the_deck(api, col):
    note = col.new_note(col.models.by_name("Basic"))
    note["Front"] = "front"
    col.add_note(note, col.decks.id("Home"))
    filtered = make_filtered_deck(col, "Cram", "deck:Home")
    config = api("getDeckConfig", deck="Cram")
    assert (config["id"], config["dyn"]) == (filtered, True)


# --- saveDeckConfig -------------------------------------------------------------------


def test_save_deck_config_round_trip(api, col):
    config = api("getDeckConfig", deck="Default")
    config["new"]["perDay"] = 33
    config["mod"] = 0
    assert api("saveDeckConfig", config=config) is True
    saved = col.decks.get_config(1)
    assert saved["new"]["perDay"] == 33
    assert saved["mod"] > 0
    assert saved["usn"] == -1


def test_save_deck_config_accepts_string_id(api, col):
    config = api("getDeckConfig", deck="Default")
    config["id"] = "1"
    config["rev"]["perDay"] = 150
    assert api("saveDeckConfig", config=config) is True
    assert col.decks.get_config(1)["rev"]["perDay"] == 150


@pytest.mark.parametrize("bad_id", [987654321, "987654321", "abc"])
def test_save_deck_config_unknown_id_is_false(api, col, bad_id):
    config = api("getDeckConfig", deck="Default")
    config["id"] = bad_id
    assert api("saveDeckConfig", config=config) is False
    assert len(col.decks.all_config()) == 1


def test_save_deck_config_refused_by_anki_is_false(api, col):
    config = api("getDeckConfig", deck="Default")
    config["maxTaken"] = "abc"
    assert api("saveDeckConfig", config=config) is False
    assert col.decks.get_config(1)["maxTaken"] == 60


def test_save_deck_config_without_id(api):
    with pytest.raises(Exception) as raised:
        api("saveDeckConfig", config={"name": "x"})
    assert str(raised.value) == "'id'"


# --- setDeckConfigId ------------------------------------------------------------------


def test_set_deck_config_id(api, col):
    group = col.decks.add_config_returning_id("Fast")
    col.decks.id("A")
    assert api("setDeckConfigId", decks=["A", "Default"], configId=group) is True
    assert api("getDeckConfig", deck="A")["id"] == group
    assert api("getDeckConfig", deck="Default")["id"] == group


def test_set_deck_config_id_as_string(api, col):
    group = col.decks.add_config_returning_id("Fast")
    assert api("setDeckConfigId", decks=["Default"], configId=str(group)) is True
    assert col.decks.get(1)["conf"] == group


def test_set_deck_config_id_unknown_deck_changes_nothing(api, col):
    group = col.decks.add_config_returning_id("Fast")
    assert api("setDeckConfigId", decks=["Default", "Nope"], configId=group) is False
    assert col.decks.get(1)["conf"] == 1
    assert col.decks.id_for_name("Nope") is None


def test_set_deck_config_id_does_not_check_group_exists(api, col):
    assert api("setDeckConfigId", decks=["Default"], configId=55555) is True
    assert col.decks.get(1)["conf"] == 55555
    assert api("getDeckConfig", deck="Default")["id"] == 1  # Anki falls back to default


# --- cloneDeckConfigId ----------------------------------------------------------------


def test_clone_deck_config_from_default(api, col):
    col.decks.update_config({**col.decks.get_config(1), "maxTaken": 77})
    new_id = api("cloneDeckConfigId", name="Copy of Default")
    assert isinstance(new_id, int) and new_id != 1
    clone = col.decks.get_config(new_id)
    assert (clone["name"], clone["maxTaken"]) == ("Copy of Default", 77)


def test_clone_deck_config_from_given_group(api, col):
    source = col.decks.add_config_returning_id("Source")
    col.decks.update_config({**col.decks.get_config(source), "maxTaken": 42})
    for clone_from in (source, str(source)):
        new_id = api("cloneDeckConfigId", name="C", cloneFrom=clone_from)
        assert col.decks.get_config(new_id)["maxTaken"] == 42


@pytest.mark.parametrize("clone_from", [999999, "999999", "abc"])
def test_clone_deck_config_missing_source_is_false(api, col, clone_from):
    assert api("cloneDeckConfigId", name="C", cloneFrom=clone_from) is False
    assert len(col.decks.all_config()) == 1


# --- removeDeckConfigId ---------------------------------------------------------------


def mark_synced(col: Collection) -> None:
    """Pretend the collection was just synced, so a schema change would need confirming."""
    col.db.execute("update col set ls = scm")
    assert not col.schema_changed()


def group_ids(col: Collection) -> set[int]:
    # get_config() falls back to the default group for an unknown id; list them instead.
    return {group["id"] for group in col.decks.all_config()}


def schema_time(col: Collection) -> int:
    return col.db.scalar("select scm from col")


def test_remove_deck_config_id_resets_decks_without_asking(api, col):
    group = col.decks.add_config_returning_id("Temp")
    deck = col.decks.get(col.decks.id("A"))
    col.decks.set_config_id_for_deck_dict(deck, group)
    mark_synced(col)
    asked: list[bool] = []

    def refuse(proceed: bool) -> bool:  # what a "No" answer in Anki's dialog returns
        asked.append(proceed)
        return False

    hooks.schema_will_change.append(refuse)
    try:
        assert api("removeDeckConfigId", configId=group) is True
    finally:
        hooks.schema_will_change.remove(refuse)
    assert asked == []
    assert group not in group_ids(col)
    assert col.decks.get(col.decks.id_for_name("A"))["conf"] == 1
    assert col.schema_changed()


def test_remove_deck_config_id_as_string(api, col):
    group = col.decks.add_config_returning_id("Temp")
    assert group in group_ids(col)
    assert api("removeDeckConfigId", configId=str(group)) is True
    assert group not in group_ids(col)


@pytest.mark.parametrize("config_id", [999999, "999999", "abc"])
def test_remove_deck_config_id_unknown_is_false(api, col, config_id):
    before = schema_time(col)
    assert api("removeDeckConfigId", configId=config_id) is False
    assert schema_time(col) == before


def test_remove_default_deck_config_is_an_error(api, col):
    before = schema_time(col)
    with pytest.raises(Exception) as raised:
        api("removeDeckConfigId", configId=1)
    assert str(raised.value) == "can't delete default conf"
    assert col.decks.get_config(1) is not None
    assert schema_time(col) == before
