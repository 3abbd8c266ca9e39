"""The `requestPermission` dialog: may this website use AnkiConnect?

Unlike the original's modal box, the dialog does not block: the server keeps
answering other clients while it is open, and the waiting request is answered
when the user decides.
"""

from __future__ import annotations

from typing import Any

from aqt.qt import QCheckBox, QMessageBox, Qt

from ..api.deferred import Deferred

TITLE = "A website wants to access to Anki"
# Open dialogs, kept referenced until answered (tests find them here too).
OPEN_DIALOGS: list[QMessageBox] = []
# One question per origin: a page that asks again while the dialog is open waits
# for the same answer instead of stacking another always-on-top dialog.
_PENDING: dict[str, Deferred[tuple[bool, bool]]] = {}


def ask_permission(parent: Any, origin: str) -> Deferred[tuple[bool, bool]]:
    """Resolve to (allowed, ignore_further_requests) once the user answers."""
    pending = _PENDING.get(origin)
    if pending is not None and not pending.done:
        return pending
    answer: Deferred[tuple[bool, bool]] = Deferred()
    _PENDING[origin] = answer
    box = QMessageBox(parent)
    box.setWindowTitle(TITLE)
    box.setIcon(QMessageBox.Icon.Question)
    box.setText(
        f'"{origin}" would like to use AnkiConnect to read and change your Anki '
        "collection.\n\nAllow this origin? Only say yes if you trust it."
    )
    box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    box.setDefaultButton(QMessageBox.StandardButton.No)
    checkbox = QCheckBox(f'Ignore further requests from "{origin}"', box)
    box.setCheckBox(checkbox)
    box.setWindowFlags(box.windowFlags() | Qt.WindowType.WindowStaysOnTopHint)
    box.setModal(False)

    def finished(result: int) -> None:
        if box in OPEN_DIALOGS:
            OPEN_DIALOGS.remove(box)
        if _PENDING.get(origin) is answer:
            del _PENDING[origin]
        allowed = result == QMessageBox.StandardButton.Yes.value or (
            box.clickedButton() is box.button(QMessageBox.StandardButton.Yes)
        )
        answer.resolve((allowed, checkbox.isChecked()))

    box.finished.connect(finished)
    OPEN_DIALOGS.append(box)
    box.show()
    box.raise_()
    return answer
