"""guiAddNoteSetData: change the note of the Add window that is open (spec §B Graphical).

Upstream master (de6e6e1) added it after 25.11.9.0; the next AnkiWeb release carries
it. It never opens a window: without an open Add window the *result* is the object
``{"error": "Add Note dialog is not open", "code": 1}``, not an error.
"""

from __future__ import annotations

from typing import Any, TypedDict

from ..api.context import ActionContext
from ..api.deferred import Deferred
from ..api.registry import action
from ..notes.builder import attach_media, find_deck_id, find_model, note_tags

MediaObject = dict[str, Any]


class AddNoteData(TypedDict, total=False):
    """What to change; every key is optional."""

    deckName: str
    modelName: str
    fields: dict[str, str]
    tags: list[str] | str
    audio: MediaObject | list[MediaObject]
    video: MediaObject | list[MediaObject]
    picture: MediaObject | list[MediaObject]


class AddWindowNotOpen(TypedDict):
    error: str
    code: int


NOT_OPEN_ERROR = "Add Note dialog is not open"


def not_open() -> AddWindowNotOpen:
    return {"error": NOT_OPEN_ERROR, "code": 1}


@action("gui", runs="gui")
def guiAddNoteSetData(
    ctx: ActionContext, note: AddNoteData, append: bool = False
) -> Deferred[bool | AddWindowNotOpen]:
    """Change the note in the Add window that is open; true once the window shows it.

    Effects: changes the open Add window (it never opens one) and may store media
    files. `note` may have `deckName` and `modelName` (they replace the window's
    deck and note type; Anki carries the field contents over to the new type as when
    the user switches it), `fields` and `tags` (they replace the window's values, or
    with `append: true` are added to them: field text is concatenated, `"a"` + `"b"`
    is `"ab"`; tags are added to the existing ones), and `audio`/`video`/`picture`
    media objects as in addNote (stored, their references appended to the fields
    they name). Field names are matched case-sensitively; unknown names are ignored.
    The user still presses Add. No Add window open: the *result* is
    `{"error": "Add Note dialog is not open", "code": 1}`. Unknown deck or note type
    answer `deck was not found: <name>` / `model was not found: <name>`; these and
    the types of `fields` are checked before any media is downloaded."""
    from ..gui.add_cards import change_open_note, open_add_window, redraw_note
    from ..gui.settle import live_webs, settle

    window = open_add_window()
    if window is None:
        answer: Deferred[bool | AddWindowNotOpen] = Deferred()
        answer.resolve(not_open())
        return answer
    col = ctx.col
    notetype_id = int(find_model(col, note["modelName"])["id"]) if "modelName" in note else None
    deck_id = int(find_deck_id(col, note["deckName"])) if "deckName" in note else None
    tags = note_tags(note["tags"]) if "tags" in note else None
    outcome: dict[str, Any] = {}

    def apply() -> None:
        try:
            if open_add_window() is not window:
                outcome["value"] = not_open()  # closed while its input was being saved
                return
            changed = change_open_note(
                window,
                notetype_id=notetype_id,
                deck_id=deck_id,
                fields=dict(note.get("fields") or {}),
                tags=tags,
                append=append,
            )
            attach_media(ctx, changed, dict(note))
            redraw_note(window)
            outcome["value"] = True
        except Exception as exc:  # answered as the request's error
            outcome["error"] = exc

    def applied() -> bool:
        if "error" in outcome:
            raise outcome["error"]
        return "value" in outcome

    if ctx.caller.in_process:
        apply()  # no later answer in process: the editor's note as it is now
        applied()
    else:
        # What the user typed last may still be in the web view only: save it first.
        window.editor.call_after_note_saved(apply)
    return settle(
        ctx,
        True,
        what="the changed note in the Add window",
        ready=applied,
        webs=lambda: live_webs(window.editor.web),
        result=lambda: outcome["value"],
    )
