"""Models actions that create note types or rewrite templates/styling, on a real Collection."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from anki.collection import Collection

if TYPE_CHECKING:
    from tests.unit.conftest import Api

# The `api` fixture raises the conftest's ApiError, whose str() is the error text;
# tests match that text exactly.

STOCK_NAMES = [
    "Basic",
    "Basic (and reversed card)",
    "Basic (optional reversed card)",
    "Basic (type in the answer)",
    "Cloze",
    "Image Occlusion",
]
REVERSED = "Basic (and reversed card)"
FULL_KEYS = {"id", "name", "type", "flds", "tmpls", "css", "sortf", "did", "latexPre"}
FULL_KEYS |= {"latexPost", "req", "mod", "usn"}


def create(api: Api, name: str = "Custom", **overrides: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "modelName": name,
        "inOrderFields": ["Question", "Answer"],
        "cardTemplates": [{"Front": "{{Question}}", "Back": "{{FrontSide}}<hr>{{Answer}}"}],
    }
    params.update(overrides)
    return api("createModel", **params)


# --- createModel --------------------------------------------------------------------


def test_create_model_returns_full_notetype(api: Api, col: Collection) -> None:
    result = create(
        api,
        "newModelName",
        inOrderFields=["Field1", "Field2", "Field3"],
        cardTemplates=[
            {"Name": "My Card 1", "Front": "Front html {{Field1}}", "Back": "Back {{Field2}}"},
            {"Front": "{{Field3}}", "Back": "x"},
        ],
    )
    assert set(result) >= FULL_KEYS
    assert type(result["id"]) is int
    assert result["name"] == "newModelName"
    assert result["type"] == 0
    assert [f["name"] for f in result["flds"]] == ["Field1", "Field2", "Field3"]
    assert [f["ord"] for f in result["flds"]] == [0, 1, 2]
    assert [t["name"] for t in result["tmpls"]] == ["My Card 1", "Card 2"]
    assert result["tmpls"][0]["qfmt"] == "Front html {{Field1}}"
    assert result["tmpls"][0]["afmt"] == "Back {{Field2}}"
    assert result["css"] == col.models.new("x")["css"]  # Anki's default styling
    assert result["usn"] == -1
    assert col.models.get(result["id"])["name"] == "newModelName"
    json.dumps(result)


def test_create_model_default_names_follow_position(api: Api) -> None:
    result = create(
        api,
        inOrderFields=["A", "B", "C"],
        cardTemplates=[
            {"Front": "{{A}}", "Back": "1"},
            {"Name": "Named", "Front": "{{B}}", "Back": "2"},
            {"Front": "{{C}}", "Back": "3"},
        ],
    )
    assert [t["name"] for t in result["tmpls"]] == ["Card 1", "Named", "Card 3"]


def test_create_model_with_css_and_cloze(api: Api) -> None:
    result = create(
        api,
        "My Cloze",
        inOrderFields=["Text", "Extra"],
        cardTemplates=[{"Front": "{{cloze:Text}}", "Back": "{{cloze:Text}} {{Extra}}"}],
        css=".card { color: red; }",
        isCloze=True,
    )
    assert result["type"] == 1
    assert result["css"] == ".card { color: red; }"
    assert api("modelStyling", modelName="My Cloze") == {"css": ".card { color: red; }"}


def test_create_model_new_type_accepts_notes(api: Api, col: Collection) -> None:
    result = create(api)
    note = col.new_note(col.models.get(result["id"]))
    note["Question"] = "q"
    col.add_note(note, col.decks.id_for_name("Default"))
    assert len(note.cards()) == 1


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"inOrderFields": []}, "Must provide at least one field for inOrderFields"),
        ({"cardTemplates": []}, "Must provide at least one card for cardTemplates"),
        ({"modelName": "Basic"}, "Model name already exists"),
        ({"modelName": "BASIC"}, "Model name already exists"),
        ({"cardTemplates": [{"Back": "{{Answer}}"}]}, "'Front'"),
        ({"cardTemplates": [{"Front": "{{Question}}"}]}, "'Back'"),
        ({"inOrderFields": [], "cardTemplates": []}, "Must provide at least one field"),
    ],
)
def test_create_model_errors(api: Api, overrides: dict[str, Any], error: str) -> None:
    params = {
        "modelName": "Custom",
        "inOrderFields": ["Question", "Answer"],
        "cardTemplates": [{"Front": "{{Question}}", "Back": "{{Answer}}"}],
    }
    params.update(overrides)
    with pytest.raises(Exception) as raised:
        api("createModel", **params)
    assert str(raised.value).startswith(error)
    assert api("modelNames") == STOCK_NAMES


def test_create_model_anki_rejects_template_without_field(api: Api) -> None:
    with pytest.raises(Exception, match="front of the card template"):
        create(api, cardTemplates=[{"Front": "no field", "Back": "{{Answer}}"}])
    assert "Custom" not in api("modelNames")


def test_create_model_missing_param(api: Api) -> None:
    with pytest.raises(Exception) as raised:
        api("createModel", modelName="X", inOrderFields=["A"])
    assert str(raised.value) == (
        "AnkiConnect.createModel() missing 1 required positional argument: 'cardTemplates'"
    )


# --- updateModelTemplates / updateModelStyling --------------------------------------


def test_update_model_templates_changes_given_sides_only(api: Api, col: Collection) -> None:
    before = col.models.by_name(REVERSED)["mod"]
    result = api(
        "updateModelTemplates",
        model={
            "name": REVERSED,
            "templates": {
                "Card 1": {"Front": "{{Front}}?", "Back": ""},
                "Card 2": {"Back": "{{FrontSide}}!{{Front}}"},
                "No such card": {"Front": "{{Front}}", "Back": "x"},
            },
        },
    )
    assert result is None
    assert api("modelTemplates", modelName=REVERSED) == {
        "Card 1": {"Front": "{{Front}}?", "Back": "{{FrontSide}}\n\n<hr id=answer>\n\n{{Back}}"},
        "Card 2": {"Front": "{{Back}}", "Back": "{{FrontSide}}!{{Front}}"},
    }
    notetype = col.models.by_name(REVERSED)
    assert notetype["mod"] >= before and notetype["usn"] == -1


@pytest.mark.parametrize(
    ("model", "error"),
    [
        ({"name": "Nope", "templates": {}}, "model was not found: Nope"),
        ({"templates": {}}, "'name'"),
        ({"name": "Basic"}, "'templates'"),
    ],
)
def test_update_model_templates_errors(api: Api, model: dict[str, Any], error: str) -> None:
    with pytest.raises(Exception) as raised:
        api("updateModelTemplates", model=model)
    assert str(raised.value) == error


def test_update_model_styling(api: Api) -> None:
    assert api("updateModelStyling", model={"name": "Basic", "css": "p { color: blue; }"}) is None
    assert api("modelStyling", modelName="Basic") == {"css": "p { color: blue; }"}


@pytest.mark.parametrize(
    ("model", "error"),
    [
        ({"name": "Nope", "css": ""}, "model was not found: Nope"),
        ({"css": ""}, "'name'"),
        ({"name": "Basic"}, "'css'"),
    ],
)
def test_update_model_styling_errors(api: Api, model: dict[str, Any], error: str) -> None:
    with pytest.raises(Exception) as raised:
        api("updateModelStyling", model=model)
    assert str(raised.value) == error


# --- findAndReplaceInModels ---------------------------------------------------------


def test_find_and_replace_in_one_model(api: Api) -> None:
    count = api(
        "findAndReplaceInModels",
        modelName=REVERSED,
        findText="<hr id=answer>",
        replaceText="<hr>",
    )
    assert count == 1
    templates = api("modelTemplates", modelName=REVERSED)
    assert templates["Card 1"]["Back"] == "{{FrontSide}}\n\n<hr>\n\n{{Back}}"
    assert templates["Card 2"]["Back"] == "{{FrontSide}}\n\n<hr>\n\n{{Front}}"


def test_find_and_replace_respects_side_flags(api: Api) -> None:
    def replace(**flags: bool) -> int:
        return api(
            "findAndReplaceInModels",
            modelName="Basic",
            findText="<hr id=answer>",
            replaceText="<hr>",
            **flags,
        )

    # The text is only on the back; with the back excluded nothing changes.
    assert replace(front=True, back=False, css=True) == 0
    assert replace(front=False, back=True, css=False) == 1
    assert api("modelTemplates", modelName="Basic") == {
        "Card 1": {"Front": "{{Front}}", "Back": "{{FrontSide}}\n\n<hr>\n\n{{Back}}"}
    }


def test_find_and_replace_css_only(api: Api) -> None:
    before = api("modelTemplates", modelName="Basic")
    count = api(
        "findAndReplaceInModels",
        modelName="Basic",
        findText="arial",
        replaceText="serif",
        front=False,
        back=False,
    )
    assert count == 1
    assert "font-family: serif;" in api("modelStyling", modelName="Basic")["css"]
    assert api("modelTemplates", modelName="Basic") == before


def test_find_and_replace_counts_only_changed_models(api: Api, col: Collection) -> None:
    create(api, "Plain", css="p { color: blue; }")
    with_arial = sum("arial" in m["css"] for m in col.models.all())
    assert with_arial == len(STOCK_NAMES)
    count = api("findAndReplaceInModels", modelName="", findText="arial", replaceText="serif")
    assert count == with_arial
    assert not any("arial" in m["css"] for m in col.models.all())
    assert api("modelStyling", modelName="Plain") == {"css": "p { color: blue; }"}


def test_find_and_replace_no_match_is_zero(api: Api) -> None:
    assert api("findAndReplaceInModels", modelName="Basic", findText="zzz", replaceText="y") == 0
    assert api("findAndReplaceInModels", modelName="", findText="", replaceText="y") == 0


def test_find_and_replace_unknown_model(api: Api) -> None:
    with pytest.raises(Exception, match=r"^model was not found: Nope$"):
        api("findAndReplaceInModels", modelName="Nope", findText="a", replaceText="b")


def test_find_and_replace_readme_wrapper_is_refused(api: Api) -> None:
    with pytest.raises(Exception) as raised:
        api(
            "findAndReplaceInModels",
            model={"modelName": "", "findText": "a", "replaceText": "b"},
        )
    assert str(raised.value) == (
        "AnkiConnect.findAndReplaceInModels() got an unexpected keyword argument 'model'"
    )
