"""Run Anki with this repository's add-on on 127.0.0.1:8765 (``make run``).

The first run creates ``./demo-base`` (prefs, profile "User 1", a demo collection with decks
"Default" and "Japanese::Vocabulary" and a few Basic notes); later runs keep the collection.
The add-on is copied fresh from ``plugin/`` every run. Without a display (no ``DISPLAY`` /
``WAYLAND_DISPLAY``) Anki runs headless. Anki replaces this process, so Ctrl-C or SIGTERM
reach Anki itself, which closes the profile cleanly.

Usage: python scripts/run_anki.py [--base DIR] [--port N] [--headless] [--fresh]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
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
    seed_demo_collection,
    write_prefs,
)

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
    os.execve(command[0], command, env)


if __name__ == "__main__":
    sys.exit(main())
