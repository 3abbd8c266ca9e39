"""orjson's text stands in for json.dumps's only where the bytes are the same."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import math
import random
from typing import Any

import pytest

from plugin.api import orjson_text
from plugin.api.reply_json import BATCH, JsonArrayWriter, encode_slices

REVIEW_ROW = [1700000000123, 1600000000456, -1, 3, 21, 9, 2500, 6123, 1]
REVIEW = dict(
    zip(
        ["id", "usn", "ease", "ivl", "lastIvl", "factor", "time", "type"],
        [1, -1, 3, 4, 5, 2500, 900, 0],
        strict=True,
    )
)

# Values orjson must write for json.dumps (the review-log replies, and their kin).
PLAIN: list[Any] = [
    [],
    {},
    0,
    -(2**63),
    2**64 - 1,
    [REVIEW_ROW] * 3,
    {"1600000000456": [REVIEW] * 2, "7": []},
    [[True, False], {"a": [1, -2]}],
    ("tuple", (1, 2)),
    ["", "plain words", 'nested "[]{}" brackets are fine'.replace('"', "")],
]

# Values whose text differs, or might, or that json.dumps refuses: json.dumps decides.
NOT_PLAIN: list[Any] = [
    [1.5],
    [1.0],
    [1e16],
    [1e-7],
    [math.nan],
    [math.inf],
    [-math.inf],
    [None],
    ["a,b"],
    ["a:b"],
    {"a,b": 1},
    {"k:": 1},
    ["", ","],
    [",", ""],
    ["x", ":"],
    ['"quoted"'],
    ["back\\slash"],
    ["line\nbreak"],
    ["\x7f\x1f"],
    ["é"],
    ["\u2028"],
    ["a.b"],
    ["null"],
    [2**64],
    [-(2**63) - 1],
    {1: "int key"},
    {None: 1},
    [True, 1e5],
]


class Colour(enum.IntEnum):
    RED = 1


class Label(str):
    pass


@dataclasses.dataclass
class Point:
    x: int


# json.dumps refuses these: orjson must not write them.
REFUSED: list[Any] = [Point(1), datetime.date(2026, 1, 1), {b"k": 1}, [b"bytes"]]
# Subclasses of int and str: the same text or json.dumps's.
SUBCLASSED: list[Any] = [[Colour.RED], [Label("x")], {Label("k"): Colour.RED}]


@pytest.mark.parametrize("value", PLAIN)
def test_plain_values_are_written_by_orjson_as_json_dumps_writes_them(value: Any) -> None:
    assert orjson_text.dumps(value) == json.dumps(value)


@pytest.mark.parametrize("value", NOT_PLAIN + REFUSED)
def test_other_values_are_left_to_json_dumps(value: Any) -> None:
    assert orjson_text.dumps(value) is None


@pytest.mark.parametrize("value", SUBCLASSED)
def test_subclasses_of_int_and_str_are_written_alike(value: Any) -> None:
    assert orjson_text.dumps(value) in (None, json.dumps(value))


def test_deep_nesting_is_left_to_json_dumps() -> None:
    value: Any = [1]
    for _ in range(300):  # beyond orjson's depth limit, within json.dumps's
        value = [value]
    assert orjson_text.dumps(value) is None
    assert b"".join(encode_slices(value)) == json.dumps(value).encode("ascii")


def _random_value(rng: random.Random, depth: int) -> Any:
    pick = rng.randrange(10 if depth < 4 else 5)
    if pick == 0:
        return rng.choice([0, 1, -1, 2**63 - 1, 2**64, -(2**63), rng.randrange(-(10**15), 10**15)])
    if pick == 1:
        return rng.choice([True, False, None, 0.5, -2.0, 1e21, math.nan, math.inf])
    if pick in (2, 3, 4):
        return "".join(
            rng.choice(["a", "e", "0", " ", ",", ":", ".", '"', "\\", "é", "\n", "n", "u", "l"])
            for _ in range(rng.randrange(4))
        )
    if pick < 8:
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(5))]
    return {
        str(_random_value(rng, depth + 1)): _random_value(rng, depth + 1)
        for _ in range(rng.randrange(4))
    }


def test_random_values_are_json_dumps_or_refused() -> None:
    rng = random.Random(17)
    written = 0
    for _ in range(20_000):
        value = _random_value(rng, 0)
        text = orjson_text.dumps(value)
        if text is not None:
            assert text == json.dumps(value), value
            written += 1
    assert written > 2_000  # the fast path is taken, not only refused


@pytest.mark.parametrize(
    "reply",
    [
        {"result": [REVIEW_ROW] * (5 * BATCH + 3), "error": None},
        {"result": {str(i): [REVIEW] * (i % 3) for i in range(4 * BATCH + 1)}, "error": None},
        # plain batches, then one that is not: the rest of the list is json.dumps's
        {
            "result": [REVIEW_ROW] * (2 * BATCH) + [[1.5, "a, b"]] + [REVIEW_ROW] * BATCH,
            "error": None,
        },
    ],
)
def test_big_replies_in_slices_are_json_dumps(reply: dict[str, Any]) -> None:
    assert b"".join(encode_slices(reply)) == json.dumps(reply).encode("ascii")


def test_a_json_array_among_plain_batches_is_written_by_json_dumps() -> None:
    writer = JsonArrayWriter()
    writer.add(json.dumps(REVIEW))
    encoded = writer.finish()
    assert orjson_text.dumps([encoded]) is None  # orjson does not know it
    reply = {"result": [REVIEW_ROW] * (2 * BATCH) + [encoded] * BATCH, "error": None}
    decoded = {"result": [REVIEW_ROW] * (2 * BATCH) + [[REVIEW]] * BATCH, "error": None}
    assert b"".join(encode_slices(reply)) == json.dumps(decoded).encode("ascii")
