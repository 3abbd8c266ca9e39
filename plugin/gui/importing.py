"""Anki's import flow without modal loops (guiImportFile, spec §B Graphical).

Anki's own entry points block in places (``getFile`` and the "replace your
collection?" question run ``exec()``, an unsupported file shows a modal warning).
A request must never wait for the user, so the same steps are driven here with
windows that are shown and answer through callbacks; the import dialogs themselves
(Anki's ImportDialog, CollectionOp progress) are already non-blocking.
"""

from __future__ import annotations

import os
from typing import Any

from anki.lang import without_unicode_isolation
from aqt.import_export.importing import (
    IMPORTERS,
    ColpkgImporter,
    all_accepted_file_endings,
)
from aqt.qt import QFileDialog, QMessageBox, qconnect
from aqt.utils import MessageBox, tr

# windows we show must stay referenced until the user answers
_open_windows: list[Any] = []


def _keep(window: Any) -> None:
    _open_windows.append(window)

    def release(*_: Any) -> None:
        if window in _open_windows:
            _open_windows.remove(window)

    qconnect(window.finished, release)


def import_path(mw: Any, path: str) -> None:
    """Start importing ``path`` the way File > Import does, without blocking."""
    filename = os.path.basename(path).lower()
    for importer in IMPORTERS:
        if not importer.can_import(filename):
            continue
        if importer is ColpkgImporter:
            _confirm_collection_replace(mw, path)
        else:
            importer.do_import(mw, path)
        return
    _keep(MessageBox("Unsupported file type.", icon=QMessageBox.Icon.Warning, parent=mw))


def _confirm_collection_replace(mw: Any, path: str) -> None:
    def answered(choice: int) -> None:
        if choice == 0:
            ColpkgImporter._import(mw, path)

    box = MessageBox(
        tr.importing_this_will_delete_your_existing_collection(),
        callback=answered,
        icon=QMessageBox.Icon.Warning,
        buttons=[QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No],
        default_button=1,
        parent=mw,
    )
    _keep(box)


def choose_file_then_import(mw: Any) -> QFileDialog:
    """Show a file picker; the chosen file is imported once the user accepts."""
    endings = " ".join(f"*{ending}" for ending in sorted(all_accepted_file_endings(mw)))
    name_filter = without_unicode_isolation(tr.importing_all_supported_formats(val=f"({endings})"))
    dialog = QFileDialog(mw, tr.actions_import())
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    dialog.setNameFilter(name_filter)
    profile = mw.pm.profile or {}
    start_dir = profile.get("importDirectory", "")
    if start_dir and os.path.isdir(start_dir):
        dialog.setDirectory(start_dir)

    def accepted() -> None:
        files = dialog.selectedFiles()
        if not files:
            return
        if mw.pm.profile is not None:
            mw.pm.profile["importDirectory"] = os.path.dirname(files[0])
        import_path(mw, files[0])

    qconnect(dialog.accepted, accepted)
    _keep(dialog)
    dialog.open()
    return dialog
