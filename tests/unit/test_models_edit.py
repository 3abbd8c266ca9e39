"""Models actions editing one template or field, on a real Collection with notes.

Schema changes must not ask for confirmation and must leave notes and cards where
Anki itself leaves them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from anki import hooks
from anki.collection import Collection
from anki.errors import AbortSchemaModification
from anki.notes import Note

if TYPE_CHECKING:
    from tests.unit.conftest import Api

# The `api` fixture raises the conftest's ApiError, whose str() is the error text;
# tests match that text exactly (the class is not imported: pytest loads the
# conftest under its own module name).

REVERSED = "Basic (and reversed card)"


def add_note(col: Collection, model_name: str, **fields: str) -> Note:
    note = col.new_note(col.models.by_name(model_name))
    for name, value in fields.items():
        note[name] = value
    col.add_note(note, col.decks.id_for_name("Default"))
    return note


def fields_of(col: Collection, note: Note) -> dict[str, str]:
    return dict(col.get_note(note.id).items())


def card_ords(col: Collection, note: Note) -> list[int]:
    return sorted(col.db.list("select ord from cards where nid = ?", note.id))


def template_names(api: Api, model: str) -> list[str]:
    return list(api("modelTemplates", modelName=model))


@pytest.fixture(autouse=True)
def refuse_schema_confirmation(col: Collection) -> Iterator[None]:
    """Stand in for the GUI's "full sync required" dialog, answering No.

    Anki only asks when the schema is unchanged since the last sync, so the
    collection is first made to look freshly synced. Any action that asked
    (``col.mod_schema(check=True)``) would then fail."""

    def refuse(proceed: bool) -> bool:
        return False

    col.db.execute("update col set ls = scm")
    hooks.schema_will_change.append(refuse)
    yield
    hooks.schema_will_change.remove(refuse)


def test_the_stand_in_dialog_would_refuse(col: Collection) -> None:
    with pytest.raises(AbortSchemaModification):
        col.mod_schema(check=True)


@pytest.fixture
def note(col: Collection) -> Note:
    return add_note(col, REVERSED, Front="front text", Back="back text")


def assert_consistent(col: Collection) -> None:
    _, ok = col.fix_integrity()
    assert ok


# --- templates ----------------------------------------------------------------------


def test_template_rename_keeps_cards(api: Api, col: Collection, note: Note) -> None:
    result = api(
        "modelTemplateRename", modelName=REVERSED, oldTemplateName="Card 1", newTemplateName="Fwd"
    )
    assert result is None
    assert template_names(api, REVERSED) == ["Fwd", "Card 2"]
    assert card_ords(col, note) == [0, 1]
    assert col.get_note(note.id).cards()[0].template()["name"] == "Fwd"


def test_template_rename_unknown(api: Api) -> None:
    with pytest.raises(
        Exception, match=rf"^template was not found in {re.escape(REVERSED)}: Nope$"
    ):
        api("modelTemplateRename", modelName=REVERSED, oldTemplateName="Nope", newTemplateName="X")
    with pytest.raises(Exception, match=r"^model was not found: Nope$"):
        api("modelTemplateRename", modelName="Nope", oldTemplateName="Card 1", newTemplateName="X")


def test_template_reposition_moves_cards_with_template(
    api: Api, col: Collection, note: Note
) -> None:
    first_card = col.get_note(note.id).cards()[0]  # Card 1, question "front text"
    assert (
        api("modelTemplateReposition", modelName=REVERSED, templateName="Card 2", index=0) is None
    )
    assert template_names(api, REVERSED) == ["Card 2", "Card 1"]
    moved = col.get_card(first_card.id)
    assert moved.ord == 1
    assert "front text" in moved.question()
    assert_consistent(col)


def test_template_reposition_unknown(api: Api) -> None:
    with pytest.raises(Exception, match=r"^template was not found in Basic: Card 9$"):
        api("modelTemplateReposition", modelName="Basic", templateName="Card 9", index=0)


def test_template_add_generates_cards(api: Api, col: Collection, note: Note) -> None:
    template = {"Name": "Card 3", "Front": "{{Back}} / {{Front}}", "Back": "{{FrontSide}}"}
    assert api("modelTemplateAdd", modelName=REVERSED, template=template) is None
    assert api("modelTemplates", modelName=REVERSED)["Card 3"] == {
        "Front": "{{Back}} / {{Front}}",
        "Back": "{{FrontSide}}",
    }
    assert card_ords(col, note) == [0, 1, 2]
    assert_consistent(col)


def test_template_add_existing_name_changes_nothing(api: Api, col: Collection) -> None:
    before = api("modelTemplates", modelName="Basic")
    mod = col.models.by_name("Basic")["mod"]
    template = {"Name": "Card 1", "Front": "{{Back}}", "Back": "changed"}
    assert api("modelTemplateAdd", modelName="Basic", template=template) is None
    assert api("modelTemplates", modelName="Basic") == before
    assert col.models.by_name("Basic")["mod"] == mod


@pytest.mark.parametrize(
    ("template", "error"),
    [
        ({"Front": "{{Front}}", "Back": ""}, "'Name'"),
        ({"Name": "X", "Back": ""}, "'Front'"),
        ({"Name": "X", "Front": "{{Back}}"}, "'Back'"),
    ],
)
def test_template_add_missing_keys(api: Api, template: dict[str, str], error: str) -> None:
    with pytest.raises(Exception) as raised:
        api("modelTemplateAdd", modelName="Basic", template=template)
    assert str(raised.value) == error
    assert template_names(api, "Basic") == ["Card 1"]


def test_template_add_unknown_model(api: Api) -> None:
    template = {"Name": "X", "Front": "{{Front}}", "Back": ""}
    with pytest.raises(Exception, match=r"^model was not found: Nope$"):
        api("modelTemplateAdd", modelName="Nope", template=template)


def test_template_remove_deletes_its_cards_keeps_note(
    api: Api, col: Collection, note: Note
) -> None:
    assert api("modelTemplateRemove", modelName=REVERSED, templateName="Card 1") is None
    assert template_names(api, REVERSED) == ["Card 2"]
    assert card_ords(col, note) == [0]
    assert fields_of(col, note) == {"Front": "front text", "Back": "back text"}
    assert_consistent(col)


def test_template_remove_last_is_refused(api: Api, col: Collection, note: Note) -> None:
    api("modelTemplateRemove", modelName=REVERSED, templateName="Card 2")
    with pytest.raises(Exception, match="must have 1 template"):
        api("modelTemplateRemove", modelName=REVERSED, templateName="Card 1")
    assert template_names(api, REVERSED) == ["Card 1"]
    assert card_ords(col, note) == [0]


def test_template_remove_unknown(api: Api) -> None:
    with pytest.raises(Exception, match=r"^template was not found in Basic: Nope$"):
        api("modelTemplateRemove", modelName="Basic", templateName="Nope")


# --- fields -------------------------------------------------------------------------


def test_field_rename_updates_templates_and_keeps_content(
    api: Api, col: Collection, note: Note
) -> None:
    assert (
        api("modelFieldRename", modelName=REVERSED, oldFieldName="Front", newFieldName="Q") is None
    )
    assert api("modelFieldNames", modelName=REVERSED) == ["Q", "Back"]
    assert api("modelTemplates", modelName=REVERSED)["Card 1"]["Front"] == "{{Q}}"
    assert fields_of(col, note) == {"Q": "front text", "Back": "back text"}


def test_field_rename_unknown(api: Api) -> None:
    with pytest.raises(Exception, match=r"^field was not found in Basic: Nope$"):
        api("modelFieldRename", modelName="Basic", oldFieldName="Nope", newFieldName="X")


def test_field_names_are_case_sensitive(api: Api) -> None:
    with pytest.raises(Exception, match=r"^field was not found in Basic: front$"):
        api("modelFieldRename", modelName="Basic", oldFieldName="front", newFieldName="X")


def test_field_reposition_content_follows(api: Api, col: Collection, note: Note) -> None:
    assert api("modelFieldReposition", modelName=REVERSED, fieldName="Back", index=0) is None
    assert api("modelFieldNames", modelName=REVERSED) == ["Back", "Front"]
    assert col.get_note(note.id).fields == ["back text", "front text"]
    # The sort field follows its field.
    assert col.models.by_name(REVERSED)["sortf"] == 1
    assert_consistent(col)


def test_field_reposition_unknown(api: Api) -> None:
    with pytest.raises(Exception, match=r"^field was not found in Basic: Nope$"):
        api("modelFieldReposition", modelName="Basic", fieldName="Nope", index=0)


def test_field_add_at_end_and_at_index(api: Api, col: Collection, note: Note) -> None:
    assert api("modelFieldAdd", modelName=REVERSED, fieldName="Extra") is None
    assert api("modelFieldAdd", modelName=REVERSED, fieldName="Top", index=0) is None
    assert api("modelFieldNames", modelName=REVERSED) == ["Top", "Front", "Back", "Extra"]
    assert col.get_note(note.id).fields == ["", "front text", "back text", ""]


def test_field_add_existing_is_moved_not_duplicated(api: Api, col: Collection) -> None:
    mod = col.models.by_name("Basic")["mod"]
    api("modelFieldAdd", modelName="Basic", fieldName="Front")
    assert api("modelFieldNames", modelName="Basic") == ["Front", "Back"]
    assert col.models.by_name("Basic")["mod"] == mod
    api("modelFieldAdd", modelName="Basic", fieldName="Front", index=1)
    assert api("modelFieldNames", modelName="Basic") == ["Back", "Front"]


def test_field_add_unknown_model(api: Api) -> None:
    with pytest.raises(Exception, match=r"^model was not found: Nope$"):
        api("modelFieldAdd", modelName="Nope", fieldName="X")


def test_field_remove_drops_only_its_content(api: Api, col: Collection) -> None:
    api("modelFieldAdd", modelName=REVERSED, fieldName="Extra")
    note = add_note(col, REVERSED, Front="f", Back="b", Extra="e")
    assert api("modelFieldRemove", modelName=REVERSED, fieldName="Extra") is None
    assert fields_of(col, note) == {"Front": "f", "Back": "b"}
    assert card_ords(col, note) == [0, 1]
    assert_consistent(col)


def test_field_remove_refused_by_anki_changes_nothing(api: Api, col: Collection) -> None:
    note = add_note(col, "Basic", Front="f", Back="b")
    api("modelFieldRemove", modelName="Basic", fieldName="Back")
    with pytest.raises(Exception, match="field required"):  # Anki's own refusal
        api("modelFieldRemove", modelName="Basic", fieldName="Front")
    assert api("modelFieldNames", modelName="Basic") == ["Front"]
    assert fields_of(col, note) == {"Front": "f"}
    assert_consistent(col)


def test_field_remove_unknown(api: Api) -> None:
    with pytest.raises(Exception, match=r"^field was not found in Basic: Nope$"):
        api("modelFieldRemove", modelName="Basic", fieldName="Nope")


# --- field display settings ---------------------------------------------------------


def test_field_set_font_and_size(api: Api) -> None:
    assert api("modelFieldSetFont", modelName="Basic", fieldName="Front", font="Courier") is None
    assert api("modelFieldSetFontSize", modelName="Basic", fieldName="Back", fontSize=10) is None
    assert api("modelFieldFonts", modelName="Basic") == {
        "Front": {"font": "Courier", "size": 20},
        "Back": {"font": "Arial", "size": 10},
    }


def test_field_set_description(api: Api) -> None:
    assert (
        api("modelFieldSetDescription", modelName="Basic", fieldName="Front", description="Q?")
        is True
    )
    assert api("modelFieldDescriptions", modelName="Basic") == ["Q?", ""]


@pytest.mark.parametrize(
    ("action", "param", "value", "error"),
    [
        ("modelFieldSetFont", "font", 12, "font should be a string: 12"),
        ("modelFieldSetFont", "font", None, "font should be a string: None"),
        ("modelFieldSetFontSize", "fontSize", "12", "fontSize should be an integer: 12"),
        ("modelFieldSetFontSize", "fontSize", 12.5, "fontSize should be an integer: 12.5"),
        ("modelFieldSetFontSize", "fontSize", True, "fontSize should be an integer: True"),
        ("modelFieldSetDescription", "description", 5, "description should be a string: 5"),
        ("modelFieldSetDescription", "description", ["a"], "description should be a string: ['a']"),
    ],
)
def test_field_setters_check_types_with_own_texts(
    api: Api, col: Collection, action: str, param: str, value: object, error: str
) -> None:
    before = col.models.by_name("Basic")["flds"]
    with pytest.raises(Exception) as raised:
        api(action, modelName="Basic", fieldName="Front", **{param: value})
    assert str(raised.value) == error
    assert col.models.by_name("Basic")["flds"] == before


@pytest.mark.parametrize(
    ("action", "param", "value"),
    [
        ("modelFieldSetFont", "font", "Arial"),
        ("modelFieldSetFontSize", "fontSize", 12),
        ("modelFieldSetDescription", "description", "d"),
    ],
)
def test_field_setters_unknown_model_and_field(
    api: Api, action: str, param: str, value: object
) -> None:
    with pytest.raises(Exception, match=r"^model was not found: Nope$"):
        api(action, modelName="Nope", fieldName="Front", **{param: value})
    with pytest.raises(Exception, match=r"^field was not found in Basic: Nope$"):
        api(action, modelName="Basic", fieldName="Nope", **{param: value})


# --- collection bookkeeping ---------------------------------------------------------


def test_edits_are_undoable_and_stamp_mod_usn(api: Api, col: Collection) -> None:
    api("modelFieldRename", modelName="Basic", oldFieldName="Front", newFieldName="Q")
    notetype = col.models.by_name("Basic")
    assert notetype["usn"] == -1 and notetype["mod"] > 0
    assert col.undo_status().undo
    col.undo()
    assert api("modelFieldNames", modelName="Basic") == ["Front", "Back"]


def test_schema_changes_mark_schema_modified(api: Api, col: Collection) -> None:
    assert not col.schema_changed()  # looks freshly synced (fixture above)
    api("modelFieldRemove", modelName="Basic", fieldName="Back")
    assert col.schema_changed()


# --- round trip ---------------------------------------------------------------------


def test_round_trip(api: Api, col: Collection) -> None:
    api(
        "createModel",
        modelName="Vocab",
        inOrderFields=["Word", "Meaning"],
        cardTemplates=[{"Name": "Recognise", "Front": "{{Word}}", "Back": "{{Meaning}}"}],
    )
    note = add_note(col, "Vocab", Word="chat", Meaning="cat")

    api("modelFieldAdd", modelName="Vocab", fieldName="Example")
    api("modelFieldAdd", modelName="Vocab", fieldName="Reading", index=1)
    template = {"Name": "Recall", "Front": "{{Meaning}}", "Back": "{{Word}} {{Reading}}"}
    api("modelTemplateAdd", modelName="Vocab", template=template)
    assert card_ords(col, note) == [0, 1]

    api("modelFieldRename", modelName="Vocab", oldFieldName="Meaning", newFieldName="Gloss")
    api("modelTemplateRename", modelName="Vocab", oldTemplateName="Recall", newTemplateName="Rev")
    api("modelFieldReposition", modelName="Vocab", fieldName="Example", index=0)
    api("modelTemplateReposition", modelName="Vocab", templateName="Rev", index=0)
    assert api("modelFieldNames", modelName="Vocab") == ["Example", "Word", "Reading", "Gloss"]
    assert api("modelFieldsOnTemplates", modelName="Vocab") == {
        "Rev": [["Gloss"], ["Word", "Reading"]],
        "Recognise": [["Word"], ["Gloss"]],
    }
    assert fields_of(col, note) == {"Example": "", "Word": "chat", "Reading": "", "Gloss": "cat"}

    api("modelTemplateRemove", modelName="Vocab", templateName="Recognise")
    api("modelFieldRemove", modelName="Vocab", fieldName="Example")
    assert list(api("modelTemplates", modelName="Vocab")) == ["Rev"]
    assert card_ords(col, note) == [0]
    assert fields_of(col, note) == {"Word": "chat", "Reading": "", "Gloss": "cat"}

    [found] = api("findModelsByName", modelNames=["Vocab"])
    assert [f["name"] for f in found["flds"]] == ["Word", "Reading", "Gloss"]
    assert [(t["name"], t["ord"]) for t in found["tmpls"]] == [("Rev", 0)]
    assert api("modelNameFromId", modelId=found["id"]) == "Vocab"
    assert_consistent(col)
