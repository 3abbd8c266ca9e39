"""Shared lookups and saving for the note type (model) actions.

Anki's model manager hands out references into its cache, so every action that
changes a note type works on a deep copy and writes it back with
``update_dict`` — an undoable collection operation that sets mod/usn and, unlike
the GUI's ``mod_schema(check=True)``, never asks the user before a schema change.
Anki validates the result (e.g. two templates with the same front); when it
refuses, nothing is written and the cache is left as it was.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, cast

from ..api.errors import field_not_found, model_not_found, template_not_found

if TYPE_CHECKING:
    from anki.collection import Collection
    from anki.models import NotetypeId

NotetypeDict = dict[str, Any]


def model_by_name(col: Collection, model_name: str) -> NotetypeDict:
    """The cached note type called ``model_name`` (read only), or the not-found error.

    Anki's name lookup ignores case, as the original's does.
    """
    notetype = col.models.by_name(model_name)
    if notetype is None:
        raise model_not_found(model_name)
    return notetype


def model_by_id(col: Collection, model_id: int) -> NotetypeDict:
    """The cached note type with id ``model_id`` (read only), or the not-found error."""
    notetype = col.models.get(cast("NotetypeId", model_id))
    if notetype is None:
        raise model_not_found(model_id)
    return notetype


def editable_model(col: Collection, model_name: str) -> NotetypeDict:
    """A private copy of the note type, safe to change before :func:`save_model`."""
    return copy.deepcopy(model_by_name(col, model_name))


def save_model(col: Collection, notetype: NotetypeDict) -> None:
    col.models.update_dict(notetype)


def find_field(notetype: NotetypeDict, model_name: str, field_name: str) -> dict[str, Any]:
    """The field called exactly ``field_name`` (case-sensitive), or the not-found error."""
    for field in notetype["flds"]:
        if field["name"] == field_name:
            return field
    raise field_not_found(model_name, field_name)


def find_template(notetype: NotetypeDict, model_name: str, template_name: str) -> dict[str, Any]:
    """The card template called exactly ``template_name``, or the not-found error."""
    for template in notetype["tmpls"]:
        if template["name"] == template_name:
            return template
    raise template_not_found(model_name, template_name)


def has_template(notetype: NotetypeDict, template_name: str) -> bool:
    return any(template["name"] == template_name for template in notetype["tmpls"])
