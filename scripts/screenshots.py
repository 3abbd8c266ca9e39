"""Take the screenshots of the docs: the status dialog and the permission dialog.

Starts a real headless Anki with the add-on (tests/e2e/harness.py), sends a few
requests so the status dialog has history to show, opens each dialog inside Anki
through the test-only ``__testEval`` action, saves ``widget.grab()`` as PNG, and closes
the dialog again.

Usage: python scripts/screenshots.py [--out docs/img]
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tests.e2e.harness import (  # noqa: E402  (needs the repo root on sys.path)
    DEFAULT_ADDON_FOLDER,
    AnkiInstance,
    free_port,
)

DEFAULT_PORT = 8765  # the screenshot looks like a real install when this port is free
WEBSITE = "https://flashcards.example.com"

# Run inside Anki by __testEval; `service` and `mw` are in its namespace.
STATUS_CODE = """
from {package}.gui.status import show_status
from aqt.qt import QApplication
dialog = show_status(service)
dialog.refresh()
QApplication.processEvents()
dialog.grab().save({path!r}, "PNG")
dialog.close()
result = [dialog.width(), dialog.height()]
"""

PERMISSION_CODE = """
from {package}.gui.permission import OPEN_DIALOGS, ask_permission
from aqt.qt import QApplication, QMessageBox
ask_permission(mw, {origin!r})
box = OPEN_DIALOGS[-1]
QApplication.processEvents()
box.grab().save({path!r}, "PNG")
box.done(QMessageBox.StandardButton.No.value)
result = [box.width(), box.height()]
"""


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_for_collection(anki: AnkiInstance, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while anki.call("deckNames").get("error") == "collection is not available":
        if time.monotonic() > deadline:
            raise RuntimeError("the collection did not open")
        time.sleep(0.05)


def make_history(anki: AnkiInstance) -> None:
    """A few requests of the kinds the status dialog lists: ok, errors, a refusal."""
    anki.call("version")
    anki.call("findNotes", query="deck:Japanese::Vocabulary")
    note = {"deckName": "Japanese::Vocabulary", "modelName": "Basic", "fields": {"Front": "猫"}}
    anki.call("addNote", note=note)  # a duplicate: an error row
    body = json.dumps({"action": "deckNames", "version": 6}).encode()
    anki.post_raw(body, {"Origin": "moz-extension://4f1c2d3e"})
    anki.post_raw(body, {"Origin": WEBSITE})  # refused: 403
    anki.call("cardsInfo", cards=[1])


def evaluate(anki: AnkiInstance, code: str) -> object:
    reply = anki.call("__testEval", code=code)
    if reply.get("error") is not None:
        raise RuntimeError(reply["error"])
    return reply["result"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "img")
    args = parser.parse_args(argv)
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    port = DEFAULT_PORT if port_is_free(DEFAULT_PORT) else free_port()
    with (
        tempfile.TemporaryDirectory() as base,
        AnkiInstance(Path(base) / "base", port=port) as anki,
    ):
        wait_for_collection(anki)
        make_history(anki)
        package = DEFAULT_ADDON_FOLDER  # the add-on's module is its folder name
        status = out / "status.png"
        size = evaluate(anki, STATUS_CODE.format(package=package, path=str(status)))
        print(f"wrote {status} {size}")
        permission = out / "permission.png"
        code = PERMISSION_CODE.format(package=package, path=str(permission), origin=WEBSITE)
        size = evaluate(anki, code)
        print(f"wrote {permission} {size}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
