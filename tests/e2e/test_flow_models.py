"""Building a note type and using it, over HTTP against real Anki (spec §B Models).

createModel (css, two templates) → modelFieldAdd/modelFieldRename/modelTemplateAdd →
addNote with the new type → notesInfo/cardsInfo (fields, card count) →
modelFieldsOnTemplates/modelTemplates/modelStyling → findAndReplaceInModels.
"""

from __future__ import annotations

import uuid

from .harness import AnkiInstance

CSS = ".card { font-family: serif; color: darkred; }"
RECOGNITION = {
    "Name": "Recognition",
    "Front": "<div class=word>{{Word}}</div>",
    "Back": "{{FrontSide}}<hr id=answer>{{Meaning}}",
}
RECALL = {
    "Name": "Recall",
    "Front": "{{Meaning}}",
    "Back": "{{FrontSide}}<hr id=answer>{{Word}}",
}
READING = {
    "Name": "Reading",
    "Front": "{{#Reading}}{{Reading}}{{/Reading}}",
    "Back": "{{FrontSide}}<hr id=answer>{{Word}} {{text:Gloss}}",
}


def test_model_flow(anki: AnkiInstance) -> None:
    name = f"ModelFlow{uuid.uuid4().hex[:8]}"
    deck = name

    # --- createModel answers the whole note type
    model = anki.invoke(
        "createModel",
        modelName=name,
        inOrderFields=["Word", "Meaning"],
        css=CSS,
        cardTemplates=[RECOGNITION, RECALL],
    )
    assert model["name"] == name and type(model["id"]) is int
    assert [f["name"] for f in model["flds"]] == ["Word", "Meaning"]
    assert [t["name"] for t in model["tmpls"]] == ["Recognition", "Recall"]
    assert model["css"] == CSS
    assert anki.invoke("modelNamesAndIds")[name] == model["id"]
    assert anki.invoke("modelNameFromId", modelId=model["id"]) == name
    duplicate = anki.call(
        "createModel", modelName=name, inOrderFields=["A"], cardTemplates=[RECALL]
    )
    assert duplicate == {"result": None, "error": "Model name already exists"}

    # a note made before the third template exists
    anki.invoke("createDeck", deck=deck)
    early = anki.invoke(
        "addNote",
        note={
            "deckName": deck,
            "modelName": name,
            "fields": {"Word": "早い", "Meaning": "early"},
        },
    )

    # --- edit fields and templates
    assert anki.invoke("modelFieldAdd", modelName=name, fieldName="Reading", index=1) is None
    assert anki.invoke("modelFieldNames", modelName=name) == ["Word", "Reading", "Meaning"]
    renamed = anki.invoke(
        "modelFieldRename", modelName=name, oldFieldName="Meaning", newFieldName="Gloss"
    )
    assert renamed is None
    assert anki.invoke("modelFieldNames", modelName=name) == ["Word", "Reading", "Gloss"]
    assert anki.invoke("modelTemplateAdd", modelName=name, template=READING) is None

    # the early note kept its values under the new field layout; its Reading is empty,
    # so the new template made no card for it
    early_info = anki.invoke("notesInfo", notes=[early])[0]
    assert early_info["fields"] == {
        "Word": {"value": "早い", "order": 0},
        "Reading": {"value": "", "order": 1},
        "Gloss": {"value": "early", "order": 2},
    }
    assert len(early_info["cards"]) == 2

    # --- a note of the finished type gets one card per template
    note_id = anki.invoke(
        "addNote",
        note={
            "deckName": deck,
            "modelName": name,
            "fields": {"word": "猫", "reading": "ねこ", "GLOSS": "cat"},  # case-insensitive
            "tags": ["model-flow"],
        },
    )
    info = anki.invoke("notesInfo", notes=[note_id])[0]
    assert info["modelName"] == name and info["tags"] == ["model-flow"]
    assert info["fields"] == {
        "Word": {"value": "猫", "order": 0},
        "Reading": {"value": "ねこ", "order": 1},
        "Gloss": {"value": "cat", "order": 2},
    }
    assert len(info["cards"]) == 3

    cards = anki.invoke("cardsInfo", cards=info["cards"])
    assert [c["ord"] for c in cards] == [0, 1, 2]  # notesInfo lists cards by template ord
    assert {(c["modelName"], c["deckName"], c["note"]) for c in cards} == {(name, deck, note_id)}
    assert all(c["css"] == CSS for c in cards)
    assert cards[0]["fields"]["Gloss"] == {"value": "cat", "order": 2}
    assert "<div class=word>猫</div>" in cards[0]["question"]
    assert "cat" in cards[0]["answer"]  # {{Meaning}} was renamed to {{Gloss}} in the template
    assert "cat" in cards[1]["question"]
    assert "ねこ" in cards[2]["question"]

    # --- read the type back
    assert anki.invoke("modelFieldsOnTemplates", modelName=name) == {
        "Recognition": [["Word"], ["Gloss"]],
        "Recall": [["Gloss"], ["Word"]],
        "Reading": [["Reading"], ["Word", "Gloss"]],
    }
    templates = anki.invoke("modelTemplates", modelName=name)
    assert list(templates) == ["Recognition", "Recall", "Reading"]
    assert templates["Recognition"] == {
        "Front": RECOGNITION["Front"],
        "Back": "{{FrontSide}}<hr id=answer>{{Gloss}}",
    }
    assert templates["Reading"] == {"Front": READING["Front"], "Back": READING["Back"]}
    assert anki.invoke("modelStyling", modelName=name) == {"css": CSS}

    # --- findAndReplaceInModels: only the sides asked for, count of changed types
    css_only = anki.invoke(
        "findAndReplaceInModels",
        modelName=name,
        findText="darkred",
        replaceText="navy",
        front=False,
        back=False,
        css=True,
    )
    assert css_only == 1
    new_css = CSS.replace("darkred", "navy")
    assert anki.invoke("modelStyling", modelName=name) == {"css": new_css}
    assert anki.invoke("modelTemplates", modelName=name) == templates

    fronts_only = anki.invoke(
        "findAndReplaceInModels",
        modelName=name,
        findText="{{Word}}",
        replaceText="<b>{{Word}}</b>",
        front=True,
        back=False,
        css=False,
    )
    assert fronts_only == 1
    changed = anki.invoke("modelTemplates", modelName=name)
    assert changed["Recognition"]["Front"] == "<div class=word><b>{{Word}}</b></div>"
    assert changed["Recall"]["Back"] == RECALL["Back"]  # back side untouched
    assert changed["Reading"]["Back"] == READING["Back"]
    nothing = anki.invoke(
        "findAndReplaceInModels", modelName=name, findText="not in it", replaceText="x"
    )
    assert nothing == 0

    # the cards render with the changed type
    rendered = anki.invoke("cardsInfo", cards=[info["cards"][0]])[0]
    assert "<b>猫</b>" in rendered["question"]
    assert rendered["css"] == new_css
