"""Build ``dist/ankiconnect.ankiaddon``: the add-on as Anki installs it.

The zip's root holds the contents of ``plugin/`` (without caches) plus ``manifest.json``,
``config.json`` and ``config.md`` from the repository root. ``addon_files()`` is the one
definition of that file set; the e2e harness installs from it too.

Usage: python scripts/package.py [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
ROOT_FILES = ("manifest.json", "config.json", "config.md")
# ROOT_FILES that must exist; config.md is optional until it is written
REQUIRED_ROOT_FILES = ("manifest.json", "config.json")
DEFAULT_OUT = REPO_ROOT / "dist" / "ankiconnect.ankiaddon"


def _is_cache(path: Path) -> bool:
    return "__pycache__" in path.parts or path.suffix in (".pyc", ".pyo")


def addon_files(repo_root: Path = REPO_ROOT) -> Iterator[tuple[Path, str]]:
    """(source file, name inside the add-on folder) for every file of the add-on."""
    plugin = repo_root / "plugin"
    if not (plugin / "__init__.py").is_file():
        raise FileNotFoundError(f"{plugin}/__init__.py is missing")
    for path in sorted(plugin.rglob("*")):
        if path.is_file() and not _is_cache(path.relative_to(plugin)):
            yield path, path.relative_to(plugin).as_posix()
    for name in ROOT_FILES:
        path = repo_root / name
        if path.is_file():
            yield path, name
        elif name in REQUIRED_ROOT_FILES:
            raise FileNotFoundError(f"{path} is missing")


def build(out: Path = DEFAULT_OUT, repo_root: Path = REPO_ROOT) -> Path:
    """Write the .ankiaddon zip (deterministic order); returns its path."""
    manifest = json.loads((repo_root / "manifest.json").read_text(encoding="utf8"))
    for key in ("package", "name"):  # the keys Anki's manifest schema requires
        if not isinstance(manifest.get(key), str) or not manifest[key]:
            raise ValueError(f"manifest.json needs a non-empty string {key!r}")
    json.loads((repo_root / "config.json").read_text(encoding="utf8"))  # must be valid JSON
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for src, arcname in addon_files(repo_root):
            zf.write(src, arcname)
    tmp.replace(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output file")
    args = parser.parse_args(argv)
    out = build(args.out)
    with zipfile.ZipFile(out) as zf:
        count = len(zf.namelist())
    print(f"wrote {out} ({count} files, {out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
