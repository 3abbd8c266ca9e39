"""updateNoteFields, updateNote, updateNoteModel (§B Notes, §E.2, §E.4)."""

# Errors come back as the conftest's ApiError; they are caught as Exception (str() = text).

from __future__ import annotations

from typing import Any

import pytest
from anki.collection import Collection

from tests.unit.conftest import Api


def add(api: Api, front: str = "f", back: str = "b", **extra: Any) -> int:
    note = {"deckName": "Default", "modelName": "Basic", "fields": {"Front": front, "Back": back}}
    note.update(extra)
    return int(api("addNote", note=note))


def error_of(api: Api, action: str, **params: Any) -> str:
    with pytest.raises(Exception) as raised:
        api(action, **params)
    return str(raised.value)


# --- updateNoteFields -------------------------------------------------------------------


def test_update_note_fields_sets_given_fields_only(api: Api, col: Collection) -> None:
    note_id = add(api, "f", "b")
    assert api("updateNoteFields", note={"id": note_id, "fields": {"Back": "new"}}) is None
    assert col.get_note(note_id).fields == ["f", "new"]


def test_trap_e2_update_note_fields_is_case_sensitive(api: Api, col: Collection) -> None:
    note_id = add(api, "f", "b")
    api("updateNoteFields", note={"id": note_id, "fields": {"front": "x", "Nope": "y"}})
    assert col.get_note(note_id).fields == ["f", "b"]


def test_update_note_fields_unknown_note(api: Api) -> None:
    assert error_of(api, "updateNoteFields", note={"id": 123, "fields": {}}) == (
        "Note was not found: 123"
    )


def test_update_note_fields_requires_fields_and_id(api: Api) -> None:
    note_id = add(api)
    assert error_of(api, "updateNoteFields", note={"id": note_id}) == "'fields'"
    assert error_of(api, "updateNoteFields", note={"fields": {}}) == "'id'"


def test_update_note_fields_changes_mod_and_is_undoable(api: Api, col: Collection) -> None:
    note_id = add(api, "f", "b")
    api("updateNoteFields", note={"id": note_id, "fields": {"Front": "g"}})
    col.undo()
    assert col.get_note(note_id).fields[0] == "f"


# --- updateNote ---------------------------------------------------------------------------


def test_update_note_fields_and_tags(api: Api, col: Collection) -> None:
    note_id = add(api, tags=["old"])
    api("updateNote", note={"id": note_id, "fields": {"Front": "new"}, "tags": ["a", "b c"]})
    note = col.get_note(note_id)
    assert note.fields[0] == "new"
    assert sorted(note.tags) == ["a", "b", "c"]


def test_update_note_tags_only(api: Api, col: Collection) -> None:
    note_id = add(api, tags=["old"])
    api("updateNote", note={"id": note_id, "tags": []})
    assert col.get_note(note_id).tags == []


def test_update_note_needs_fields_or_tags(api: Api) -> None:
    note_id = add(api)
    assert error_of(api, "updateNote", note={"id": note_id}) == (
        'Must provide a "fields" or "tags" property.'
    )


def test_update_note_fields_kept_when_tags_are_refused(api: Api, col: Collection) -> None:
    note_id = add(api, "f", tags=["keep"])
    message = error_of(
        api, "updateNote", note={"id": note_id, "fields": {"Front": "changed"}, "tags": [1]}
    )
    assert message == "Must provide tags as a list of strings"
    note = col.get_note(note_id)
    assert note.fields[0] == "changed" and note.tags == ["keep"]


def test_update_note_unknown_note(api: Api) -> None:
    assert error_of(api, "updateNote", note={"id": 5, "tags": ["x"]}) == "Note was not found: 5"


def test_trap_e2_update_note_is_case_sensitive(api: Api, col: Collection) -> None:
    note_id = add(api, "f", "b")
    api("updateNote", note={"id": note_id, "fields": {"BACK": "x", "Back": "y"}})
    assert col.get_note(note_id).fields == ["f", "y"]


# --- updateNoteModel ----------------------------------------------------------------------


def test_update_note_model_changes_type_fields_and_tags(api: Api, col: Collection) -> None:
    note_id = add(api, "f", "b", tags=["old"])
    api(
        "updateNoteModel",
        note={
            "id": note_id,
            "modelName": "Basic (and reversed card)",
            "fields": {"front": "F2", "Unknown": "x"},
            "tags": ["new"],
        },
    )
    note = col.get_note(note_id)
    assert note.note_type()["name"] == "Basic (and reversed card)"
    assert note.fields == ["F2", ""]  # every field blanked, given ones set ignoring case
    assert note.tags == ["new"]
    assert col.get_note(note_id).cards()[0].nid == note_id


def test_trap_e4_update_note_model_without_tags_clears_them(api: Api, col: Collection) -> None:
    note_id = add(api, "f", "b", tags=["old"])
    api("updateNoteModel", note={"id": note_id, "modelName": "Basic", "fields": {"Back": "x"}})
    note = col.get_note(note_id)
    assert note.tags == [] and note.fields == ["", "x"]


def test_update_note_model_to_fewer_templates_keeps_a_consistent_note(
    api: Api, col: Collection
) -> None:
    note = {
        "deckName": "Default",
        "modelName": "Basic (and reversed card)",
        "fields": {"Front": "a", "Back": "b"},
    }
    note_id = api("addNote", note=note)
    api("updateNoteModel", note={"id": note_id, "modelName": "Basic", "fields": {"Front": "z"}})
    cards = col.get_note(note_id).cards()
    assert [card.ord for card in cards] == [0]
    assert col.get_note(note_id).fields == ["z", ""]


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ({"modelName": "Basic", "fields": {}}, "Note ID is required"),
        ({"id": 1, "fields": {}}, "Model name is required"),
        ({"id": 1, "modelName": "Basic"}, "Fields must be provided as a dictionary"),
        (
            {"id": 1, "modelName": "Basic", "fields": ["x"]},
            "Fields must be provided as a dictionary",
        ),
        ({"id": 1, "modelName": "Basic", "fields": "x"}, "Fields must be provided as a dictionary"),
    ],
)
def test_update_note_model_param_errors(api: Api, note: dict[str, Any], message: str) -> None:
    assert error_of(api, "updateNoteModel", note=note) == message


def test_update_note_model_empty_fields_refused_before_touching_the_note(
    api: Api, col: Collection
) -> None:
    note_id = add(api, "kept front", "kept back", tags=["kept"])
    before = col.get_note(note_id)
    for fields in ({}, None):
        note = {"id": note_id, "modelName": "Basic (and reversed card)", "fields": fields}
        assert error_of(api, "updateNoteModel", note=note) == (
            "Fields must be provided as a dictionary"
        )
    after = col.get_note(note_id)
    assert after.fields == ["kept front", "kept back"]
    assert after.tags == ["kept"]
    assert after.mid == before.mid and after.mod == before.mod


def test_update_note_model_unknown_model_and_note(api: Api) -> None:
    note_id = add(api)
    assert error_of(
        api, "updateNoteModel", note={"id": note_id, "modelName": "Nope", "fields": {"a": "b"}}
    ) == ("Model 'Nope' not found")
    assert error_of(
        api, "updateNoteModel", note={"id": 42, "modelName": "Basic", "fields": {"a": "b"}}
    ) == ("Note was not found: 42")


def test_update_note_fields_non_string_value_changes_nothing(api: Api, col: Collection) -> None:
    note_id = add(api, "f", "b")
    message = error_of(api, "updateNoteFields", note={"id": note_id, "fields": {"Back": 5}})
    assert message == (
        "AnkiConnect.updateNoteFields() parameter 'note['fields']['Back']' must be string, got 5"
    )
    assert col.get_note(note_id).fields == ["f", "b"]
