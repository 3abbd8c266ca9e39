"""Models actions (spec §B "Models"): listing and reading note types, creating them,
and whole-template/styling updates.

Per-field and per-template edits (rename, reposition, add, remove, fonts) live in
:mod:`.models_edit`, imported at the bottom so they register with this category.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from anki.consts import MODEL_CLOZE

from ..api.context import ActionContext
from ..api.errors import ActionError
from ..api.registry import action
from .models_common import NotetypeDict, editable_model, model_by_id, model_by_name, save_model

# --- listing and finding ------------------------------------------------------------


@action("models")
def modelNames(ctx: ActionContext) -> list[str]:
    """Names of all note types, in Anki's order (by name)."""
    return [entry.name for entry in ctx.col.models.all_names_and_ids()]


@action("models")
def modelNamesAndIds(ctx: ActionContext) -> dict[str, int]:
    """Map of every note type name to its id."""
    return {entry.name: entry.id for entry in ctx.col.models.all_names_and_ids()}


@action("models")
def findModelsById(ctx: ActionContext, modelIds: list[int]) -> list[dict[str, Any]]:
    """Full Anki note type objects for the given ids, in input order.

    The first unknown id fails the whole call with `model was not found: <id>`."""
    col = ctx.col
    return [copy.deepcopy(model_by_id(col, model_id)) for model_id in modelIds]


@action("models")
def findModelsByName(ctx: ActionContext, modelNames: list[str]) -> list[dict[str, Any]]:
    """Full Anki note type objects for the given names, in input order.

    The first unknown name fails the whole call with `model was not found: <name>`."""
    col = ctx.col
    return [copy.deepcopy(model_by_name(col, name)) for name in modelNames]


@action("models")
def modelNameFromId(ctx: ActionContext, modelId: int) -> str:
    """Name of the note type with the given id."""
    return model_by_id(ctx.col, modelId)["name"]


# --- reading one note type ----------------------------------------------------------


@action("models")
def modelFieldNames(ctx: ActionContext, modelName: str) -> list[str]:
    """Field names of the note type, in field order."""
    return [field["name"] for field in model_by_name(ctx.col, modelName)["flds"]]


@action("models")
def modelFieldDescriptions(ctx: ActionContext, modelName: str) -> list[str]:
    """Description (the editor's placeholder text) of each field, in field order."""
    return [field.get("description", "") for field in model_by_name(ctx.col, modelName)["flds"]]


@action("models")
def modelFieldFonts(ctx: ActionContext, modelName: str) -> dict[str, dict[str, Any]]:
    """Editor font and size of each field: `{field: {"font": str, "size": int}}`."""
    return {
        field["name"]: {"font": field["font"], "size": field["size"]}
        for field in model_by_name(ctx.col, modelName)["flds"]
    }


# A `{{…}}` tag that is not a section (`{{#x}}`, `{{/x}}`): the content may not
# contain `#`, `/` or `}`.
_FIELD_TAG = re.compile(r"\{\{([^#/}]+?)\}\}")
_FRONT_SIDE = "FrontSide"


def _fields_in(template_html: str) -> list[str]:
    """Field names referenced by a template side, in order, filters stripped.

    `{{text:Front}}` and `{{type:cloze:Text}}` name the last `:` part; no
    de-duplication and no trimming, as in the original's scan."""
    names = []
    for content in _FIELD_TAG.findall(template_html):
        name = content.replace("{", "").split(":")[-1]
        if name != _FRONT_SIDE:
            names.append(name)
    return names


@action("models")
def modelFieldsOnTemplates(ctx: ActionContext, modelName: str) -> dict[str, list[list[str]]]:
    """Fields shown on each card template: `{template: [[front fields], [back fields]]}`.

    The back list leaves out `FrontSide` and every field already on the front."""
    result = {}
    for template in model_by_name(ctx.col, modelName)["tmpls"]:
        front = _fields_in(template["qfmt"])
        back = [name for name in _fields_in(template["afmt"]) if name not in front]
        result[template["name"]] = [front, back]
    return result


@action("models")
def modelTemplates(ctx: ActionContext, modelName: str) -> dict[str, dict[str, str]]:
    """Front and back HTML of each card template: `{template: {"Front", "Back"}}`."""
    return {
        template["name"]: {"Front": template["qfmt"], "Back": template["afmt"]}
        for template in model_by_name(ctx.col, modelName)["tmpls"]
    }


@action("models")
def modelStyling(ctx: ActionContext, modelName: str) -> dict[str, str]:
    """The note type's CSS: `{"css": str}`."""
    return {"css": model_by_name(ctx.col, modelName)["css"]}


# --- creating -----------------------------------------------------------------------


@action("models")
def createModel(
    ctx: ActionContext,
    modelName: str,
    inOrderFields: list[str],
    cardTemplates: list[dict[str, Any]],
    css: str | None = None,
    isCloze: bool = False,
) -> dict[str, Any]:
    """Create a note type and return Anki's full note type object for it.

    Each card template is `{"Name"?, "Front", "Back"}`; unnamed templates are called
    `Card 1`, `Card 2`, … by position. Without `css` Anki's default styling is
    used; `isCloze` makes a cloze note type."""
    col = ctx.col
    if len(inOrderFields) == 0:
        raise ActionError("Must provide at least one field for inOrderFields")
    if len(cardTemplates) == 0:
        raise ActionError("Must provide at least one card for cardTemplates")
    models = col.models
    # Anki would silently rename a clashing note type (`name-1a2b3`); say so instead.
    if models.id_for_name(modelName) is not None:
        raise ActionError("Model name already exists")

    notetype = models.new(modelName)
    if isCloze:
        notetype["type"] = MODEL_CLOZE
    for field_name in inOrderFields:
        models.add_field(notetype, models.new_field(field_name))
    for position, card in enumerate(cardTemplates, start=1):
        template = models.new_template(card.get("Name", f"Card {position}"))
        template["qfmt"] = card["Front"]
        template["afmt"] = card["Back"]
        models.add_template(notetype, template)
    if css is not None:
        notetype["css"] = css

    added = models.add_dict(notetype)
    return copy.deepcopy(model_by_id(col, added.id))


# --- whole-model updates ------------------------------------------------------------


@action("models")
def updateModelTemplates(ctx: ActionContext, model: dict[str, Any]) -> None:
    """Replace the front and/or back HTML of named card templates.

    `model` is `{"name": str, "templates": {template: {"Front"?, "Back"?}}}`. Sides
    left out or given as empty strings keep their HTML; unknown template names
    are ignored."""
    notetype = editable_model(ctx.col, model["name"])
    updates = model["templates"]
    for template in notetype["tmpls"]:
        if template["name"] not in updates:
            continue
        sides = updates[template["name"]]
        if sides.get("Front"):
            template["qfmt"] = sides["Front"]
        if sides.get("Back"):
            template["afmt"] = sides["Back"]
    save_model(ctx.col, notetype)


@action("models")
def updateModelStyling(ctx: ActionContext, model: dict[str, Any]) -> None:
    """Replace a note type's CSS; `model` is `{"name": str, "css": str}`."""
    notetype = editable_model(ctx.col, model["name"])
    notetype["css"] = model["css"]
    save_model(ctx.col, notetype)


@action("models")
def findAndReplaceInModels(
    ctx: ActionContext,
    modelName: str,
    findText: str,
    replaceText: str,
    front: bool = True,
    back: bool = True,
    css: bool = True,
) -> int:
    """Replace text in template fronts, backs and/or CSS; returns how many note types changed.

    Params are flat (the README's `model` wrapper is refused as an unexpected
    argument). An empty `modelName` means every note type. The search is plain
    text, case-sensitive; an empty `findText` matches nothing."""
    col = ctx.col
    targets = [model_by_name(col, modelName)] if modelName else col.models.all()
    changed = 0
    for original in targets:
        notetype = _replaced(original, findText, replaceText, front=front, back=back, css=css)
        if notetype != original:
            save_model(col, notetype)
            changed += 1
    return changed


def _replaced(
    original: NotetypeDict, find: str, replace: str, *, front: bool, back: bool, css: bool
) -> NotetypeDict:
    notetype = copy.deepcopy(original)
    if not find:  # str.replace("", x) would insert x between every character
        return notetype
    for template in notetype["tmpls"]:
        if front:
            template["qfmt"] = template["qfmt"].replace(find, replace)
        if back:
            template["afmt"] = template["afmt"].replace(find, replace)
    if css:
        notetype["css"] = notetype["css"].replace(find, replace)
    return notetype


from . import models_edit  # noqa: E402, F401  (registers the field/template edits)
