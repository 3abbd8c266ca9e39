"""Run one request envelope: key check, lookup, params, call, version shaping (§A.4).

Replies are delivered through a callback so that an action may answer later (the
permission dialog, work run off the main thread) while the server keeps serving
others. Actions that answer at once call the callback before :func:`run` returns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jsonschema

from .context import ActionContext
from .deferred import Deferred
from .errors import MAX_ERROR_VALUE_CHARS, param_type_error
from .json_body import RawText
from .registry import HIDDEN, REGISTRY, Action, action
from .security import api_key_matches

Reply = Any
ReplyCallback = Callable[[Reply], None]
# Works out answers for a run of consecutive `multi` items of one action at once
# (given each item's params) and leaves them in ctx.prefetched[action name].
Batcher = Callable[[ActionContext, list[Any]], None]
BATCHERS: dict[str, Batcher] = {}


def batcher(name: str) -> Callable[[Batcher], Batcher]:
    """Register how a run of `multi` items calling action ``name`` is answered at once.

    Each item is still run as its own request (key, params, version); the action
    looks for its answer in ``ctx.prefetched`` and works it out itself when absent.
    """

    def register(func: Batcher) -> Batcher:
        BATCHERS[name] = func
        return func

    return register


DEFAULT_VERSION = 4
PERMISSION_ACTION = "requestPermission"


def shape_reply(result: Any, error: str | None, version: Any) -> Reply:
    """Errors are always an envelope; successes are bare for version <= 4."""
    if error is not None:
        return {"result": None, "error": error}
    if _is_bare_version(version):
        return result
    return {"result": result, "error": None}


def _is_bare_version(version: Any) -> bool:
    try:
        return bool(version <= 4)
    except TypeError:
        return False


def error_text(exc: BaseException) -> str:
    """The exception's text, as the original sends it; never empty.

    Some Anki errors carry no message (`setDueDate` with `days: ""`), and an empty
    error would read as success to clients that test `if (error)`.
    """
    return str(exc) or type(exc).__name__


def run(envelope: dict[str, Any], ctx: ActionContext, done: ReplyCallback) -> None:
    """Answer one request envelope (already known to be a dict) through ``done``."""
    name = envelope.get("action", "")
    version = envelope.get("version", DEFAULT_VERSION)

    def finish(result: Any = None, error: str | None = None) -> None:
        done(shape_reply(result, error, version))

    try:
        if name != PERMISSION_ACTION and not api_key_matches(
            envelope.get("key"), ctx.settings.apiKey
        ):
            raise PermissionError("valid api key must be provided")
        found = (REGISTRY.get(name) or HIDDEN.get(name)) if isinstance(name, str) else None
        if found is None:
            raise LookupError("unsupported action")
        kwargs = bind_params(found, envelope.get("params", {}))
        outcome = found.func(ctx, **kwargs)
    except Exception as exc:  # every failure is a JSON error, never a dropped reply
        finish(error=error_text(exc))
        return
    if isinstance(outcome, Deferred):
        outcome.add_callback(
            lambda value, exc: finish(error=error_text(exc)) if exc is not None else finish(value)
        )
    else:
        finish(outcome)


def run_sync(envelope: dict[str, Any], ctx: ActionContext) -> Reply:
    """Run an envelope whose actions answer at once (the in-process API, tests)."""
    replies: list[Reply] = []
    run(envelope, ctx, replies.append)
    if not replies:
        raise RuntimeError(f"action {envelope.get('action')!r} did not answer synchronously")
    return replies[0]


# --- params -----------------------------------------------------------------------

_validators: dict[tuple[str, str], jsonschema.protocols.Validator] = {}


def bind_params(found: Action, params: Any) -> dict[str, Any]:
    """Check names like Python would, then types by schema; return the kwargs."""
    label = f"AnkiConnect.{found.name}()"
    if not isinstance(params, dict):
        raise TypeError(f"{label} argument after ** must be a mapping, not {_py_type(params)}")
    names = found.param_names
    for key in params:
        if key not in names:
            raise TypeError(f"{label} got an unexpected keyword argument '{key}'")
    missing = [name for name in found.required if name not in params]
    if missing:
        raise TypeError(f"{label} {_missing_text(missing)}")
    for param in found.params:
        if param.name in params and param.schema and param.name not in found.loose_params:
            value = params[param.name]
            if param.raw_text and isinstance(value, RawText):
                continue  # a JSON string by construction (see json_body.RawText)
            _check_type(found, param.name, param.schema, value)
    return params


def _missing_text(missing: list[str]) -> str:
    quoted = [f"'{name}'" for name in missing]
    if len(quoted) == 1:
        listed = quoted[0]
    elif len(quoted) == 2:
        listed = f"{quoted[0]} and {quoted[1]}"
    else:
        listed = ", ".join(quoted[:-1]) + f", and {quoted[-1]}"
    plural = "argument" if len(missing) == 1 else "arguments"
    return f"missing {len(missing)} required positional {plural}: {listed}"


_SCALAR_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "string": (str,),
    "boolean": (bool,),
}


def _obviously_valid(schema: dict[str, Any], value: Any) -> bool:
    """Fast path for the common shapes (an id list of 10,000 ints costs ~90 ms in
    jsonschema, ~1 ms here). Anything unusual falls through to full validation."""
    kind = schema.get("type")
    if kind in _SCALAR_TYPES and len(schema) == 1:
        return type(value) in _SCALAR_TYPES[kind]
    if kind == "object" and len(schema) == 1:
        return isinstance(value, dict)
    if kind == "array" and len(schema) == 1:
        return isinstance(value, list)
    if kind == "array" and isinstance(value, list) and set(schema) == {"type", "items"}:
        items = schema["items"]
        wanted = _scalar_types(items)
        if wanted is not None:
            return all(type(item) in wanted for item in value)
        if items == {"type": "object"}:
            return all(isinstance(item, dict) for item in value)
    return False


def _scalar_types(schema: dict[str, Any]) -> tuple[type, ...] | None:
    """The Python types of a scalar schema or an anyOf of them (`int | str` ids: full
    validation of 20,000 of those takes ~0.2 s); None for any other schema."""
    if set(schema) == {"type"} and schema["type"] in _SCALAR_TYPES:
        return _SCALAR_TYPES[schema["type"]]
    options = schema.get("anyOf")
    if set(schema) != {"anyOf"} or not isinstance(options, list):
        return None
    wanted: tuple[type, ...] = ()
    for option in options:
        types_of_option = _scalar_types(option) if isinstance(option, dict) else None
        if types_of_option is None:
            return None
        wanted += types_of_option
    return wanted


def _check_type(found: Action, name: str, schema: dict[str, Any], value: Any) -> None:
    if _obviously_valid(schema, value):
        return
    key = (found.name, name)
    validator = _validators.get(key)
    if validator is None:
        validator_class = jsonschema.validators.validator_for(
            schema, jsonschema.Draft202012Validator
        )
        validator = validator_class(schema)
        _validators[key] = validator
    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    if error is None:
        return
    where = name + "".join(
        f"[{step!r}]" if isinstance(step, str) else f"[{step}]" for step in error.absolute_path
    )
    raise param_type_error(found.name, where, _expected_text(error), error.instance)


def _expected_text(error: jsonschema.exceptions.ValidationError) -> str:
    if error.validator == "type":
        wanted = error.validator_value
        return " or ".join(wanted) if isinstance(wanted, list) else str(wanted)
    if error.validator == "anyOf":
        kinds = [s.get("type", "value") for s in error.validator_value if isinstance(s, dict)]
        return " or ".join(str(k) for k in kinds)
    if error.validator == "enum":
        return "one of " + ", ".join(repr(v) for v in error.validator_value)
    if error.validator == "required":
        return "an object with " + ", ".join(repr(v) for v in error.validator_value)
    return f"valid ({error.message[:MAX_ERROR_VALUE_CHARS]})"


def _py_type(value: Any) -> str:
    return "NoneType" if value is None else type(value).__name__


# --- multi ------------------------------------------------------------------------


@action("misc", runs="protocol")
def multi(ctx: ActionContext, actions: list[Any]) -> Deferred[list[Any]]:
    """Run several requests in one call; each item answers as its own request.

    Items do not inherit the outer version (no version means 4, a bare result) and
    each carries its own `key`. An item's error never stops the others.
    """
    deferred: Deferred[list[Any]] = Deferred()
    replies: list[Reply] = []
    batch_end = [0]  # the items before this index were covered by a batcher

    def advance() -> None:
        # Iterative, so 10,000 synchronous items do not grow the stack; an item that
        # answers later resumes the loop from its callback.
        while len(replies) < len(actions):
            index = len(replies)
            item = actions[index]
            if not isinstance(item, dict):
                ctx.prefetched.clear()
                deferred.reject(AttributeError(f"'{_py_type(item)}' object has no attribute 'get'"))
                return
            if index >= batch_end[0]:
                batch_end[0] = _prefetch(ctx, actions, index)
            state = {"synchronous": True}

            def on_reply(reply: Reply, state: dict[str, bool] = state) -> None:
                replies.append(reply)
                if not state["synchronous"]:
                    advance()

            run(item, ctx, on_reply)
            if len(replies) == index:
                state["synchronous"] = False
                return
        ctx.prefetched.clear()
        deferred.resolve(replies)

    advance()
    return deferred


def _prefetch(ctx: ActionContext, actions: list[Any], start: int) -> int:
    """Let a batcher answer the run of like items from ``start``; returns its end.

    Only a run of two or more consecutive items of one batchable action is batched,
    so no other item (a write, say) runs between the batch and its items.
    """
    ctx.prefetched.clear()
    name = _action_name(actions[start])
    found = BATCHERS.get(name) if name is not None else None
    end = start
    while end < len(actions) and _action_name(actions[end]) == name:
        end += 1
    if found is None or end - start < 2:
        return end  # nothing to batch up to there (and no rescan of the run per item)
    params = [actions[index].get("params") for index in range(start, end)]
    try:
        found(ctx, params)
    except Exception:
        ctx.prefetched.clear()  # each item then works out its own answer (or error)
    return end


def _action_name(item: Any) -> str | None:
    name = item.get("action") if isinstance(item, dict) else None
    return name if isinstance(name, str) else None
