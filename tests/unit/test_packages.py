"""exportPackage / importPackage against real Collections: a round trip into a fresh one."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from anki.collection import Collection
from anki.scheduler_pb2 import CardAnswer

from plugin.api import dispatch
from plugin.api.context import ActionContext, Caller

# Errors come back as the conftest's ApiError, whose str() is the error text.

SCHEDULING = "type, queue, due, ivl, factor, reps, lapses, left"


def add_notes(col: Collection, deck: str, fronts: list[str], tags: list[str]) -> None:
    deck_id = col.decks.id(deck)
    for front in fronts:
        note = col.new_note(col.models.by_name("Basic"))
        note["Front"] = front
        note["Back"] = f"back of {front}"
        note.tags = tags
        col.add_note(note, deck_id)


def answer_all(col: Collection, deck: str, rating: int) -> None:
    col.decks.select(col.decks.id_for_name(deck))
    while queued := col.sched.get_queued_cards(fetch_limit=1).cards:
        card = col.get_card(queued[0].card.id)
        if card.type != 0:  # answer each card once
            break
        card.start_timer()
        col.sched.answer_card(
            col.sched.build_answer(card=card, states=queued[0].states, rating=rating)
        )


def notes_by_front(col: Collection) -> dict[str, tuple[Any, ...]]:
    """Each note's content and identity. The note type is compared by its fields: the
    fresh collection has its own "Basic", so Anki names the imported one "Basic+"."""
    notes = {}
    for note_id in col.find_notes(""):
        note = col.get_note(note_id)
        fields = tuple(col.models.field_names(note.note_type()))
        notes[note["Front"]] = (note["Back"], sorted(note.tags), note.guid, fields)
    return notes


def scheduling_by_front(col: Collection) -> dict[str, tuple[Any, ...]]:
    rows = col.db.all(f"select n.flds, {SCHEDULING} from cards c join notes n on n.id = c.nid")
    return {row[0].split("\x1f")[0]: tuple(row[1:]) for row in rows}


def deck_of_front(col: Collection) -> dict[str, str]:
    return {
        col.get_note(col.get_card(card_id).nid)["Front"]: col.decks.name(col.get_card(card_id).did)
        for card_id in col.find_cards("")
    }


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Collection]:
    other = tmp_path / "fresh"
    other.mkdir()
    collection = Collection(str(other / "collection.anki2"))
    yield collection
    collection.close()


def call(col: Collection, action: str, **params: Any) -> Any:
    """Run an action on another collection through the real dispatcher."""
    ctx = ActionContext(get_collection=lambda: col, caller=Caller(in_process=True))
    reply = dispatch.run_sync({"action": action, "version": 6, "params": params}, ctx)
    assert reply["error"] is None, reply["error"]
    return reply["result"]


@pytest.fixture
def studied(col: Collection) -> Collection:
    """A collection with a deck tree, some cards reviewed, and an unrelated deck."""
    add_notes(col, "Lang", ["hola", "adios"], ["spanish"])
    add_notes(col, "Lang::Verbs", ["comer"], ["spanish", "verb"])
    add_notes(col, "Unrelated", ["other"], [])
    answer_all(col, "Lang::Verbs", CardAnswer.EASY)
    col.decks.select(col.decks.id_for_name("Lang"))
    queued = col.sched.get_queued_cards(fetch_limit=1).cards[0]
    card = col.get_card(queued.card.id)
    card.start_timer()
    col.sched.answer_card(
        col.sched.build_answer(card=card, states=queued.states, rating=CardAnswer.GOOD)
    )
    return col


def test_round_trip_with_scheduling(api, studied, fresh, tmp_path):
    target = tmp_path / "lang.apkg"
    assert api("exportPackage", deck="Lang", path=str(target), includeSched=True) is True
    assert target.stat().st_size > 0
    assert call(fresh, "importPackage", path=str(target)) is True

    exported = {k: v for k, v in notes_by_front(studied).items() if k != "other"}
    assert notes_by_front(fresh) == exported
    assert deck_of_front(fresh) == {"hola": "Lang", "adios": "Lang", "comer": "Lang::Verbs"}
    original = scheduling_by_front(studied)
    imported = scheduling_by_front(fresh)
    assert imported == {front: original[front] for front in exported}
    assert {row[0] for row in imported.values()} >= {1, 2}  # learning and review cards
    assert fresh.db.scalar("select count() from revlog") == 2


def test_round_trip_without_scheduling_gives_new_cards(api, studied, fresh, tmp_path):
    target = tmp_path / "lang.apkg"
    assert api("exportPackage", deck="Lang", path=str(target)) is True
    call(fresh, "importPackage", path=str(target))
    assert set(notes_by_front(fresh)) == {"hola", "adios", "comer"}
    assert {row[:2] for row in scheduling_by_front(fresh).values()} == {(0, 0)}
    assert fresh.db.scalar("select count() from revlog") == 0


def test_export_unknown_deck_is_false(api, tmp_path):
    target = tmp_path / "x.apkg"
    assert api("exportPackage", deck="Nope", path=str(target)) is False
    assert not target.exists()


def test_relative_paths_are_relative_to_the_media_folder(api, studied, fresh, tmp_path):
    assert api("exportPackage", deck="Lang", path="lang.apkg") is True
    in_media = Path(studied.media.dir()) / "lang.apkg"
    assert in_media.is_file()
    (Path(fresh.media.dir()) / "sub").mkdir()
    os.replace(in_media, Path(fresh.media.dir()) / "sub" / "lang.apkg")
    assert call(fresh, "importPackage", path="sub/lang.apkg") is True
    assert len(fresh.find_notes("")) == 3


def test_import_missing_file(api, col, tmp_path):
    missing = tmp_path / "missing.apkg"
    with pytest.raises(Exception) as raised:
        api("importPackage", path=str(missing))
    assert str(raised.value) == f"package file does not exist: {missing}"


def test_import_relative_missing_file_names_the_resolved_path(api, col):
    with pytest.raises(Exception) as raised:
        api("importPackage", path="nope.apkg")
    assert str(raised.value) == (
        f"package file does not exist: {os.path.join(col.media.dir(), 'nope.apkg')}"
    )


def test_import_directory(api, col, tmp_path):
    with pytest.raises(Exception) as raised:
        api("importPackage", path=str(tmp_path))
    assert str(raised.value) == f"package path is not a file: {tmp_path}"


def test_import_not_a_package_leaves_collection_alone(api, col, tmp_path):
    junk = tmp_path / "junk.apkg"
    junk.write_bytes(b"not a zip")
    with pytest.raises(Exception):  # noqa: B017  (Anki's own error text)
        api("importPackage", path=str(junk))
    assert col.find_notes("") == []


def test_export_into_missing_directory(api, studied, tmp_path):
    target = tmp_path / "no" / "such" / "dir" / "x.apkg"
    with pytest.raises(Exception) as raised:
        api("exportPackage", deck="Lang", path=str(target))
    assert str(raised.value) == f"export directory does not exist: {target.parent}"


def test_export_onto_a_directory(api, studied, tmp_path):
    with pytest.raises(Exception) as raised:
        api("exportPackage", deck="Lang", path=str(tmp_path))
    assert str(raised.value) == f"export path is a directory: {tmp_path}"


def test_export_into_unwritable_directory(api, studied, tmp_path, monkeypatch):
    locked = tmp_path / "locked"
    locked.mkdir()
    # Tests run as root, for whom chmod does not deny writes; simulate the refusal.
    monkeypatch.setattr("plugin.actions.packages.os.access", lambda path, mode: False)
    with pytest.raises(Exception) as raised:
        api("exportPackage", deck="Lang", path=str(locked / "x.apkg"))
    assert str(raised.value) == f"export directory is not writable: {locked}"
    assert not (locked / "x.apkg").exists()


def test_export_empty_path(api, studied):
    with pytest.raises(Exception) as raised:
        api("exportPackage", deck="Lang", path="")
    assert str(raised.value) == "path must not be empty"


def test_export_overwrites_existing_file(api, studied, tmp_path):
    target = tmp_path / "lang.apkg"
    target.write_bytes(b"old")
    assert api("exportPackage", deck="Lang", path=str(target)) is True
    assert target.read_bytes()[:2] == b"PK"
