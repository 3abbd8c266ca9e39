"""AnkiConnect's own Edit window for one note (guiEditNote, spec §B Graphical).

Like Anki's "Edit Current" window, but for any note, with:

- a Preview button that previews the note's cards (stepping through all of them),
- a Browse button that opens the Browser on the note's cards,
- Back / Forward buttons over the notes this window has shown,
- no bar with a Close button.

The window is registered with Anki's dialog manager, so only one exists at a time
(opening another note shows it in the same window and adds it to the history) and it
saves its note before the profile closes. It never runs a modal loop: the API
answers while the window stays open.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aqt
import aqt.editor
from anki.cards import Card
from anki.collection import OpChanges, SearchNode
from anki.errors import NotFoundError
from anki.notes import Note, NoteId
from aqt import gui_hooks
from aqt.browser.previewer import MultiCardPreviewer
from aqt.qt import (
    QCloseEvent,
    QDialog,
    QHBoxLayout,
    QKeySequence,
    QPushButton,
    Qt,
    QVBoxLayout,
    QWidget,
    qconnect,
)
from aqt.utils import restoreGeom, saveGeom, tr

from .dialogs import open_instance

DIALOG_NAME = "AnkiConnectEditNote"
GEOMETRY_KEY = "ankiconnect_edit_note"
HISTORY_LIMIT = 100


class NoteHistory:
    """The notes a window has shown, and where Back/Forward currently stand."""

    def __init__(self) -> None:
        self.note_ids: list[NoteId] = []
        self.index = -1

    @property
    def current(self) -> NoteId | None:
        return self.note_ids[self.index] if self.note_ids else None

    def push(self, note_id: NoteId) -> None:
        """Show a new note: forward entries are dropped, as in a web browser."""
        if self.current == note_id:
            return
        del self.note_ids[self.index + 1 :]
        self.note_ids.append(note_id)
        del self.note_ids[:-HISTORY_LIMIT]
        self.index = len(self.note_ids) - 1

    def can_go_back(self) -> bool:
        return self.index > 0

    def can_go_forward(self) -> bool:
        return self.index < len(self.note_ids) - 1

    def forget(self, note_id: NoteId) -> None:
        """Drop a deleted note from the history, keeping the position sensible."""
        while note_id in self.note_ids:
            position = self.note_ids.index(note_id)
            del self.note_ids[position]
            if position <= self.index:
                self.index -= 1
        if self.note_ids:
            self.index = max(self.index, 0)
        else:
            self.index = -1


class NotePreviewer(MultiCardPreviewer):
    """Previews the cards of the window's note; < and > step through them."""

    def __init__(self, window: EditNoteWindow, on_close: Callable[[], None]) -> None:
        super().__init__(parent=None, mw=window.mw, on_close=on_close)
        self._window = window
        self._card_index = 0
        self._last_card_id = 0

    def _cards(self) -> list[Card]:
        note = self._window.editor.note
        return note.cards() if note is not None else []

    def card(self) -> Card | None:
        cards = self._cards()
        if not cards:
            return None
        self._card_index = min(self._card_index, len(cards) - 1)
        return cards[self._card_index]

    def card_changed(self) -> bool:
        card = self.card()
        if card is None:
            return True
        changed = card.id != self._last_card_id
        self._last_card_id = card.id
        return changed

    def note_changed(self) -> None:
        """The window now shows another note: start again at its first card."""
        self._card_index = 0
        self.render_card()

    def _on_prev_card(self) -> None:
        if self._card_index > 0:
            self._card_index -= 1
            self.render_card()

    def _on_next_card(self) -> None:
        if self._card_index < len(self._cards()) - 1:
            self._card_index += 1
            self.render_card()

    def _should_enable_prev(self) -> bool:
        return super()._should_enable_prev() or self._card_index > 0

    def _should_enable_next(self) -> bool:
        return super()._should_enable_next() or self._card_index < len(self._cards()) - 1

    def _render_scheduled(self) -> None:
        super()._render_scheduled()
        self._updateButtons()


class EditNoteWindow(QDialog):
    """A non-modal window editing one note at a time (created by the dialog manager)."""

    def __init__(self, mw: Any, note: Note) -> None:
        super().__init__(None, Qt.WindowType.Window)
        self.mw = mw
        self.col = mw.col
        self.history = NoteHistory()
        self.previewer: NotePreviewer | None = None
        self._closed = False
        self.setWindowTitle("Edit")
        self.setMinimumHeight(400)
        self.setMinimumWidth(250)
        self._build_layout()
        self.editor = aqt.editor.Editor(
            mw, self.fields_area, self, editor_mode=aqt.editor.EditorMode.EDIT_CURRENT
        )
        gui_hooks.operation_did_execute.append(self.on_operation_did_execute)
        restoreGeom(self, GEOMETRY_KEY)
        self.history.push(note.id)
        self._load(note)
        self.show()

    # --- layout -------------------------------------------------------------------

    def _build_layout(self) -> None:
        layout = QVBoxLayout()
        layout.setContentsMargins(0, 0, 0, 0)
        self.fields_area = QWidget(self)
        layout.addWidget(self.fields_area, 1)

        buttons = QHBoxLayout()
        buttons.setContentsMargins(6, 0, 6, 6)
        self.preview_button = self._button(tr.actions_preview(), self.on_preview)
        self.preview_button.setShortcut(QKeySequence("Ctrl+Shift+P"))
        self.browse_button = self._button(tr.qt_misc_browse(), self.on_browse)
        self.browse_button.setShortcut(QKeySequence("Ctrl+B"))
        self.back_button = self._button("<", self.on_back)
        self.back_button.setToolTip("Previous note in this window's history")
        self.back_button.setShortcut(QKeySequence("Alt+Left"))
        self.forward_button = self._button(">", self.on_forward)
        self.forward_button.setToolTip("Next note in this window's history")
        self.forward_button.setShortcut(QKeySequence("Alt+Right"))
        buttons.addWidget(self.preview_button)
        buttons.addWidget(self.browse_button)
        buttons.addStretch(1)
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.forward_button)
        layout.addLayout(buttons)
        self.setLayout(layout)

    def _button(self, label: str, slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(label, self)
        button.setAutoDefault(False)
        qconnect(button.clicked, slot)
        return button

    def _update_buttons(self) -> None:
        self.back_button.setEnabled(self.history.can_go_back())
        self.forward_button.setEnabled(self.history.can_go_forward())

    # --- showing notes --------------------------------------------------------------

    @property
    def note(self) -> Note | None:
        return self.editor.note

    def _load(self, note: Note) -> None:
        cards = note.cards()
        self.editor.card = cards[0] if cards else None
        self.editor.set_note(note, focusTo=0)
        self._update_buttons()
        if self.previewer is not None:
            self.previewer.note_changed()

    def reopen(self, _mw: Any, note: Note) -> None:
        """guiEditNote again while open: save the current note, then show ``note``."""

        def show() -> None:
            if self._closed:
                return
            self.history.push(note.id)
            self._load(note)

        self.editor.call_after_note_saved(show)

    def _go_to(self, step: int) -> None:
        def move() -> None:
            while 0 <= self.history.index + step < len(self.history.note_ids):
                self.history.index += step
                note_id = self.history.note_ids[self.history.index]
                try:
                    note = self.col.get_note(note_id)
                except NotFoundError:
                    self.history.forget(note_id)  # deleted since: skip it
                    continue
                self._load(note)
                return
            self._update_buttons()

        self.editor.call_after_note_saved(move)

    def on_back(self) -> None:
        self._go_to(-1)

    def on_forward(self) -> None:
        self._go_to(+1)

    def on_browse(self) -> None:
        note = self.note
        if note is None:
            return
        search = (SearchNode(nid=note.id),)
        self.editor.call_after_note_saved(
            lambda: aqt.dialogs.open("Browser", self.mw, search=search)
        )

    def on_preview(self) -> None:
        if self.previewer is not None:
            self.previewer.close()
            return

        def forget_previewer() -> None:
            self.previewer = None

        def open_previewer() -> None:
            self.previewer = NotePreviewer(self, forget_previewer)
            self.previewer.open()

        self.editor.call_after_note_saved(open_previewer)

    def on_operation_did_execute(self, changes: OpChanges, handler: object | None) -> None:
        """Follow edits made elsewhere; close if our note was deleted."""
        note = self.note
        if self._closed or note is None or handler is self.editor or not changes.note_text:
            return
        try:
            note.load()
        except NotFoundError:
            self.history.forget(note.id)
            self._cleanup()
            self.close()
            return
        self.editor.set_note(note)
        if self.previewer is not None:
            self.previewer.render_card()

    # --- closing ---------------------------------------------------------------------

    def _cleanup(self) -> None:
        if self._closed:
            return
        self._closed = True
        gui_hooks.operation_did_execute.remove(self.on_operation_did_execute)
        if self.previewer is not None:
            self.previewer.close()
        self.editor.cleanup()
        saveGeom(self, GEOMETRY_KEY)
        aqt.dialogs.markClosed(DIALOG_NAME)
        self.mw.deferred_delete_and_garbage_collect(self)

    def _finish_close(self, then: Callable[[], None] | None = None) -> None:
        if not self._closed:
            self._cleanup()
            self.close()
        if then is not None:
            then()

    def closeEvent(self, event: QCloseEvent | None) -> None:
        if self._closed:
            if event is not None:
                event.accept()
            return
        # save what the user typed last, then close for real
        if event is not None:
            event.ignore()
        self.editor.call_after_note_saved(self._finish_close)

    def reject(self) -> None:
        """Escape closes through closeEvent, so the note is saved first."""
        self.close()

    def closeWithCallback(self, callback: Callable[[], None]) -> None:
        """Used by Anki's dialog manager when the profile closes."""
        if self._closed:
            callback()
            return
        self.editor.call_after_note_saved(lambda: self._finish_close(callback))


def open_edit_note(mw: Any, note: Note) -> EditNoteWindow:
    """Show ``note`` in the (single) edit window, creating the window if needed."""
    # register_dialog replaces the entry: keep an existing window when re-registering
    aqt.dialogs.register_dialog(DIALOG_NAME, EditNoteWindow, open_instance(DIALOG_NAME))
    return aqt.dialogs.open(DIALOG_NAME, mw, note)
