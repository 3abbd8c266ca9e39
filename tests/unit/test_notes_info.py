"""findNotes, notesInfo, notesModTime, deleteNotes, removeEmptyNotes (§B Notes, §E.11–E.14)."""

# Errors come back as the conftest's ApiError; they are caught as Exception (str() = text).

from __future__ import annotations

import json
import os
from types import SimpleNamespace
from typing import Any

import pytest
from anki.collection import Collection

from plugin.api.context import ActionContext
from tests.unit.conftest import Api


def add(api: Api, front: str, model: str = "Basic", tags: list[str] | None = None) -> int:
    note = {
        "deckName": "Default",
        "modelName": model,
        "fields": {"Front": front, "Back": "back"},
        "tags": tags or [],
    }
    return int(api("addNote", note=note))


def error_of(api: Api, action: str, **params: Any) -> str:
    with pytest.raises(Exception) as raised:
        api(action, **params)
    return str(raised.value)


def test_find_notes(api: Api) -> None:
    first, second = add(api, "cat"), add(api, "dog")
    assert api("findNotes") == []
    assert api("findNotes", query=None) == []
    assert sorted(api("findNotes", query="")) == sorted([first, second])
    assert api("findNotes", query="Front:cat") == [first]


def test_find_notes_bad_query_is_anki_search_error(api: Api) -> None:
    assert error_of(api, "findNotes", query="(")  # Anki's own text, non-empty


def test_notes_info_shape_and_key_order(api: Api, col: Collection) -> None:
    note_id = add(api, "cat", model="Basic (and reversed card)", tags=["b", "a"])
    [info] = api("notesInfo", notes=[note_id])
    assert list(info) == ["noteId", "profile", "tags", "fields", "modelName", "mod", "cards"]
    note = col.get_note(note_id)
    assert info["noteId"] == note_id
    assert info["profile"] == os.path.basename(os.path.dirname(col.path))
    assert info["tags"] == ["a", "b"]
    assert info["fields"] == {
        "Front": {"value": "cat", "order": 0},
        "Back": {"value": "back", "order": 1},
    }
    assert list(info["fields"]) == ["Front", "Back"]
    assert info["modelName"] == "Basic (and reversed card)"
    assert info["mod"] == note.mod
    assert info["cards"] == [card.id for card in sorted(note.cards(), key=lambda c: c.ord)]


def test_trap_e14_notes_info_cards_by_template_ord(api: Api, col: Collection) -> None:
    note = {"deckName": "Default", "modelName": "Cloze", "fields": {"Text": "{{c2::b}} {{c1::a}}"}}
    note_id = api("addNote", note=note)
    [info] = api("notesInfo", notes=[note_id])
    by_ord = {card.ord: card.id for card in col.get_note(note_id).cards()}
    assert info["cards"] == [by_ord[0], by_ord[1]]


def test_trap_e11_notes_info_aligned_with_unknown_as_empty_object(api: Api) -> None:
    first, second = add(api, "a"), add(api, "b")
    infos = api("notesInfo", notes=[second, 123, first, second])
    assert [info.get("noteId") for info in infos] == [second, None, first, second]
    assert infos[1] == {}


def test_notes_info_by_query_and_query_wins(api: Api) -> None:
    first, second = add(api, "cat"), add(api, "dog")
    assert [i["noteId"] for i in api("notesInfo", query="Front:dog")] == [second]
    assert [i["noteId"] for i in api("notesInfo", notes=[first], query="Front:dog")] == [second]
    assert api("notesInfo", notes=[]) == []


def test_notes_info_needs_notes_or_query(api: Api) -> None:
    assert error_of(api, "notesInfo") == 'Must provide either "notes" or a "query"'


def test_notes_info_profile_from_main_window(ctx: ActionContext, api: Api) -> None:
    note_id = add(api, "cat")
    ctx.main_window = SimpleNamespace(pm=SimpleNamespace(name="User 1"))
    assert api("notesInfo", notes=[note_id])[0]["profile"] == "User 1"


def test_notes_info_ten_thousand_notes_is_fast(api: Api, col: Collection) -> None:
    import time

    from anki.collection import AddNoteRequest

    notetype = col.models.by_name("Basic")
    requests = []
    for index in range(10_000):
        note = col.new_note(notetype)
        note.fields = [f"front {index}", "back"]
        requests.append(AddNoteRequest(note, 1))  # type: ignore[arg-type]
    col.add_notes(requests)
    ids = [request.note.id for request in requests]
    started = time.perf_counter()
    infos = api("notesInfo", notes=ids)
    elapsed = time.perf_counter() - started
    assert len(infos) == 10_000 and infos[-1]["fields"]["Front"]["value"] == "front 9999"
    assert elapsed < 2.0  # typically ~0.1 s; generous for slow CI machines


def test_notes_mod_time(api: Api, col: Collection) -> None:
    note_id = add(api, "cat")
    assert api("notesModTime", notes=[note_id, 5]) == [
        {"noteId": note_id, "mod": col.get_note(note_id).mod},
        {},
    ]


def test_delete_notes_deletes_cards_and_ignores_unknown(api: Api, col: Collection) -> None:
    keep = add(api, "keep")
    gone = add(api, "gone", model="Basic (and reversed card)")
    assert api("deleteNotes", notes=[gone, 999]) is None
    assert api("findNotes", query="") == [keep]
    assert col.card_count() == 1


def test_trap_e12_remove_empty_notes_deletes_unused_note_types(api: Api, col: Collection) -> None:
    add(api, "cat")
    assert api("removeEmptyNotes") is None
    assert [nt.name for nt in col.models.all_names_and_ids()] == ["Basic"]
    assert col.note_count() == 1


def reference_entry(col: Collection, note_id: int, profile: str) -> dict[str, Any]:
    """The entry the spec describes, built from Anki's Note object."""
    note = col.get_note(note_id)  # type: ignore[arg-type]
    notetype = note.note_type()
    assert notetype is not None
    cards = sorted(note.cards(), key=lambda card: card.ord)
    return {
        "noteId": note_id,
        "profile": profile,
        "tags": note.tags,
        "fields": {
            field["name"]: {"value": note.fields[field["ord"]], "order": field["ord"]}
            for field in notetype["flds"]
        },
        "modelName": notetype["name"],
        "mod": note.mod,
        "cards": [card.id for card in cards],
    }


def test_notes_info_written_as_text_is_json_dumps_of_the_entries(
    api: Api, ctx: ActionContext, col: Collection
) -> None:
    from plugin.api.reply_json import JsonArray

    odd = col.models.new('Odd "%s" 100% 猫')
    for name in ("Front 'q' <i>", "50% x", "猫\\"):
        col.models.add_field(odd, col.models.new_field(name))
    template = col.models.new_template("Card 1")
    template["qfmt"], template["afmt"] = "{{Front 'q' <i>}}", "{{50% x}}"
    col.models.add_template(odd, template)
    col.models.add(odd)
    note = col.new_note(col.models.by_name(odd["name"]))  # type: ignore[arg-type]
    note.fields = ["%d %s \u2028", "{}", "😀"]
    note.tags = ["tag1", "猫"]
    col.add_note(note, col.decks.id("Default"))  # type: ignore[arg-type]
    ids = [add(api, f'front {i} "q"', "Basic (and reversed card)") for i in range(3)]
    ids.append(int(note.id))
    asked: list[Any] = [*ids, 1, ids[0]]
    profile = api("notesInfo", notes=[ids[0]])[0]["profile"]
    expected = [reference_entry(col, i, profile) if i != 1 else {} for i in asked]
    assert api("notesInfo", notes=asked) == expected
    ctx.reply_is_json = True
    written = api("notesInfo", notes=asked)
    assert isinstance(written, JsonArray)
    assert b"".join(written.slices) == json.dumps(expected).encode("ascii")
    # a float id and a note with the wrong number of values take the object path
    col.db.execute("update notes set flds = 'one' where id = ?", ids[1])
    written = api("notesInfo", notes=[float(ids[0]), ids[1]])
    entries = json.loads(b"".join(written.slices))
    assert entries[0]["noteId"] == float(ids[0]) and entries[0]["fields"] == expected[0]["fields"]
    assert entries[1]["fields"] == {"Front": {"value": "one", "order": 0}}
    assert b"".join(written.slices) == json.dumps(entries).encode("ascii")
