"""Models actions that edit one card template or one field of a note type.

Removing or reordering templates and fields are schema changes in Anki. They go
through the collection API (see :mod:`.models_common`), which never shows the
GUI's "this requires a full sync" confirmation. Anki keeps note content across
them: a removed field's content is dropped, the others follow their field; a
removed template's cards are deleted, the notes stay.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ..api.context import ActionContext
from ..api.errors import ActionError
from ..api.registry import action
from .models_common import (
    NotetypeDict,
    editable_model,
    find_field,
    find_template,
    has_template,
    save_model,
)

# Each edit takes a private copy of the note type, finds the template or field by its
# exact name (raising the not-found texts in the original's order: model, then the
# template or field), changes it, and saves the copy only if the block raised nothing.


Part = dict[str, Any]  # one card template or one field of a note type


@contextmanager
def _editing(
    ctx: ActionContext,
    model_name: str,
    find: Callable[[NotetypeDict, str, str], Part],
    part_name: str,
) -> Iterator[tuple[NotetypeDict, Part]]:
    notetype = editable_model(ctx.col, model_name)
    yield notetype, find(notetype, model_name, part_name)
    save_model(ctx.col, notetype)


# --- card templates -----------------------------------------------------------------


@action("models")
def modelTemplateRename(
    ctx: ActionContext, modelName: str, oldTemplateName: str, newTemplateName: str
) -> None:
    """Rename a card template; its cards keep their place."""
    with _editing(ctx, modelName, find_template, oldTemplateName) as (_, template):
        template["name"] = newTemplateName


@action("models")
def modelTemplateReposition(
    ctx: ActionContext, modelName: str, templateName: str, index: int
) -> None:
    """Move a card template to the 0-based position `index` (a Python list insert)."""
    with _editing(ctx, modelName, find_template, templateName) as (notetype, template):
        ctx.col.models.reposition_template(notetype, template, index)


@action("models")
def modelTemplateAdd(ctx: ActionContext, modelName: str, template: dict[str, Any]) -> None:
    """Add a card template `{"Name", "Front", "Back"}` at the end; Anki makes its cards.

    If a template with that name already exists nothing is changed (the original
    edits it in memory but never saves)."""
    col = ctx.col
    notetype = editable_model(col, modelName)
    name, front, back = template["Name"], template["Front"], template["Back"]
    if has_template(notetype, name):
        return
    new_template = col.models.new_template(name)
    new_template["qfmt"] = front
    new_template["afmt"] = back
    col.models.add_template(notetype, new_template)
    save_model(col, notetype)


@action("models")
def modelTemplateRemove(ctx: ActionContext, modelName: str, templateName: str) -> None:
    """Remove a card template and its cards (the notes stay); the last one cannot go."""
    with _editing(ctx, modelName, find_template, templateName) as (notetype, template):
        ctx.col.models.remove_template(notetype, template)


# --- fields -------------------------------------------------------------------------


@action("models")
def modelFieldRename(
    ctx: ActionContext, modelName: str, oldFieldName: str, newFieldName: str
) -> None:
    """Rename a field; Anki updates the templates that show it and notes keep their content."""
    with _editing(ctx, modelName, find_field, oldFieldName) as (notetype, field):
        ctx.col.models.rename_field(notetype, field, newFieldName)


@action("models")
def modelFieldReposition(ctx: ActionContext, modelName: str, fieldName: str, index: int) -> None:
    """Move a field to the 0-based position `index`; notes' content moves with it."""
    with _editing(ctx, modelName, find_field, fieldName) as (notetype, field):
        ctx.col.models.reposition_field(notetype, field, index)


@action("models")
def modelFieldAdd(
    ctx: ActionContext, modelName: str, fieldName: str, index: int | None = None
) -> None:
    """Add an empty field at the end, or at the 0-based position `index`.

    An existing field of that name is not duplicated, but is still moved to
    `index` when one is given."""
    col = ctx.col
    notetype = editable_model(col, modelName)
    field = next((f for f in notetype["flds"] if f["name"] == fieldName), None)
    changed = False
    if field is None:
        field = col.models.new_field(fieldName)
        col.models.add_field(notetype, field)
        changed = True
    if index is not None:
        old_position = notetype["flds"].index(field)
        col.models.reposition_field(notetype, field, index)
        changed = changed or notetype["flds"].index(field) != old_position
    if changed:
        save_model(col, notetype)


@action("models")
def modelFieldRemove(ctx: ActionContext, modelName: str, fieldName: str) -> None:
    """Remove a field and its content from every note of the type; the last one cannot go."""
    with _editing(ctx, modelName, find_field, fieldName) as (notetype, field):
        ctx.col.models.remove_field(notetype, field)


# --- field display settings -----------------------------------------------------------
# The original checks these values' types itself and answers with its own texts, so
# the params are `loose` (not schema-checked) and checked here.


@action("models", loose=("font",))
def modelFieldSetFont(ctx: ActionContext, modelName: str, fieldName: str, font: str) -> None:
    """Set the editor font family of a field."""
    with _editing(ctx, modelName, find_field, fieldName) as (_, field):
        if not isinstance(font, str):
            raise ActionError(f"font should be a string: {font}")
        field["font"] = font


@action("models", loose=("fontSize",))
def modelFieldSetFontSize(
    ctx: ActionContext, modelName: str, fieldName: str, fontSize: int
) -> None:
    """Set the editor font size of a field."""
    with _editing(ctx, modelName, find_field, fieldName) as (_, field):
        # bool is an int subclass in Python, but `true` is no font size.
        if not isinstance(fontSize, int) or isinstance(fontSize, bool):
            raise ActionError(f"fontSize should be an integer: {fontSize}")
        field["size"] = fontSize


@action("models", loose=("description",))
def modelFieldSetDescription(
    ctx: ActionContext, modelName: str, fieldName: str, description: str
) -> bool:
    """Set a field's description (the editor's placeholder text).

    Answers `false` without changing anything when the field has no description
    setting (Anki versions that predate it), `true` otherwise."""
    notetype = editable_model(ctx.col, modelName)
    field = find_field(notetype, modelName, fieldName)
    if not isinstance(description, str):
        raise ActionError(f"description should be a string: {description}")
    if "description" not in field:
        return False
    field["description"] = description
    save_model(ctx.col, notetype)
    return True
