"""The generated API reference is current and complete, and openapi.json is valid.

The examples themselves run against a real Anki in tests/e2e/test_docs_examples.py.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest

from plugin.api.registry import CATEGORIES, REGISTRY

ROOT = Path(__file__).resolve().parents[2]


def _load_gen_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen_docs = _load_gen_docs()


@pytest.fixture(scope="module")
def generated() -> dict[Path, str]:
    return gen_docs.generated_files()


@pytest.fixture(scope="module")
def openapi() -> dict[str, Any]:
    return json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf8"))


def test_generated_files_are_current(generated: dict[Path, str]) -> None:
    stale = [
        str(path.relative_to(ROOT))
        for path, text in generated.items()
        if not path.exists() or path.read_text(encoding="utf8") != text
    ]
    assert not stale, f"run `python scripts/gen_docs.py`; out of date: {stale}"


def test_check_mode_passes() -> None:
    assert gen_docs.main(["--check"]) == 0


def test_every_action_has_an_example_and_a_section() -> None:
    missing_example, missing_section = [], []
    for category in CATEGORIES:
        examples = gen_docs.load_examples(category)["examples"]
        documented = {example["action"] for example in examples}
        page = (ROOT / "docs" / f"{category}.md").read_text(encoding="utf8")
        for action in REGISTRY.values():
            if action.category != category:
                continue
            if action.name not in documented:
                missing_example.append(action.name)
            if f"\n## {action.name}\n" not in page:
                missing_section.append(action.name)
    assert not missing_example, f"actions without an example: {missing_example}"
    assert not missing_section, f"actions missing from their page: {missing_section}"


def test_examples_name_real_actions_of_their_category() -> None:
    hidden_ok = {"__testEval"}  # test-only action, allowed in setup/teardown steps
    for category in CATEGORIES:
        data = gen_docs.load_examples(category)
        for example in data["examples"]:
            action = REGISTRY.get(example["action"])
            assert action is not None, f"{category}: unknown action {example['action']}"
            assert action.category == category, f"{example['action']} is not in {category}"
            assert ("result" in example) != ("error" in example), example
            for step in example.get("setup", []) + example.get("teardown", []):
                assert step["action"] in REGISTRY or step["action"] in hidden_ok, step
        for name, info in data.get("actions", {}).items():
            assert name in REGISTRY and REGISTRY[name].category == category, name
            for error in info.get("errors", []):
                assert set(error) == {"error", "when"}, error
            for param in info.get("paramTypes", {}):
                assert param in REGISTRY[name].param_names, f"{name}: no param {param}"


def test_every_action_in_index(generated: dict[Path, str]) -> None:
    index = generated[ROOT / "docs" / "index.md"]
    for action in REGISTRY.values():
        assert f"[{action.name}]({action.category}.md#{action.name.lower()})" in index


def test_index_links_resolve() -> None:
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf8")
    links = re.findall(r"\]\(([^)#]+)", index)
    assert {"compatibility.md", "security.md", "performance.md", "protocol.md"} <= set(links)
    for link in links:
        assert (ROOT / "docs" / link).exists(), f"broken link {link}"


def test_openapi_has_one_operation_per_action(openapi: dict[str, Any]) -> None:
    operations = {path: item["post"]["operationId"] for path, item in openapi["paths"].items()}
    assert sorted(operations.values()) == sorted(REGISTRY)
    assert all(path == f"/#{op}" for path, op in operations.items())


def test_openapi_document_is_valid(openapi: dict[str, Any]) -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(openapi)


def test_openapi_schemas_are_valid_json_schemas(openapi: dict[str, Any]) -> None:
    # holds without openapi-spec-validator too: every schema is valid JSON Schema 2020-12
    assert openapi["openapi"].startswith("3.1.")
    for item in openapi["paths"].values():
        operation = item["post"]
        request = operation["requestBody"]["content"]["application/json"]
        reply = operation["responses"]["200"]["content"]["application/json"]
        jsonschema.Draft202012Validator.check_schema(request["schema"])
        jsonschema.Draft202012Validator.check_schema(reply["schema"])


def test_openapi_examples_match_their_schemas(openapi: dict[str, Any]) -> None:
    """The documented requests and (successful or error) replies fit the schemas."""
    problems = []
    for item in openapi["paths"].values():
        operation = item["post"]
        for kind, content in (
            ("request", operation["requestBody"]["content"]["application/json"]),
            ("reply", operation["responses"]["200"]["content"]["application/json"]),
        ):
            validator = jsonschema.Draft202012Validator(content["schema"])
            for name, example in content["examples"].items():
                value = example["value"]
                if kind == "reply" and not isinstance(value, dict):
                    continue  # a bare (version <= 4) result
                for error in validator.iter_errors(value):
                    problems.append(f"{operation['operationId']} {kind} {name}: {error.message}")
    assert not problems, "\n".join(problems)


def test_placeholder_language() -> None:
    variables: dict[str, Any] = {}
    assert gen_docs.match("<int:noteId>", 5, variables) == []
    assert variables == {"noteId": 5}
    assert gen_docs.match("$noteId", 5, variables) == []
    assert gen_docs.match("$noteId", 6, variables)
    assert gen_docs.match("<int>", True, variables), "a bool is not an int"
    assert gen_docs.match({"${noteId}": "<str>"}, {"5": "x"}, variables) == []
    assert gen_docs.match({"a": 1, "...": "..."}, {"a": 1, "b": 2}, variables) == []
    assert gen_docs.match({"a": 1}, {"a": 1, "b": 2}, variables)
    assert gen_docs.match(["<unordered>", 1, 2], [2, 1], variables) == []
    assert gen_docs.match([1, "..."], [1, 2, 3], variables) == []
    assert gen_docs.match([1, 2], [2, 1], variables)
    assert gen_docs.substitute({"q": "nid:${noteId}", "n": "$noteId"}, variables) == {
        "q": "nid:5",
        "n": 5,
    }
    samples = {"noteId": 1496198395707}
    assert gen_docs.display(["<unordered>", "$noteId", "<str=x>"], samples) == [
        1496198395707,
        "x",
    ]
