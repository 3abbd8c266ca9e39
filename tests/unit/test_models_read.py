"""Models actions that list and read note types, on a real Collection."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from anki.collection import Collection

if TYPE_CHECKING:
    from tests.unit.conftest import Api

# The `api` fixture raises the conftest's ApiError, whose str() is the error text;
# tests match that text exactly (the class is not imported: pytest loads the
# conftest under its own module name).

STOCK_NAMES = [
    "Basic",
    "Basic (and reversed card)",
    "Basic (optional reversed card)",
    "Basic (type in the answer)",
    "Cloze",
    "Image Occlusion",
]
REVERSED = "Basic (and reversed card)"


def create(api: Api, name: str = "Custom", **overrides: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "modelName": name,
        "inOrderFields": ["Question", "Answer"],
        "cardTemplates": [{"Front": "{{Question}}", "Back": "{{FrontSide}}<hr>{{Answer}}"}],
    }
    params.update(overrides)
    return api("createModel", **params)


# --- listing ------------------------------------------------------------------------


def test_model_names_are_the_stock_types_by_name(api: Api) -> None:
    assert api("modelNames") == STOCK_NAMES


def test_model_names_order_by_name_includes_new_types(api: Api) -> None:
    create(api, "Aardvark")
    create(api, "Zebra")
    names = api("modelNames")
    assert names[0] == "Aardvark" and names[-1] == "Zebra"
    assert len(names) == len(STOCK_NAMES) + 2


def test_model_names_and_ids_maps_names_to_int_ids(api: Api, col: Collection) -> None:
    result = api("modelNamesAndIds")
    assert list(result) == STOCK_NAMES
    for name, model_id in result.items():
        assert type(model_id) is int
        assert col.models.get(model_id)["name"] == name


def test_model_names_bare_result_at_version_4(api: Api) -> None:
    assert api.reply({"action": "modelNames"}) == STOCK_NAMES


def test_model_name_from_id(api: Api, col: Collection) -> None:
    model_id = col.models.id_for_name("Cloze")
    assert api("modelNameFromId", modelId=model_id) == "Cloze"
    with pytest.raises(Exception, match=r"^model was not found: 123$"):
        api("modelNameFromId", modelId=123)


# --- findModelsBy* ------------------------------------------------------------------


FULL_KEYS = {"id", "name", "type", "flds", "tmpls", "css", "sortf", "did", "latexPre"}
FULL_KEYS |= {"latexPost", "req", "mod", "usn"}


def test_find_models_by_id_gives_full_notetypes_in_input_order(api: Api, col: Collection) -> None:
    ids = [col.models.id_for_name("Cloze"), col.models.id_for_name("Basic")]
    result = api("findModelsById", modelIds=ids)
    assert [m["name"] for m in result] == ["Cloze", "Basic"]
    assert [m["id"] for m in result] == ids
    for notetype in result:
        assert set(notetype) >= FULL_KEYS
    assert result[1]["flds"][0]["name"] == "Front"
    assert result[1]["tmpls"][0]["qfmt"] == "{{Front}}"
    json.dumps(result)  # plain JSON


def test_find_models_by_id_first_unknown_fails(api: Api, col: Collection) -> None:
    ids = [col.models.id_for_name("Basic"), 111, 222]
    with pytest.raises(Exception, match=r"^model was not found: 111$"):
        api("findModelsById", modelIds=ids)


def test_find_models_by_id_result_is_a_copy(api: Api, col: Collection) -> None:
    basic_id = col.models.id_for_name("Basic")
    result = api("findModelsById", modelIds=[basic_id])
    result[0]["name"] = "changed by caller"
    assert col.models.get(basic_id)["name"] == "Basic"


def test_find_models_by_name(api: Api) -> None:
    result = api("findModelsByName", modelNames=["Basic", REVERSED])
    assert [m["name"] for m in result] == ["Basic", REVERSED]
    assert len(result[1]["tmpls"]) == 2
    assert set(result[0]) >= FULL_KEYS


def test_find_models_by_name_unknown_fails(api: Api) -> None:
    with pytest.raises(Exception, match=r"^model was not found: Nope$"):
        api("findModelsByName", modelNames=["Basic", "Nope"])


def test_find_models_param_types_are_checked(api: Api) -> None:
    with pytest.raises(Exception, match="modelIds"):
        api("findModelsById", modelIds="1")


# --- reading one note type ----------------------------------------------------------


def test_model_field_names(api: Api) -> None:
    assert api("modelFieldNames", modelName="Basic") == ["Front", "Back"]
    assert api("modelFieldNames", modelName="Cloze") == ["Text", "Back Extra"]


def test_model_lookup_ignores_case_like_anki(api: Api) -> None:
    assert api("modelFieldNames", modelName="basic") == ["Front", "Back"]


@pytest.mark.parametrize(
    "action",
    [
        "modelFieldNames",
        "modelFieldDescriptions",
        "modelFieldFonts",
        "modelFieldsOnTemplates",
        "modelTemplates",
        "modelStyling",
    ],
)
def test_read_actions_unknown_model(api: Api, action: str) -> None:
    with pytest.raises(Exception, match=r"^model was not found: Missing$"):
        api(action, modelName="Missing")


def test_model_field_descriptions(api: Api) -> None:
    assert api("modelFieldDescriptions", modelName="Basic") == ["", ""]
    api("modelFieldSetDescription", modelName="Basic", fieldName="Back", description="answer")
    assert api("modelFieldDescriptions", modelName="Basic") == ["", "answer"]


def test_model_field_fonts(api: Api) -> None:
    assert api("modelFieldFonts", modelName="Basic") == {
        "Front": {"font": "Arial", "size": 20},
        "Back": {"font": "Arial", "size": 20},
    }


def test_model_fields_on_templates_readme_sample(api: Api) -> None:
    assert api("modelFieldsOnTemplates", modelName=REVERSED) == {
        "Card 1": [["Front"], ["Back"]],
        "Card 2": [["Back"], ["Front"]],
    }


def test_model_fields_on_templates_cloze(api: Api) -> None:
    assert api("modelFieldsOnTemplates", modelName="Cloze") == {
        "Cloze": [["Text"], ["Back Extra"]],
    }


def test_model_fields_on_templates_sections_filters_and_repeats(api: Api) -> None:
    create(
        api,
        "Scan",
        inOrderFields=["A", "B", "C"],
        cardTemplates=[
            {
                "Name": "One",
                "Front": "{{#B}}{{text:A}}{{/B}} {{hint:B}} {{A}}",
                "Back": "{{FrontSide}}{{C}}{{A}}{{type:C}}{{B}}",
            }
        ],
    )
    # Sections are skipped, filters stripped, repeats on one side kept; the back
    # drops FrontSide and what the front already shows.
    assert api("modelFieldsOnTemplates", modelName="Scan") == {
        "One": [["A", "B", "A"], ["C", "C"]],
    }


def test_model_templates_readme_sample(api: Api) -> None:
    assert api("modelTemplates", modelName=REVERSED) == {
        "Card 1": {"Front": "{{Front}}", "Back": "{{FrontSide}}\n\n<hr id=answer>\n\n{{Back}}"},
        "Card 2": {"Front": "{{Back}}", "Back": "{{FrontSide}}\n\n<hr id=answer>\n\n{{Front}}"},
    }


def test_model_styling(api: Api, col: Collection) -> None:
    result = api("modelStyling", modelName="Basic")
    assert result == {"css": col.models.by_name("Basic")["css"]}
    assert ".card {" in result["css"]
