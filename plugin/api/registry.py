"""The one registry of API actions.

Each category module decorates plain typed functions with :func:`action`. The
decorator reads the function's signature once, at import, and derives from it the
JSON schema of the params, the required and optional names, and the result schema.
The dispatcher, ``apiReflect``, the docs and the OpenAPI document all read from here,
so the API surface has a single source.

An action function takes the :class:`~plugin.api.context.ActionContext` as its first
positional parameter, then its params as named parameters whose names are the
wire names (camelCase, or snake_case where AnkiConnect uses it).
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

from .effects import Effect, effect_of
from .reply_json import JsonArray

CATEGORIES = ("cards", "decks", "gui", "media", "misc", "models", "notes", "stats")

# How an action must be run: on the collection (may run off the main thread once
# the server schedules background work), on the GUI (always the main thread), or
# neither (pure protocol actions such as `version`).
Runs = Literal["collection", "gui", "protocol"]

JsonSchema = dict[str, Any]


@dataclass(frozen=True)
class Param:
    name: str
    schema: JsonSchema
    required: bool
    default: Any = None
    # The hint admits a raw-text value (json_body.RawText): a long JSON string the
    # action may take as a view of the request bytes instead of a str.
    raw_text: bool = False


@dataclass(frozen=True)
class Action:
    name: str
    category: str
    func: Callable[..., Any]
    params: tuple[Param, ...]
    result_schema: JsonSchema
    runs: Runs
    summary: str
    description: str
    # What the action does (reads / writes / gui / files), from effects.py: what
    # Anki's own pages may call is decided from it, and the docs show it.
    effect: Effect = "writes"
    # Params are checked by the action itself (it reproduces the original's own
    # checks, e.g. setSpecificValueOfCard answering `false`), not by schema.
    loose_params: frozenset[str] = field(default_factory=frozenset)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params if p.required)

    @property
    def raw_text_params(self) -> frozenset[str]:
        return frozenset(p.name for p in self.params if p.raw_text)

    @property
    def param_names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.params)

    @property
    def params_schema(self) -> JsonSchema:
        return {
            "type": "object",
            "properties": {p.name: p.schema for p in self.params},
            "required": list(self.required),
            "additionalProperties": False,
        }


REGISTRY: dict[str, Action] = {}
# Actions registered by other add-ons in process (the test-only add-on of the e2e
# suite, tests/e2e/test_addon): dispatched like the others but absent from
# apiReflect, the docs and the OpenAPI document.
HIDDEN: dict[str, Action] = {}


def action(
    category: str,
    *,
    runs: Runs = "collection",
    name: str | None = None,
    loose: tuple[str, ...] = (),
    hidden: bool = False,
    effect: Effect | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as the API action of the same name.

    ``loose`` names params whose types are not validated by schema because the
    original answers wrong types with a specific result the action reproduces.
    ``effect`` is read from effects.py for public actions; hidden ones name it here.
    """
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}")

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        action_name = name or func.__name__
        table = HIDDEN if hidden else REGISTRY
        if action_name in table:
            raise ValueError(f"action {action_name!r} registered twice")
        if effect is not None:
            action_effect = effect
        else:  # a hidden action that names none is judged as a write, to be safe
            action_effect = "writes" if hidden else effect_of(action_name)
        params, result_schema = _signature_schemas(func, frozenset(loose))
        doc = inspect.getdoc(func) or ""
        summary, _, description = doc.partition("\n")
        table[action_name] = Action(
            name=action_name,
            category=category,
            func=func,
            params=params,
            result_schema=result_schema,
            runs=runs,
            summary=summary.strip(),
            description=description.strip(),
            loose_params=frozenset(loose),
            effect=action_effect,
        )
        return func

    return register


def register_hidden_action(
    func: Callable[..., Any], *, name: str, effect: Effect, runs: Runs = "gui"
) -> None:
    """Register an action for another add-on in process (``mw.ankiconnect``).

    It is hidden (not in apiReflect or the docs) and dispatched like the others, so
    the origin rules, the API key and the effect policy apply to it. The add-on
    itself ships no such action: the e2e suite's test add-on uses this.
    """
    if name in REGISTRY:
        raise ValueError(f"action {name!r} is a public action")
    HIDDEN.pop(name, None)  # a reloaded add-on replaces its own action
    action("misc", runs=runs, name=name, hidden=True, effect=effect)(func)


def _signature_schemas(
    func: Callable[..., Any], loose: frozenset[str]
) -> tuple[tuple[Param, ...], JsonSchema]:
    hints = get_type_hints(func, include_extras=False)
    signature = inspect.signature(func)
    parameters = list(signature.parameters.values())
    if not parameters or parameters[0].name != "ctx":
        raise TypeError(f"{func.__name__}: first parameter must be 'ctx'")
    params = []
    for parameter in parameters[1:]:
        if parameter.kind not in (
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            inspect.Parameter.KEYWORD_ONLY,
        ):
            raise TypeError(f"{func.__name__}: unsupported parameter {parameter.name}")
        required = parameter.default is inspect.Parameter.empty
        schema = {} if parameter.name in loose else schema_of(hints[parameter.name])
        params.append(
            Param(
                name=parameter.name,
                schema=schema,
                required=required,
                default=None if required else parameter.default,
                raw_text=_admits_raw_text(hints[parameter.name]),
            )
        )
    result = schema_of(hints["return"]) if "return" in hints else {}
    return tuple(params), result


def _admits_raw_text(tp: Any) -> bool:
    return any(getattr(arg, "__raw_text__", False) for arg in (get_args(tp) or (tp,)))


def schema_of(tp: Any) -> JsonSchema:
    """Translate a Python type hint into a JSON schema fragment."""
    if tp is Any or tp is object:
        return {}
    if tp is type(None) or tp is None:
        return {"type": "null"}
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer"}
    if tp is float:
        return {"type": "number"}
    if tp is str:
        return {"type": "string"}
    declared = getattr(tp, "__json_schema__", None)
    if isinstance(declared, dict):
        return dict(declared)  # a class standing for a JSON value (json_body.RawText)
    origin = get_origin(tp)
    args = get_args(tp)
    if origin is not None and getattr(origin, "__name__", "") == "Deferred":
        return schema_of(args[0])  # an action answering later: schema of its value
    if origin is JsonArray:
        return schema_of(list[args[0]])  # type: ignore[valid-type]  # a list encoded ahead
    if origin in (Union, types.UnionType):
        options: list[JsonSchema] = []
        for arg in args:
            option = schema_of(arg)
            if option not in options:
                options.append(option)
        return {"anyOf": options} if len(options) > 1 else options[0]
    if origin is Literal:
        return {"enum": list(args)}
    if origin in (list, tuple, typing.Sequence) or tp in (list, tuple):
        if origin is tuple and args and args[-1] is not Ellipsis:
            return {"type": "array", "prefixItems": [schema_of(a) for a in args]}
        items = schema_of(args[0]) if args else {}
        # An empty sub-schema accepts anything; leaving it out saves jsonschema a
        # walk over every element (10,000 notes) for nothing.
        return {"type": "array", "items": items} if items else {"type": "array"}
    if origin is dict or tp is dict:
        value = schema_of(args[1]) if len(args) == 2 else {}
        return {"type": "object", "additionalProperties": value} if value else {"type": "object"}
    if typing.is_typeddict(tp):
        hints = get_type_hints(tp)
        return {
            "type": "object",
            "properties": {key: schema_of(value) for key, value in hints.items()},
            "required": sorted(tp.__required_keys__),
        }
    raise TypeError(f"no JSON schema for type {tp!r}")


def actions_in(category: str, registry: dict[str, Action] | None = None) -> list[Action]:
    """The actions of one category, by name (the order of the docs and OpenAPI)."""
    table = REGISTRY if registry is None else registry
    return sorted((a for a in table.values() if a.category == category), key=lambda a: a.name)
