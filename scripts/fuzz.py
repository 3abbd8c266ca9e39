"""Fuzz a real Anki running this add-on: raw HTTP, request bodies and action params.

The end-to-end tests (``tests/e2e/test_robustness.py``) run every campaign here with
a CI-sized number of examples and a fixed seed; this script runs the same campaigns
for as long as you like against a fresh private Anki (or one already running)::

    python scripts/fuzz.py                       # every campaign, 2,000 examples each
    python scripts/fuzz.py --examples 20000 --seed 7 --campaign params
    python scripts/fuzz.py --port 8765 --campaign http   # attach to a running Anki

Every reply must be a well-formed response (a JSON reply or error, the spec's 403,
or our 400/413/431 JSON errors) and the server must keep answering ``version``. The
params campaign also prints the distinct error texts per action: a Python-internal
text there (``'NoneType' object has no attribute ...``) is worth a look.

Only a private instance should be fuzzed with the params campaign: it runs real
actions (deleting decks, changing models) with random arguments.
"""

from __future__ import annotations

import argparse
import collections
import json
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from plugin import actions as _actions  # noqa: E402,F401  (fills the registry)
from plugin.api.registry import REGISTRY, Action, JsonSchema  # noqa: E402
from tests.e2e.harness import AnkiInstance  # noqa: E402

# Statuses our server may answer with: 200, the spec's 403, and the JSON errors we
# add for requests that cannot be framed (bad Content-Length, too large, huge head).
VALID_STATUSES = frozenset({200, 400, 403, 413, 431})
SOCKET_TIMEOUT = 15.0
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"

# Actions never run with random params: they end the process or the profile, touch
# the network or arbitrary host paths, or open windows (every "gui" action too).
NEVER_EXECUTE = frozenset(
    {
        "guiExitAnki",
        "loadProfile",
        "reloadCollection",
        "sync",
        "exportPackage",
        "importPackage",
        "getProfiles",
        "getActiveProfile",
        "multi",  # gets its own strategy built from the safe actions
        # inside multi its params are the client's: allowed=false opens a dialog
        "requestPermission",
    }
)
# A private fuzz instance must be configured so that media params cannot reach the
# host's files or the network.
FUZZ_CONFIG: dict[str, Any] = {"mediaAllowPath": "never", "mediaAllowUrl": False}

WRONG_TYPE_CANDIDATES: tuple[Any, ...] = (
    None,
    True,
    0,
    -1,
    1.5,
    "text",
    [],
    [None],
    {},
    {"x": None},
)


# --------------------------------------------------------------------------- replies


def http_problem(raw: bytes, *, allow_empty: bool) -> str | None:
    """Why ``raw`` (everything the server sent until it closed) is not a valid
    response, or None. An empty answer is valid only when ``allow_empty``."""
    if raw.startswith(CONTINUE):
        # an interim answer to `Expect: 100-continue`; the final one may never come
        # when the client closes instead of sending the body
        return http_problem(raw[len(CONTINUE) :], allow_empty=True)
    if not raw:
        return None if allow_empty else "no response"
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        return f"unterminated response head: {raw[:120]!r}"
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or parts[0] != "HTTP/1.1" or not parts[1].isdigit():
        return f"bad status line: {lines[0]!r}"
    status = int(parts[1])
    if status not in VALID_STATUSES:
        return f"unexpected status {status}"
    headers = {
        name.lower(): value for name, _, value in (line.partition(": ") for line in lines[1:])
    }
    length = headers.get("content-length")
    if status == 403 and length is None:
        return None if body == b"" else f"403 with a body: {body[:80]!r}"
    if length is None or not length.isdigit():
        return f"status {status} without Content-Length"
    if len(body) < int(length):
        return f"body shorter than Content-Length ({len(body)} < {length})"
    if headers.get("content-type") != "application/json":
        return f"status {status} with content type {headers.get('content-type')!r}"
    if status == 200 and length == "0":
        return None  # the preflight answer to OPTIONS
    try:
        payload = json.loads(body[: int(length)])
    except ValueError as exc:
        return f"body is not JSON ({exc}): {body[:80]!r}"
    if status != 200:
        return envelope_problem(payload, must_be_error=True)
    return None


def envelope_problem(reply: Any, *, must_be_error: bool = False) -> str | None:
    """Why ``reply`` is not a version >= 5 envelope ``{result, error}``, or None."""
    if not isinstance(reply, dict) or set(reply) != {"result", "error"}:
        return f"not a {{result, error}} envelope: {str(reply)[:200]}"
    error = reply["error"]
    if error is None:
        return "an error was expected" if must_be_error else None
    if not isinstance(error, str):
        return f"error is not a string: {error!r}"
    # An empty text is possible: Anki raises some errors without a message (e.g.
    # InvalidInput for setDueDate days ""), and the reply carries str(exception).
    if reply["result"] is not None:
        return f"error reply with a result: {str(reply)[:200]}"
    return None


def exchange(port: int, data: bytes, timeout: float = SOCKET_TIMEOUT) -> bytes:
    """Send exact bytes, half-close, and read until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered early (e.g. 431) and closed: read what it sent
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except ConnectionResetError:
            pass
    return b"".join(chunks)


def post_json(port: int, body: bytes, headers: dict[str, str] | None = None) -> bytes:
    lines = ["POST / HTTP/1.1", f"Host: 127.0.0.1:{port}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return exchange(port, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)


def json_reply(raw: bytes) -> Any:
    problem = http_problem(raw, allow_empty=False)
    if problem:
        raise AssertionError(problem)
    return json.loads(raw.partition(b"\r\n\r\n")[2])


def assert_serving(port: int, within: float = 2.0) -> None:
    """The server still answers ``version`` promptly."""
    started = time.monotonic()
    reply = json_reply(post_json(port, b'{"action": "version", "version": 6}'))
    elapsed = time.monotonic() - started
    if reply != {"result": 6, "error": None} or elapsed > within:
        raise AssertionError(f"version answered {reply!r} after {elapsed:.2f} s")


def rss_kib(pid: int) -> int:
    """Resident memory of a process in KiB (Linux /proc)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


# --------------------------------------------------------------------------- values


def _text() -> st.SearchStrategy[str]:
    # st.text() leaves out surrogates; lone surrogates are legal in JSON ("\ud800")
    # and must not crash anything on their way to Anki's backend.
    return st.one_of(
        st.text(max_size=20),
        st.sampled_from(["", " ", "Default", "Basic", "Front", "*", "deck:*", "..", "\ud800"]),
        st.text(st.characters(codec=None, categories=["Cs", "Co", "Cc", "Zs"]), max_size=5),
    )


def _integers(known_ids: list[int]) -> st.SearchStrategy[int]:
    options = [st.integers(-(2**70), 2**70), st.integers(-3, 3)]
    if known_ids:
        options.append(st.sampled_from(known_ids))
    return st.one_of(*options)


def json_values(known_ids: list[int] | None = None) -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        _integers(known_ids or []),
        st.floats(allow_nan=False, allow_infinity=False),
        _text(),
    )
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=4), st.dictionaries(_text(), children, max_size=4)
        ),
        max_leaves=12,
    )


def from_schema(schema: JsonSchema, known_ids: list[int]) -> st.SearchStrategy[Any]:
    """Values valid for one of our param schemas (see plugin.api.registry.schema_of)."""
    if not schema:
        return json_values(known_ids)
    if "anyOf" in schema:
        return st.one_of(*(from_schema(s, known_ids) for s in schema["anyOf"]))
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return _integers(known_ids)
    if kind == "number":
        return st.one_of(st.floats(allow_nan=False, allow_infinity=False), _integers([]))
    if kind == "string":
        return _text()
    if kind == "array":
        if "prefixItems" in schema:
            return st.tuples(*(from_schema(s, known_ids) for s in schema["prefixItems"])).map(list)
        return st.lists(from_schema(schema.get("items", {}), known_ids), max_size=5)
    if kind == "object":
        if "properties" in schema:
            required = set(schema.get("required", ()))
            fixed = {k: from_schema(v, known_ids) for k, v in schema["properties"].items()}
            return st.fixed_dictionaries(
                {k: v for k, v in fixed.items() if k in required},
                optional={k: v for k, v in fixed.items() if k not in required},
            )
        values = from_schema(schema.get("additionalProperties", {}), known_ids)
        return st.dictionaries(_text(), values, max_size=4)
    raise ValueError(f"no strategy for schema {schema!r}")


def minimal_value(schema: JsonSchema) -> Any:
    """A small value valid for ``schema`` (fills the params not under test)."""
    if not schema:
        return None
    if "anyOf" in schema:
        return minimal_value(schema["anyOf"][0])
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    simple = {"null": None, "boolean": False, "integer": 0, "number": 0, "string": "", "array": []}
    if kind in simple:
        return simple[kind]
    if kind == "object":
        props = schema.get("properties", {})
        return {k: minimal_value(props[k]) for k in schema.get("required", ())}
    raise ValueError(f"no minimal value for schema {schema!r}")


def wrong_type_values(schema: JsonSchema) -> list[Any]:
    """Values of a JSON type the schema refuses (none for an untyped param)."""
    if not schema:
        return []
    validator = jsonschema.Draft202012Validator(schema)
    return [value for value in WRONG_TYPE_CANDIDATES if not validator.is_valid(value)]


# --------------------------------------------------------------------------- cases


def wrong_type_cases(actions: list[Action]) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(action, params, param name): one wrong-typed param, the others valid."""
    for found in actions:
        for param in found.params:
            if param.name in found.loose_params:
                continue
            for wrong in wrong_type_values(param.schema):
                params = {p.name: minimal_value(p.schema) for p in found.params if p.required}
                params[param.name] = wrong
                yield found.name, params, param.name


def raw_requests() -> st.SearchStrategy[bytes]:
    """Whole HTTP requests, most of them malformed somewhere."""
    methods = st.sampled_from(["POST", "GET", "OPTIONS", "PUT", "post", "PRI", "", "G\x00T"])
    targets = st.sampled_from(["/", "*", "http://evil.example/", "/" + "a" * 3000, "", "/%00"])
    versions = st.sampled_from(["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "", "http/1.1", "HTTP/9"])
    lengths = st.one_of(
        st.integers(-5, 2**70).map(str),
        st.sampled_from(["", "abc", " 5", "5 ", "0x10", "1e3", "+5", "\u00b2", "5, 5"]),
    )
    header = st.one_of(
        st.tuples(st.just("Content-Length"), lengths),
        st.tuples(st.just("Transfer-Encoding"), st.sampled_from(["chunked", "gzip, chunked", "x"])),
        st.tuples(st.just("Host"), st.sampled_from(["127.0.0.1", "localhost", "evil.example", ""])),
        st.tuples(st.just("Origin"), st.sampled_from(["http://localhost", "https://evil.example"])),
        st.tuples(st.just("Connection"), st.sampled_from(["keep-alive", "close", "Upgrade"])),
        st.tuples(st.just("Expect"), st.just("100-continue")),
        st.tuples(st.text(max_size=10), st.text(max_size=30)),
    )
    envelope = st.builds(
        lambda action, version: json.dumps({"action": action, "version": version}),
        st.sampled_from(["version", "deckNames", "nope", ""]),
        st.sampled_from([6, 4, "6"]),
    ).map(str.encode)
    bodies = st.one_of(st.binary(max_size=200), envelope, envelope.map(_chunked))
    newline = st.sampled_from(["\r\n", "\n"])

    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        nl = draw(newline)
        line = f"{draw(methods)} {draw(targets)} {draw(versions)}"
        headers = draw(st.lists(header, max_size=6))
        head = nl.join([line, *(f"{name}: {value}" for name, value in headers)]) + nl + nl
        return head.encode("utf-8", "surrogatepass") + draw(bodies)

    return build()


def _chunked(body: bytes) -> bytes:
    return f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"


def bodies() -> st.SearchStrategy[bytes]:
    """Request bodies: random bytes, random JSON, and envelopes with odd parts."""
    envelopes = st.fixed_dictionaries(
        {
            "action": st.one_of(
                _text(), st.sampled_from([a.name for a in executable_actions()]), json_values()
            )
        },
        optional={"version": json_values(), "params": json_values(), "key": json_values()},
    )
    return st.one_of(
        st.binary(max_size=300),
        json_values().map(lambda v: json.dumps(v).encode()),
        envelopes.map(lambda v: json.dumps(v).encode("utf-8", "surrogatepass")),
        st.text(max_size=50).map(lambda t: t.encode("utf-16")),
    )


def executable_actions() -> list[Action]:
    return sorted(
        (a for a in REGISTRY.values() if a.category != "gui" and a.name not in NEVER_EXECUTE),
        key=lambda a: a.name,
    )


def valid_envelopes(known_ids: list[int]) -> st.SearchStrategy[dict[str, Any]]:
    """Version-6 envelopes for the safe actions with params of the right types, and
    ``multi`` of such envelopes; optional params are left out at random."""

    def for_action(found: Action) -> st.SearchStrategy[dict[str, Any]]:
        required = {p.name: from_schema(p.schema, known_ids) for p in found.params if p.required}
        optional = {
            p.name: from_schema(p.schema, known_ids) for p in found.params if not p.required
        }
        params = st.fixed_dictionaries(required, optional=optional)
        return params.map(lambda p: {"action": found.name, "version": 6, "params": p})

    single = st.one_of(*(for_action(a) for a in executable_actions()))
    multi = st.lists(single, max_size=4).map(
        lambda items: {"action": "multi", "version": 6, "params": {"actions": items}}
    )
    return st.one_of(single, single, single, multi)


# --------------------------------------------------------------------------- campaigns


def _run(test: Callable[..., None], examples: int, seed_value: int) -> None:
    configured = settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    seed(seed_value)(configured(test))()


def http_campaign(port: int, examples: int, seed_value: int = 0) -> int:
    """Raw, mostly malformed requests; returns the number of inputs sent."""
    count = [0]

    @given(raw_requests())
    def one(data: bytes) -> None:
        count[0] += 1
        problem = http_problem(exchange(port, data), allow_empty=True)
        assert problem is None, f"{problem} for {data[:200]!r}"
        if count[0] % 50 == 0:
            assert_serving(port)

    _run(one, examples, seed_value)
    assert_serving(port)
    return count[0]


def body_campaign(port: int, examples: int, seed_value: int = 0) -> int:
    """Well-framed requests with random bodies; each must get a JSON reply."""
    count = [0]

    @given(bodies())
    def one(body: bytes) -> None:
        count[0] += 1
        raw = post_json(port, body)
        problem = http_problem(raw, allow_empty=False)
        assert problem is None, f"{problem} for {body[:200]!r}"
        assert raw.startswith(b"HTTP/1.1 200 "), raw[:200]

    _run(one, examples, seed_value)
    assert_serving(port)
    return count[0]


def known_ids(port: int) -> list[int]:
    """Ids of real cards, notes, decks and models, so random params hit real items."""
    ids: list[int] = []
    for action, params in (
        ("findCards", {"query": ""}),
        ("findNotes", {"query": ""}),
        ("deckNamesAndIds", {}),
        ("modelNamesAndIds", {}),
    ):
        body = json.dumps({"action": action, "version": 6, "params": params}).encode()
        result = json_reply(post_json(port, body))["result"]
        ids.extend(result.values() if isinstance(result, dict) else result)
    return ids[:50]


def params_campaign(
    port: int, examples: int, seed_value: int = 0, errors: dict[str, set[str]] | None = None
) -> int:
    """Real actions with random params of the right types (a PRIVATE instance only)."""
    count = [0]
    ids = known_ids(port)
    seen = errors if errors is not None else collections.defaultdict(set)

    @given(valid_envelopes(ids))
    def one(envelope: dict[str, Any]) -> None:
        count[0] += 1
        body = json.dumps(envelope).encode("utf-8", "surrogatepass")
        reply = json_reply(post_json(port, body))
        problem = envelope_problem(reply)
        assert problem is None, f"{problem} for {body[:300]!r}"
        if reply["error"] is not None:
            text = reply["error"][:160] or "<empty error text>"
            seen.setdefault(envelope["action"], set()).add(text)

    _run(one, examples, seed_value)
    assert_serving(port)
    return count[0]


CAMPAIGNS: dict[str, Callable[[int, int, int], int]] = {
    "http": http_campaign,
    "bodies": body_campaign,
    "params": params_campaign,
}


# --------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000, help="inputs per campaign")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--campaign", choices=[*CAMPAIGNS, "all"], default="all")
    parser.add_argument("--port", type=int, help="fuzz an Anki already running here")
    args = parser.parse_args(argv)
    names = list(CAMPAIGNS) if args.campaign == "all" else [args.campaign]
    instance: AnkiInstance | None = None
    if args.port is None:
        base = Path(tempfile.mkdtemp(prefix="ankiconnect-fuzz-")) / "base"
        instance = AnkiInstance(base, config=FUZZ_CONFIG).start()
        port = instance.port
        print(f"private Anki on port {port}, base folder {base}")
    else:
        port = args.port
    try:
        rss_before = rss_kib(instance.process.pid) if instance and instance.process else None
        for name in names:
            started = time.monotonic()
            errors: dict[str, set[str]] = collections.defaultdict(set)
            if name == "params":
                sent = params_campaign(port, args.examples, args.seed, errors)
            else:
                sent = CAMPAIGNS[name](port, args.examples, args.seed)
            print(f"{name}: {sent} inputs in {time.monotonic() - started:.1f} s, server up")
            for action in sorted(errors):
                for text in sorted(errors[action]):
                    shown = text.encode("utf-8", "backslashreplace").decode("utf-8")
                    print(f"  {action}: {shown}")
        if rss_before is not None and instance is not None and instance.process is not None:
            rss_after = rss_kib(instance.process.pid)
            print(f"Anki RSS {rss_before // 1024} MiB -> {rss_after // 1024} MiB")
    finally:
        if instance is not None:
            instance.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
