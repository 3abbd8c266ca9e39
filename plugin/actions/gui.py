"""Graphical actions (spec §B Graphical): Anki's windows driven over the API.

Every action here runs on Anki's main thread and returns promptly: windows are shown
(never ``exec()``-ed), so a window waiting for the user does not hold up the server.
The Browser actions live in :mod:`.gui_browser`, the deck screens and the reviewer
in :mod:`.gui_review`, guiAddNoteSetData in :mod:`.gui_add_note`; the widgets
themselves in :mod:`plugin.gui`.
"""

from __future__ import annotations

from typing import Any

from ..api.context import ActionContext
from ..api.deferred import Deferred
from ..api.registry import action
from ..notes.builder import (
    ParamPath,
    attach_media,
    find_deck_id,
    find_model,
    note_tags,
    set_note_fields,
)
from . import gui_add_note, gui_browser, gui_review  # noqa: F401  (registers their actions)
from .packages import check_path_caller

# AnkiConnect documents that Anki closes "about a second" after guiExitAnki answers,
# which also leaves time for the reply to reach the client.
EXIT_DELAY_MS = 1000


def _require_collection(ctx: ActionContext) -> None:
    """Raise `collection is not available` when no profile is open."""
    _ = ctx.col


def editor_shown(ctx: ActionContext, value: int, window: Any, what: str) -> Deferred[int]:
    """``value`` once the editor of ``window`` (Add or Edit) shows its note."""
    from ..gui.settle import live_webs, settle

    return settle(ctx, value, what=what, webs=lambda: live_webs(window.editor.web))


@action("gui", runs="gui")
def guiAddCards(ctx: ActionContext, note: dict[str, Any] | None = None) -> Deferred[int]:
    """Open the Add window pre-filled with a note; returns 0 (the unsaved note's id).

    `note` has `deckName`, `modelName`, and optionally `fields`, `tags`, and
    `audio`/`video`/`picture` media objects as in addNote. The window shows that
    deck and note type with the fields and tags filled in; the user still presses
    Add. Field names are matched case-sensitively (unknown names are ignored); media
    files are stored right away. An Add window that is already open is closed and
    replaced. Unknown deck or note type: `deck was not found: <name>` / `model was
    not found: <name>`. The result is the id of the note being edited, which is 0
    until the user adds it (AnkiConnect's README suggests a real id). Answers once
    the window shows the note."""
    from ..gui.add_cards import open_add_cards

    col = ctx.col
    mw = ctx.mw
    if note is None:
        window = open_add_cards(mw)
        note_id = int(window.editor.note.id) if window.editor.note is not None else 0
        return editor_shown(ctx, note_id, window, "the Add window")
    deck_id = find_deck_id(col, note["deckName"])
    notetype = find_model(col, note["modelName"])
    new_note = col.new_note(notetype)
    fields = note.get("fields") or {}
    set_note_fields(new_note, fields, case_sensitive=True, at=ParamPath("guiAddCards", "note"))
    if "tags" in note:
        new_note.tags = note_tags(note["tags"])
    attach_media(ctx, new_note, note)
    window = open_add_cards(mw, new_note, deck_id)
    return editor_shown(ctx, int(window.editor.note.id), window, "the note in the Add window")


@action("gui", runs="gui")
def guiEditNote(ctx: ActionContext, note: int) -> Deferred[None]:
    """Open an Edit window on the note with id `note`.

    The window is like Anki's "Edit Current" window, but has a Preview button
    (previews the note's cards), a Browse button (opens the Browser on them), and
    Back/Forward buttons over the notes it has shown; it has no Close bar. Calling
    it again shows the new note in the same window; answers once the window shows
    it. An unknown id answers Anki's not-found error. (The original fails on current
    Anki with `'Ui_Dialog' object has no attribute 'buttonBox'`; this one opens the
    window as documented.)"""
    from anki.notes import NoteId

    from ..gui.edit_note import open_edit_note
    from ..gui.settle import live_webs, settle

    found = ctx.col.get_note(NoteId(note))
    window = open_edit_note(ctx.mw, found)
    return settle(
        ctx, None, what="the note in the Edit window", webs=lambda: live_webs(window.editor.web)
    )


@action("gui", runs="gui")
def guiUndo(ctx: ActionContext) -> Deferred[bool]:
    """Undo the last collection change, as Edit > Undo does; always true.

    Answers once the undo is done and the main window shows its result (an undone
    answer puts that card back in the reviewer); nothing to undo is not an error."""
    from ..gui.main_window import MainWindowWatch, undo_then
    from ..gui.settle import settle

    _require_collection(ctx)  # undo needs an open collection
    mw = ctx.mw
    watch = MainWindowWatch(mw, rerender=False)
    progress = {"undone": False, "refreshed": False}

    def ready() -> bool:
        if not progress["undone"]:
            return False
        if not progress["refreshed"]:
            progress["refreshed"] = True
            watch.refresh_screen()
        return watch.ready()

    try:
        undo_then(mw, lambda: progress.update(undone=True))
    except BaseException:
        watch.close()
        raise
    return settle(
        ctx, True, what="the undone change", ready=ready, webs=watch.webs, finish=watch.close
    )


@action("gui", runs="gui")
def guiImportFile(ctx: ActionContext, path: str | None = None) -> None:
    """Start Anki's import for the file at `path`, or show a file picker without one.

    The import dialog (or the picker) opens and the action returns at once; the
    user finishes the import. On Windows use forward slashes in `path`. A `path`
    from a caller that sends an Origin is refused unless allowFilePathsFromWeb."""
    from ..gui.importing import choose_file_then_import, import_path

    _require_collection(ctx)  # importing needs an open collection
    if path:
        check_path_caller(ctx, "guiImportFile")
        import_path(ctx.mw, path)
    else:
        choose_file_then_import(ctx.mw)


@action("gui", runs="gui")
def guiExitAnki(ctx: ActionContext) -> None:
    """Close Anki cleanly about a second after answering.

    Anki closes as if the user closed its main window: open editors save, the
    collection is saved and closed, then the process exits. (The original answers
    but, on current Anki, never exits because its timer is garbage-collected.)"""
    mw = ctx.mw
    # progress.single_shot is owned by Qt, so it fires even though no reference is kept
    mw.progress.single_shot(EXIT_DELAY_MS, mw.close, False)


@action("gui", runs="gui")
def guiCheckDatabase(ctx: ActionContext) -> bool:
    """Start Tools > Check Database; true at once (the check runs in the background).

    Anki shows its progress and result; problems found do not change the answer."""
    from aqt.dbcheck import check_db

    _require_collection(ctx)  # the check needs an open collection
    check_db(ctx.mw)
    return True
