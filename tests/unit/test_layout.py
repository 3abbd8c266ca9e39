"""The package's layers, read from its import statements (design §4).

http  ->  api  ->  actions  ->  notes / media / collection  ->  Anki

A layer may import the layers below it and never one above; ``plugin/http`` imports
nothing from Anki or Qt, so the server can be tested and reasoned about on its own.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PLUGIN = Path(__file__).resolve().parents[2] / "plugin"

# Who may import whom, by folder of plugin/. The entry layer in the package root
# (__init__, entry_point, qt_driver) wires everything; every layer but http reads the
# settings (config.py); gui holds the Qt widgets, opened by GUI actions and by the
# permission step of the envelope. api's context and errors are the vocabulary the
# lower layers share with the actions.
MAY_IMPORT: dict[str, set[str]] = {
    "http": {"http"},
    "api": {"api", "http", "config", "gui"},
    "actions": {"actions", "api", "http", "notes", "media", "collection", "gui", "config"},
    "notes": {"notes", "media", "collection", "api", "config"},
    "media": {"media", "api", "config"},
    "collection": {"collection", "api", "config"},
    "gui": {"gui", "api", "config"},
}
FOREIGN_FOR_HTTP = ("anki", "aqt", "PyQt6", "PyQt5")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PLUGIN.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package(path: Path) -> str:
    name = _module_name(path)
    return name if path.name == "__init__.py" else name.rsplit(".", 1)[0]


def _module_level_imports(path: Path) -> list[str]:
    """Absolute names of what the module imports at import time (TYPE_CHECKING included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _package(path).split(".")
    found: list[str] = []

    def visit(statements: list[ast.stmt]) -> None:
        for node in statements:
            if isinstance(node, ast.Import):
                found.extend(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[: len(package) - node.level + 1]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                found.append(module)
                # `from . import x` names submodules
                found.extend(f"{module}.{alias.name}" for alias in node.names)
            elif isinstance(node, ast.If | ast.Try):
                visit(node.body)
                visit(node.orelse)
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)

    visit(tree.body)
    return found


def _plugin_modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PLUGIN.rglob("*.py")}


def _layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) < 2:
        return ""
    candidate = parts[1]
    return candidate if (PLUGIN / candidate).is_dir() else candidate.removesuffix(".py")


def test_every_folder_of_the_package_is_a_known_layer() -> None:
    folders = {p.name for p in PLUGIN.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == set(MAY_IMPORT)


@pytest.mark.parametrize("path", sorted((PLUGIN / "http").rglob("*.py")), ids=lambda p: p.name)
def test_http_layer_imports_nothing_from_anki_or_qt(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = [
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    ] + [
        node.module or ""
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.level == 0
    ]
    assert not [name for name in imported if name.split(".")[0] in FOREIGN_FOR_HTTP]


def test_layers_import_only_the_layers_below_them() -> None:
    modules = _plugin_modules()
    wrong = []
    for name, path in modules.items():
        layer = _layer(name)
        if layer not in MAY_IMPORT:
            continue  # the entry layer may import anything
        for target in _module_level_imports(path):
            # "" is the package's own __init__, which other modules never need
            if target in modules and _layer(target) not in MAY_IMPORT[layer] | {""}:
                wrong.append(f"{name} -> {target}")
    assert wrong == []


def test_no_import_cycles() -> None:
    modules = _plugin_modules()
    graph = {
        name: sorted({t for t in _module_level_imports(path) if t in modules and t != name})
        for name, path in modules.items()
    }
    # A package's __init__ is imported before its submodules: the edge from a module to
    # its own package is not a cycle of ours.
    for name, targets in graph.items():
        graph[name] = [t for t in targets if not name.startswith(t + ".")]
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                walk(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            walk(node)
    assert cycles == []
