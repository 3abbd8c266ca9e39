"""Generate the API reference from the action registry and the tested examples.

Writes ``docs/<category>.md`` (one page per category), ``docs/index.md`` and
``docs/openapi.json``. Summaries, descriptions, params and result types come from
the registry (the actions' docstrings and type hints); errors and examples come from
``docs/examples/<category>.json``, whose examples the e2e suite runs against a real
Anki (tests/e2e/test_docs_examples.py), so the pages cannot drift from the code.

Usage: python scripts/gen_docs.py [--check]
  --check  write nothing; exit 1 if any generated file differs from what is on disk.

Examples file format (one per category; the examples run top to bottom against a
fresh Anki with the harness's demo collection)::

    {
      "intro": "markdown shown under the page title (optional)",
      "samples": {"noteId": 1502298033753},   # display values of variables (optional)
      "actions": {"<action>": {"errors": [{"error": "text", "when": "markdown"}],
                               "paramTypes": {"<param>": "shown type"},
                               "resultType": "shown type"}},
      "examples": [{"action": "...", "title": "...", "params": {...},
                    "version": 6, "result": <pattern>, "error": "exact text",
                    "setup": [<step>...], "teardown": [<step>...]}]
    }

A step is ``{"action", "params"?, "version"?, "result"?, "error"?}``: without
``result``/``error`` it only has to succeed. ``examples`` entries are steps shown in
the docs, with an optional ``title`` and ``note`` (markdown after the reply);
``"exits": true`` marks one after which Anki must quit (guiExitAnki). The placeholder language of result patterns:

- ``"<int>"``, ``"<number>"``, ``"<str>"``, ``"<bool>"``, ``"<list>"``,
  ``"<object>"``, ``"<any>"``: any value of that kind.
- ``"<int:noteId>"``: any int, remembered as the variable ``noteId``; a kind may
  carry a display sample after ``=``: ``"<str=/home/user/...>"``.
- ``"$noteId"`` (a whole string) is the variable's value; ``"${noteId}"`` inside a
  string (or an object key) is replaced by its text. Variables may be used in
  params, results and errors. ``tmpDir`` is predefined by the runner (a fresh
  folder on the Anki host).
- an object key ``"..."`` allows further keys; a list starting with
  ``"<unordered>"`` is compared ignoring order; a list ending with ``"..."`` allows
  further items.

In the docs, placeholders and variables are shown with sample values.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
import zlib
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DOCS = REPO_ROOT / "docs"
EXAMPLES_DIR = DOCS / "examples"
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

CATEGORY_TITLES = {
    "cards": "Cards",
    "decks": "Decks",
    "gui": "Graphical",
    "media": "Media",
    "misc": "Miscellaneous",
    "models": "Models (note types)",
    "notes": "Notes",
    "stats": "Statistics",
}
HAND_WRITTEN = (
    ("protocol.md", "Protocol", "requests, versions, `multi`, CORS, API key, HTTP details"),
    ("../config.md", "Configuration", "every setting and its default"),
    ("compatibility.md", "Compatibility", "where and why we differ from AnkiConnect 25.11.9.0"),
    ("security.md", "Security", "Host check, media sources, API key, origins"),
    ("performance.md", "Performance", "latency, concurrency and batch figures"),
)
# Params the server fills in from the HTTP request; clients send none (spec §A.7).
SERVER_FILLED = {"requestPermission": ("origin", "allowed")}

PLACEHOLDER = re.compile(
    r"^<(int|number|str|bool|list|object|any)(?::([A-Za-z_]\w*))?(?:=(.*))?>$", re.S
)
WHOLE_VARIABLE = re.compile(r"^\$([A-Za-z_]\w*)$")
INNER_VARIABLE = re.compile(r"\$\{([A-Za-z_]\w*)\}")
MORE = "..."
UNORDERED = "<unordered>"


# --------------------------------------------------------------------- examples


def load_examples(category: str) -> dict[str, Any]:
    path = EXAMPLES_DIR / f"{category}.json"
    if not path.exists():
        return {"actions": {}, "examples": []}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf8"))
    return data


def substitute(value: Any, variables: dict[str, Any]) -> Any:
    """Replace ``$name`` / ``${name}`` in strings and keys by the variables' values."""
    if isinstance(value, str):
        whole = WHOLE_VARIABLE.match(value)
        if whole:
            return variables[whole.group(1)]
        return INNER_VARIABLE.sub(lambda m: _text(variables[m.group(1)]), value)
    if isinstance(value, list):
        return [substitute(item, variables) for item in value]
    if isinstance(value, dict):
        return {substitute(k, variables): substitute(v, variables) for k, v in value.items()}
    return value


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


_KIND_CHECKS = {
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "str": lambda v: isinstance(v, str),
    "bool": lambda v: isinstance(v, bool),
    "list": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
    "any": lambda v: True,
}


def match(pattern: Any, actual: Any, variables: dict[str, Any], where: str = "result") -> list[str]:
    """Compare a reply with a pattern; returns the mismatches, binds captured variables."""
    if isinstance(pattern, str):
        placeholder = PLACEHOLDER.match(pattern)
        if placeholder:
            kind, name, _sample = placeholder.groups()
            if not _KIND_CHECKS[kind](actual):
                return [f"{where}: expected {kind}, got {actual!r}"]
            if name:
                variables[name] = actual
            return []
        pattern = substitute(pattern, variables)
        if pattern == actual and type(pattern) is type(actual):
            return []
        return [f"{where}: expected {pattern!r}, got {actual!r}"]
    if isinstance(pattern, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {actual!r}"]
        problems = []
        expected_keys = {substitute(k, variables): v for k, v in pattern.items() if k != MORE}
        for key, sub in expected_keys.items():
            if key not in actual:
                problems.append(f"{where}: missing key {key!r}")
            else:
                problems += match(sub, actual[key], variables, f"{where}.{key}")
        if MORE not in pattern:
            extra = sorted(set(actual) - set(expected_keys))
            if extra:
                problems.append(f"{where}: unexpected keys {extra} in {actual!r}")
        return problems
    if isinstance(pattern, list):
        if not isinstance(actual, list):
            return [f"{where}: expected a list, got {actual!r}"]
        if pattern[:1] == [UNORDERED]:
            return _match_unordered(pattern[1:], actual, variables, where)
        items = pattern
        if items[-1:] == [MORE]:
            items = items[:-1]
            if len(actual) < len(items):
                return [f"{where}: expected at least {len(items)} items, got {actual!r}"]
        elif len(actual) != len(items):
            return [f"{where}: expected {len(items)} items, got {len(actual)}: {actual!r}"]
        problems = []
        for index, sub in enumerate(items):
            problems += match(sub, actual[index], variables, f"{where}[{index}]")
        return problems
    if pattern != actual or type(pattern) is not type(actual):
        return [f"{where}: expected {pattern!r}, got {actual!r}"]
    return []


def _match_unordered(
    items: list[Any], actual: list[Any], variables: dict[str, Any], where: str
) -> list[str]:
    if len(items) != len(actual):
        return [f"{where}: expected {len(items)} items (any order), got {actual!r}"]
    remaining = list(actual)
    for sub in items:
        for index, candidate in enumerate(remaining):
            trial = dict(variables)
            if not match(sub, candidate, trial, where):
                variables.update(trial)
                del remaining[index]
                break
        else:
            return [f"{where}: no item matches {sub!r} in {actual!r}"]
    return []


def sample_values(data: dict[str, Any]) -> dict[str, Any]:
    """Display values of the variables: given samples, else captured placeholders' samples."""
    samples: dict[str, Any] = {"tmpDir": "/home/me/Documents"}

    def scan(value: Any) -> None:
        if isinstance(value, str):
            placeholder = PLACEHOLDER.match(value)
            if placeholder and placeholder.group(2):
                kind, name, sample = placeholder.groups()
                samples.setdefault(name, _sample(kind, sample, name))
        elif isinstance(value, list):
            for item in value:
                scan(item)
        elif isinstance(value, dict):
            for item in value.values():
                scan(item)

    for example in data.get("examples", []):
        for step in [*example.get("setup", []), example, *example.get("teardown", [])]:
            scan(step.get("result"))
    samples.update(data.get("samples", {}))
    return samples


def _sample(kind: str, sample: str | None, seed: str) -> Any:
    if sample is not None:
        try:
            return json.loads(sample)
        except ValueError:
            return sample
    if kind == "int":
        return 1_700_000_000_000 + zlib.crc32(seed.encode()) % 99_999_999_999
    return {"number": 1.5, "str": "...", "bool": True, "list": [], "object": {}}.get(kind, "...")


def display(value: Any, samples: dict[str, Any], seed: str = "") -> Any:
    """The pattern as shown in the docs: placeholders and variables replaced by samples."""
    if isinstance(value, str):
        placeholder = PLACEHOLDER.match(value)
        if placeholder:
            kind, name, sample = placeholder.groups()
            if name:
                return samples[name]
            return _sample(kind, sample, seed)
        return substitute(value, samples)
    if isinstance(value, list):
        items = value[1:] if value[:1] == [UNORDERED] else value
        return [display(item, samples, f"{seed}[{i}]") for i, item in enumerate(items)]
    if isinstance(value, dict):
        return {
            substitute(k, samples): display(v, samples, f"{seed}.{k}") for k, v in value.items()
        }
    return value


def request_of(step: dict[str, Any]) -> dict[str, Any]:
    """The request envelope of a step (version 6 unless the step says otherwise)."""
    envelope: dict[str, Any] = {"action": step["action"]}
    version = step.get("version", 6)
    if version is not None:
        envelope["version"] = version
    if step.get("params"):
        envelope["params"] = step["params"]
    return envelope


def expected_reply(step: dict[str, Any]) -> Any:
    """The reply pattern of a step: error envelope, bare result (version <= 4) or envelope."""
    if "error" in step:
        return {"result": None, "error": step["error"]}
    version = step.get("version", 6)
    if version is None or version <= 4:
        return step.get("result")
    return {"result": step.get("result"), "error": None}


# --------------------------------------------------------------------- registry


def load_registry() -> dict[str, Any]:
    import anki.collection  # noqa: F401  (anki.cards must not be imported first)

    import plugin.actions  # noqa: F401  (fills the registry)
    from plugin.api.registry import REGISTRY

    return REGISTRY


def type_text(schema: dict[str, Any]) -> str:
    """A compact, TypeScript-like rendering of a JSON schema fragment."""
    if not schema:
        return "any"
    if "anyOf" in schema:
        parts = [type_text(s) for s in schema["anyOf"]]
        return " | ".join(dict.fromkeys(parts))
    if "enum" in schema:
        return " | ".join(json.dumps(v) for v in schema["enum"])
    kind = schema.get("type")
    if kind == "array":
        if "prefixItems" in schema:
            return "[" + ", ".join(type_text(s) for s in schema["prefixItems"]) + "]"
        item = type_text(schema.get("items", {}))
        return f"({item})[]" if " | " in item else f"{item}[]"
    if kind == "object":
        if "properties" in schema:
            required = set(schema.get("required", []))
            fields = [
                f"{name}{'' if name in required else '?'}: {type_text(sub)}"
                for name, sub in schema["properties"].items()
            ]
            return "{" + ", ".join(fields) + "}"
        value = schema.get("additionalProperties", {})
        return "object" if value in ({}, True) else "{string: " + type_text(value) + "}"
    return str(kind)


def doc_parts(action: Any) -> tuple[str, str]:
    """Summary and description. The registry splits the docstring at its first line
    break; a summary wrapped onto a second line is joined back with its paragraph."""
    summary, description = action.summary, action.description
    if summary and not summary.endswith((".", ")", "`", ":", "!", "?")) and description:
        first, _, rest = description.partition("\n\n")
        summary = summary + " " + " ".join(first.split())
        description = rest.strip()
    return summary, description


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def pretty_json(value: Any, indent: int = 0, used: int = 0, width: int = 88) -> str:
    """Indented JSON that keeps short arrays and objects on one line.

    ``used`` is the length of what precedes the value on its line (a key)."""
    flat = json.dumps(value, ensure_ascii=False)
    if indent + used + len(flat) <= width or not isinstance(value, (list, dict)) or not value:
        return flat
    inner = " " * (indent + 4)
    if isinstance(value, list):
        items = [inner + pretty_json(item, indent + 4, 0, width) for item in value]
    else:
        items = []
        for key, item in value.items():
            prefix = json.dumps(key, ensure_ascii=False) + ": "
            items.append(inner + prefix + pretty_json(item, indent + 4, len(prefix), width))
    brackets = "[]" if isinstance(value, list) else "{}"
    return brackets[0] + "\n" + ",\n".join(items) + "\n" + " " * indent + brackets[1]


def _code_block(value: Any) -> str:
    return "```json\n" + pretty_json(value) + "\n```"


def shown_params(action: Any) -> list[Any]:
    hidden = SERVER_FILLED.get(action.name, ())
    return [p for p in action.params if p.name not in hidden]


# What each effect (plugin/api/effects.py) means for a caller, shown per action.
EFFECT_TEXT = {
    "reads": "changes nothing; Anki's own pages (card templates) may call it.",
    "writes": "changes the collection or media; refused to Anki's own pages unless the "
    "setting `ankiPagesAllow` lists `writes` (see [security.md](security.md)).",
    "gui": "opens or switches Anki's windows; refused to Anki's own pages unless "
    "`ankiPagesAllow` lists `gui`.",
    "files": "touches files outside the collection; a `path` from a caller with an "
    "Origin needs `allowFilePathsFromWeb`, Anki's own pages need `ankiPagesAllow` `files`.",
}


def action_section(action: Any, info: dict[str, Any], examples: list[Any], samples: Any) -> str:
    summary, description = doc_parts(action)
    lines = [f"## {action.name}", "", summary, ""]
    if description:
        lines += [description, ""]
    lines += [f"**Effect**: `{action.effect}` — {EFFECT_TEXT[action.effect]}", ""]
    params = shown_params(action)
    overrides = info.get("paramTypes", {})
    if params:
        lines += ["**Params**", "", "| name | type | required | default |", "|---|---|---|---|"]
        for param in params:
            shown = overrides.get(param.name, type_text(param.schema))
            default = "" if param.required else f"`{_cell(json.dumps(param.default))}`"
            required = "yes" if param.required else "no"
            lines.append(f"| `{param.name}` | `{_cell(shown)}` | {required} | {default} |")
        lines.append("")
    elif action.name in SERVER_FILLED:
        names = ", ".join(f"`{n}`" for n in SERVER_FILLED[action.name])
        lines += [f"**Params**: none; the server fills in {names} from the request.", ""]
    else:
        lines += ["**Params**: none.", ""]
    result = info.get("resultType", type_text(action.result_schema))
    lines += [f"**Result**: `{result}`", ""]
    errors = info.get("errors", [])
    if errors:
        lines += ["**Errors**", ""]
        lines += [f"- `{e['error']}` — {e['when']}" for e in errors]
        lines.append("")
    for number, example in enumerate(examples, 1):
        title = example.get("title") or ("Example" if len(examples) == 1 else f"Example {number}")
        lines += [f"**{title}**", ""]
        seed = f"{action.name}#{number}"
        lines += [_code_block(display(request_of(example), samples, seed + "q")), ""]
        lines += [_code_block(display(expected_reply(example), samples, seed + "r")), ""]
        if example.get("note"):
            lines += [example["note"], ""]
    return "\n".join(lines)


def category_page(category: str, registry: dict[str, Any]) -> str:
    from plugin.api.registry import actions_in

    data = load_examples(category)
    samples = sample_values(data)
    actions = actions_in(category, registry)
    title = CATEGORY_TITLES[category]
    lines = [
        f"# {title} actions",
        "",
        "<!-- Generated by scripts/gen_docs.py from the action registry and "
        f"docs/examples/{category}.json; do not edit. -->",
        "",
    ]
    if data.get("intro"):
        lines += [data["intro"], ""]
    lines += [
        "Send each request as the body of a POST to `http://127.0.0.1:8765`, e.g. "
        "`curl -s localhost:8765 -d '<request>'`. Every example below is run by the test "
        "suite against a real Anki; ids, timestamps and paths in the replies are samples "
        "and differ in your collection. Errors common to all actions (unknown or missing "
        "params, wrong param types, `collection is not available`, API key) are described "
        "in [protocol.md](protocol.md).",
        "",
    ]
    lines += [f"- [{a.name}](#{a.name.lower()}) — {doc_parts(a)[0]}" for a in actions]
    lines.append("")
    infos = data.get("actions", {})
    for action in actions:
        examples = [e for e in data.get("examples", []) if e["action"] == action.name]
        lines.append(action_section(action, infos.get(action.name, {}), examples, samples))
    return "\n".join(lines).rstrip() + "\n"


def index_page(registry: dict[str, Any]) -> str:
    from plugin.api.registry import CATEGORIES, actions_in

    lines = [
        "# AnkiConnect API reference",
        "",
        "<!-- Generated by scripts/gen_docs.py; do not edit. -->",
        "",
        f"{len(registry)} actions in {len(CATEGORIES)} categories. Each page documents its "
        "actions' params, result, errors and a request/reply example that the test suite "
        "runs against a real Anki. The whole API is also described as OpenAPI 3.1 in "
        "[openapi.json](openapi.json).",
        "",
        "## Guides",
        "",
    ]
    lines += [f"- [{title}]({link}) — {about}" for link, title, about in HAND_WRITTEN]
    for category in CATEGORIES:
        actions = actions_in(category, registry)
        title = CATEGORY_TITLES[category]
        lines += [
            "",
            f"## [{title}]({category}.md)",
            "",
            "| action | effect | summary |",
            "|---|---|---|",
        ]
        lines += [
            f"| [{a.name}]({category}.md#{a.name.lower()}) | {a.effect} "
            f"| {_cell(doc_parts(a)[0])} |"
            for a in actions
        ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------- OpenAPI


def openapi_document(registry: dict[str, Any]) -> dict[str, Any]:
    from plugin.api.registry import CATEGORIES, actions_in

    paths: dict[str, Any] = {}
    for category in CATEGORIES:
        data = load_examples(category)
        samples = sample_values(data)
        for action in actions_in(category, registry):
            examples = [e for e in data.get("examples", []) if e["action"] == action.name]
            paths[f"/#{action.name}"] = {"post": _operation(action, examples, samples)}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "AnkiConnect",
            "version": "6",
            "description": (
                "The AnkiConnect JSON API. Every action is a POST of a JSON object to `/`; "
                "the `/#<action>` path keys only give each action its own operation. "
                "Replies are described for `version` 5 or later; with version 4 or lower "
                "(or none) a success is the bare result. See docs/protocol.md."
            ),
            "license": {"name": "GPL-3.0-or-later", "identifier": "GPL-3.0-or-later"},
        },
        "servers": [{"url": "http://127.0.0.1:8765"}],
        "tags": [
            {"name": c, "description": f"{CATEGORY_TITLES[c]} actions ({c}.md)"} for c in CATEGORIES
        ],
        "paths": paths,
    }


def _operation(action: Any, examples: list[Any], samples: Any) -> dict[str, Any]:
    params = shown_params(action)
    params_schema = {
        "type": "object",
        "properties": {p.name: p.schema for p in params},
        "required": [p.name for p in params if p.required],
        "additionalProperties": False,
    }
    properties: dict[str, Any] = {
        "action": {"const": action.name},
        "version": {"type": "integer", "minimum": 5, "default": 6},
        "key": {"type": "string", "description": "the apiKey, when one is configured"},
        "params": params_schema,
    }
    required = ["action", "version"] + (["params"] if params_schema["required"] else [])
    request_schema = {"type": "object", "properties": properties, "required": required}
    reply_schema = {
        "oneOf": [
            {
                "type": "object",
                "properties": {"result": action.result_schema, "error": {"type": "null"}},
                "required": ["result", "error"],
            },
            {
                "type": "object",
                "properties": {"result": {"type": "null"}, "error": {"type": "string"}},
                "required": ["result", "error"],
            },
        ]
    }
    request_examples: dict[str, Any] = {}
    reply_examples: dict[str, Any] = {}
    for number, example in enumerate(examples, 1):
        seed = f"{action.name}#{number}"
        summary = example.get("title") or f"Example {number}"
        request = display(request_of(example), samples, seed + "q")
        request_examples[f"example{number}"] = {"summary": summary, "value": request}
        reply = display(expected_reply(example), samples, seed + "r")
        reply_examples[f"example{number}"] = {"summary": summary, "value": reply}
    summary, description = doc_parts(action)
    return {
        "operationId": action.name,
        "tags": [action.category],
        "x-effect": action.effect,
        "summary": summary,
        **({"description": description} if description else {}),
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": request_schema, "examples": request_examples}
            },
        },
        "responses": {
            "200": {
                "description": "The result, or the error text (always HTTP 200).",
                "content": {
                    "application/json": {"schema": reply_schema, "examples": reply_examples}
                },
            },
            "403": {
                "description": "The Origin or Host of the request is not allowed, or the "
                "action's effect (x-effect) is not allowed for Anki's own pages; the JSON "
                "error, when there is one, names the setting that allows it."
            },
        },
    }


# --------------------------------------------------------------------- main


def generated_files() -> dict[Path, str]:
    from plugin.api.registry import CATEGORIES

    registry = load_registry()
    files = {DOCS / f"{c}.md": category_page(c, registry) for c in CATEGORIES}
    files[DOCS / "index.md"] = index_page(registry)
    openapi = openapi_document(registry)
    files[DOCS / "openapi.json"] = json.dumps(openapi, indent=2, ensure_ascii=False) + "\n"
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only compare with the files")
    args = parser.parse_args(argv)
    stale = []
    for path, text in generated_files().items():
        current = path.read_text(encoding="utf8") if path.exists() else None
        if current == text:
            continue
        stale.append(path)
        if args.check:
            diff = difflib.unified_diff(
                (current or "").splitlines(), text.splitlines(), str(path), "generated", lineterm=""
            )
            print("\n".join(list(diff)[:40]))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf8")
    rel = [str(p.relative_to(REPO_ROOT)) for p in stale]
    if args.check:
        if stale:
            print("out of date: " + ", ".join(rel) + " (run scripts/gen_docs.py)")
            return 1
        return 0
    print("wrote " + (", ".join(rel) if rel else "nothing (all current)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
