"""The shipped package: ``scripts/package.py`` builds ``ankiconnect.ankiaddon``; a fresh
Anki with only that file installed (as a user would, without test hooks) serves the API.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import zipfile
from pathlib import Path
from types import ModuleType

from .harness import REPO_ROOT, AnkiInstance
from .support import SPEC_ACTIONS, http_request, json_body


def load_packager() -> ModuleType:
    path = REPO_ROOT / "scripts" / "package.py"
    spec = importlib.util.spec_from_file_location("ankiconnect_package_script", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_built_package_installs_and_serves(tmp_path: Path) -> None:
    out = load_packager().build(tmp_path / "dist" / "ankiconnect.ankiaddon")
    assert out == tmp_path / "dist" / "ankiconnect.ankiaddon"
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        manifest = json.loads(zf.read("manifest.json"))
        shipped_config = json.loads(zf.read("config.json"))
    # Anki expects the package contents at the zip root
    for required in (
        "__init__.py",
        "manifest.json",
        "config.json",
        "config.md",
        "entry_point.py",
        "http/server.py",
        "actions/__init__.py",
    ):
        assert required in names
    assert not [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".pyo"))]
    assert not [n for n in names if n.startswith(("plugin/", "tests/", "scripts/", "."))]
    assert manifest["package"] and manifest["name"]
    assert shipped_config == {
        "apiKey": None,
        "apiLogPath": None,
        "webBindAddress": "127.0.0.1",
        "webBindPort": 8765,
        "webCorsOriginList": ["http://localhost"],
        "ignoreOriginList": [],
        "ankiPagesAllow": [],
        "allowFilePathsFromWeb": False,
        "mediaUrlAllowPrivateFromWeb": False,
    }

    instance = AnkiInstance(
        tmp_path / "base",
        addon=out,
        addon_folder=manifest["package"],
        test_hooks=False,
        extra_env={"ANKICONNECT_TEST_HOOKS": "1"},
    )
    with instance:
        assert (instance.addon_dir / "manifest.json").is_file()
        assert instance.call("version") == {"result": 6, "error": None}
        assert instance.call("version", version=None) == 6
        assert "Default" in instance.invoke("deckNames")
        reflected = instance.invoke("apiReflect", scopes=["actions"], actions=None)
        assert reflected["actions"] == SPEC_ACTIONS
        # the test hook lives in a separate test-only add-on: even the environment
        # variable that once enabled it changes nothing now
        assert instance.call("__testEval", code="result = 1") == {
            "result": None,
            "error": "unsupported action",
        }
        raw = instance.send_raw(
            http_request(instance, json_body("version"), {"Origin": "chrome-extension://abc"})
        )
        assert b"Access-Control-Allow-Origin: chrome-extension://abc\r\n" in raw
        assert "Traceback" not in instance.log


# Calls that run code given as data: none of them may appear in the shipped package.
CODE_RUNNERS = frozenset({"exec", "eval", "compile", "__import__", "import_module", "run_path"})


def _code_runner_calls(source: str, name: str) -> list[str]:
    """``exec(...)``-like calls in one module (``re.compile`` is a method, not these)."""
    found = []
    for node in ast.walk(ast.parse(source, name)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = func.id if isinstance(func, ast.Name) else None
        if isinstance(func, ast.Attribute) and func.attr in ("import_module", "run_path"):
            called = func.attr
        if called in CODE_RUNNERS:
            found.append(f"{name}:{node.lineno} {called}()")
    return found


def test_package_holds_no_test_hook_and_nothing_that_runs_sent_code(tmp_path: Path) -> None:
    out = load_packager().build(tmp_path / "ankiconnect.ankiaddon")
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        sources = {n: zf.read(n).decode("utf-8") for n in names if n.endswith(".py")}
    assert len(sources) > 40  # the whole package was read
    assert not [n for n in names if "test" in n.lower()], names
    for name, source in sources.items():
        assert "__testEval" not in source, name
        assert "ANKICONNECT_TEST_HOOKS" not in source, name
    assert [c for n, s in sources.items() for c in _code_runner_calls(s, n)] == []
    # the check itself finds what it looks for
    hook = (REPO_ROOT / "tests" / "e2e" / "test_addon" / "__init__.py").read_text()
    assert _code_runner_calls(hook, "test_addon") != []
