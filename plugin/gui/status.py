"""Tools › AnkiConnect…: is it listening, who may call it, and what happened lately.

Connection and CORS confusion is the most common complaint about AnkiConnect; this
dialog answers "why does my request fail" without reading logs.
"""

from __future__ import annotations

import time
from typing import Any

from aqt.qt import (
    QAction,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QTimer,
    QVBoxLayout,
)

from ..api.security import is_loopback_host

MENU_TEXT = "AnkiConnect…"
REFRESH_MS = 1000


def add_tools_menu_entry(service: Any) -> QAction:
    mw = service.mw
    menu_action = QAction(MENU_TEXT, mw)
    menu_action.triggered.connect(lambda: show_status(service))
    mw.form.menuTools.addAction(menu_action)
    return menu_action


_open_dialog: StatusDialog | None = None


def show_status(service: Any) -> StatusDialog:
    """Open the dialog, or raise the one already open."""
    global _open_dialog
    if _open_dialog is None or not _open_dialog.isVisible():
        _open_dialog = StatusDialog(service)
    _open_dialog.show()
    _open_dialog.raise_()
    return _open_dialog


def listening_text(service: Any) -> str:
    if service.server is not None:
        return "Listening on " + ", ".join(service.addresses)
    return f"Not listening. {service.listen_error or 'The server has not started.'}"


def warnings_text(settings: Any) -> str:
    if not is_loopback_host(settings.webBindAddress) and not settings.apiKey:
        return (
            f"Warning: bound to {settings.webBindAddress} without an apiKey. Anyone who "
            "can reach this address can read and change your collection."
        )
    return ""


class StatusDialog(QDialog):
    def __init__(self, service: Any) -> None:
        super().__init__(service.mw)
        self.service = service
        self.setWindowTitle("AnkiConnect")
        self.resize(720, 520)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.listening = QLabel()
        self.listening.setWordWrap(True)
        self.key_state = QLabel()
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #c62828")
        self.origins = QPlainTextEdit()
        self.ignored = QPlainTextEdit()
        for editor in (self.origins, self.ignored):
            editor.setMaximumHeight(80)
        form.addRow("Server:", self.listening)
        form.addRow("API key:", self.key_state)
        form.addRow("", self.warning)
        form.addRow("Allowed origins\n(one per line):", self.origins)
        form.addRow("Ignored origins:", self.ignored)
        layout.addLayout(form)
        layout.addWidget(QLabel("Recent requests:"))
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["Time", "Origin", "Action", "ms", "Result"])
        header = self.table.horizontalHeader()
        if header is not None:
            header.setStretchLastSection(True)
        for column, width in enumerate((70, 230, 150, 60)):
            self.table.setColumnWidth(column, width)
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close
        )
        buttons.accepted.connect(self.save_origins)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)
        self.load_origins()
        self.refresh()
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)
        self.timer.start(REFRESH_MS)

    def load_origins(self) -> None:
        settings = self.service.settings
        self.origins.setPlainText("\n".join(settings.webCorsOriginList))
        self.ignored.setPlainText("\n".join(settings.ignoreOriginList))

    def save_origins(self) -> None:
        def lines(editor: QPlainTextEdit) -> list[str]:
            return [line.strip() for line in editor.toPlainText().splitlines() if line.strip()]

        self.service.save_settings(
            {"webCorsOriginList": lines(self.origins), "ignoreOriginList": lines(self.ignored)}
        )
        self.load_origins()

    def refresh(self) -> None:
        settings = self.service.settings
        self.listening.setText(listening_text(self.service))
        self.key_state.setText("set (requests must send it)" if settings.apiKey else "not set")
        self.warning.setText(warnings_text(settings))
        self.warning.setVisible(bool(self.warning.text()))
        records = list(self.service.web.recent)[::-1]
        self.table.setRowCount(len(records))
        for row, record in enumerate(records):
            cells = [
                time.strftime("%H:%M:%S", time.localtime(record.when)),
                record.origin or "(none)",
                record.action or "-",
                f"{record.duration_ms:.1f}",
                record.error or ("ok" if record.status == 200 else str(record.status)),
            ]
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))

    def closeEvent(self, event: Any) -> None:  # noqa: N802  (Qt's name)
        self.timer.stop()
        super().closeEvent(event)
