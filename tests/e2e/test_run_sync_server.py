"""`make run RUN_ARGS=--sync-server`: the demo Anki beside a local sync server, logged in."""

from __future__ import annotations

import contextlib
import http.client
import json
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from .harness import REPO_ROOT, free_port
from .support import wait_for


def call(port: int, action: str, **params: Any) -> Any:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        body = {"action": action, "version": 6, "params": params}
        connection.request("POST", "/", json.dumps(body).encode())
        return json.loads(connection.getresponse().read())
    finally:
        connection.close()


def answers(port: int) -> bool:
    with contextlib.suppress(OSError, http.client.HTTPException, ValueError):
        return call(port, "deckNames")["error"] is None
    return False


def listening(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


def test_demo_profile_syncs_with_the_local_server_which_stops_with_anki(tmp_path: Path) -> None:
    port, sync_port = free_port(), free_port()
    command = [sys.executable, str(REPO_ROOT / "scripts" / "run_anki.py")]
    command += ["--base", str(tmp_path / "demo"), "--port", str(port), "--headless"]
    command += ["--sync-server", "--sync-port", str(sync_port)]
    with open(tmp_path / "run.log", "wb") as log:
        runner = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: answers(port) or runner.poll() is not None, timeout=90, what="Anki")
        assert runner.poll() is None, (tmp_path / "run.log").read_text()
        added = call(
            port,
            "addNote",
            note={
                "deckName": "Default",
                "modelName": "Basic",
                "fields": {"Front": "synced demo", "Back": ""},
            },
        )
        assert added["error"] is None
        # logged in, and its first sync (the demo collection's upload) already done
        assert call(port, "sync") == {"result": None, "error": None}
        assert listening(sync_port)
    finally:
        runner.send_signal(signal.SIGTERM)  # passed on to Anki, which closes cleanly
        code = runner.wait(60)
    assert code == 0, (tmp_path / "run.log").read_text()
    assert not listening(sync_port)  # the server stopped with Anki
    log = (tmp_path / "demo" / "sync-server" / "sync-server.log").read_text()
    assert "/sync/applyChanges" in log or "/sync/start" in log  # the sync reached it
