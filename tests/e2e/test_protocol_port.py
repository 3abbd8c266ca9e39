"""Port already in use (spec §A.1; ours: a warning instead of a modal error): a second
Anki whose port is taken keeps working, and the first one keeps serving.

The second Anki has no server to ask, so a tiny probe add-on installed next to ours
reports from inside it (state, decks, our service's ``listen_error``, an in-process
call) into a file once the profile is open.
"""

from __future__ import annotations

import json
from pathlib import Path

from .harness import AnkiInstance, install_addon
from .support import wait_for

PROBE = """
import json
import os

from aqt import gui_hooks, mw
from aqt.qt import QApplication, QMessageBox, QTimer

OUT = os.path.join(os.path.dirname(__file__), "probe.json")


def _report():
    api = getattr(mw, "ankiconnect", None)
    service = getattr(api, "_service", None)
    data = {
        "state": mw.state,
        "profile": mw.pm.name,
        "listen_error": getattr(service, "listen_error", "no service"),
        "server_is_none": getattr(service, "server", "missing") is None,
        "in_process": api.invoke("deckNames") if api is not None else None,
        "boxes": [
            {"title": w.windowTitle(), "text": w.text(), "modal": w.isModal()}
            for w in QApplication.allWidgets()
            if isinstance(w, QMessageBox) and w.isVisible()
        ],
    }
    with open(OUT + ".tmp", "w", encoding="utf8") as fh:
        json.dump(data, fh)
    os.replace(OUT + ".tmp", OUT)


gui_hooks.profile_did_open.append(lambda: QTimer.singleShot(300, _report))
"""


def test_port_in_use_keeps_anki_working(anki: AnkiInstance, tmp_path: Path) -> None:
    second = AnkiInstance(tmp_path / "second", port=anki.port)
    second.prepare()
    probe_src = tmp_path / "probe_src"
    probe_src.mkdir()
    (probe_src / "__init__.py").write_text(PROBE, encoding="utf8")
    probe_dir = install_addon(second.base_dir / "addons21", probe_src, folder="zz_probe")
    probe_out = probe_dir / "probe.json"
    second.launch()
    try:
        message = (
            f"AnkiConnect: AnkiConnect is not running. Port {anki.port} on 127.0.0.1 is "
            "already in use"
        )
        wait_for(
            lambda: message in second.log or not second.running,
            timeout=60,
            what="the port-in-use message",
        )
        assert second.running, second.log
        assert message in second.log
        wait_for(
            lambda: probe_out.exists() or not second.running, timeout=60, what="the probe report"
        )
        assert second.running, second.log
        report = json.loads(probe_out.read_text(encoding="utf8"))
        assert report["profile"] == "User 1"
        assert report["state"] in ("deckBrowser", "overview", "review")
        assert report["server_is_none"] is True
        assert "already in use" in report["listen_error"]
        assert report["in_process"]["error"] is None
        assert "Default" in report["in_process"]["result"]
        # a warning that does not block Anki (the original shows a modal error)
        [box] = report["boxes"]
        assert box["title"] == "AnkiConnect"
        assert str(anki.port) in box["text"] and not box["modal"]
        assert "Traceback" not in second.log, second.log
        # the first instance still owns the port and answers
        assert anki.call("version") == {"result": 6, "error": None}
        assert anki.invoke("getActiveProfile") == "User 1"
        assert second.running
    finally:
        second.stop()
