"""addNote, addNotes and the canAdd* family against a real collection (§B Notes, §E.1, §E.10)."""

# Errors come back as the conftest's ApiError (imported by pytest as another module
# object than tests.unit.conftest), so they are caught as Exception; str() is the text.

from __future__ import annotations

from typing import Any

import pytest
from anki.collection import Collection

from tests.unit.conftest import Api

DUPLICATE = "cannot create note because it is a duplicate"
EMPTY = "cannot create note because it is empty"
UNKNOWN = "cannot create note for unknown reason"


def basic(front: str, back: str = "back", deck: str = "Default", **extra: Any) -> dict[str, Any]:
    note: dict[str, Any] = {
        "deckName": deck,
        "modelName": "Basic",
        "fields": {"Front": front, "Back": back},
    }
    note.update(extra)
    return note


def deck_of(col: Collection, note_id: int) -> set[str]:
    return {col.decks.name(card.did) for card in col.get_note(note_id).cards()}


# --- addNote ------------------------------------------------------------------------


def test_add_note_returns_id_and_stores_fields_tags_and_deck(api: Api, col: Collection) -> None:
    col.decks.id("Words")
    note_id = api("addNote", note=basic("cat", "Katze", deck="Words", tags=["animal", "de"]))
    assert isinstance(note_id, int) and note_id > 10**12
    note = col.get_note(note_id)
    assert note.fields == ["cat", "Katze"]
    assert sorted(note.tags) == ["animal", "de"]
    assert deck_of(col, note_id) == {"Words"}


def test_add_note_field_names_ignore_case_and_unknown_names_are_ignored(
    api: Api, col: Collection
) -> None:
    note_id = api(
        "addNote",
        note={
            "deckName": "Default",
            "modelName": "basic",
            "fields": {"FRONT": "f", "back": "b", "Extra": "ignored"},
        },
    )
    assert col.get_note(note_id).fields == ["f", "b"]


def test_add_note_unknown_model(api: Api) -> None:
    with pytest.raises(Exception, match="^model was not found: Nope$"):
        api("addNote", note={"deckName": "Default", "modelName": "Nope", "fields": {}})


def test_add_note_unknown_deck(api: Api) -> None:
    with pytest.raises(Exception, match="^deck was not found: Nope$"):
        api("addNote", note=basic("x", deck="Nope"))


def test_add_note_model_is_checked_before_deck(api: Api) -> None:
    with pytest.raises(Exception, match="^model was not found: M$"):
        api("addNote", note={"deckName": "D", "modelName": "M", "fields": {}})


@pytest.mark.parametrize("key", ["modelName", "deckName", "fields"])
def test_add_note_missing_key_is_the_quoted_key(api: Api, key: str) -> None:
    note = basic("x")
    del note[key]
    with pytest.raises(Exception) as error:
        api("addNote", note=note)
    assert str(error.value) == f"'{key}'"


def test_add_note_missing_param(api: Api) -> None:
    with pytest.raises(Exception) as error:
        api("addNote")
    assert (
        str(error.value) == "AnkiConnect.addNote() missing 1 required positional argument: 'note'"
    )


@pytest.mark.parametrize("front", ["", "   ", "<br>", "&nbsp;"])
def test_add_note_empty_first_field(api: Api, front: str) -> None:
    with pytest.raises(Exception) as error:
        api("addNote", note=basic(front))
    assert str(error.value) == EMPTY


def test_add_note_duplicate_and_allow_duplicate(api: Api, col: Collection) -> None:
    api("addNote", note=basic("cat"))
    with pytest.raises(Exception) as error:
        api("addNote", note=basic("cat"))
    assert str(error.value) == DUPLICATE
    api("addNote", note=basic("cat", options={"allowDuplicate": True}))
    assert col.note_count() == 2


def test_allow_duplicate_never_bypasses_empty(api: Api) -> None:
    with pytest.raises(Exception, match=f"^{EMPTY}$"):
        api("addNote", note=basic("", options={"allowDuplicate": True}))


def test_cloze_note_without_cloze_is_unknown_reason(api: Api) -> None:
    note = {"deckName": "Default", "modelName": "Cloze", "fields": {"Text": "no deletion"}}
    with pytest.raises(Exception, match=f"^{UNKNOWN}$"):
        api("addNote", note=note)


def test_cloze_syntax_in_basic_note_is_unknown_reason(api: Api) -> None:
    with pytest.raises(Exception, match=f"^{UNKNOWN}$"):
        api("addNote", note=basic("{{c1::cat}}"))


def test_cloze_note_with_cloze_is_added(api: Api, col: Collection) -> None:
    note = {"deckName": "Default", "modelName": "Cloze", "fields": {"text": "{{c1::a}} {{c2::b}}"}}
    note_id = api("addNote", note=note)
    assert len(col.get_note(note_id).cards()) == 2


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"allowDuplicate": "yes"}, 'option parameter "allowDuplicate" must be boolean'),
        (
            {"duplicateScopeOptions": {"checkChildren": 1}},
            'option parameter "duplicateScopeOptions.checkChildren" must be boolean',
        ),
        (
            {"duplicateScopeOptions": {"checkAllModels": "no"}},
            'option parameter "duplicateScopeOptions.checkAllModels" must be boolean',
        ),
    ],
)
def test_option_type_checks(api: Api, options: dict[str, Any], message: str) -> None:
    with pytest.raises(Exception) as error:
        api("addNote", note=basic("x", options=options))
    assert str(error.value) == message
    assert api("canAddNoteWithErrorDetail", note=basic("x", options=options)) == {
        "canAdd": False,
        "error": message,
    }


def test_null_options_mean_defaults(api: Api) -> None:
    assert isinstance(api("addNote", note=basic("x", options=None)), int)


def test_cards_land_in_requested_deck_not_current_deck(api: Api, col: Collection) -> None:
    other = col.decks.id("Other")
    col.decks.set_current(other)
    target = col.decks.id("Target")
    note_id = api(
        "addNote",
        note={
            "deckName": "Target",
            "modelName": "Basic (and reversed card)",
            "fields": {"Front": "a", "Back": "b"},
        },
    )
    assert {card.did for card in col.get_note(note_id).cards()} == {target}


def test_tags_string_is_one_tag_not_a_list_of_characters(api: Api, col: Collection) -> None:
    note_id = api("addNote", note=basic("x", tags="vocab"))
    assert col.get_note(note_id).tags == ["vocab"]


def test_tags_string_is_split_on_spaces(api: Api, col: Collection) -> None:
    # the original makes one tag per character (a, b, " ", c, d); see compatibility.md
    note_id = api("addNote", note=basic("spaced", tags="ab  cd"))
    assert col.get_note(note_id).tags == ["ab", "cd"]
    [batch_id] = api("addNotes", notes=[basic("spaced batch", tags=" ef gh ")])
    assert col.get_note(batch_id).tags == ["ef", "gh"]
    api(
        "updateNoteModel",
        note={"id": note_id, "modelName": "Basic", "fields": {"Front": "f"}, "tags": "ij kl"},
    )
    assert col.get_note(note_id).tags == ["ij", "kl"]


# --- §E.1 duplicate scopes -----------------------------------------------------------


def test_trap_e1_default_scope_is_same_type_anywhere_in_collection(
    api: Api, col: Collection
) -> None:
    col.decks.id("A")
    col.decks.id("B")
    api("addNote", note=basic("cat", deck="A"))
    with pytest.raises(Exception, match=DUPLICATE):
        api("addNote", note=basic("cat", deck="B"))


def test_trap_e1_default_scope_ignores_other_note_types(api: Api) -> None:
    api("addNote", note=basic("cat"))
    other = {
        "deckName": "Default",
        "modelName": "Basic (and reversed card)",
        "fields": {"Front": "cat", "Back": "x"},
    }
    assert isinstance(api("addNote", note=other), int)


def test_trap_e1_default_scope_compares_html_stripped_nfc_text(api: Api) -> None:
    api("addNote", note=basic("<b>cat</b>"))
    api("addNote", note=basic("e\u0301t\u00e9"))
    assert api("canAddNotes", notes=[basic("cat"), basic("\u00e9te\u0301"), basic(" cat")]) == [
        False,
        False,
        True,  # Anki does not trim before comparing
    ]


@pytest.mark.parametrize("scope", ["collection", "deck-root", "anything"])
def test_trap_e1_other_scope_strings_mean_collection(api: Api, col: Collection, scope: str) -> None:
    col.decks.id("A")
    col.decks.id("B")
    api("addNote", note=basic("cat", deck="A"))
    detail = api(
        "canAddNoteWithErrorDetail", note=basic("cat", deck="B", options={"duplicateScope": scope})
    )
    assert detail == {"canAdd": False, "error": DUPLICATE}


def test_trap_e1_duplicate_scope_deck_only_checks_target_deck(api: Api, col: Collection) -> None:
    col.decks.id("A")
    col.decks.id("B")
    api("addNote", note=basic("cat", deck="A"))
    deck_scope = {"duplicateScope": "deck"}
    assert isinstance(api("addNote", note=basic("cat", deck="B", options=deck_scope)), int)
    with pytest.raises(Exception, match=DUPLICATE):
        api("addNote", note=basic("cat", deck="A", options=deck_scope))


def test_trap_e1_duplicate_scope_deck_name_overrides_target(api: Api, col: Collection) -> None:
    col.decks.id("A")
    col.decks.id("B")
    api("addNote", note=basic("cat", deck="A"))
    options = {"duplicateScope": "deck", "duplicateScopeOptions": {"deckName": "A"}}
    assert api("canAddNotes", notes=[basic("cat", deck="B", options=options)]) == [False]
    options_null = {"duplicateScope": "deck", "duplicateScopeOptions": {"deckName": None}}
    assert api("canAddNotes", notes=[basic("cat", deck="B", options=options_null)]) == [True]


def test_trap_e1_duplicate_scope_unknown_deck_name_never_duplicate(
    api: Api, col: Collection
) -> None:
    api("addNote", note=basic("cat"))
    options = {"duplicateScope": "deck", "duplicateScopeOptions": {"deckName": "Missing"}}
    assert isinstance(api("addNote", note=basic("cat", options=options)), int)


def test_trap_e1_duplicate_scope_deck_with_children(api: Api, col: Collection) -> None:
    col.decks.id("Parent::Child")
    api("addNote", note=basic("cat", deck="Parent::Child"))
    without = {"duplicateScope": "deck", "duplicateScopeOptions": {"checkChildren": False}}
    with_children = {"duplicateScope": "deck", "duplicateScopeOptions": {"checkChildren": True}}
    assert api(
        "canAddNotes",
        notes=[
            basic("cat", deck="Parent", options=without),
            basic("cat", deck="Parent", options=with_children),
        ],
    ) == [True, False]


def test_trap_e1_check_all_models_matches_other_note_types(api: Api) -> None:
    api(
        "addNote",
        note={
            "deckName": "Default",
            "modelName": "Basic (and reversed card)",
            "fields": {"Front": "<i>cat</i>", "Back": "x"},
        },
    )
    all_models = {"duplicateScopeOptions": {"checkAllModels": True}}
    assert api("canAddNotes", notes=[basic("cat"), basic("cat", options=all_models)]) == [
        True,
        False,
    ]


def test_trap_e1_check_all_models_in_deck_scope(api: Api, col: Collection) -> None:
    col.decks.id("A")
    api(
        "addNote",
        note={
            "deckName": "A",
            "modelName": "Basic (and reversed card)",
            "fields": {"Front": "cat", "Back": "x"},
        },
    )
    options = {"duplicateScope": "deck", "duplicateScopeOptions": {"checkAllModels": True}}
    assert api(
        "canAddNotes",
        notes=[
            basic("cat", deck="A", options=options),
            basic("cat", deck="Default", options=options),
        ],
    ) == [False, True]


def test_trap_e1_custom_path_empty_test_is_raw_strip(api: Api, col: Collection) -> None:
    deck_scope = {"duplicateScope": "deck"}
    # Anki's own check strips HTML ("<br>" is empty); the custom path only strips spaces.
    assert api("canAddNoteWithErrorDetail", note=basic("<br>", options=deck_scope)) == {
        "canAdd": True
    }
    assert api("canAddNoteWithErrorDetail", note=basic("  ", options=deck_scope)) == {
        "canAdd": False,
        "error": EMPTY,
    }


def test_trap_e1_allow_duplicate_in_deck_scope(api: Api) -> None:
    api("addNote", note=basic("cat"))
    options = {"allowDuplicate": True, "duplicateScope": "deck"}
    assert isinstance(api("addNote", note=basic("cat", options=options)), int)


# --- canAdd* ------------------------------------------------------------------------


def test_can_add_note_true_false_and_any_error_is_false(api: Api) -> None:
    api("addNote", note=basic("cat"))
    assert api("canAddNote", note=basic("dog")) is True
    assert api("canAddNote", note=basic("cat")) is False
    assert api("canAddNote", note=basic("x", deck="Nope")) is False
    assert api("canAddNote", note={"deckName": "Default", "modelName": "Basic"}) is False


def test_trap_e11_can_add_detail_omits_error_when_addable(api: Api) -> None:
    api("addNote", note=basic("cat"))
    result = api("canAddNotesWithErrorDetail", notes=[basic("dog"), basic("cat"), basic("")])
    assert result == [
        {"canAdd": True},
        {"canAdd": False, "error": DUPLICATE},
        {"canAdd": False, "error": EMPTY},
    ]
    assert "error" not in result[0]


def test_can_add_notes_checks_each_note_against_the_collection_only(api: Api) -> None:
    # Nothing is added, so two identical candidates are both addable.
    assert api("canAddNotes", notes=[basic("same"), basic("same")]) == [True, True]
    assert api("canAddNotes", notes=[]) == []


def test_can_add_detail_reports_lookup_errors(api: Api) -> None:
    assert api("canAddNoteWithErrorDetail", note=basic("x", deck="Nope")) == {
        "canAdd": False,
        "error": "deck was not found: Nope",
    }
    note = {"deckName": "Default", "modelName": "Nope", "fields": {}}
    assert api("canAddNotesWithErrorDetail", notes=[note]) == [
        {"canAdd": False, "error": "model was not found: Nope"}
    ]


def test_can_add_never_changes_the_collection(api: Api, col: Collection) -> None:
    before = col.mod
    api("canAddNotes", notes=[basic("a"), basic("b")])
    api("canAddNote", note=basic("c"))
    assert col.note_count() == 0
    assert col.mod == before


# --- Yomitan (§D) ---------------------------------------------------------------------


def yomitan_note(front: str) -> dict[str, Any]:
    return {
        "deckName": "Default",
        "modelName": "Basic",
        "fields": {"Front": front},
        "tags": ["yomitan"],
        "options": {
            "allowDuplicate": False,
            "duplicateScope": "collection",
            "duplicateScopeOptions": {
                "deckName": None,
                "checkChildren": False,
                "checkAllModels": False,
            },
        },
    }


def test_yomitan_can_add_notes_with_error_detail_duplicate(api: Api) -> None:
    api("addNote", note=basic("猫"))
    reply = api.reply(
        {
            "action": "canAddNotesWithErrorDetail",
            "version": 2,
            "params": {"notes": [yomitan_note("猫"), yomitan_note("犬")]},
        }
    )
    assert isinstance(reply, list) and len(reply) == 2  # bare result at version 2
    assert reply[0]["canAdd"] is False and DUPLICATE in reply[0]["error"]
    assert reply[1] == {"canAdd": True}


def test_yomitan_can_add_notes_fallback_and_add_note(api: Api, col: Collection) -> None:
    api("addNote", note=basic("猫"))
    bare = api.reply(
        {
            "action": "canAddNotes",
            "version": 2,
            "params": {"notes": [yomitan_note("猫"), yomitan_note("犬")]},
        }
    )
    assert bare == [False, True]
    note_id = api.reply({"action": "addNote", "version": 2, "params": {"note": yomitan_note("犬")}})
    assert isinstance(note_id, int) and col.get_note(note_id).tags == ["yomitan"]
    error = api.reply({"action": "addNote", "version": 2, "params": {"note": yomitan_note("犬")}})
    assert error == {"result": None, "error": DUPLICATE}


def test_yomitan_deck_scope_with_root_deck_name(api: Api, col: Collection) -> None:
    col.decks.id("Japanese::Vocab")
    api("addNote", note=basic("猫", deck="Japanese::Vocab"))
    note = yomitan_note("猫")
    note["deckName"] = "Japanese::Vocab"
    note["options"]["duplicateScope"] = "deck"
    note["options"]["duplicateScopeOptions"] = {
        "deckName": "Japanese",
        "checkChildren": True,
        "checkAllModels": False,
    }
    assert api("canAddNotesWithErrorDetail", notes=[note]) == [
        {"canAdd": False, "error": DUPLICATE}
    ]


# --- addNotes (§E.10) -----------------------------------------------------------------


def test_add_notes_returns_ids_in_order_with_requested_decks(api: Api, col: Collection) -> None:
    col.decks.id("A")
    col.decks.id("B")
    ids = api("addNotes", notes=[basic("1", deck="A"), basic("2", deck="B"), basic("3")])
    assert len(ids) == 3 and all(isinstance(i, int) for i in ids)
    assert [col.get_note(i).fields[0] for i in ids] == ["1", "2", "3"]
    assert [deck_of(col, i) for i in ids] == [{"A"}, {"B"}, {"Default"}]


def test_add_notes_empty_list(api: Api) -> None:
    assert api("addNotes", notes=[]) == []


def test_trap_e10_add_notes_all_or_nothing_with_list_repr_error(api: Api, col: Collection) -> None:
    api("addNote", note=basic("cat"))
    with pytest.raises(Exception) as error:
        api("addNotes", notes=[basic("dog"), basic("cat"), basic("bird")])
    assert str(error.value) == "['cannot create note because it is a duplicate']"
    assert col.note_count() == 1


def test_trap_e10_add_notes_collects_every_message_in_order(api: Api, col: Collection) -> None:
    api("addNote", note=basic("cat"))
    notes = [
        basic(""),
        basic("ok"),
        basic("cat"),
        {"deckName": "Default", "modelName": "Nope", "fields": {}},
        {"deckName": "Default", "modelName": "Basic"},
    ]
    with pytest.raises(Exception) as error:
        api("addNotes", notes=notes)
    expected = [EMPTY, DUPLICATE, "model was not found: Nope", "'fields'"]
    assert str(error.value) == str(expected)
    assert col.note_count() == 1


def test_trap_e10_duplicates_within_the_batch(api: Api, col: Collection) -> None:
    with pytest.raises(Exception) as error:
        api("addNotes", notes=[basic("same"), basic("<b>same</b>")])
    assert str(error.value) == f"['{DUPLICATE}']"
    assert col.note_count() == 0
    ids = api("addNotes", notes=[basic("same"), basic("same", options={"allowDuplicate": True})])
    assert len(ids) == 2 and col.note_count() == 2


def test_trap_e10_failed_note_does_not_count_as_earlier_duplicate(api: Api) -> None:
    # The first "x" is refused (bad option), so the second "x" is not its duplicate.
    with pytest.raises(Exception) as error:
        api("addNotes", notes=[basic("x", options={"allowDuplicate": 1}), basic("x")])
    assert str(error.value) == "['option parameter \"allowDuplicate\" must be boolean']"


def test_trap_e10_batch_duplicates_respect_deck_scope(api: Api, col: Collection) -> None:
    col.decks.id("A")
    col.decks.id("B")
    deck_scope = {"duplicateScope": "deck"}
    ids = api(
        "addNotes",
        notes=[basic("w", deck="A", options=deck_scope), basic("w", deck="B", options=deck_scope)],
    )
    assert len(ids) == 2
    with pytest.raises(Exception, match="duplicate"):
        api(
            "addNotes",
            notes=[
                basic("v", deck="A", options=deck_scope),
                basic("v", deck="A", options=deck_scope),
            ],
        )


def test_trap_e10_batch_duplicates_with_check_all_models(api: Api) -> None:
    reversed_note = {
        "deckName": "Default",
        "modelName": "Basic (and reversed card)",
        "fields": {"Front": "z", "Back": "b"},
    }
    all_models = {"duplicateScopeOptions": {"checkAllModels": True}}
    with pytest.raises(Exception, match="duplicate"):
        api("addNotes", notes=[reversed_note, basic("z", options=all_models)])
    assert len(api("addNotes", notes=[reversed_note, basic("z")])) == 2


def test_add_notes_is_one_undoable_transaction(api: Api, col: Collection) -> None:
    api("addNotes", notes=[basic(str(i)) for i in range(50)])
    assert col.note_count() == 50
    col.undo()
    assert col.note_count() == 0


def test_add_notes_missing_param(api: Api) -> None:
    with pytest.raises(Exception) as error:
        api("addNotes")
    assert str(error.value) == (
        "AnkiConnect.addNotes() missing 1 required positional argument: 'notes'"
    )


# --- wrong-typed field values ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"), [(12345, "12345"), (None, "null"), (["a"], '["a"]'), (True, "true")]
)
def test_add_note_non_string_field_value_names_field_and_type(
    api: Api, col: Collection, value: Any, shown: str
) -> None:
    with pytest.raises(Exception) as raised:
        api("addNote", note=basic("x", back=value))
    assert str(raised.value) == (
        f"AnkiConnect.addNote() parameter 'note['fields']['Back']' must be string, got {shown}"
    )
    assert col.note_count() == 0


def test_non_string_field_value_is_named_as_sent_whatever_its_case(api: Api) -> None:
    note = {"deckName": "Default", "modelName": "Basic", "fields": {"front": 7}}
    with pytest.raises(Exception) as raised:
        api("addNote", note=note)
    assert "parameter 'note['fields']['front']' must be string, got 7" in str(raised.value)
    # a name the note type lacks is ignored, whatever its value
    ignored = {"deckName": "Default", "modelName": "Basic", "fields": {"Front": "f", "X": 7}}
    assert isinstance(api("addNote", note=ignored), int)


def test_add_notes_non_string_field_value_is_one_of_the_collected_messages(
    api: Api, col: Collection
) -> None:
    notes = [basic("fine"), basic(12345)]  # type: ignore[arg-type]
    with pytest.raises(Exception) as raised:
        api("addNotes", notes=notes)
    assert str(raised.value) == str(
        ["AnkiConnect.addNotes() parameter 'notes[1]['fields']['Front']' must be string, got 12345"]
    )
    assert col.note_count() == 0


def test_can_add_with_non_string_field_value(api: Api) -> None:
    bad = basic("x", back=1.5)  # type: ignore[arg-type]
    assert api("canAddNote", note=bad) is False
    assert api("canAddNoteWithErrorDetail", note=bad) == {
        "canAdd": False,
        "error": "AnkiConnect.canAddNoteWithErrorDetail() parameter 'note['fields']['Back']'"
        " must be string, got 1.5",
    }
    assert api("canAddNotes", notes=[basic("ok"), bad]) == [True, False]
    assert api("canAddNotesWithErrorDetail", notes=[bad])[0]["error"] == (
        "AnkiConnect.canAddNotesWithErrorDetail() parameter 'notes[0]['fields']['Back']'"
        " must be string, got 1.5"
    )
