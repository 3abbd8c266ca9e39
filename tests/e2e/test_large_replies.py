"""Over real HTTP: big replies, encoded in slices on Anki's worker, arrive whole and
byte for byte as json.dumps writes them; Yomitan's multi of findNotes, answered in one
pass, equals the same lookups sent one by one."""

from __future__ import annotations

import json
from typing import Any

from .conftest import AnkiFactory
from .support import anki_eval

EXTENSION = {"Origin": "chrome-extension://likgccmbimhjbgkjambclfkhldnlhbnn"}


def post(anki: Any, envelope: dict[str, Any]) -> bytes:
    status, _headers, body = anki.post_raw(json.dumps(envelope).encode(), EXTENSION)
    assert status == 200, body[:300]
    return bytes(body)


def test_big_reply_arrives_whole_and_as_json_dumps_writes_it(anki_factory: AnkiFactory) -> None:
    anki = anki_factory()
    notes = [
        {
            "deckName": "Big",
            "modelName": "Basic",
            "fields": {"Front": f'front 猫 {i} "quoted"', "Back": "back " * 20},
            "tags": ["big"],
        }
        for i in range(1500)
    ]
    anki.invoke("createDeck", deck="Big")
    ids = anki.invoke("addNotes", notes=notes)
    envelope = {"action": "notesInfo", "version": 6, "params": {"notes": ids}}
    body = post(anki, envelope)
    assert len(body) > 256 * 1024  # several slices
    reply = json.loads(body)
    assert body == json.dumps(reply).encode("ascii")
    infos = reply["result"]
    assert [info["noteId"] for info in infos] == ids
    assert infos[7]["fields"]["Front"]["value"] == 'front 猫 7 "quoted"'
    cards = anki.invoke("findCards", query="deck:Big")
    asked = [*cards, 1, cards[3]]  # an unknown id and a repeated one
    card_body = post(anki, {"action": "cardsInfo", "version": 6, "params": {"cards": asked}})
    assert card_body == json.dumps(json.loads(card_body)).encode("ascii")
    # encoded ahead over HTTP (JsonArray), as objects in-process: the same entries
    in_process = anki_eval(anki, f"result = mw.ankiconnect.call('cardsInfo', cards={asked!r})")
    assert card_body == json.dumps({"result": in_process, "error": None}).encode("ascii")
    assert len(in_process) == 1502 and in_process[-2] == {} and in_process[-1] == in_process[3]
    # inside a multi, and as the bare result of version 4
    item = {"action": "cardsInfo", "params": {"cards": cards[:5]}}
    multi = post(anki, {"action": "multi", "version": 6, "params": {"actions": [item, item]}})
    # (items without a version answer bare results)
    assert json.loads(multi) == {"result": [in_process[:5], in_process[:5]], "error": None}
    bare = post(anki, {"action": "cardsInfo", "version": 4, "params": {"cards": cards[:5]}})
    assert bare == json.dumps(in_process[:5]).encode("ascii")


def test_yomitan_multi_equals_lookups_one_by_one(anki_factory: AnkiFactory) -> None:
    anki = anki_factory({"apiKey": "secret"}, api_key="secret")
    anki.invoke("createDeck", deck="Other")
    for word, deck in (("鳥", "Japanese::Vocabulary"), ("魚", "Default"), ("魚", "Other")):
        anki.invoke(
            "addNote",
            note={
                "deckName": deck,
                "modelName": "Basic",
                "fields": {"Front": word},
                "options": {"allowDuplicate": True},
            },
        )
    queries = [
        '"front:猫"',
        '"front:犬"',
        '"deck:Japanese::Vocabulary" "front:鳥"',
        '"deck:Default" "front:鳥"',
        '"front:魚"',  # two notes: Anki's own order
        '"front:いない"',
        '("front:x"',  # a bad query: its own error
    ]
    items = [
        {"action": "findNotes", "params": {"query": query}, "key": "secret"} for query in queries
    ]
    items[1]["version"] = 6
    items[5]["key"] = "wrong"
    multi = {"action": "multi", "version": 2, "key": "secret", "params": {"actions": items}}
    together = json.loads(post(anki, multi))
    alone = [json.loads(post(anki, item)) for item in items]
    assert together == alone
    assert together[0] and together[2] and together[3] == [] and len(together[4]) == 2
    assert together[5] == {"result": None, "error": "valid api key must be provided"}
    assert together[6]["error"]
