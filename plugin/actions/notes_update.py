"""Notes actions that change existing notes (spec §B "Notes", §E.2–E.4).

updateNoteFields and updateNote match field names case-sensitively; updateNoteModel
matches them ignoring case and replaces the tags. Unknown field names are ignored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..api.context import ActionContext
from ..api.errors import ActionError
from ..api.registry import action
from ..notes.builder import ParamPath, attach_media, find_note, note_tags, set_note_fields
from .notes_tags import replace_note_tags

if TYPE_CHECKING:
    from anki.collection import Collection
    from anki.notes import Note

NoteObject = dict[str, Any]


def update_fields(ctx: ActionContext, params: NoteObject, action: str) -> None:
    """Set the given fields (case-sensitive), append media, save (updateNoteFields)."""
    col = ctx.col
    note = find_note(col, params["id"])
    set_note_fields(note, params["fields"], case_sensitive=True, at=ParamPath(action, "note"))
    attach_media(ctx, note, params)
    col.update_note(note)


@action("notes")
def updateNoteFields(ctx: ActionContext, note: NoteObject) -> None:
    """Change some fields of an existing note, optionally attaching media.

    `note` is `{id, fields, audio?, video?, picture?}`; field names are matched
    case-sensitively and unknown names ignored; media references are appended to
    the fields listed in each media object."""
    update_fields(ctx, note, "updateNoteFields")


@action("notes")
def updateNote(ctx: ActionContext, note: NoteObject) -> None:
    """Change the fields and/or the tags of a note.

    `note` is `{id, fields?, tags?, audio?, video?, picture?}`. Fields (with media)
    are saved first and stay saved even if the tags are then refused; `tags`
    replaces all tags of the note."""
    if "fields" not in note and "tags" not in note:
        raise ActionError('Must provide a "fields" or "tags" property.')
    if "fields" in note:
        update_fields(ctx, note, "updateNote")
    if "tags" in note:
        replace_note_tags(ctx.col, note["id"], note["tags"])


@action("notes")
def updateNoteModel(ctx: ActionContext, note: NoteObject) -> None:
    """Change a note's type in place, then set its fields and tags.

    `note` is `{id, modelName, fields, tags?}`; `fields` must be a non-empty
    object. Every field starts empty and the given ones are set (names matched
    ignoring case); the tags are replaced, so omitting `tags` clears them. Cards
    keep their template where the new type has one of the same name/position;
    Anki's change-notetype rules apply."""
    note_id = note.get("id")
    if not note_id:
        raise ActionError("Note ID is required")
    model_name = note.get("modelName")
    if not model_name:
        raise ActionError("Model name is required")
    fields = note.get("fields")
    if not fields or not isinstance(fields, dict):
        # An empty object too: every field is blanked before the given ones are set,
        # so `{}` would erase the note (the original refuses it the same way).
        raise ActionError("Fields must be provided as a dictionary")
    col = ctx.col
    existing = find_note(col, note_id)
    notetype = col.models.by_name(model_name) if isinstance(model_name, str) else None
    if notetype is None:
        raise ActionError(f"Model '{model_name}' not found")
    changed = _change_notetype(col, existing, int(notetype["id"]))
    changed.fields = [""] * len(changed.fields)
    set_note_fields(changed, fields, case_sensitive=False, at=ParamPath("updateNoteModel", "note"))
    changed.tags = note_tags(note.get("tags"))
    col.update_note(changed)


def _change_notetype(col: Collection, note: Note, notetype_id: int) -> Note:
    """The note under its new type, its old field contents discarded.

    Goes through Anki's change-notetype operation, which remaps or removes the
    cards consistently (a schema change: the next sync is a full one).
    """
    if int(note.mid) == notetype_id:
        return note
    info = col.models.change_notetype_info(
        old_notetype_id=note.mid,
        new_notetype_id=notetype_id,  # type: ignore[arg-type]
    )
    request = info.input
    request.note_ids.append(note.id)
    del request.new_fields[:]
    request.new_fields.extend([-1] * len(col.models.get(notetype_id)["flds"]))  # type: ignore
    col.models.change_notetype_of_notes(request)
    return col.get_note(note.id)
