"""The dispatcher: key check, lookup, params binding, version shaping, multi (§A.4, §A.5)."""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import Any, Literal, TypedDict

import pytest

from plugin.api import dispatch
from plugin.api.context import ActionContext
from plugin.api.deferred import Deferred
from plugin.api.dispatch import run, run_sync, shape_reply
from plugin.api.registry import HIDDEN, REGISTRY, action


class _Point(TypedDict):
    x: int
    y: int


# Test-only actions: hidden (dispatchable, not listed), registered once per session.
if "_testThree" not in HIDDEN:

    @action("misc", runs="protocol", hidden=True, name="_testThree")
    def _test_three(ctx: ActionContext, a: int, b: str, c: list[int], d: bool = False) -> list[Any]:
        """Echo of required and optional params."""
        return [a, b, c, d]

    @action("misc", runs="protocol", hidden=True, name="_testTyped")
    def _test_typed(
        ctx: ActionContext,
        cards: list[int] | None = None,
        names: dict[str, int] | None = None,
        mode: Literal["a", "b"] = "a",
        point: _Point | None = None,
        number: float = 0.0,
        either: int | str = 0,
    ) -> bool:
        """Accepts well-typed params only."""
        return True

    @action("misc", runs="protocol", hidden=True, name="_testRaise")
    def _test_raise(ctx: ActionContext, kind: str) -> None:
        """Raises the exception named by `kind`."""
        if kind == "key":
            raise KeyError("fields")
        if kind == "index":
            [][0]  # noqa: B018
        if kind == "zero":
            1 / 0  # noqa: B018
        raise RuntimeError(kind)

    _PENDING: list[Deferred[Any]] = []

    @action("misc", runs="protocol", hidden=True, name="_testLater")
    def _test_later(ctx: ActionContext, value: Any = None) -> Deferred[Any]:
        """Answers when the test resolves the Deferred it queued."""
        deferred: Deferred[Any] = Deferred()
        _PENDING.append(deferred)
        return deferred

    @action("misc", runs="protocol", hidden=True, name="_testLoose", loose=("value",))
    def _test_loose(ctx: ActionContext, value: list[int]) -> Any:
        """`value` is not type-checked by schema."""
        return value

else:
    _PENDING = HIDDEN["_testLater"].func.__globals__["_PENDING"]


@pytest.fixture
def ctx(lazy_ctx: ActionContext) -> ActionContext:
    """Most tests here never touch the collection: open it only when an action asks."""
    return lazy_ctx


def reply(ctx: ActionContext, envelope: dict[str, Any]) -> Any:
    return run_sync(envelope, ctx)


def error_of(ctx: ActionContext, envelope: dict[str, Any]) -> str:
    answer = reply(ctx, {"version": 6, **envelope})
    assert answer["result"] is None, answer
    assert list(answer) == ["result", "error"]
    return answer["error"]


def with_key(ctx: ActionContext, key: Any) -> ActionContext:
    return replace(ctx, settings=replace(ctx.settings, apiKey=key))


# --- version shaping -------------------------------------------------------------------


def test_missing_version_is_4_and_bare(ctx: ActionContext) -> None:
    assert reply(ctx, {"action": "version"}) == 6
    assert reply(ctx, {"action": "deckNames"}) == ["Default"]


@pytest.mark.parametrize("version", [0, 1, 2, 4, 4.0, -1])
def test_versions_up_to_4_are_bare(ctx: ActionContext, version: Any) -> None:
    assert reply(ctx, {"action": "version", "version": version}) == 6


@pytest.mark.parametrize("version", [5, 6, 7, 100, 4.5])
def test_versions_from_5_are_enveloped(ctx: ActionContext, version: Any) -> None:
    answer = reply(ctx, {"action": "version", "version": version})
    assert answer == {"result": 6, "error": None}
    assert list(answer) == ["result", "error"]


def test_null_result_is_bare_null_at_v4(ctx: ActionContext) -> None:
    assert reply(ctx, {"action": "_testRaise", "params": {}}) == {
        "result": None,
        "error": "AnkiConnect._testRaise() missing 1 required positional argument: 'kind'",
    }


@pytest.mark.parametrize("version", [None, 2, 4, 6])
def test_errors_are_always_enveloped(ctx: ActionContext, version: Any) -> None:
    envelope: dict[str, Any] = {"action": "noSuchAction"}
    if version is not None:
        envelope["version"] = version
    assert reply(ctx, envelope) == {"result": None, "error": "unsupported action"}


def test_shape_reply_for_odd_versions() -> None:
    assert shape_reply(1, None, "6") == {"result": 1, "error": None}  # not comparable: envelope
    assert shape_reply(1, None, None) == {"result": 1, "error": None}
    assert shape_reply(1, None, True) == 1  # True <= 4, as Python compares it
    assert shape_reply(None, "x", 2) == {"result": None, "error": "x"}


# --- API key ---------------------------------------------------------------------------------


def test_key_sent_while_none_configured_is_refused(ctx: ActionContext) -> None:
    assert error_of(ctx, {"action": "version", "key": "abc"}) == "valid api key must be provided"
    assert error_of(ctx, {"action": "version", "key": ""}) == "valid api key must be provided"
    assert reply(ctx, {"action": "version", "key": None}) == 6


def test_configured_key_required(ctx: ActionContext) -> None:
    keyed = with_key(ctx, "s3cret")
    assert error_of(keyed, {"action": "version"}) == "valid api key must be provided"
    assert (
        error_of(keyed, {"action": "version", "key": "wrong"}) == "valid api key must be provided"
    )
    assert error_of(keyed, {"action": "version", "key": 1}) == "valid api key must be provided"
    assert reply(keyed, {"action": "version", "key": "s3cret"}) == 6


def test_key_error_precedes_unsupported_action(ctx: ActionContext) -> None:
    assert error_of(ctx, {"action": "nope", "key": "x"}) == "valid api key must be provided"
    keyed = with_key(ctx, "k")
    assert error_of(keyed, {"action": "nope"}) == "valid api key must be provided"
    assert error_of(keyed, {"action": "nope", "key": "k"}) == "unsupported action"


def test_key_error_precedes_param_errors(ctx: ActionContext) -> None:
    keyed = with_key(ctx, "k")
    envelope = {"action": "deckNames", "params": {"foobar": 1}}
    assert error_of(keyed, envelope) == "valid api key must be provided"


def test_request_permission_is_exempt_from_the_key(ctx: ActionContext) -> None:
    envelope = {"action": "requestPermission", "version": 6, "key": "anything"}
    envelope["params"] = {"origin": "http://localhost", "allowed": True}
    granted = {"permission": "granted", "requireApikey": False, "version": 6}
    assert reply(ctx, envelope) == {"result": granted, "error": None}
    keyed = with_key(ctx, "k")
    del envelope["key"]
    assert reply(keyed, envelope)["result"] == {**granted, "requireApikey": True}


# --- lookup ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["", "Version", "VERSION", "version ", "browse", "upgrade", 5, None]
)
def test_unsupported_action(ctx: ActionContext, name: Any) -> None:
    assert error_of(ctx, {"action": name}) == "unsupported action"


def test_missing_action_field_is_unsupported(ctx: ActionContext) -> None:
    assert error_of(ctx, {}) == "unsupported action"


def test_hidden_actions_dispatch_but_are_not_listed(ctx: ActionContext) -> None:
    assert "_testThree" in HIDDEN and "_testThree" not in REGISTRY
    assert reply(ctx, {"action": "_testThree", "params": {"a": 1, "b": "x", "c": []}}) == [
        1,
        "x",
        [],
        False,
    ]
    listed = reply(ctx, {"action": "apiReflect", "params": {"scopes": ["actions"]}})
    assert "_testThree" not in listed["actions"]


# --- params -------------------------------------------------------------------------------------


def test_add_note_missing_note(ctx: ActionContext) -> None:
    if "addNote" not in REGISTRY:
        pytest.skip("addNote not registered yet")
    assert (
        error_of(ctx, {"action": "addNote"})
        == "AnkiConnect.addNote() missing 1 required positional argument: 'note'"
    )


def test_request_permission_missing_both(ctx: ActionContext) -> None:
    assert (
        error_of(ctx, {"action": "requestPermission"})
        == "AnkiConnect.requestPermission() missing 2 required positional arguments: "
        "'origin' and 'allowed'"
    )


def test_gui_browse_unexpected_keyword(ctx: ActionContext) -> None:
    if "guiBrowse" not in REGISTRY:
        pytest.skip("guiBrowse not registered yet")
    envelope = {"action": "guiBrowse", "params": {"query": "deck:current", "foobar": 1}}
    assert (
        error_of(ctx, envelope)
        == "AnkiConnect.guiBrowse() got an unexpected keyword argument 'foobar'"
    )


def test_unexpected_param_on_a_parameterless_action(ctx: ActionContext) -> None:
    # E.g. `sync` with a `version` inside params (§E.15).
    assert (
        error_of(ctx, {"action": "version", "params": {"version": 6}})
        == "AnkiConnect.version() got an unexpected keyword argument 'version'"
    )


def _testThree(a: Any, b: Any, c: Any, d: Any = False) -> None:  # noqa: N802
    """Python's own binding of the same signature, for its exact texts."""


def _python_text(call: Any) -> str:
    try:
        call(_testThree)
    except TypeError as exc:
        return f"AnkiConnect.{exc}"
    raise AssertionError("no TypeError")


@pytest.mark.parametrize(
    ("params", "call"),
    [
        ({}, lambda f: f()),
        ({"a": 1}, lambda f: f(a=1)),
        ({"a": 1, "b": "x"}, lambda f: f(a=1, b="x")),
        ({"b": "x", "zz": 1}, lambda f: f(b="x", zz=1)),
        ({"a": 1, "b": "x", "c": [], "y": 1, "z": 2}, lambda f: f(a=1, b="x", c=[], y=1, z=2)),
    ],
)
def test_binding_texts_match_python(ctx: ActionContext, params: dict[str, Any], call: Any) -> None:
    assert error_of(ctx, {"action": "_testThree", "params": params}) == _python_text(call)


def test_null_params_are_not_a_mapping(ctx: ActionContext) -> None:
    # As in the original, `params: null` (reachable inside multi) is `**None`.
    assert (
        error_of(ctx, {"action": "version", "params": None})
        == "AnkiConnect.version() argument after ** must be a mapping, not NoneType"
    )


def test_non_object_params(ctx: ActionContext) -> None:
    assert (
        error_of(ctx, {"action": "version", "params": [1]})
        == "AnkiConnect.version() argument after ** must be a mapping, not list"
    )


@pytest.mark.parametrize(
    ("params", "text"),
    [
        ({"a": "1", "b": "x", "c": []}, "parameter 'a' must be integer, got \"1\""),
        ({"a": True, "b": "x", "c": []}, "parameter 'a' must be integer, got true"),
        ({"a": 1.5, "b": "x", "c": []}, "parameter 'a' must be integer, got 1.5"),
        ({"a": 1, "b": None, "c": []}, "parameter 'b' must be string, got null"),
        ({"a": 1, "b": "x", "c": [1, "2"]}, "parameter 'c[1]' must be integer, got \"2\""),
        ({"a": 1, "b": "x", "c": 5}, "parameter 'c' must be array, got 5"),
        ({"a": 1, "b": "x", "c": [], "d": 0}, "parameter 'd' must be boolean, got 0"),
    ],
)
def test_type_errors_name_the_param_and_type(
    ctx: ActionContext, params: dict[str, Any], text: str
) -> None:
    assert (
        error_of(ctx, {"action": "_testThree", "params": params})
        == f"AnkiConnect._testThree() {text}"
    )


def test_integral_float_passes_as_integer(ctx: ActionContext) -> None:
    assert reply(ctx, {"action": "_testThree", "params": {"a": 2.0, "b": "", "c": [1.0]}}) == [
        2.0,
        "",
        [1.0],
        False,
    ]


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"cards": [1, None]}, "parameter 'cards[1]' must be integer, got null"),
        ({"cards": "1"}, "parameter 'cards' must be array or null, got \"1\""),
        ({"names": {"a": "x"}}, "parameter 'names['a']' must be integer"),
        ({"mode": "c"}, "parameter 'mode' must be one of 'a', 'b', got \"c\""),
        ({"point": {"x": 1}}, "parameter 'point' must be an object with 'x', 'y', got {\"x\": 1}"),
        ({"point": {"x": 1, "y": "2"}}, "parameter 'point['y']' must be integer"),
        ({"number": "1"}, "parameter 'number' must be number"),
        ({"either": [1]}, "parameter 'either' must be integer or string, got [1]"),
    ],
)
def test_typed_params(ctx: ActionContext, params: dict[str, Any], fragment: str) -> None:
    text = error_of(ctx, {"action": "_testTyped", "params": params})
    assert text.startswith("AnkiConnect._testTyped() ")
    assert fragment in text


def test_typed_params_accept_good_values(ctx: ActionContext) -> None:
    params = {
        "cards": [1, 2],
        "names": {"a": 1},
        "mode": "b",
        "point": {"x": 1, "y": 2},
        "number": 1,
        "either": "s",
    }
    assert reply(ctx, {"action": "_testTyped", "params": params}) is True


def test_long_values_are_shortened_in_type_errors(ctx: ActionContext) -> None:
    text = error_of(ctx, {"action": "_testThree", "params": {"a": "x" * 1000, "b": "", "c": []}})
    assert len(text) < 250 and text.endswith("…")


def test_loose_params_are_not_type_checked(ctx: ActionContext) -> None:
    assert reply(ctx, {"action": "_testLoose", "params": {"value": "anything"}}) == "anything"


# --- exceptions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("key", "'fields'"),
        ("index", "list index out of range"),
        ("zero", "division by zero"),
        ("custom text", "custom text"),
    ],
)
def test_exceptions_become_their_str(ctx: ActionContext, kind: str, text: str) -> None:
    assert error_of(ctx, {"action": "_testRaise", "params": {"kind": kind}}) == text


def test_collection_not_available(ctx: ActionContext) -> None:
    closed = replace(ctx, get_collection=lambda: None)
    assert error_of(closed, {"action": "deckNames"}) == "collection is not available"


# --- deferred replies ---------------------------------------------------------------------------


def test_deferred_result_answers_later(ctx: ActionContext) -> None:
    _PENDING.clear()
    answers: list[Any] = []
    run({"action": "_testLater", "version": 6}, ctx, answers.append)
    assert answers == []
    with pytest.raises(RuntimeError):
        run_sync({"action": "_testLater"}, ctx)
    _PENDING[0].resolve({"late": True})
    assert answers == [{"result": {"late": True}, "error": None}]


def test_deferred_rejection_is_an_error(ctx: ActionContext) -> None:
    _PENDING.clear()
    answers: list[Any] = []
    run({"action": "_testLater"}, ctx, answers.append)
    _PENDING[0].reject(ValueError("dialog closed"))
    assert answers == [{"result": None, "error": "dialog closed"}]


# --- multi ---------------------------------------------------------------------------------------


def test_multi_spec_example_exactly(ctx: ActionContext) -> None:
    envelope = {
        "action": "multi",
        "version": 6,
        "params": {
            "actions": [
                {"action": "deckNames"},
                {"action": "deckNames", "version": 6},
                {"action": "invalidAction", "params": {"useless": "param"}},
                {"action": "invalidAction", "params": {"useless": "param"}, "version": 6},
            ]
        },
    }
    assert reply(ctx, envelope) == {
        "result": [
            ["Default"],
            {"result": ["Default"], "error": None},
            {"result": None, "error": "unsupported action"},
            {"result": None, "error": "unsupported action"},
        ],
        "error": None,
    }


def test_multi_at_v4_is_a_bare_list(ctx: ActionContext) -> None:
    envelope = {"action": "multi", "params": {"actions": [{"action": "version"}]}}
    assert reply(ctx, envelope) == [6]


def test_multi_items_errors_do_not_abort_others(ctx: ActionContext) -> None:
    items = [
        {"action": "_testRaise", "params": {"kind": "boom"}},
        {"action": "version"},
        {"action": "deckNames", "params": {"x": 1}},
        {"action": "version", "version": 6},
    ]
    assert reply(ctx, {"action": "multi", "version": 6, "params": {"actions": items}}) == {
        "result": [
            {"result": None, "error": "boom"},
            6,
            {
                "result": None,
                "error": "AnkiConnect.deckNames() got an unexpected keyword argument 'x'",
            },
            {"result": 6, "error": None},
        ],
        "error": None,
    }


def test_nested_multi(ctx: ActionContext) -> None:
    inner = {"action": "multi", "params": {"actions": [{"action": "version"}, {"action": "nope"}]}}
    inner6 = {**inner, "version": 6}
    envelope = {"action": "multi", "version": 6, "params": {"actions": [inner, inner6]}}
    assert reply(ctx, envelope)["result"] == [
        [6, {"result": None, "error": "unsupported action"}],
        {"result": [6, {"result": None, "error": "unsupported action"}], "error": None},
    ]


def test_multi_checks_the_key_per_item(ctx: ActionContext) -> None:
    keyed = with_key(ctx, "k")
    items = [
        {"action": "version"},
        {"action": "version", "key": "k"},
        {"action": "version", "key": "wrong"},
        {"action": "nope"},
    ]
    envelope = {"action": "multi", "version": 6, "key": "k", "params": {"actions": items}}
    assert reply(keyed, envelope)["result"] == [
        {"result": None, "error": "valid api key must be provided"},
        6,
        {"result": None, "error": "valid api key must be provided"},
        {"result": None, "error": "valid api key must be provided"},
    ]
    del envelope["key"]
    assert reply(keyed, envelope) == {"result": None, "error": "valid api key must be provided"}


@pytest.mark.parametrize(
    ("item", "text"),
    [
        ("version", "'str' object has no attribute 'get'"),
        (5, "'int' object has no attribute 'get'"),
        (None, "'NoneType' object has no attribute 'get'"),
        ([], "'list' object has no attribute 'get'"),
    ],
)
def test_multi_non_object_item_fails_the_whole_call(
    ctx: ActionContext, item: Any, text: str
) -> None:
    envelope = {"action": "multi", "params": {"actions": [{"action": "version"}, item]}}
    assert reply(ctx, envelope) == {"result": None, "error": text}


def test_multi_request_permission_item_fails(ctx: ActionContext) -> None:
    envelope = {"action": "multi", "params": {"actions": [{"action": "requestPermission"}]}}
    assert reply(ctx, envelope) == [
        {
            "result": None,
            "error": "AnkiConnect.requestPermission() missing 2 required positional arguments: "
            "'origin' and 'allowed'",
        }
    ]


def test_multi_missing_or_bad_actions(ctx: ActionContext) -> None:
    assert (
        error_of(ctx, {"action": "multi"})
        == "AnkiConnect.multi() missing 1 required positional argument: 'actions'"
    )
    assert error_of(ctx, {"action": "multi", "params": {"actions": {}}}).startswith(
        "AnkiConnect.multi() parameter 'actions' must be array"
    )
    assert reply(ctx, {"action": "multi", "params": {"actions": []}}) == []


def test_ten_thousand_items_do_not_overflow_the_stack(ctx: ActionContext) -> None:
    items = [{"action": "version"}] * 10_000
    result = reply(ctx, {"action": "multi", "params": {"actions": items}})
    assert result == [6] * 10_000
    assert sys.getrecursionlimit() < 10_000  # the test is meaningful: recursion would fail


def test_multi_with_deferred_items_keeps_order(ctx: ActionContext) -> None:
    _PENDING.clear()
    answers: list[Any] = []
    items = [
        {"action": "version"},
        {"action": "_testLater"},
        {"action": "version", "version": 6},
        {"action": "_testLater", "version": 6},
        {"action": "version"},
    ]
    run({"action": "multi", "version": 6, "params": {"actions": items}}, ctx, answers.append)
    assert answers == [] and len(_PENDING) == 1  # items run one after the other
    _PENDING[0].resolve("first")
    assert answers == [] and len(_PENDING) == 2
    _PENDING[1].reject(RuntimeError("second failed"))
    assert answers == [
        {
            "result": [
                6,
                "first",
                {"result": 6, "error": None},
                {"result": None, "error": "second failed"},
                6,
            ],
            "error": None,
        }
    ]


def test_many_deferred_items_resolved_one_by_one(ctx: ActionContext) -> None:
    _PENDING.clear()
    answers: list[Any] = []
    items = [{"action": "_testLater"}] * 3000
    run({"action": "multi", "params": {"actions": items}}, ctx, answers.append)
    index = 0
    while index < len(_PENDING):
        _PENDING[index].resolve(index)
        index += 1
    assert answers == [list(range(3000))]


def test_multi_item_version_is_not_inherited_even_at_v4_outer(ctx: ActionContext) -> None:
    envelope = {
        "action": "multi",
        "version": 4,
        "params": {"actions": [{"action": "version", "version": 5}]},
    }
    assert reply(ctx, envelope) == [{"result": 6, "error": None}]


def test_dispatch_constants() -> None:
    assert dispatch.DEFAULT_VERSION == 4
    assert dispatch.PERMISSION_ACTION == "requestPermission"


def test_id_lists_of_ints_or_strings_skip_full_validation() -> None:
    # getReviewsOfCards' `list[int | str]`: jsonschema took ~0.2 s for 20,000 ids
    schema = {"type": "array", "items": {"anyOf": [{"type": "integer"}, {"type": "string"}]}}
    assert dispatch._obviously_valid(schema, [1, "2", 3])
    assert dispatch._obviously_valid(schema, [])
    # what the fast check cannot vouch for goes to jsonschema (and its error text)
    for value in ([1, True], [1.0], [None], [[1]], "1"):
        assert not dispatch._obviously_valid(schema, value)
    nested = {"type": "array", "items": {"anyOf": [{"type": "integer"}, {"type": "object"}]}}
    assert not dispatch._obviously_valid(nested, [1, {}])
