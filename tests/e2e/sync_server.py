"""Anki's own sync server on loopback, and profiles logged in to it.

``python -m anki.syncserver`` is the server self-hosters run (it ships in the ``anki``
package and is configured by ``SYNC_USER1=user:pass``, ``SYNC_HOST``, ``SYNC_PORT`` and
``SYNC_BASE``), so tests sync against the real thing and never reach AnkiWeb.

A profile is logged in before Anki starts, with Anki's own calls on its collection
(``sync_login`` with the server as endpoint, then optionally the first full upload or
download), and its ``prefs21.db`` row gets what Anki's login stores: the sync key, the
user name and the custom sync URL (Preferences › Syncing › self-hosted server). Auto
sync on open/close is switched off so nothing syncs unless a test asks.

Why the first full sync is done here: two collections created apart always need one
(their schemas differ), and Anki's Sync button settles it with an upload/download
question that the `sync` action answers with an error. Logging the first profile in
with ``full_sync="upload"`` and the second with ``"download"`` leaves both on the
server's copy, so every later `sync` is a normal one.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Literal

from .harness import PROFILE_NAME, collection_path, free_port, update_profile

SYNC_USER = "user"
SYNC_PASSWORD = "pass"
START_TIMEOUT = 30.0
FullSync = Literal["upload", "download"]


class SyncServer:
    """One ``python -m anki.syncserver`` process on 127.0.0.1 with its data in ``base_dir``.

    ``stop()`` then ``start()`` keeps the data and the port (a server that went down
    and came back); ``start(users=...)`` changes the accounts, as an administrator
    changing a password would.
    """

    def __init__(
        self,
        base_dir: Path,
        users: Mapping[str, str] | None = None,
        port: int | None = None,
        python: str | None = None,
    ) -> None:
        self.base_dir = Path(base_dir)
        self.users = dict(users or {SYNC_USER: SYNC_PASSWORD})
        self.host = "127.0.0.1"
        self.port = port if port is not None else free_port()
        self.python = python or sys.executable
        self.log_path = self.base_dir / "sync-server.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        """The URL a profile's custom sync server setting holds."""
        return f"http://{self.host}:{self.port}/"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SYNC_")}
        for index, (name, password) in enumerate(self.users.items(), 1):
            env[f"SYNC_USER{index}"] = f"{name}:{password}"
        env["SYNC_HOST"] = self.host
        env["SYNC_PORT"] = str(self.port)
        env["SYNC_BASE"] = str(self.base_dir / "data")
        return env

    def start(self, users: Mapping[str, str] | None = None) -> SyncServer:
        if self.running:
            raise RuntimeError("the sync server is already running")
        if users is not None:
            self.users = dict(users)
        self.base_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [self.python, "-m", "anki.syncserver"],
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_until_listening()
        return self

    def _wait_until_listening(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the sync server exited:\n{self.log_path.read_text()}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection((self.host, self.port), timeout=1),
            ):
                return
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the sync server did not listen:\n{self.log_path.read_text()}")
            time.sleep(0.05)

    def stop(self) -> None:
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.process = None

    def __enter__(self) -> SyncServer:
        return self.start() if not self.running else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def log_in(
    base_dir: Path,
    endpoint: str,
    *,
    username: str = SYNC_USER,
    password: str = SYNC_PASSWORD,
    full_sync: FullSync | None = None,
    sync_media: bool = True,
    profile: str = PROFILE_NAME,
) -> str:
    """Log a profile in to a sync server (Anki not running); returns the sync key.

    ``full_sync`` makes the collection the server's copy ("upload") or replaces it
    with the server's ("download"), as Anki's first sync does after asking.
    """
    from anki.collection import Collection

    col = Collection(str(collection_path(base_dir, profile)))
    try:
        auth = col.sync_login(username=username, password=password, endpoint=endpoint)
        if full_sync is not None:
            col.close_for_full_sync()
            col.full_upload_or_download(auth=auth, server_usn=None, upload=full_sync == "upload")
            col.reopen(after_full_sync=True)
    finally:
        col.close()
    update_profile(
        base_dir,
        {
            # what aqt/sync.py's sync_login stores, plus the self-hosted server URL
            "syncKey": auth.hkey,
            "syncUser": username,
            "customSyncUrl": endpoint,
            "currentSyncUrl": None,
            "syncMedia": sync_media,
            "autoSync": False,  # nothing syncs unless asked
        },
        profile,
    )
    return str(auth.hkey)


class HoldingRelay:
    """A loopback TCP relay in front of the sync server that can hold the traffic.

    While :meth:`holding`, bytes from Anki wait in the relay, so a sync stays in flight
    for as long as a test needs (to look at Anki meanwhile) or until Anki's network
    timeout gives up.
    """

    def __init__(self, target_port: int, host: str = "127.0.0.1") -> None:
        self.target = (host, target_port)
        self.listener = socket.create_server((host, 0))
        self.port = int(self.listener.getsockname()[1])
        self.endpoint = f"http://{host}:{self.port}/"
        self._open = threading.Event()
        self._open.set()
        self.held = threading.Event()  # set once bytes are waiting in the relay
        self._drop = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=10)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        with self._lock:
            self._sockets += [client, upstream]
        threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()
        self._pump(client, upstream, True)

    def _pump(self, source: socket.socket, target: socket.socket, gated: bool) -> None:
        try:
            while data := source.recv(65536):
                if gated and not self._open.is_set():
                    self.held.set()
                    self._open.wait()
                    if self._drop:
                        break
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    @contextlib.contextmanager
    def holding(self, *, drop: bool = False) -> Iterator[None]:
        """Hold Anki's bytes inside the block; on leaving, pass them on (or cut the
        connections when ``drop``: a request that timed out must not reach the server)."""
        self.held.clear()
        self._drop = drop
        self._open.clear()
        try:
            yield
        finally:
            self._open.set()

    def close(self) -> None:
        self._drop = True
        self._open.set()
        self.listener.close()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.close()
