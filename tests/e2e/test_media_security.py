"""Media and file access against real Anki: names never leave the media folder, `path`
reads follow mediaAllowPath, `url` downloads follow mediaAllowUrl, the size cap and
the time-out, and package paths fail with clear errors.

Everything is checked on disk, with decoy files outside the media folder. Downloads
come from a local HTTP server on 127.0.0.1 started by the test (no other network).
"""

from __future__ import annotations

import base64
import http.server
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .harness import AnkiInstance, stop_all
from .support import anki_eval, http_request, json_body

SECRET = b"TOP SECRET " + uuid.uuid4().hex.encode()
STALL_SECONDS = 5.0


# --------------------------------------------------------------------------- fixtures


class _Handler(http.server.BaseHTTPRequestHandler):
    anki_port = 0
    stop = threading.Event()
    stall_started = threading.Event()

    def log_message(self, *args: Any) -> None:  # keep the test output clean
        pass

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802  (http.server's name)
        routes = {
            "/small": lambda: self._send(200, b"small file", {"Content-Length": "10"}),
            "/big": lambda: self._send(200, b"x" * 5000, {"Content-Length": "5000"}),
            "/big-stream": self._big_stream,
            "/stall": self._stall,
            "/trickle": self._trickle,
            "/redirect-file": lambda: self._send(302, b"", {"Location": "file:///etc/hostname"}),
            "/redirect-self": lambda: self._send(
                302, b"", {"Location": f"http://127.0.0.1:{self.anki_port}/"}
            ),
            "/redirect-ok": lambda: self._send(302, b"", {"Location": "/small"}),
            "/missing": lambda: self._send(404, b"no", {"Content-Length": "2"}),
        }
        routes.get(self.path, routes["/missing"])()

    def _big_stream(self) -> None:
        # no Content-Length: the size is only known by reading
        self.send_response(200)
        self.end_headers()
        for _ in range(50):
            self.wfile.write(b"y" * 100)
        self.close_connection = True

    def _stall(self) -> None:
        self.stall_started.set()
        self.stop.wait(STALL_SECONDS)

    def _trickle(self) -> None:
        # a byte every 0.3 s: no single read waits longer than webTimeout
        self.send_response(200)
        self.send_header("Content-Length", "20")
        self.end_headers()
        for _ in range(20):
            if self.stop.wait(0.3):
                return
            self.wfile.write(b"z")
            self.wfile.flush()


@pytest.fixture(scope="module")
def media_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        _Handler.stop.set()
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def private(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, AnkiInstance]]:
    """Two instances booted in parallel: "strict" (no path, no url) and "tight"
    (path always, 1,000-byte downloads, 1 s time-out)."""
    configs = {
        "strict": {"mediaAllowPath": "never", "mediaAllowUrl": False},
        "tight": {"mediaAllowPath": "always", "mediaMaxDownloadSize": 1000, "webTimeout": 1000},
    }
    instances = {
        name: AnkiInstance(tmp_path_factory.mktemp(name) / "base", config=config)
        for name, config in configs.items()
    }
    try:
        for instance in instances.values():
            instance.launch()
        for instance in instances.values():
            instance.wait_until_ready()
        yield instances
    finally:
        stop_all(instances.values())


@pytest.fixture(scope="module")
def decoys(anki: AnkiInstance, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Secret files outside the media folder: next to the collection, and elsewhere."""
    outside = tmp_path_factory.mktemp("decoy") / "secret.txt"
    outside.write_bytes(SECRET)
    beside = anki.collection_path.parent / "decoy.txt"
    beside.write_bytes(SECRET)
    return {"outside": outside, "beside": beside}


def media_dir(instance: AnkiInstance) -> str:
    return instance.invoke("getMediaDirPath")


def store(instance: AnkiInstance, headers: dict[str, str] | None = None, **params: Any) -> Any:
    """storeMediaFile over HTTP with optional extra headers; the decoded reply."""
    raw = instance.send_raw(http_request(instance, json_body("storeMediaFile", **params), headers))
    assert raw.startswith(b"HTTP/1.1 200 OK\r\n"), raw[:200]
    return json.loads(raw.partition(b"\r\n\r\n")[2])


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def files_with(root: Path, marker: bytes) -> set[str]:
    """Every file under ``root`` whose content contains ``marker``."""
    found = set()
    for folder, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            if not os.path.isfile(path) or os.path.islink(path):
                continue  # FIFOs (other tests make some) would block open()
            try:
                with open(path, "rb") as file:
                    if marker in file.read():
                        found.add(os.path.realpath(path))
            except OSError:
                pass
    return found


# --------------------------------------------------------------------------- names

ESCAPING_NAMES = [
    "../{stem}.txt",
    "../../{stem}.txt",
    "../../../../../../tmp/{stem}.txt",
    "/tmp/{stem}.txt",
    "..\\{stem}.txt",
    "..\\..\\{stem}.txt",
    "sub/{stem}.txt",
    "....//{stem}.txt",
    "%2e%2e%2f{stem}.txt",
    "..\uff0f{stem}.txt",  # fullwidth solidus
    "\u2024\u2024/{stem}.txt",  # one-dot leaders
    "{stem}.txt\x00.png",
    "./{stem}.txt",
    "~/{stem}.txt",
    "file:///tmp/{stem}.txt",
    "CON",
    "{stem}" + "a" * 300 + ".txt",
]
INVALID_NAMES = ["", ".", "..", "/", "\\", "../", "./", "\x00", "[]"]


def test_stored_names_never_escape_the_media_folder(anki: AnkiInstance) -> None:
    folder = os.path.realpath(media_dir(anki))
    stem = f"esc{uuid.uuid4().hex[:8]}"
    marker = f"escape-marker-{stem}".encode()
    stored = []
    for template in ESCAPING_NAMES:
        reply = store(anki, filename=template.format(stem=stem), data=b64(marker))
        if reply["error"] is not None:
            continue
        name = reply["result"]
        assert "/" not in name and "\\" not in name and name not in ("", ".", ".."), name
        path = os.path.realpath(os.path.join(folder, name))
        assert os.path.dirname(path) == folder and os.path.isfile(path), name
        stored.append(name)
    assert stored, "the sanitised names should still be stored"
    # on disk: the content exists only inside the media folder
    # (a store over an equal sanitised name moves the older file to Anki's media trash)
    allowed = {folder, os.path.realpath(anki.collection_path.parent / "media.trash")}
    for path in files_with(anki.base_dir.parent, marker):
        assert os.path.dirname(path) in allowed, f"{path} is outside the media folder"
    assert not [name for name in os.listdir("/tmp") if stem in name]
    for name in stored:
        anki.invoke("deleteMediaFile", filename=name)


def test_names_that_are_not_files_are_refused_and_the_folder_survives(anki: AnkiInstance) -> None:
    folder = media_dir(anki)
    canary = f"canary{uuid.uuid4().hex[:8]}.txt"
    anki.invoke("storeMediaFile", filename=canary, data=b64(b"canary"))
    for name in INVALID_NAMES:
        reply = store(anki, filename=name, data=b64(b"x"))
        if reply["error"] is None:  # Anki made a plain name of it ("." -> "._")
            stored = reply["result"]
            assert os.path.isfile(os.path.join(folder, stored)) and "/" not in stored, name
            anki.invoke("deleteMediaFile", filename=stored)
        # deleting "" would hand "" to Anki's trash call: the whole media folder
        if name != "[]":
            assert "invalid media file name" in anki.call("deleteMediaFile", filename=name)["error"]
        assert anki.call("retrieveMediaFile", filename=name)["result"] in (False, None)
    assert os.path.isfile(os.path.join(folder, canary))
    assert anki.invoke("retrieveMediaFile", filename=canary) == b64(b"canary")
    anki.invoke("deleteMediaFile", filename=canary)


def test_retrieve_and_delete_never_reach_decoys(
    anki: AnkiInstance, decoys: dict[str, Path]
) -> None:
    profile = anki.collection_path.parent
    names = [
        "../decoy.txt",
        "..\\decoy.txt",
        "....//decoy.txt",
        "%2e%2e/decoy.txt",
        f"../../{profile.name}/decoy.txt",
        str(decoys["beside"]),
        str(decoys["outside"]),
        f"file://{decoys['outside']}",
        "../collection.anki2",
        "../../prefs21.db",
        "/etc/passwd",
        "/proc/self/environ",
    ]
    for name in names:
        reply = anki.call("retrieveMediaFile", filename=name)
        assert reply["result"] in (False, None), (name, str(reply)[:100])
        assert b64(SECRET) not in json.dumps(reply)
    for name in names:
        anki.call("deleteMediaFile", filename=name)
    assert decoys["beside"].read_bytes() == SECRET
    assert decoys["outside"].read_bytes() == SECRET
    assert anki.collection_path.exists() and (anki.base_dir / "prefs21.db").exists()
    assert anki.call("version") == {"result": 6, "error": None}


@pytest.mark.parametrize(
    "pattern", ["../*", "../../*", "/*", "/etc/*", "**", "**/*", "*/../*", "[.][.]/*", "../**/*"]
)
def test_listing_never_shows_files_outside_the_media_folder(
    anki: AnkiInstance, pattern: str
) -> None:
    folder = media_dir(anki)
    names = anki.invoke("getMediaFilesNames", pattern=pattern)
    for name in names:
        assert os.path.isfile(os.path.join(folder, name)), name
    assert "collection.anki2" not in names and "decoy.txt" not in names


# --------------------------------------------------------------------------- path


def test_path_is_read_for_a_local_tool_only(anki: AnkiInstance, decoys: dict[str, Path]) -> None:
    secret = str(decoys["outside"])
    name = f"local{uuid.uuid4().hex[:8]}.txt"
    # a local tool (no Origin, loopback): allowed under the default "local"
    assert store(anki, filename=name, path=secret) == {"result": name, "error": None}
    assert anki.invoke("retrieveMediaFile", filename=name) == b64(SECRET)
    anki.invoke("deleteMediaFile", filename=name)
    # a web page, even an allowed one, may not read the host's files
    for origin in ("http://localhost", "http://127.0.0.1:3000", "chrome-extension://abcdef"):
        reply = store(anki, {"Origin": origin}, filename=name, path=secret)
        assert reply["result"] is None
        assert "only allowed for local tools" in reply["error"]
    assert anki.invoke("getMediaFilesNames", pattern=name) == []
    # the in-process API is a local caller too
    code = (
        f"result = mw.ankiconnect.invoke('storeMediaFile', "
        f"{{'filename': {name!r}, 'path': {secret!r}}})"
    )
    assert anki_eval(anki, code) == {"result": name, "error": None}
    anki.invoke("deleteMediaFile", filename=name)


def test_note_media_path_from_a_web_page_is_not_read(
    anki: AnkiInstance, decoys: dict[str, Path]
) -> None:
    front = f"media-{uuid.uuid4().hex[:8]}"
    note = {
        "deckName": "Default",
        "modelName": "Basic",
        "fields": {"Front": front, "Back": ""},
        "picture": {"filename": f"{front}.png", "path": str(decoys["outside"]), "fields": ["Back"]},
    }
    raw = anki.send_raw(
        http_request(anki, json_body("addNote", note=note), {"Origin": "http://localhost"})
    )
    note_id = json.loads(raw.partition(b"\r\n\r\n")[2])["result"]
    try:
        info = anki.invoke("notesInfo", notes=[note_id])[0]
        # the note is added carrying the error text instead of the picture (§E.3)
        assert "only allowed for local tools" in info["fields"]["Back"]["value"]
        assert anki.invoke("getMediaFilesNames", pattern=f"{front}*") == []
    finally:
        anki.invoke("deleteNotes", notes=[note_id])


def test_path_never_and_always(private: dict[str, AnkiInstance], decoys: dict[str, Path]) -> None:
    secret = str(decoys["outside"])
    reply = store(private["strict"], filename="never.txt", path=secret)
    assert reply["result"] is None and "disabled by the setting mediaAllowPath" in reply["error"]
    code = "result = mw.ankiconnect.invoke('storeMediaFile', {'filename': 'n.txt', 'path': %r})"
    assert "mediaAllowPath" in anki_eval(private["strict"], code % secret)["error"]
    # "always": even a web page may (the user chose it)
    reply = store(
        private["tight"], {"Origin": "http://localhost"}, filename="always.txt", path=secret
    )
    assert reply == {"result": "always.txt", "error": None}


def test_special_files_fail_fast_instead_of_blocking(anki: AnkiInstance, tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path in ("/dev/zero", "/dev/urandom", str(fifo)):
        started = time.monotonic()
        reply = store(anki, filename="special.bin", path=path)
        assert reply["result"] is None and "is not a regular file" in reply["error"]
        assert time.monotonic() - started < 2
    for path in (str(tmp_path), str(tmp_path / "missing")):
        reply = store(anki, filename="special.bin", path=path)
        assert reply["result"] is None and reply["error"]
    assert anki.invoke("getMediaFilesNames", pattern="special*") == []


# --------------------------------------------------------------------------- url


def test_download_works_from_a_plain_http_server(anki: AnkiInstance, media_server: str) -> None:
    name = f"dl{uuid.uuid4().hex[:8]}.txt"
    assert store(anki, filename=name, url=f"{media_server}/small")["result"] == name
    assert anki.invoke("retrieveMediaFile", filename=name) == b64(b"small file")
    anki.invoke("deleteMediaFile", filename=name)
    name2 = f"dl{uuid.uuid4().hex[:8]}.txt"
    assert store(anki, filename=name2, url=f"{media_server}/redirect-ok")["result"] == name2
    anki.invoke("deleteMediaFile", filename=name2)


def test_only_http_urls_and_never_this_server(anki: AnkiInstance, media_server: str) -> None:
    _Handler.anki_port = anki.port
    refused = {
        "file:///etc/hostname": "only http and https",
        "FILE:///etc/hostname": "only http and https",
        "ftp://127.0.0.1/x": "only http and https",
        "gopher://127.0.0.1:70/x": "only http and https",
        "data:text/plain;base64,eA==": "only http and https",
        "javascript:alert(1)": "only http and https",
        "//127.0.0.1/x": "only http and https",
        "/etc/hostname": "only http and https",
        f"http://127.0.0.1:{anki.port}/": "this AnkiConnect server itself",
        f"http://localhost:{anki.port}/": "this AnkiConnect server itself",
        f"http://[::1]:{anki.port}/": "this AnkiConnect server itself",
        f"http://0.0.0.0:{anki.port}/": "this AnkiConnect server itself",
        # urllib itself refuses to follow a redirect to a non-http scheme
        f"{media_server}/redirect-file": "return code 302",
        f"{media_server}/redirect-self": "this AnkiConnect server itself",
        f"{media_server}/missing": "download failed with return code 404",
        "http://127.0.0.1:99999/": "download failed",
    }
    for url, error in refused.items():
        started = time.monotonic()
        reply = store(anki, filename="url.txt", url=url)
        assert reply["result"] is None and error in reply["error"], (url, reply)
        assert time.monotonic() - started < 3, url
    assert anki.invoke("getMediaFilesNames", pattern="url*") == []


def test_url_disabled_by_setting(private: dict[str, AnkiInstance], media_server: str) -> None:
    reply = store(private["strict"], filename="off.txt", url=f"{media_server}/small")
    assert reply["result"] is None and "disabled by the setting mediaAllowUrl" in reply["error"]


def test_download_size_cap(private: dict[str, AnkiInstance], media_server: str) -> None:
    tight = private["tight"]
    for route in ("/big", "/big-stream"):
        reply = store(tight, filename="big.txt", url=media_server + route)
        assert reply["result"] is None
        assert "larger than 1000 bytes (setting mediaMaxDownloadSize)" in reply["error"]
    assert tight.invoke("getMediaFilesNames", pattern="big*") == []
    assert store(tight, filename="ok.txt", url=f"{media_server}/small")["result"] == "ok.txt"


def test_stalled_download_times_out_and_others_are_served_meanwhile(
    private: dict[str, AnkiInstance], media_server: str
) -> None:
    tight = private["tight"]
    _Handler.stall_started.clear()
    outcome: dict[str, Any] = {}

    def download() -> None:
        started = time.monotonic()
        outcome["reply"] = store(tight, filename="stall.txt", url=f"{media_server}/stall")
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=download)
    thread.start()
    assert _Handler.stall_started.wait(5)
    for _ in range(5):
        started = time.monotonic()
        assert tight.call("version") == {"result": 6, "error": None}
        assert time.monotonic() - started < 0.2
    thread.join(10)
    assert outcome["reply"]["result"] is None and "timed out" in outcome["reply"]["error"]
    assert 0.9 < outcome["seconds"] < 3


def test_trickling_download_is_cut_off_at_the_timeout(
    private: dict[str, AnkiInstance], media_server: str
) -> None:
    started = time.monotonic()
    reply = store(private["tight"], filename="trickle.txt", url=f"{media_server}/trickle")
    elapsed = time.monotonic() - started
    assert reply["result"] is None and elapsed < 3, (reply, elapsed)


# --------------------------------------------------------------------------- packages


def test_package_paths_fail_with_clear_errors(anki: AnkiInstance, tmp_path: Path) -> None:
    decks_before = anki.invoke("deckNames")
    garbage = tmp_path / "garbage.apkg"
    garbage.write_bytes(os.urandom(2048))
    exports = {
        str(tmp_path / "missing" / "x.apkg"): "export directory does not exist",
        str(tmp_path): "export path is a directory",
        "": "path must not be empty",
    }
    for path, error in exports.items():
        reply = anki.call("exportPackage", deck="Default", path=path)
        assert reply["result"] is None and error in reply["error"], (path, reply)
    assert anki.invoke("exportPackage", deck="No Such Deck", path=str(tmp_path / "n.apkg")) is False
    assert not (tmp_path / "n.apkg").exists()
    imports = {
        str(tmp_path / "missing.apkg"): "package file does not exist",
        str(tmp_path): "package path is not a file",
        "/dev/zero": "package path is not a file",
        "": "path must not be empty",
    }
    for path, error in imports.items():
        reply = anki.call("importPackage", path=path)
        assert reply["result"] is None and error in reply["error"], (path, reply)
    started = time.monotonic()
    reply = anki.call("importPackage", path=str(garbage))
    assert reply["result"] is None and reply["error"] and time.monotonic() - started < 5
    assert anki.invoke("deckNames") == decks_before
    # and the good path works
    target = tmp_path / "ok.apkg"
    assert anki.invoke("exportPackage", deck="Default", path=str(target)) is True
    assert target.read_bytes()[:2] == b"PK"
