"""Run a real Anki, headless, as a subprocess with the add-on installed, and talk HTTP to it.

Why a subprocess rather than Anki in-process (pytest-anki2): it exercises the real add-on
loading path (``addons21/<folder>``, ``meta.json`` config, manifest), survives kill -9 tests,
and a crash in Qt cannot take the test runner down. Measured facts are in design.md §5.

Typical use::

    with AnkiInstance(tmp_path / "base", config={"apiKey": "k"}) as anki:
        anki.call("version")          # -> {"result": 6, "error": None}

The building blocks (``write_prefs``, ``create_collection``, ``seed_demo_collection``,
``install_addon``) are also used by ``scripts/run_anki.py``.
"""

from __future__ import annotations

import atexit
import contextlib
import http.client
import importlib.util
import json
import os
import pickle
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
PROFILE_NAME = "User 1"
DEFAULT_ADDON_FOLDER = "ankiconnect_test"
# The test-only add-on (``__testEval``) installed beside ours when test_hooks is on; its
# folder name sorts after ours so Anki loads it second. The product never contains it.
TEST_ADDON_SOURCE = REPO_ROOT / "tests" / "e2e" / "test_addon"
TEST_ADDON_FOLDER = "zz_ankiconnect_test_hooks"
BOOT_TIMEOUT = 60.0  # seconds; a boot takes ~1-2 s here, generous for loaded CI machines
ADDON_IMPORT_FAILED = ", in loadAddons\n"  # traceback line printed by aqt/addons.py
# printed by our add-on (plugin/entry_point.py) when it cannot listen; Anki keeps running
LISTEN_FAILED = "AnkiConnect: AnkiConnect is not running."
STOP_TIMEOUT = 15.0  # seconds between SIGTERM and SIGKILL; a clean close takes ~2 s

CollectionSetup = Callable[[Any], None]  # receives an open anki.collection.Collection


class AnkiStartError(RuntimeError):
    """Anki exited or never answered on its port; the message carries its output."""


class PortInUseError(AnkiStartError):
    """Our add-on could not listen: something else took the port."""


class AnkiConnectError(Exception):
    """A reply whose ``error`` is not null; ``str()`` is the error text."""


# --------------------------------------------------------------------------- base folder


def _int_version() -> int:
    from anki.utils import int_version

    return int_version()


def global_meta() -> dict[str, Any]:
    """Anki's ``_global`` profile row (aqt/profiles.py metaConf) with every first-start
    prompt and network check switched off."""
    now = int(time.time())
    return {
        "ver": 0,
        "updates": False,
        "created": now,
        "id": random.randrange(0, 2**63),
        "lastMsg": 0,
        "suppressUpdate": True,
        "firstRun": False,  # True would show the modal language dialog
        "defaultLang": "en_US",
        "check_for_updates": False,
        "check_for_addon_updates": False,
        "last_addon_update_check": now,
        # same version as the running Anki: no "upgraded" code paths on first start
        "last_run_version": _int_version(),
        "last_loaded_profile_name": PROFILE_NAME,
    }


def profile_conf() -> dict[str, Any]:
    """A profile row like aqt/profiles.py profileConf; syncKey None means no sync on open."""
    return {
        "mainWindowGeom": None,
        "mainWindowState": None,
        "numBackups": 50,
        "lastOptimize": int(time.time()),
        "searchHistory": [],
        "syncKey": None,
        "syncMedia": False,
        "autoSync": False,
        "allowHTML": False,
        "importMode": 1,
        "lastColour": "#00f",
        "stripHTML": True,
        "deleteMedia": False,
    }


def write_prefs(base_dir: Path, profile: str = PROFILE_NAME) -> Path:
    """Create ``prefs21.db`` the way aqt/profiles.py does (sqlite table of pickles)."""
    base_dir.mkdir(parents=True, exist_ok=True)
    path = base_dir / "prefs21.db"
    db = sqlite3.connect(path)
    try:
        db.execute(
            "create table if not exists profiles"
            " (name text primary key collate nocase, data blob not null)"
        )
        rows = [("_global", global_meta()), (profile, profile_conf())]
        db.executemany(
            "insert or replace into profiles values (?, ?)",
            [(name, pickle.dumps(data, protocol=4)) for name, data in rows],
        )
        db.commit()
    finally:
        db.close()
    return path


def read_profile(base_dir: Path, profile: str = PROFILE_NAME) -> dict[str, Any]:
    """A profile's row of ``prefs21.db`` ({} if there is none)."""
    db = sqlite3.connect(base_dir / "prefs21.db")
    try:
        row = db.execute("select data from profiles where name = ?", (profile,)).fetchone()
    finally:
        db.close()
    return dict(pickle.loads(row[0])) if row else {}


def update_profile(
    base_dir: Path, changes: Mapping[str, Any], profile: str = PROFILE_NAME
) -> dict[str, Any]:
    """Change keys of a profile's row in ``prefs21.db`` (Anki must not be running)."""
    data = {**(read_profile(base_dir, profile) or profile_conf()), **changes}
    db = sqlite3.connect(base_dir / "prefs21.db")
    try:
        db.execute(
            "insert or replace into profiles values (?, ?)",
            (profile, pickle.dumps(data, protocol=4)),
        )
        db.commit()
    finally:
        db.close()
    return data


def collection_path(base_dir: Path, profile: str = PROFILE_NAME) -> Path:
    return base_dir / profile / "collection.anki2"


def create_collection(
    base_dir: Path, setup: CollectionSetup | None = None, profile: str = PROFILE_NAME
) -> Path:
    """Create (or open) the profile's collection and let ``setup`` fill it; closes it after."""
    from anki.collection import Collection

    path = collection_path(base_dir, profile)
    path.parent.mkdir(parents=True, exist_ok=True)
    col = Collection(str(path))
    try:
        if setup is not None:
            setup(col)
    finally:
        col.close()
    return path


DEMO_NOTES = (
    ("Default", "front of a default card", "back of a default card"),
    ("Japanese::Vocabulary", "猫", "cat"),
    ("Japanese::Vocabulary", "犬", "dog"),
)


def seed_demo_collection(col: Any) -> None:
    """Decks "Default" and "Japanese::Vocabulary" with a few Basic notes tagged ``demo``."""
    basic = col.models.by_name("Basic")
    for deck_name, front, back in DEMO_NOTES:
        deck_id = col.decks.id(deck_name)
        note = col.new_note(basic)
        note["Front"] = front
        note["Back"] = back
        note.tags = ["demo"]
        col.add_note(note, deck_id)


# --------------------------------------------------------------------------- add-on install


def _load_packager() -> ModuleType:
    """scripts/package.py decides which files make up the add-on; load it by path."""
    path = REPO_ROOT / "scripts" / "package.py"
    spec = importlib.util.spec_from_file_location("_ankiconnect_packager", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _ignore_caches(_dir: str, names: list[str]) -> set[str]:
    return {n for n in names if n == "__pycache__" or n.endswith(".pyc")}


def install_addon(
    addons_dir: Path,
    source: Path | None = None,
    folder: str = DEFAULT_ADDON_FOLDER,
    config: Mapping[str, Any] | None = None,
) -> Path:
    """Install an add-on into ``addons_dir/folder`` (replacing any previous copy).

    ``source`` is None for this repository's add-on (``plugin/`` plus config.json and
    config.md, exactly the files of the .ankiaddon), a ``.ankiaddon``/``.zip`` file
    (unpacked as Anki would), or any directory (copied as is). ``config`` is written to
    ``meta.json`` as the user's config, which Anki merges over ``config.json``.
    """
    target = addons_dir / folder
    if target.exists():
        shutil.rmtree(target)
    addons_dir.mkdir(parents=True, exist_ok=True)
    meta: dict[str, Any] = {}
    if source is None:
        target.mkdir()
        for src, arcname in _load_packager().addon_files(REPO_ROOT):
            dest = target / arcname
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
    elif source.is_file():
        meta.update(_unzip_addon(source, target))
    else:
        shutil.copytree(source, target, ignore=_ignore_caches)
    meta["config"] = dict(config or {})
    (target / "meta.json").write_text(json.dumps(meta), encoding="utf8")
    return target


# the manifest keys AddonManager.install copies into meta.json ("meta": True in its schema)
_MANIFEST_META_KEYS = (
    "name",
    "mod",
    "conflicts",
    "min_point_version",
    "max_point_version",
    "branch_index",
    "human_version",
    "homepage",
)


def _unzip_addon(archive: Path, target: Path) -> dict[str, Any]:
    """Unpack like AddonManager._install; return the manifest keys Anki keeps in meta.json."""
    target.mkdir()
    base = os.path.realpath(target)
    with zipfile.ZipFile(archive) as zf:
        for name in zf.namelist():
            if name.endswith("/"):
                continue
            if not os.path.realpath(os.path.join(base, name)).startswith(base + os.sep):
                continue
            zf.extract(name, target)
        try:
            manifest = json.loads(zf.read("manifest.json"))
        except KeyError:
            manifest = {}
    return {k: manifest[k] for k in _MANIFEST_META_KEYS if k in manifest}


# --------------------------------------------------------------------------- processes


def _port_is_free(family: socket.AddressFamily, host: str, port: int) -> bool:
    try:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.bind((host, port))
    except OSError as exc:
        # no IPv6 on this machine at all: nothing can conflict there
        return family == socket.AF_INET6 and exc.errno in (97, 99)  # EAFNOSUPPORT, EADDRNOTAVAIL
    return True


def free_port() -> int:
    """A port free on both 127.0.0.1 and ::1 (our server may listen on both)."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if _port_is_free(socket.AF_INET6, "::1", port):
            return port
    raise RuntimeError("no free port found")


def anki_executable() -> str:
    """``<venv>/bin/anki`` of the interpreter running the tests (``python -m aqt`` fails)."""
    override = os.environ.get("ANKI_EXECUTABLE")
    if override:
        return override
    candidate = Path(sys.executable).parent / "anki"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("anki")
    if found:
        return found
    raise RuntimeError(f"no 'anki' launcher next to {sys.executable} nor on PATH")


def anki_env(single_instance_key: str, *, headless: bool = True) -> dict[str, str]:
    """Environment for an Anki child process (see design.md §5)."""
    env = dict(os.environ)
    env["ANKI_SINGLE_INSTANCE_KEY"] = single_instance_key
    # Anki before 25.x ignores that variable and keys on getpass.getuser(), which
    # reads LOGNAME first: a per-instance name keeps older versions apart too.
    env["LOGNAME"] = single_instance_key
    env["PYTHONUNBUFFERED"] = "1"  # so the captured log is current when we read it
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if headless:
        env["QT_QPA_PLATFORM"] = "offscreen"
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # QtWebEngine aborts as root unless its sandbox is off
        flags = env.get("QTWEBENGINE_CHROMIUM_FLAGS", "")
        if "--no-sandbox" not in flags:
            env["QTWEBENGINE_CHROMIUM_FLAGS"] = f"{flags} --no-sandbox".strip()
    return env


_LIVE: set[AnkiInstance] = set()


@atexit.register
def _kill_leftovers() -> None:
    """A crashed test run must not leave 300-700 MB Anki processes behind."""
    for instance in list(_LIVE):
        instance.kill()


class AnkiInstance:
    """One Anki process with its own base folder, add-on copy, port and instance key.

    ``start()`` may be called again after ``stop()``/``kill()``: the same base folder,
    collection and port are reused, which is what durability tests need.
    """

    def __init__(
        self,
        base_dir: Path,
        *,
        config: Mapping[str, Any] | None = None,
        addon: Path | None = None,
        addon_folder: str = DEFAULT_ADDON_FOLDER,
        collection_setup: CollectionSetup | None = seed_demo_collection,
        port: int | None = None,
        api_key: str | None = None,
        test_hooks: bool = True,
        extra_env: Mapping[str, str] | None = None,
        boot_timeout: float = BOOT_TIMEOUT,
    ) -> None:
        self.base_dir = Path(base_dir)
        config = dict(config or {})
        if port is None and config.get("webBindPort") is not None:
            port = int(config["webBindPort"])
        self._auto_port = port is None
        self.port = port if port is not None else free_port()
        self.config: dict[str, Any] = {**config, "webBindPort": self.port}
        # where the helpers connect: loopback IPv4 unless the add-on listens on ::1 only
        self.host = "::1" if config.get("webBindAddress") in ("::1", "[::1]") else "127.0.0.1"
        self.addon = addon
        self.addon_folder = addon_folder
        self.collection_setup = collection_setup
        self.api_key = api_key
        self.test_hooks = test_hooks
        self.extra_env = dict(extra_env or {})
        self.boot_timeout = boot_timeout
        self.single_instance_key = f"ankiconnect-test-{uuid.uuid4().hex}"
        self.log_path = self.base_dir / "anki-output.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.boot_seconds: float | None = None
        self._prepared = False
        self._sigterm_sent = False
        self._launched_at = 0.0
        self._log_offset = 0

    # ----------------------------------------------------------------- properties

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def addon_dir(self) -> Path:
        return self.base_dir / "addons21" / self.addon_folder

    @property
    def collection_path(self) -> Path:
        return collection_path(self.base_dir)

    @property
    def log(self) -> str:
        """Everything Anki wrote to stdout and stderr so far (all starts)."""
        try:
            return self.log_path.read_text(encoding="utf8", errors="replace")
        except FileNotFoundError:
            return ""

    @property
    def log_since_launch(self) -> str:
        """Output of the current (or last) process only."""
        try:
            with open(self.log_path, "rb") as log:
                log.seek(self._log_offset)
                return log.read().decode("utf8", errors="replace")
        except FileNotFoundError:
            return ""

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def __repr__(self) -> str:
        return f"<AnkiInstance port={self.port} base={self.base_dir}>"

    # ----------------------------------------------------------------- lifecycle

    def prepare(self) -> None:
        """Build the base folder: prefs, profile, collection, add-on. Done once."""
        if self._prepared:
            return
        write_prefs(self.base_dir)
        create_collection(self.base_dir, self.collection_setup)
        install_addon(self.base_dir / "addons21", self.addon, self.addon_folder, self.config)
        if self.test_hooks:
            install_addon(self.base_dir / "addons21", TEST_ADDON_SOURCE, TEST_ADDON_FOLDER)
        self._prepared = True

    def launch(self) -> None:
        """Start the process without waiting (lets several instances boot in parallel)."""
        if self.running:
            raise RuntimeError(f"{self!r} is already running")
        self.prepare()
        env = anki_env(self.single_instance_key)
        env.update(self.extra_env)
        args = [anki_executable(), "-b", str(self.base_dir), "-p", PROFILE_NAME]
        with open(self.log_path, "ab") as log:
            log.write(f"\n=== harness: {' '.join(args)} ===\n".encode())
            log.flush()
            self._log_offset = log.tell()
            # own session: Ctrl-C in the terminal does not reach Anki, and kill() can take
            # the QtWebEngine helpers down with it
            self.process = subprocess.Popen(
                args,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._launched_at = time.monotonic()
        self._sigterm_sent = False
        _LIVE.add(self)

    def wait_until_ready(self, timeout: float | None = None) -> None:
        """Poll the port until an HTTP reply comes back; raise if Anki dies or times out."""
        assert self.process is not None, "launch() first"
        deadline = time.monotonic() + (timeout if timeout is not None else self.boot_timeout)
        while True:
            code = self.process.poll()
            if code is not None:
                self.kill()  # only reaps leftovers of its process group
                raise AnkiStartError(
                    f"Anki exited with code {code} before answering on port {self.port}.\n"
                    f"--- output ---\n{self.log}"
                )
            if self._answers_http():
                self.boot_seconds = time.monotonic() - self._launched_at
                return
            output = self.log_since_launch
            if ADDON_IMPORT_FAILED in output:
                # Anki keeps running behind an error dialog: fail now, not at the deadline
                self.kill()
                raise AnkiStartError(f"An add-on failed to import.\n--- output ---\n{self.log}")
            if LISTEN_FAILED in output:
                self.kill()
                raise PortInUseError(
                    f"The add-on could not listen on port {self.port}.\n--- output ---\n{self.log}"
                )
            if time.monotonic() > deadline:
                self.kill()
                raise AnkiStartError(
                    f"Anki did not answer on port {self.port} within the deadline.\n"
                    f"--- output ---\n{self.log}"
                )
            time.sleep(0.05)

    def start(self, timeout: float | None = None) -> AnkiInstance:
        """Launch and wait until the port answers. A port we picked ourselves can be taken
        by another process before Anki binds it; then we pick another and retry."""
        for attempt in range(3):
            self.launch()
            try:
                self.wait_until_ready(timeout)
                return self
            except PortInUseError:
                if not self._auto_port or attempt == 2:
                    raise
                self._move_to_port(free_port())
        raise AssertionError("unreachable")

    def _move_to_port(self, port: int) -> None:
        self.port = port
        self.config["webBindPort"] = port
        meta_path = self.addon_dir / "meta.json"
        meta = json.loads(meta_path.read_text(encoding="utf8"))
        meta.setdefault("config", {})["webBindPort"] = port
        meta_path.write_text(json.dumps(meta), encoding="utf8")

    def request_stop(self) -> None:
        """Send SIGTERM without waiting (then ``stop()`` waits); see ``stop_all``."""
        # only once: a second SIGTERM makes Anki start closing the profile a second time
        if self.running and not self._sigterm_sent:
            assert self.process is not None
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            self._sigterm_sent = True

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM (Anki closes the profile cleanly), then SIGKILL after ``timeout``."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            self.request_stop()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._kill_group()
                process.wait()
        self._reap_helpers()
        _LIVE.discard(self)
        return process.returncode

    def kill(self) -> int | None:
        """kill -9 the whole process group at once (for durability tests)."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            self._kill_group()
            process.wait()
        self._reap_helpers()
        _LIVE.discard(self)
        return process.returncode

    def restart(self, timeout: float | None = None) -> AnkiInstance:
        self.stop()
        return self.start(timeout)

    def _kill_group(self) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def _reap_helpers(self) -> None:
        # QtWebEngine helpers of this instance share its process group; none should outlive it
        self._kill_group()

    def __enter__(self) -> AnkiInstance:
        if not self.running:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----------------------------------------------------------------- HTTP helpers

    def _answers_http(self) -> bool:
        """Ready: the server answers and the profile's collection is open.

        The server starts with the add-on, before Anki opens the profile, so an
        early request may still meet `collection is not available`.
        """
        envelope: dict[str, Any] = {"action": "deckNames", "version": 6}
        if self.api_key is not None:
            envelope["key"] = self.api_key
        conn = http.client.HTTPConnection(self.host, self.port, timeout=2)
        try:
            conn.request("POST", "/", json.dumps(envelope).encode())
            body = conn.getresponse().read()
        except (OSError, http.client.HTTPException):
            return False
        finally:
            conn.close()
        try:
            reply = json.loads(body)
        except ValueError:
            return True  # not our API (the harness's own throwaway add-on): it answers
        return not (isinstance(reply, dict) and reply.get("error") == "collection is not available")

    def post_raw(
        self,
        body: bytes,
        headers: Mapping[str, str] | None = None,
        *,
        method: str = "POST",
        path: str = "/",
        timeout: float = 30.0,
    ) -> tuple[int, http.client.HTTPMessage, bytes]:
        """One request on a fresh connection. Returns (status, headers, body); the
        headers object is case-insensitive (``headers["content-type"]``, ``get_all``)."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=dict(headers or {}))
            response = conn.getresponse()
            return response.status, response.headers, response.read()
        finally:
            conn.close()

    def request(self, envelope: Mapping[str, Any], **kwargs: Any) -> Any:
        """POST any JSON envelope and return the decoded reply (any version, any shape)."""
        status, _headers, body = self.post_raw(
            json.dumps(envelope).encode(), {"Content-Type": "application/json"}, **kwargs
        )
        if status != 200:
            raise AssertionError(f"HTTP {status}: {body[:500]!r}")
        return json.loads(body)

    def call(self, action: str, version: int | None = 6, **params: Any) -> Any:
        """The decoded reply, e.g. ``{"result": ..., "error": None}`` at version 6.
        ``version=None`` leaves the key out (the server's default version applies)."""
        envelope: dict[str, Any] = {"action": action, "params": params}
        if version is not None:
            envelope["version"] = version
        if self.api_key is not None:
            envelope["key"] = self.api_key
        return self.request(envelope)

    def invoke(self, action: str, **params: Any) -> Any:
        """The ``result`` of a version-6 call; raises AnkiConnectError on an error reply."""
        reply = self.call(action, **params)
        if reply.get("error") is not None:
            raise AnkiConnectError(reply["error"])
        return reply["result"]

    def raw_connection(self, timeout: float = 10.0) -> RawConnection:
        return RawConnection(self.host, self.port, timeout)

    def send_raw(self, data: bytes | Iterable[bytes], timeout: float = 10.0) -> bytes:
        """Send exact bytes, half-close, and return everything until the server closes."""
        with self.raw_connection(timeout) as conn:
            for chunk in [data] if isinstance(data, bytes) else data:
                conn.send(chunk)
            conn.shutdown_write()
            return conn.read_all()


def stop_all(instances: Iterable[AnkiInstance], timeout: float = STOP_TIMEOUT) -> None:
    """Stop several instances in parallel (each clean close takes up to ~2 s)."""
    instances = list(instances)
    for instance in instances:
        instance.request_stop()
    for instance in instances:
        instance.stop(timeout)


class RawResponse:
    def __init__(self, status: int, reason: str, headers: list[tuple[str, str]], body: bytes):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body

    def header(self, name: str) -> str | None:
        """First value of a header, case-insensitively."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    def json(self) -> Any:
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"<RawResponse {self.status} {self.reason} {self.body[:80]!r}>"


class RawConnection:
    """A plain TCP socket for exact bytes: partial sends, pipelining, keep-alive.

    ``read_response()`` parses one response (Content-Length or chunked body); bytes after
    it stay buffered for the next call.
    """

    def __init__(self, host: str, port: int, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self._buffer = b""

    def __enter__(self) -> RawConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def shutdown_write(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_WR)

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        self._buffer += chunk
        return bool(chunk)

    def read_all(self) -> bytes:
        """Everything until the peer closes (or resets) the connection."""
        with contextlib.suppress(ConnectionResetError):
            while self._fill():
                pass
        data, self._buffer = self._buffer, b""
        return data

    def is_closed_by_peer(self, wait: float = 1.0) -> bool:
        """True if the server closed the connection (EOF/reset) within ``wait`` seconds."""
        old = self.sock.gettimeout()
        self.sock.settimeout(wait)
        try:
            return not self._fill()
        except ConnectionResetError:
            return True
        except TimeoutError:
            return False
        finally:
            self.sock.settimeout(old)

    def _read_until(self, marker: bytes) -> bytes:
        while marker not in self._buffer:
            if not self._fill():
                raise ConnectionError(f"connection closed; got {self._buffer[:200]!r}")
        head, self._buffer = self._buffer.split(marker, 1)
        return head

    def _read_exact(self, size: int) -> bytes:
        while len(self._buffer) < size:
            if not self._fill():
                raise ConnectionError(f"connection closed after {len(self._buffer)}/{size}")
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def read_response(self) -> RawResponse:
        head = self._read_until(b"\r\n\r\n").decode("iso-8859-1")
        status_line, *header_lines = head.split("\r\n")
        _version, status, *reason = status_line.split(" ", 2)
        headers = [
            (name.strip(), value.strip())
            for name, _, value in (line.partition(":") for line in header_lines)
        ]
        response = RawResponse(int(status), reason[0] if reason else "", headers, b"")
        length = response.header("content-length")
        if (response.header("transfer-encoding") or "").lower() == "chunked":
            response.body = self._read_chunked()
        elif length is not None:
            response.body = self._read_exact(int(length))
        elif (response.header("connection") or "").lower() == "close":
            response.body = self.read_all()
        return response

    def _read_chunked(self) -> bytes:
        body = b""
        while True:
            size = int(self._read_until(b"\r\n").split(b";")[0], 16)
            if size == 0:
                self._read_until(b"\r\n")  # no trailers expected
                return body
            body += self._read_exact(size)
            self._read_exact(2)
