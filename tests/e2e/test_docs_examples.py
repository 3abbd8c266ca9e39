"""Run every documented example (docs/examples/<category>.json) against a real Anki.

One fresh Anki per category, so each category's examples run top to bottom on the
harness's demo collection and may build on each other (a deck created by one example
is used by the next). The reply of every step must match its pattern in the placeholder
language described in scripts/gen_docs.py; all mismatches of a category are reported
together.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest

from .harness import REPO_ROOT, AnkiInstance


def _load_gen_docs() -> ModuleType:
    path = REPO_ROOT / "scripts" / "gen_docs.py"
    spec = importlib.util.spec_from_file_location("_ankiconnect_gen_docs", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen_docs = _load_gen_docs()
REGISTRY = gen_docs.load_registry()
CATEGORIES = ("cards", "decks", "gui", "media", "misc", "models", "notes", "stats")
ANY_SUCCESS = {"result": "<any>", "error": None}


def run_step(
    anki: AnkiInstance, step: dict[str, Any], variables: dict[str, Any], where: str
) -> list[str]:
    envelope = gen_docs.substitute(gen_docs.request_of(step), variables)
    checked = "result" in step or "error" in step
    expected = gen_docs.expected_reply(step) if checked else ANY_SUCCESS
    try:
        reply = anki.request(envelope)
    except Exception as exc:  # noqa: BLE001  (report and go on with the next example)
        return [f"{where}: request {json.dumps(envelope)} failed: {exc!r}"]
    problems = gen_docs.match(expected, reply, variables)
    problems += schema_problems(step["action"], reply)
    return [f"{where}: {p}\n    request: {json.dumps(envelope)}" for p in problems]


def wait_for_collection(anki: AnkiInstance, timeout: float = 30.0) -> None:
    """The server may answer before the profile's collection is open; examples need it."""
    deadline = time.monotonic() + timeout
    while True:
        reply = anki.call("getNumCardsReviewedToday")
        if reply.get("error") != "collection is not available":
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"the collection did not open within {timeout} s")
        time.sleep(0.05)


def schema_problems(action: str, reply: Any) -> list[str]:
    """A successful result must fit the result schema derived from the action's hints
    (the one apiReflect-style clients, the docs and openapi.json advertise)."""
    registered = REGISTRY.get(action)
    if registered is None or not isinstance(reply, dict) or reply.get("error") is not None:
        return []
    validator = jsonschema.Draft202012Validator(registered.result_schema)
    return [
        f"result does not fit its schema: {e.message}"
        for e in validator.iter_errors(reply["result"])
    ]


def run_examples(anki: AnkiInstance, data: dict[str, Any], files: Path) -> list[str]:
    wait_for_collection(anki)
    variables: dict[str, Any] = {"tmpDir": str(files)}
    failures: list[str] = []
    for number, example in enumerate(data.get("examples", []), 1):
        name = f"#{number} {example['action']}"
        problems: list[str] = []
        for index, step in enumerate(example.get("setup", [])):
            problems += run_step(anki, step, variables, f"{name} setup[{index}]")
        if not problems:
            problems += run_step(anki, example, variables, name)
        for index, step in enumerate(example.get("teardown", [])):
            problems += run_step(anki, step, variables, f"{name} teardown[{index}]")
        if example.get("exits") and not problems:
            problems += wait_for_exit(anki, name)
        failures += problems
    return failures


def wait_for_exit(anki: AnkiInstance, where: str, timeout: float = 20.0) -> list[str]:
    """An example marked ``exits`` (guiExitAnki) must end the Anki process."""
    assert anki.process is not None
    try:
        anki.process.wait(timeout)
    except subprocess.TimeoutExpired:
        return [f"{where}: Anki still runs {timeout} s after the reply"]
    return []


@pytest.mark.parametrize("category", CATEGORIES)
def test_examples(category: str, anki_factory: Any, tmp_path: Path) -> None:
    data = gen_docs.load_examples(category)
    assert data.get("examples"), f"docs/examples/{category}.json has no examples"
    files = tmp_path / "files"
    files.mkdir()
    anki = anki_factory()
    failures = run_examples(anki, data, files)
    assert not failures, f"{len(failures)} mismatches in {category}:\n" + "\n".join(failures)
