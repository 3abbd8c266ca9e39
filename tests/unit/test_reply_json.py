"""Replies encoded in slices on a worker are byte for byte what json.dumps gives."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from plugin.api.reply_json import (
    BATCH,
    SLICE_BYTES,
    JsonArray,
    JsonArrayWriter,
    encode_reply,
    encode_slices,
    plain_json,
)
from plugin.http.response import JOIN_BELOW, HttpResponse

CARD = {
    "cardId": 1,
    "fields": {"Front": {"value": '猫 <b>"x"</b>\n', "order": 0}},
    "question": "<style>.card {}</style>猫",
    "nextReviews": ["<1m", "<6m", "<10m", "4d"],
    "flags": 0,
}

VALUES: list[Any] = [
    None,
    0,
    -1.5,
    math.inf,
    "é\u2028\ud83d",
    [],
    {},
    [[]],
    {"a": []},
    (1, (2, 3)),
    {1: "int key", None: "none key", 2.5: "float key", False: "bool key"},
    {"result": [CARD] * (3 * BATCH + 1), "error": None},
    [CARD] * BATCH,
    {str(i): [{"id": i}] for i in range(2 * BATCH + 5)},
    {i: [i] for i in range(BATCH + 1)},
    [[[[[[1, "deep"]]]]]],
    {"result": [{"result": [CARD] * (BATCH + 2), "error": None}, [1, 2]], "error": None},
    list(range(10 * BATCH)),
]


@pytest.mark.parametrize("value", VALUES)
def test_slices_join_to_json_dumps(value: Any) -> None:
    assert b"".join(encode_slices(value)) == json.dumps(value).encode("ascii")


def test_big_reply_comes_in_slices_of_about_a_mebibyte() -> None:
    reply = {"result": [{**CARD, "question": "x" * 2000} for _ in range(2000)], "error": None}
    slices = encode_slices(reply)
    assert b"".join(slices) == json.dumps(reply).encode("ascii")
    assert len(slices) > 2
    assert all(len(part) < 2 * SLICE_BYTES for part in slices)


def test_unencodable_replies_give_json_dumps_error_text() -> None:
    looped: list[Any] = []
    looped.append(looped)
    for value in ({"result": object(), "error": None}, looped):
        with pytest.raises((TypeError, ValueError)) as expected:
            json.dumps(value)
        encoded = encode_reply(value)
        assert encoded.body is None
        assert encoded.encode_error == str(expected.value)


def test_encoded_reply_keeps_the_error_and_logs_the_reply_before_consuming_it() -> None:
    reply = {"result": None, "error": "deck was not found"}
    assert encode_reply(reply).error == "deck was not found"
    assert encode_reply([1, 2]).error is None
    logged: list[str] = []
    big = {"result": [dict(CARD) for _ in range(3 * BATCH)], "error": None}
    encoded = encode_reply(big, log=lambda value: logged.append(json.dumps(value)))
    assert encoded.logged and not encode_reply(reply).logged
    assert logged == [b"".join(encoded.body or []).decode("ascii")]


def test_response_with_slices_is_written_without_joining_large_bodies() -> None:
    slices = [b"a" * JOIN_BELOW, b"b" * 10]
    response = HttpResponse(200, [("Content-Length", str(JOIN_BELOW + 10))], slices)
    parts = response.parts()
    assert parts[1:] == slices
    assert response.encode() == response.encode_head() + b"".join(slices)
    small = HttpResponse(200, [("Content-Length", "2")], [b"o", b"k"])
    assert small.parts() == [small.encode_head() + b"ok"]


def test_encoding_releases_the_reply_s_own_big_lists_but_not_shared_ones() -> None:
    cards = [dict(CARD) for _ in range(3 * BATCH)]
    reply = {"result": cards, "error": None}
    expected = json.dumps(reply).encode("ascii")
    del cards
    encoded = encode_reply(reply)
    assert b"".join(encoded.body or []) == expected
    assert reply["result"] == []  # emptied in batches on the worker

    shared = [dict(CARD) for _ in range(3 * BATCH)]
    reply = {"result": shared, "error": None}
    encode_reply(reply)
    assert len(shared) == 3 * BATCH  # someone else holds it: left alone


def written(items: list[Any]) -> JsonArray[Any]:
    writer = JsonArrayWriter()
    for start in range(0, len(items), 7):  # both ways of adding, as cardsInfo does
        if start % 2:
            writer.extend([json.dumps(item) for item in items[start : start + 7]])
        else:
            for item in items[start : start + 7]:
                writer.add(json.dumps(item))
    return writer.finish()


@pytest.mark.parametrize("count", [0, 1, 2, 8, 3 * BATCH])
def test_an_array_written_ahead_is_json_dumps_of_its_items(count: int) -> None:
    items = [dict(CARD, cardId=i) for i in range(count)]
    array = written(items)
    assert b"".join(array.slices) == json.dumps(items).encode("ascii")
    assert array.decoded() == items


def test_an_array_written_ahead_comes_in_slices_and_passes_through_replies() -> None:
    big = "x" * 4096
    items = [{"id": i, "text": big} for i in range(2 * SLICE_BYTES // 4096)]
    array = written(items)
    assert len(array.slices) >= 2
    assert all(len(part) < SLICE_BYTES + 2 * 4096 for part in array.slices)
    reply = {"result": [{"result": array, "error": None}, array, [1]], "error": None}
    plain = {"result": [{"result": items, "error": None}, items, [1]], "error": None}
    expected = json.dumps(plain).encode("ascii")
    assert b"".join(encode_slices(reply)) == expected
    encoded = encode_reply(reply)
    assert encoded.body is not None and b"".join(encoded.body) == expected
    # its slices are sent as they are, not copied into new ones
    assert any(part is array.slices[0] for part in encoded.body)
    # where it is nested deeper than the walk goes, json.dumps decodes it
    deep = [[[[[array]]]]]
    assert b"".join(encode_slices(deep)) == json.dumps([[[[[items]]]]]).encode("ascii")
    assert json.dumps(deep, default=plain_json) == json.dumps([[[[[items]]]]])
    with pytest.raises(TypeError, match="Object of type object is not JSON serializable"):
        json.dumps([object()], default=plain_json)


def test_the_api_log_writes_an_array_written_ahead_as_its_items(tmp_path: Any) -> None:
    from plugin.api.log import ApiLog

    path = tmp_path / "api.log"
    log = ApiLog(str(path))
    log.write("reply", {"result": written([{"a": 1}, {"b": [2]}]), "error": None})
    log.close()
    text = path.read_text(encoding="utf-8")
    assert json.loads(text.split("\n", 1)[1]) == {"result": [{"a": 1}, {"b": [2]}], "error": None}
