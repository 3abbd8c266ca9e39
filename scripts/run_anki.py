"""Run Anki with this repository's add-on on 127.0.0.1:8765 (``make run``).

The first run creates ``./demo-base`` (prefs, profile "User 1", a demo collection with decks
"Default" and "Japanese::Vocabulary" and a few Basic notes); later runs keep the collection.
The add-on is copied fresh from ``plugin/`` every run. Without a display (no ``DISPLAY`` /
``WAYLAND_DISPLAY``) Anki runs headless. Anki replaces this process, so Ctrl-C or SIGTERM
reach Anki itself, which closes the profile cleanly.

``--sync-server`` also starts Anki's own sync server (``python -m anki.syncserver``) on
127.0.0.1 (port ``--sync-port``, data in ``<base>/sync-server``, user ``demo``, password
``demo``) and logs the demo profile in to it as a self-hosted server, so `sync` and Anki's
Sync button work without AnkiWeb. On the server's first start the demo collection becomes
its copy. This script then stays in front of Anki and stops the server when Anki exits.

Usage: python scripts/run_anki.py [--base DIR] [--port N] [--headless] [--fresh]
                                  [--sync-server] [--sync-port N]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from tests.e2e.harness import (  # noqa: E402  (needs the repo root on sys.path)
    PROFILE_NAME,
    anki_env,
    anki_executable,
    collection_path,
    create_collection,
    install_addon,
    read_profile,
    seed_demo_collection,
    write_prefs,
)
from tests.e2e.sync_server import SyncServer, log_in  # noqa: E402

DEMO_SYNC_USER = ("demo", "demo")

ADDON_FOLDER = "ankiconnect"  # the manifest's package name, as an AnkiWeb install would use


def prepare_base(base: Path, port: int) -> None:
    if not (base / "prefs21.db").exists():
        write_prefs(base)
    if not collection_path(base).exists():
        create_collection(base, seed_demo_collection)
        print(f"created demo collection in {collection_path(base)}")
    addons = base / "addons21"
    # always the current code, but keep config edits made in Anki's add-on config dialog
    install_addon(addons, None, ADDON_FOLDER, {**saved_config(addons), "webBindPort": port})


def saved_config(addons: Path) -> dict[str, Any]:
    try:
        meta = json.loads((addons / ADDON_FOLDER / "meta.json").read_text(encoding="utf8"))
    except (OSError, ValueError):
        return {}
    config = meta.get("config") if isinstance(meta, dict) else None
    return config if isinstance(config, dict) else {}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, default=REPO_ROOT / "demo-base")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--headless", action="store_true", help="force QT_QPA_PLATFORM=offscreen")
    parser.add_argument("--fresh", action="store_true", help="delete the base folder first")
    parser.add_argument(
        "--sync-server",
        action="store_true",
        help="also run Anki's own sync server and log the demo profile in to it",
    )
    parser.add_argument("--sync-port", type=int, default=27701)
    args = parser.parse_args(argv)

    base = args.base.resolve()
    if args.fresh and base.exists():
        shutil.rmtree(base)
    prepare_base(base, args.port)

    has_display = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    headless = args.headless or not has_display
    # a key per base folder: a desktop Anki of the same user is left alone, and a second
    # `make run` on the same folder hands over to the running one instead of failing to bind
    key = hashlib.sha1(str(base).encode()).hexdigest()[:16]
    env = anki_env(f"ankiconnect-demo-{key}", headless=headless)
    command = [anki_executable(), "-b", str(base), "-p", PROFILE_NAME]
    mode = "headless" if headless else "with a window"
    print(f"starting Anki {mode}; AnkiConnect on http://127.0.0.1:{args.port} (Ctrl-C stops)")
    sys.stdout.flush()
    if args.sync_server:
        return run_with_sync_server(base, args.sync_port, command, env)
    os.execve(command[0], command, env)


def run_with_sync_server(base: Path, port: int, command: list[str], env: dict[str, str]) -> int:
    """Anki beside a local sync server; the server stops when Anki exits."""
    folder = base / "sync-server"
    first_start = not (folder / "data").exists()
    user, password = DEMO_SYNC_USER
    with SyncServer(folder, users={user: password}, port=port) as server:
        logged_in_here = profile_sync_url(base) == server.endpoint
        if not logged_in_here:
            # An empty new server takes the demo collection; an existing one keeps its
            # copy, and the first sync asks (Anki's Sync button) or says so (`sync`).
            log_in(
                base,
                server.endpoint,
                username=user,
                password=password,
                full_sync="upload" if first_start else None,
            )
        print(f"sync server on {server.endpoint} (user {user!r}, password {password!r})")
        sys.stdout.flush()
        anki = subprocess.Popen(command, env=env)
        # Ctrl-C in the terminal reaches Anki itself; SIGTERM is passed on.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, lambda *_: anki.send_signal(signal.SIGTERM))
        return anki.wait()


def profile_sync_url(base: Path) -> str | None:
    """The custom sync URL the demo profile is logged in with, if any."""
    profile = read_profile(base)
    url = profile.get("customSyncUrl")
    return url if profile.get("syncKey") and isinstance(url, str) else None


if __name__ == "__main__":
    sys.exit(main())
