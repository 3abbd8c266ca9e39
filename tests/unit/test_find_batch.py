"""Yomitan's multi of findNotes, answered in about one pass, gives exactly what the
same findNotes items give one by one: results, their order, errors, keys, versions."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from anki.collection import Collection
from anki.decks import DeckId

from plugin.api import dispatch
from plugin.api.context import ActionContext
from plugin.collection.find_batch import find_notes_many


def add(col: Collection, model: str, deck: str, **fields: str) -> int:
    note = col.new_note(col.models.by_name(model))  # type: ignore[arg-type]
    for name, value in fields.items():
        note[name] = value
    col.add_note(note, DeckId(col.decks.id(deck)))  # type: ignore[arg-type]
    return int(note.id)


def mining_type(col: Collection, name: str, first: str) -> None:
    models = col.models
    model = models.new(name)
    for field in (first, "Meaning"):
        models.add_field(model, models.new_field(field))
    template = models.new_template("Card")
    template["qfmt"], template["afmt"] = "{{" + first + "}}", "{{Meaning}}"
    models.add_template(model, template)
    models.add(model)


@pytest.fixture
def filled(col: Collection) -> Collection:
    mining_type(col, "Mining", "Expression")
    mining_type(col, "Other", "expression")  # the same field name, other case
    for word, deck in (("猫", "Mining"), ("犬", "Mining::Anime"), ("Apfel", "Mining")):
        add(col, "Mining", deck, Expression=word, Meaning="m")
    add(col, "Other", "Other", expression="犬", Meaning="dup in another type")
    add(col, "Mining", "Mining", Expression="<b>鳥</b>", Meaning="html")
    add(col, "Mining", "Mining", Expression="äpfel", Meaning="lower umlaut")
    add(col, "Mining", "Mining", Expression="Äpfel", Meaning="upper umlaut")
    add(col, "Mining", "Mining", Expression="魚 ", Meaning="trailing space")
    add(col, "Basic", "Default", Front="猫", Back="a Front field, not Expression")
    return col


YOMITAN = [
    '"expression:猫"',
    '"expression:犬"',  # two notes (two note types): left to its own search
    '"deck:Mining::Anime" "expression:犬"',
    '"deck:Other" "expression:犬"',
    '"expression:apfel"',  # ASCII case folds
    '"expression:äpfel"',  # non-ASCII case does not
    '"expression:鳥"',  # the field holds HTML: no match
    '"expression:魚"',
    '"expression:未知"',
    '"deck:nowhere" "expression:猫"',
    '"front:猫"',
    '"meaning:m"',
    '"deck:Mining" "expression:猫"',
]
ODD = [
    '"expression:猫*"',  # wildcard: not the plain shape
    '"expression:re:猫"',
    "expression:猫",
    '"tag:猫"',
    '"nosuchfield:猫"',
    '"expression:(',  # bad search: its own error text
    "",
]


def one_by_one(ctx: ActionContext, items: list[dict[str, Any]]) -> list[Any]:
    return [dispatch.run_sync(item, ctx) for item in items]


def as_multi(ctx: ActionContext, items: list[dict[str, Any]]) -> Any:
    return dispatch.run_sync({"action": "multi", "version": 6, "params": {"actions": items}}, ctx)


def test_batch_answers_the_plain_queries_exactly(filled: Collection) -> None:
    answers = find_notes_many(filled, YOMITAN + ODD)
    for query, found in answers.items():
        assert found == [int(n) for n in filled.find_notes(query)], query
    assert '"expression:猫"' in answers and '"expression:未知"' in answers
    assert '"expression:犬"' not in answers  # two results: Anki's order decides
    assert not set(ODD) & set(answers)


def test_multi_equals_separate_requests(filled: Collection, ctx: ActionContext) -> None:
    items: list[dict[str, Any]] = [
        {"action": "findNotes", "params": {"query": query}} for query in YOMITAN + ODD
    ]
    items[1]["version"] = 6
    items[4]["params"]["extra"] = 1  # a param error, not an answer
    items.insert(6, {"action": "deckNames"})
    items.append({"action": "findNotes", "params": {}})
    items.append({"action": "findNotes", "params": {"query": 5}})
    reply = as_multi(ctx, items)
    assert reply["error"] is None
    assert reply["result"] == one_by_one(ctx, items)
    assert any(isinstance(r, dict) and r.get("error") for r in reply["result"])


def test_each_item_is_key_checked(filled: Collection, ctx: ActionContext) -> None:
    keyed = replace(ctx, settings=replace(ctx.settings, apiKey="k"))
    items = [
        {"action": "findNotes", "key": "k", "params": {"query": '"expression:猫"'}},
        {"action": "findNotes", "params": {"query": '"expression:犬"'}},
        {"action": "findNotes", "key": "wrong", "params": {"query": '"expression:未知"'}},
        {"action": "findNotes", "key": "k", "version": 6, "params": {"query": '"expression:未知"'}},
    ]
    multi = {"action": "multi", "key": "k", "version": 6, "params": {"actions": items}}
    reply = dispatch.run_sync(multi, keyed)
    assert reply["result"] == one_by_one(keyed, items)
    assert reply["result"][1] == {"result": None, "error": "valid api key must be provided"}


def test_a_write_between_lookups_is_seen(filled: Collection, ctx: ActionContext) -> None:
    note = {"deckName": "Mining", "modelName": "Mining", "fields": {"Expression": "新語"}}
    find = {"action": "findNotes", "params": {"query": '"expression:新語"'}}
    other = {"action": "findNotes", "params": {"query": '"expression:猫"'}}
    reply = as_multi(
        ctx, [find, other, {"action": "addNote", "params": {"note": note}}, find, other]
    )
    before, _, added, after, _ = reply["result"]
    assert before == [] and after == [added]


def test_no_answer_outlives_its_multi(filled: Collection, ctx: ActionContext) -> None:
    find = {"action": "findNotes", "params": {"query": '"expression:猫"'}}
    other = {"action": "findNotes", "params": {"query": '"expression:未知"'}}
    failed = as_multi(ctx, [find, other, "not an object"])
    assert failed["error"] == "'str' object has no attribute 'get'"
    assert ctx.prefetched == {}
    add(filled, "Mining", "Mining", Expression="猫", Meaning="a second cat")
    alone = dispatch.run_sync({**find, "version": 6}, ctx)["result"]
    assert len(alone) == 2
