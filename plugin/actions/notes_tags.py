"""Notes actions about tags (spec §B "Notes", §E.4).

`addTags`/`removeTags` take ONE space-separated string; `updateNoteTags` takes a
list or a single string; the replace actions swap whole tags (Anki's tag rules:
case is ignored when matching). Every change goes through Anki's note/tag API.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..api.context import ActionContext
from ..api.errors import ActionError
from ..api.registry import action
from ..collection.db import database, distinct_ids
from ..notes.builder import find_note

if TYPE_CHECKING:
    from anki.collection import Collection
    from anki.notes import Note


def replace_note_tags(col: Collection, note_id: Any, tags: Any) -> None:
    """Give the note exactly these tags (a tag with spaces becomes several)."""
    if isinstance(tags, str):
        tags = [tags]
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise ActionError("Must provide tags as a list of strings")
    note = find_note(col, note_id)
    note.tags = [word for tag in tags for word in tag.split()]
    col.update_note(note)


@action("notes", loose=("tags",))
def updateNoteTags(ctx: ActionContext, note: int, tags: list[str] | str) -> None:
    """Replace all tags of a note; `tags` is a list of strings or one string.

    A tag containing spaces becomes several tags, as in Anki."""
    replace_note_tags(ctx.col, note, tags)


@action("notes")
def getNoteTags(ctx: ActionContext, note: int) -> list[str]:
    """The tags of one note."""
    return list(find_note(ctx.col, note).tags)


@action("notes")
def addTags(ctx: ActionContext, notes: list[int], tags: str, add: bool = True) -> None:
    """Add space-separated `tags` to the notes (`add: false` removes them instead)."""
    if add:
        ctx.col.tags.bulk_add(distinct_ids(notes), tags)
    else:
        ctx.col.tags.bulk_remove(distinct_ids(notes), tags)


@action("notes")
def removeTags(ctx: ActionContext, notes: list[int], tags: str) -> None:
    """Remove space-separated `tags` from the notes."""
    ctx.col.tags.bulk_remove(distinct_ids(notes), tags)


@action("notes")
def getTags(ctx: ActionContext) -> list[str]:
    """Every tag known to the collection."""
    return list(ctx.col.tags.all())


@action("notes")
def clearUnusedTags(ctx: ActionContext) -> None:
    """Forget the tags that no note uses any more."""
    ctx.col.tags.clear_unused_tags()


@action("notes")
def replaceTags(
    ctx: ActionContext, notes: list[int], tag_to_replace: str, replace_with_tag: str
) -> None:
    """In the given notes, replace the tag `tag_to_replace` by `replace_with_tag`.

    Unknown note ids are skipped. The param names are snake_case, as in the original."""
    col = ctx.col
    _replace_tag(col, _existing_notes(col, notes), tag_to_replace, replace_with_tag)


@action("notes")
def replaceTagsInAllNotes(ctx: ActionContext, tag_to_replace: str, replace_with_tag: str) -> None:
    """In every note, replace the tag `tag_to_replace` by `replace_with_tag`."""
    col = ctx.col
    wanted = tag_to_replace.lower()
    note_ids = [
        note_id
        for note_id, tags in database(col).execute("select id, tags from notes")
        if wanted in (tag.lower() for tag in tags.split())
    ]
    _replace_tag(col, _existing_notes(col, note_ids), tag_to_replace, replace_with_tag)


def _existing_notes(col: Collection, note_ids: Iterable[int]) -> list[Note]:
    from anki.errors import NotFoundError

    found = []
    for note_id in note_ids:
        try:
            found.append(col.get_note(note_id))  # type: ignore[arg-type]
        except NotFoundError:
            continue
    return found


def _replace_tag(col: Collection, notes: list[Note], old: str, new: str) -> None:
    changed = []
    for note in notes:
        if note.has_tag(old):
            note.remove_tag(old)
            note.add_tag(new)
            changed.append(note)
    if changed:
        col.update_notes(changed)
