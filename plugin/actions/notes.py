"""Notes actions (spec §B "Notes"): adding notes and probing whether they can be added.

Updating notes, tags and the read actions live in the sibling ``notes_*`` modules,
imported at the bottom so every notes action registers with this category.
"""

from __future__ import annotations

from typing import Any, TypedDict

from ..api.context import ActionContext
from ..api.errors import ActionError
from ..api.registry import action
from ..notes.builder import BatchDuplicates, NoteDraft, ParamPath, attach_media, prepare_note

NoteObject = dict[str, Any]


class _CanAdd(TypedDict):
    canAdd: bool


class CanAddDetail(_CanAdd, total=False):
    """`error` is present only when `canAdd` is false."""

    error: str


@action("notes")
def addNote(ctx: ActionContext, note: NoteObject) -> int:
    """Create one note in the given deck and note type; returns its id.

    `note` has `deckName`, `modelName`, `fields` (names matched ignoring case,
    unknown names ignored), optional `tags` (a list), `options` (`allowDuplicate`,
    `duplicateScope`, `duplicateScopeOptions` {`deckName`, `checkChildren`,
    `checkAllModels`}) and `audio`/`video`/`picture` media. The cards always land
    in `deckName`."""
    col = ctx.col
    draft = prepare_note(col, note, at=ParamPath("addNote", "note"))
    attach_media(ctx, draft.note, note)
    col.add_note(draft.note, draft.deck_id)
    return int(draft.note.id)


@action("notes")
def addNotes(ctx: ActionContext, notes: list[NoteObject]) -> list[int]:
    """Create several notes, all or none; returns their ids in input order.

    Every note is checked as addNote would check it, a note seeing the earlier
    notes of the same call as already added. If any note fails, none is added and
    the error is the Python list repr of the failed notes' messages, e.g.
    `['cannot create note because it is a duplicate']`. The notes are inserted in
    one collection transaction, so an interruption never leaves part of a batch."""
    col = ctx.col
    batch = BatchDuplicates()
    drafts: list[NoteDraft] = []
    errors: list[str] = []
    for index, params in enumerate(notes):
        try:
            draft = prepare_note(
                col, params, at=ParamPath("addNotes", f"notes[{index}]"), batch=batch
            )
        except Exception as exc:  # collected per note, reported together
            errors.append(str(exc))
            continue
        batch.record(col, draft)
        drafts.append(draft)
    if not errors:
        for draft, params in zip(drafts, notes, strict=True):
            try:
                attach_media(ctx, draft.note, params)
            except Exception as exc:
                errors.append(str(exc))
    if errors:
        raise ActionError(str(errors))
    if drafts:
        from anki.collection import AddNoteRequest

        requests = [AddNoteRequest(draft.note, draft.deck_id) for draft in drafts]
        col.add_notes(requests)
    return [int(draft.note.id) for draft in drafts]


def _detail(ctx: ActionContext, params: NoteObject, at: ParamPath) -> CanAddDetail:
    try:
        prepare_note(ctx.col, params, at=at)
    except Exception as exc:  # any failure means "cannot add", with its message
        return {"canAdd": False, "error": str(exc)}
    return {"canAdd": True}


@action("notes")
def canAddNote(ctx: ActionContext, note: NoteObject) -> bool:
    """Whether addNote would accept this note; any error means false.

    Runs every addNote check (note type, deck, options, empty, duplicate) but,
    unlike the original, never downloads or stores the note's media."""
    return _detail(ctx, note, ParamPath("canAddNote", "note"))["canAdd"]


@action("notes")
def canAddNoteWithErrorDetail(ctx: ActionContext, note: NoteObject) -> CanAddDetail:
    """`{"canAdd": true}`, or `{"canAdd": false, "error": "<why>"}` for this note.

    The `error` key is absent when the note can be added. No media is stored."""
    return _detail(ctx, note, ParamPath("canAddNoteWithErrorDetail", "note"))


@action("notes")
def canAddNotes(ctx: ActionContext, notes: list[NoteObject]) -> list[bool]:
    """For each note, whether addNote would accept it (aligned with the input).

    Each note is checked on its own against the collection; no media is stored."""
    return [
        _detail(ctx, params, ParamPath("canAddNotes", f"notes[{index}]"))["canAdd"]
        for index, params in enumerate(notes)
    ]


@action("notes")
def canAddNotesWithErrorDetail(ctx: ActionContext, notes: list[NoteObject]) -> list[CanAddDetail]:
    """For each note, `{"canAdd": true}` or `{"canAdd": false, "error": "<why>"}`.

    Aligned with the input. Yomitan recognises duplicates by the error text
    containing `cannot create note because it is a duplicate`."""
    return [
        _detail(ctx, params, ParamPath("canAddNotesWithErrorDetail", f"notes[{index}]"))
        for index, params in enumerate(notes)
    ]


from . import notes_info, notes_tags, notes_update  # noqa: E402,F401  (register the rest)
