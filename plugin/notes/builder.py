"""Build and check new notes from AnkiConnect note objects (spec §B Notes, §E.1–E.4).

One place for what addNote, addNotes, the canAdd* family, updateNoteFields and the
GUI's guiAddCards share: the model and deck lookups with their exact error texts,
field matching (case-insensitive for addNote/canAdd*, case-sensitive for
updateNoteFields/updateNote/guiAddCards), tags, the option type checks and the
duplicate / empty / cloze check of §E.1. Media attachments live in
:mod:`plugin.notes.media` and are re-exported here.

Public functions:

- :func:`find_model`, :func:`find_deck_id`, :func:`find_note` — lookups raising the
  spec's not-found texts.
- :func:`set_note_fields` — copy a ``fields`` object into a note (unknown names ignored).
- :func:`note_tags` — the note object's ``tags`` as a list.
- :func:`new_note` — model, deck, fields and tags into an unsaved note (no checks).
- :func:`parse_options` — the ``options`` object, with the option type-check errors.
- :func:`check_note` — the empty / duplicate / cloze check.
- :func:`prepare_note` — all of the above: what addNote does before storing media.
- :func:`attach_media` — store ``audio``/``video``/``picture`` and reference them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..api.errors import (
    ActionError,
    deck_not_found,
    model_not_found,
    note_not_found,
    param_type_error,
)
from .draft import NoteDraft
from .duplicates import (
    BatchDuplicates,
    DuplicateScope,
    fast_fields_check,
    is_duplicate_in_scope,
)
from .media import attach_media

if TYPE_CHECKING:
    from anki.collection import Collection
    from anki.decks import DeckId
    from anki.notes import Note

__all__ = [
    "BatchDuplicates",
    "DuplicateScope",
    "NoteDraft",
    "NoteOptions",
    "ParamPath",
    "attach_media",
    "check_note",
    "find_deck_id",
    "find_model",
    "find_note",
    "new_note",
    "note_tags",
    "parse_options",
    "prepare_note",
    "set_note_fields",
]

EMPTY_ERROR = "cannot create note because it is empty"
DUPLICATE_ERROR = "cannot create note because it is a duplicate"
UNKNOWN_ERROR = "cannot create note for unknown reason"

NotetypeDict = dict[str, Any]


@dataclass(frozen=True)
class ParamPath:
    """Where a note object sits in the request, for error texts: the action and the
    param (``note``, or ``notes[2]`` for the third note of a list)."""

    action: str
    param: str


@dataclass(frozen=True)
class NoteOptions:
    """The ``options`` object of a note, checked (§A.9, §E.1)."""

    allow_duplicate: bool = False
    scope: DuplicateScope = DuplicateScope()


def find_model(col: Collection, model_name: Any) -> NotetypeDict:
    """The note type called ``model_name`` (Anki's lookup ignores case), or the error."""
    notetype = col.models.by_name(model_name) if isinstance(model_name, str) else None
    if notetype is None:
        raise model_not_found(model_name)
    return notetype


def find_deck_id(col: Collection, deck_name: Any) -> DeckId:
    """The id of the deck called ``deck_name``, or ``deck was not found: <name>``."""
    deck_id = col.decks.id_for_name(deck_name) if isinstance(deck_name, str) else None
    if deck_id is None:
        raise deck_not_found(deck_name)
    return deck_id


def find_note(col: Collection, note_id: Any) -> Note:
    """The saved note with this id, or ``Note was not found: <id>``."""
    from anki.errors import NotFoundError

    if not isinstance(note_id, int) or isinstance(note_id, bool) or note_id <= 0:
        raise note_not_found(note_id)
    try:
        return col.get_note(note_id)  # type: ignore[arg-type]
    except NotFoundError:
        raise note_not_found(note_id) from None


def set_note_fields(
    note: Note, fields: dict[str, Any], *, case_sensitive: bool, at: ParamPath
) -> None:
    """Copy ``fields`` into ``note``; names the note type lacks are silently ignored (§E.2).

    With ``case_sensitive`` false a name matches the field whose name is equal
    ignoring case, as in addNote and canAdd*. A value for a field of the note must
    be a string; anything else is refused with the dispatcher's wrong-type text
    naming the field (``at`` says where the note is), before the note changes.
    """
    if case_sensitive:
        index_by_name = {name: index for index, name in enumerate(note.keys())}
        matched = [
            (name, index_by_name[name], value) for name, value in fields.items() if name in note
        ]
    else:
        index_by_folded = {name.lower(): index for index, name in enumerate(note.keys())}
        matched = [
            (name, index_by_folded[str(name).lower()], value)
            for name, value in fields.items()
            if str(name).lower() in index_by_folded
        ]
    for given, _index, value in matched:
        if not isinstance(value, str):
            where = f"{at.param}['fields'][{given!r}]"
            raise param_type_error(at.action, where, "string", value)
    for _given, index, value in matched:
        note.fields[index] = value


def note_tags(tags: Any) -> list[str]:
    """The ``tags`` of a note object as a list (§E.4).

    A list is used as given; a single string is split on spaces (`"ab cd"` is the
    tags `ab` and `cd`, as Anki reads a tag string; the original made one tag per
    character, see docs/compatibility.md); null means no tags.
    """
    if tags is None:
        return []
    if isinstance(tags, str):
        return tags.split()
    return list(tags)


def new_note(
    col: Collection, params: dict[str, Any], *, case_sensitive_fields: bool, at: ParamPath
) -> NoteDraft:
    """An unsaved note built from a note object: model, deck, fields, tags. No checks.

    Lookups happen in the original's order: model, then deck, then ``fields``
    (a missing key raises ``KeyError`` whose text is the quoted key).
    """
    notetype = find_model(col, params["modelName"])
    deck_name = params["deckName"]
    deck_id = find_deck_id(col, deck_name)
    note = col.new_note(notetype)
    set_note_fields(note, params["fields"], case_sensitive=case_sensitive_fields, at=at)
    if "tags" in params:
        note.tags = note_tags(params["tags"])
    return NoteDraft(note=note, deck_id=deck_id, deck_name=deck_name)


def parse_options(options: Any) -> NoteOptions:
    """Read ``options`` with the original's type checks (§A.9); null means defaults."""
    if options is None:
        return NoteOptions()
    allow_duplicate = options.get("allowDuplicate", False)
    if not isinstance(allow_duplicate, bool):
        raise ActionError('option parameter "allowDuplicate" must be boolean')
    scope_options = options.get("duplicateScopeOptions") or {}
    check_children = scope_options.get("checkChildren", False)
    if not isinstance(check_children, bool):
        raise ActionError('option parameter "duplicateScopeOptions.checkChildren" must be boolean')
    check_all_models = scope_options.get("checkAllModels", False)
    if not isinstance(check_all_models, bool):
        raise ActionError('option parameter "duplicateScopeOptions.checkAllModels" must be boolean')
    return NoteOptions(
        allow_duplicate=allow_duplicate,
        scope=DuplicateScope(
            deck_scope=options.get("duplicateScope") == "deck",
            deck_name=scope_options.get("deckName"),
            check_children=check_children,
            check_all_models=check_all_models,
        ),
    )


def check_note(
    col: Collection,
    draft: NoteDraft,
    options: NoteOptions,
    batch: BatchDuplicates | None = None,
) -> None:
    """Raise the spec's error if the note cannot be added (§E.1).

    ``batch`` holds the notes accepted earlier in the same addNotes call, which the
    original (adding one note at a time) would already find in the collection.
    """
    from anki.notes import NoteFieldsCheckResult

    scope = options.scope
    if scope.uses_custom_check:
        if not str(draft.note.fields[0]).strip():
            raise ActionError(EMPTY_ERROR)
        duplicate = is_duplicate_in_scope(col, draft, scope, batch)
    else:
        state = fast_fields_check(col, draft)
        if state is None:
            state = draft.note.fields_check()
        if state == NoteFieldsCheckResult.EMPTY:
            raise ActionError(EMPTY_ERROR)
        if state not in (NoteFieldsCheckResult.NORMAL, NoteFieldsCheckResult.DUPLICATE):
            raise ActionError(UNKNOWN_ERROR)  # the cloze checks (§A.9)
        duplicate = state == NoteFieldsCheckResult.DUPLICATE or (
            batch is not None and batch.has_same_first_field(col, draft)
        )
    if duplicate and not options.allow_duplicate:
        raise ActionError(DUPLICATE_ERROR)


def prepare_note(
    col: Collection,
    params: dict[str, Any],
    *,
    at: ParamPath,
    case_sensitive_fields: bool = False,
    batch: BatchDuplicates | None = None,
) -> NoteDraft:
    """Build and check a note as addNote does before storing its media.

    Raises the first problem found: model, deck, ``fields``, an option type, then
    empty / cloze / duplicate. Has no side effects (canAdd* call only this).
    """
    draft = new_note(col, params, case_sensitive_fields=case_sensitive_fields, at=at)
    options = parse_options(params.get("options"))
    check_note(col, draft, options, batch)
    return draft
