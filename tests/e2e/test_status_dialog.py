"""Tools › AnkiConnect…: the status dialog in a real headless Anki."""

from __future__ import annotations

from typing import Any

from .harness import AnkiInstance
from .support import addon_package_expr, anki_eval, wait_for

OPEN_DIALOG = f"""
import sys
status = sys.modules[{addon_package_expr()}.__name__ + ".gui.status"]
dialog = status.show_status(service)
dialog.refresh()
table = dialog.table
result = {{
    "visible": dialog.isVisible(),
    "listening": dialog.listening.text(),
    "key": dialog.key_state.text(),
    "warning": dialog.warning.text(),
    "origins": dialog.origins.toPlainText().splitlines(),
    "rows": [[table.item(r, c).text() for c in range(table.columnCount())]
             for r in range(table.rowCount())],
    "menu": [a.text() for a in mw.form.menuTools.actions()],
}}
"""


def status(anki: AnkiInstance) -> dict[str, Any]:
    return anki_eval(anki, OPEN_DIALOG)


def test_dialog_shows_address_key_origins_and_recent_requests(anki: AnkiInstance) -> None:
    anki.call("deckNames")
    anki.call("noSuchAction")
    shown = status(anki)
    assert shown["visible"]
    assert "AnkiConnect…" in shown["menu"]
    assert f"127.0.0.1:{anki.port}" in shown["listening"]
    assert f"[::1]:{anki.port}" in shown["listening"]
    assert shown["key"] == "not set"
    assert shown["warning"] == ""
    assert shown["origins"] == ["http://localhost"]
    actions = [row[2] for row in shown["rows"]]
    assert "deckNames" in actions and "noSuchAction" in actions
    failed = next(row for row in shown["rows"] if row[2] == "noSuchAction")
    assert failed[4] == "unsupported action"
    ok = next(row for row in shown["rows"] if row[2] == "deckNames")
    assert ok[1] == "(none)" and ok[4] == "ok"


def test_saving_origins_updates_the_config_and_the_server(anki_factory: Any) -> None:
    anki = anki_factory()
    origin = "https://example.org"
    assert anki.post_raw(b'{"action": "version"}', {"Origin": origin})[0] == 403
    status(anki)
    anki_eval(
        anki,
        "import sys\n"
        f"status = sys.modules[{addon_package_expr()}.__name__ + '.gui.status']\n"
        "dialog = status.show_status(service)\n"
        f"dialog.origins.setPlainText('http://localhost\\n{origin}\\n')\n"
        "dialog.save_origins()\n"
        "result = True",
    )
    code, _headers, body = anki.post_raw(b'{"action": "version"}', {"Origin": origin})
    assert (code, body) == (200, b"6")
    saved = wait_for(
        lambda: anki_eval(anki, "result = mw.addonManager.getConfig(service.module)"),
        what="the saved config",
    )
    assert saved["webCorsOriginList"] == ["http://localhost", origin]


def test_warning_when_exposed_without_a_key(anki_factory: Any) -> None:
    anki = anki_factory({"webBindAddress": "0.0.0.0"}, port=None)
    shown = status(anki)
    assert "without an apiKey" in shown["warning"]
    assert "WARNING: listening on 0.0.0.0 without an apiKey" in anki.log
