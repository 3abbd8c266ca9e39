"""Checks of the e2e harness itself, with a throwaway add-on instead of ours.

The throwaway add-on answers every HTTP request on its configured port with a JSON
description of the running Anki (pid, profile, decks, env), so these tests prove: start-up
without dialogs, config from meta.json, pre-made collection, port wait, unique
single-instance keys, two instances side by side, SIGTERM closing the profile cleanly,
kill -9 and restart, installing from a .ankiaddon, and failing fast with Anki's output.
"""

from __future__ import annotations

import json
import socket
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from . import harness
from .harness import (
    TEST_ADDON_FOLDER,
    AnkiInstance,
    AnkiStartError,
    create_collection,
    install_addon,
    write_prefs,
)

pytestmark = pytest.mark.e2e

PROBE_ADDON = r'''
"""Throwaway add-on for the harness tests: a trivial JSON HTTP server on QTcpServer."""
import json
import os
from pathlib import Path

from aqt import gui_hooks, mw
from PyQt6.QtNetwork import QHostAddress, QTcpServer

_keep = []  # server and sockets must stay referenced
_buffers = {}


def _describe(request):
    return {
        "result": {
            "pid": os.getpid(),
            "profile": mw.pm.name,
            "decks": sorted(d.name for d in mw.col.decks.all_names_and_ids()),
            "notes": mw.col.note_count(),
            "addons": sorted(os.listdir(mw.addonManager.addonsFolder())),
            "instanceKey": os.environ.get("ANKI_SINGLE_INSTANCE_KEY"),
            "config": mw.addonManager.getConfig(__name__),
            "request": request,
        },
        "error": None,
    }


def _on_ready(sock):
    buf = _buffers.get(id(sock), b"") + bytes(sock.readAll())
    _buffers[id(sock)] = buf
    head, sep, body = buf.partition(b"\r\n\r\n")
    if not sep:
        return
    lines = head.decode("latin-1").split("\r\n")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    if len(body) < length:
        return
    del _buffers[id(sock)]
    payload = json.dumps(_describe({"line": lines[0], "body": body.decode()})).encode()
    sock.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(payload)
        + payload
    )
    sock.disconnectFromHost()


def _on_new_connection(server):
    while server.hasPendingConnections():
        sock = server.nextPendingConnection()
        _keep.append(sock)
        sock.readyRead.connect(lambda s=sock: _on_ready(s))
        sock.disconnected.connect(lambda s=sock: (_keep.remove(s), s.deleteLater()))


def _start():
    port = int(mw.addonManager.getConfig(__name__)["webBindPort"])
    server = QTcpServer(mw)
    server.newConnection.connect(lambda: _on_new_connection(server))
    if not server.listen(QHostAddress("127.0.0.1"), port):
        # the line our add-on prints in that case, which the harness watches for
        print("AnkiConnect: AnkiConnect is not running. Port %d is in use." % port)
        return
    _keep.append(server)


def _mark_closed():
    Path(mw.pm.base, "profile-closed-cleanly").write_text(str(os.getpid()))


gui_hooks.profile_did_open.append(_start)
gui_hooks.profile_will_close.append(_mark_closed)
'''


@pytest.fixture(scope="module")
def probe_addon(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("probe") / "probe_addon"
    source.mkdir()
    (source / "__init__.py").write_text(PROBE_ADDON, encoding="utf8")
    (source / "config.json").write_text(json.dumps({"webBindPort": 0, "shipped": True}))
    return source


@pytest.fixture(scope="module")
def pair(
    probe_addon: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[AnkiInstance, AnkiInstance]]:
    """Two instances booted in parallel (they share nothing but the machine)."""
    root = tmp_path_factory.mktemp("pair")
    first = AnkiInstance(root / "a", addon=probe_addon, config={"marker": "a"})
    second = AnkiInstance(root / "b", addon=probe_addon, config={"marker": "b"})
    try:
        first.launch()
        second.launch()
        first.wait_until_ready()
        second.wait_until_ready()
        yield first, second
    finally:
        first.kill()
        second.kill()


def test_boots_headless_without_dialogs_and_answers(
    pair: tuple[AnkiInstance, AnkiInstance],
) -> None:
    anki, _ = pair
    reply = anki.call("describe", version=6, x=1)
    result = reply["result"]
    assert result["pid"] == anki.process.pid
    assert result["profile"] == "User 1"
    assert result["decks"] == ["Default", "Japanese", "Japanese::Vocabulary"]
    assert result["notes"] == 3
    assert TEST_ADDON_FOLDER in result["addons"]  # the test add-on is installed beside
    assert result["instanceKey"] == anki.single_instance_key
    # meta.json config is merged over the add-on's config.json, as Anki does
    assert result["config"] == {"webBindPort": anki.port, "shipped": True, "marker": "a"}
    assert json.loads(result["request"]["body"]) == {
        "action": "describe",
        "params": {"x": 1},
        "version": 6,
    }
    assert anki.boot_seconds is not None and anki.boot_seconds < 30
    assert "Traceback" not in anki.log


def test_two_instances_side_by_side(pair: tuple[AnkiInstance, AnkiInstance]) -> None:
    first, second = pair
    assert first.port != second.port
    assert first.single_instance_key != second.single_instance_key
    one = first.call("describe")["result"]
    two = second.call("describe")["result"]
    assert (one["pid"], two["pid"]) == (first.process.pid, second.process.pid)
    assert (one["config"]["marker"], two["config"]["marker"]) == ("a", "b")
    assert first.url == f"http://127.0.0.1:{first.port}"


def test_post_raw_and_raw_socket_helpers(pair: tuple[AnkiInstance, AnkiInstance]) -> None:
    anki, _ = pair
    status, headers, body = anki.post_raw(b'{"action": "x"}', {"X-Test": "1"})
    assert status == 200
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["result"]["request"]["line"] == "POST / HTTP/1.1"

    request = b"POST /path HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody"
    raw = anki.send_raw([request[:10], request[10:]])
    assert raw.startswith(b"HTTP/1.1 200 OK\r\n")

    with anki.raw_connection() as conn:
        conn.send(request)
        response = conn.read_response()
        assert response.status == 200
        assert response.header("Content-Type") == "application/json"
        assert response.json()["result"]["request"]["body"] == "body"
        assert conn.is_closed_by_peer()


def test_same_instance_key_is_refused_with_output(
    pair: tuple[AnkiInstance, AnkiInstance], probe_addon: Path, tmp_path: Path
) -> None:
    """Why every instance needs its own key: Anki hands over to the running one and exits;
    the harness reports that at once, with Anki's output."""
    running, _ = pair
    clone = AnkiInstance(tmp_path / "clone", addon=probe_addon, collection_setup=None)
    clone.single_instance_key = running.single_instance_key
    started = time.monotonic()
    with pytest.raises(AnkiStartError, match="Already running; reusing existing instance"):
        clone.start()
    assert time.monotonic() - started < 20
    assert clone.process is not None and clone.process.returncode == 0
    assert running.call("describe")["result"]["pid"] == running.process.pid


def test_sigterm_closes_profile_cleanly(pair: tuple[AnkiInstance, AnkiInstance]) -> None:
    _, anki = pair
    started = time.monotonic()
    assert anki.stop() == 0
    elapsed = time.monotonic() - started
    assert (anki.base_dir / "profile-closed-cleanly").read_text() == str(anki.process.pid)
    assert elapsed < 10, f"clean shutdown took {elapsed:.1f}s"
    assert not anki.running


def test_kill_9_then_restart_keeps_collection(
    pair: tuple[AnkiInstance, AnkiInstance],
) -> None:
    anki, _ = pair
    old_pid = anki.process.pid
    assert anki.kill() == -9
    assert not (anki.base_dir / "profile-closed-cleanly").exists()
    anki.start()
    result = anki.call("describe")["result"]
    assert result["pid"] != old_pid
    assert result["notes"] == 3
    assert anki.log.count("=== harness:") == 2  # the log keeps both runs


def test_auto_port_taken_before_anki_binds_it_is_replaced(
    probe_addon: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """free_port() races with other processes; the harness then moves to another port."""
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        taken = blocker.getsockname()[1]
        real_free_port = harness.free_port
        picks = iter([taken])
        monkeypatch.setattr(harness, "free_port", lambda: next(picks, None) or real_free_port())
        anki = AnkiInstance(tmp_path / "base", addon=probe_addon, collection_setup=None)
        assert anki.port == taken
        try:
            anki.start()
            assert anki.port != taken
            assert anki.call("describe")["result"]["config"]["webBindPort"] == anki.port
            assert f"Port {taken} is in use" in anki.log
        finally:
            anki.kill()


def test_installs_from_ankiaddon_file(probe_addon: Path, tmp_path: Path) -> None:
    archive = tmp_path / "probe.ankiaddon"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in probe_addon.iterdir():
            zf.write(path, path.name)
        zf.writestr("manifest.json", json.dumps({"package": "probe", "name": "Probe"}))
    base = tmp_path / "base"
    target = install_addon(base / "addons21", archive, "probe", {"webBindPort": 1234})
    assert sorted(p.name for p in target.iterdir()) == [
        "__init__.py",
        "config.json",
        "manifest.json",
        "meta.json",
    ]
    meta = json.loads((target / "meta.json").read_text())
    assert meta == {"name": "Probe", "config": {"webBindPort": 1234}}


def test_base_folder_without_anki(tmp_path: Path) -> None:
    """prefs21.db is readable by Anki's own ProfileManager code path (pickles in sqlite)."""
    import pickle
    import sqlite3

    write_prefs(tmp_path)
    create_collection(tmp_path)
    db = sqlite3.connect(tmp_path / "prefs21.db")
    rows = dict(db.execute("select name, data from profiles").fetchall())
    db.close()
    assert set(rows) == {"_global", "User 1"}
    meta = pickle.loads(rows["_global"])
    assert meta["firstRun"] is False and meta["defaultLang"] == "en_US"
    assert meta["check_for_updates"] is False and meta["check_for_addon_updates"] is False
    assert pickle.loads(rows["User 1"])["syncKey"] is None
    assert (tmp_path / "User 1" / "collection.anki2").is_file()
