"""Crashes and concurrency lose nothing: kill -9 in the middle of a 10,000-note
``addNotes``, many clients adding at once, and a raw-SQL action fed hostile values.

After a kill the collection file is opened with ``anki.collection.Collection`` in the
test process (Anki is dead), checked with ``PRAGMA integrity_check``, and the batch
must be all or nothing. Then Anki is started again on the same folder.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import AnkiFactory
from .harness import AnkiInstance
from .support import anki_eval, http_request, json_body, private_instance

BATCH = 10_000
CLIENTS = 8
NOTES_PER_CLIENT = 200


@pytest.fixture(scope="module")
def busy_anki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnkiInstance]:
    with private_instance(tmp_path_factory.mktemp("busy") / "base") as instance:
        yield instance


def note(front: str, tag: str, deck: str = "Default") -> dict[str, Any]:
    return {
        "deckName": deck,
        "modelName": "Basic",
        "fields": {"Front": front, "Back": "back"},
        "tags": [tag],
    }


def offline_check(collection: Path, tag: str) -> tuple[str, int, int]:
    """(integrity_check, notes tagged, cards of those notes), read with Anki's own
    Collection class while no Anki is running."""
    from anki.collection import Collection

    col = Collection(str(collection))
    try:
        integrity = col.db.scalar("pragma integrity_check")
        notes = len(col.find_notes(f"tag:{tag}"))
        cards = len(col.find_cards(f"tag:{tag}"))
    finally:
        col.close()
    return integrity, notes, cards


def wal_size(instance: AnkiInstance) -> int:
    try:
        return os.path.getsize(f"{instance.collection_path}-wal")
    except OSError:
        return 0


def send_batch_and_kill(instance: AnkiInstance, tag: str, trigger: str, rng: random.Random) -> str:
    """Start a 10,000-note addNotes, kill -9 Anki while it works; returns when it died.

    ``trigger`` "delay": kill a random 0-1.2 s after the request was sent (an
    addNotes of 10,000 takes ~1.5 s here, so this lands in checking or writing);
    "wal": kill the moment the collection's write-ahead log starts growing, that is
    in the middle of writing the batch.
    """
    body = json_body("addNotes", notes=[note(f"{tag}-{i}", tag) for i in range(BATCH)])
    request = http_request(instance, body)
    sent = threading.Event()
    outcome: dict[str, Any] = {}

    def client() -> None:
        try:
            with instance.raw_connection(timeout=30) as conn:
                conn.send(request)
                sent.set()
                outcome["raw"] = conn.read_all()
        except OSError as exc:
            outcome["error"] = exc
        finally:
            sent.set()

    baseline = wal_size(instance)
    thread = threading.Thread(target=client, daemon=True)
    thread.start()
    assert sent.wait(10)
    if trigger == "delay":
        delay = rng.uniform(0.0, 1.2)
        time.sleep(delay)
        when = f"{delay:.3f} s after sending"
    else:
        deadline = time.monotonic() + 10
        while wal_size(instance) == baseline and time.monotonic() < deadline:
            time.sleep(0.0005)
        # the whole batch reaches the WAL within a few ms, at commit: kill at once
        when = f"as the WAL grew from {baseline} to {wal_size(instance)} bytes"
    answered = bool(outcome.get("raw"))
    instance.kill()
    thread.join(10)
    return f"killed {when}; reply already sent: {answered}"


@pytest.mark.parametrize("trigger", ["delay", "wal"])
def test_kill_9_during_a_10k_addnotes_keeps_the_collection_whole(
    anki_factory: AnkiFactory, trigger: str
) -> None:
    rng = random.Random()
    instance = anki_factory()
    tag = f"killbatch_{trigger}"
    story = send_batch_and_kill(instance, tag, trigger, rng)
    integrity, notes, cards = offline_check(instance.collection_path, tag)
    print(f"\n[durability] {trigger}: {story}; {notes} of {BATCH} notes on disk")
    assert integrity == "ok"
    assert notes in (0, BATCH), f"partial batch: {notes} notes ({story})"
    assert cards == notes  # one card per Basic note, none orphaned
    # Anki opens the same collection again and agrees
    instance.start()
    assert len(instance.invoke("findNotes", query=f"tag:{tag}")) == notes
    assert anki_eval(instance, "result = mw.col.db.scalar('pragma integrity_check')") == "ok"


# --------------------------------------------------------------------------- concurrency


def test_eight_clients_adding_200_notes_each_lose_and_double_nothing(
    busy_anki: AnkiInstance,
) -> None:
    tag = "concurrent"
    ids: dict[int, list[int]] = {}
    failures: list[str] = []

    def client(number: int) -> None:
        mine = []
        for index in range(NOTES_PER_CLIENT):
            reply = busy_anki.call("addNote", note=note(f"c{number}-{index}", tag))
            if reply["error"] is not None:
                failures.append(reply["error"])
            else:
                mine.append(reply["result"])
        ids[number] = mine

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    print(
        f"\n[durability] {CLIENTS * NOTES_PER_CLIENT} addNote in {time.monotonic() - started:.1f} s"
    )
    assert failures == []
    all_ids = [i for mine in ids.values() for i in mine]
    assert len(all_ids) == len(set(all_ids)) == CLIENTS * NOTES_PER_CLIENT
    found = busy_anki.invoke("findNotes", query=f"tag:{tag}")
    assert sorted(found) == sorted(all_ids)
    fronts = [n["fields"]["Front"]["value"] for n in busy_anki.invoke("notesInfo", notes=found)]
    expected = {f"c{n}-{i}" for n in range(CLIENTS) for i in range(NOTES_PER_CLIENT)}
    assert sorted(fronts) == sorted(expected)


def test_concurrent_batches_and_racing_duplicates(busy_anki: AnkiInstance) -> None:
    tag = "racing"
    replies: list[Any] = []

    def batch(number: int) -> None:
        notes = [note(f"b{number}-{i}", tag) for i in range(NOTES_PER_CLIENT)]
        replies.append(busy_anki.call("addNotes", notes=notes))

    def racer() -> None:
        # every client tries to add the same ten notes; duplicates are refused
        for index in range(10):
            replies.append(busy_anki.call("addNote", note=note(f"same-{index}", tag)))

    threads = [threading.Thread(target=batch, args=(n,)) for n in range(CLIENTS)]
    threads += [threading.Thread(target=racer) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    batches = [r for r in replies if isinstance(r["result"], list)]
    assert len(batches) == CLIENTS and all(r["error"] is None for r in batches)
    winners = [r for r in replies if isinstance(r["result"], int)]
    losers = [r for r in replies if r["result"] is None]
    assert len(winners) == 10
    assert len(losers) == 10 * (CLIENTS - 1)
    assert {r["error"] for r in losers} == {"cannot create note because it is a duplicate"}
    found = busy_anki.invoke("findNotes", query=f"tag:{tag}")
    assert len(found) == CLIENTS * NOTES_PER_CLIENT + 10


# --------------------------------------------------------------------------- raw SQL

MALICIOUS_VALUES: list[Any] = [
    "0); DROP TABLE notes; --",
    "1 OR 1=1",
    "'; DELETE FROM revlog; --",
    "0x10",
    1.5,
    None,
    [1],
    {"id": 1},
    True,
    2**63,  # beyond SQLite's integers
    -(2**63) - 1,
]


def _counts(instance: AnkiInstance) -> dict[str, Any]:
    return anki_eval(
        instance,
        "db = mw.col.db\n"
        "result = {'revlog': db.scalar('select count() from revlog'),"
        " 'notes': db.scalar('select count() from notes'),"
        " 'tables': sorted(db.list(\"select name from sqlite_master where type='table'\"))}",
    )


def test_insert_reviews_with_hostile_values_writes_nothing(busy_anki: AnkiInstance) -> None:
    card = busy_anki.invoke("findCards", query="")[0]
    before = _counts(busy_anki)
    base_id = int(time.time() * 1000) * 10
    count = 0
    for position in range(9):
        for value in MALICIOUS_VALUES:
            good = [base_id + 1, card, -1, 3, 4, -60, 2500, 6157, 1]
            bad = [base_id + 2, card, -1, 3, 4, -60, 2500, 6157, 1]
            bad[position] = value
            # the hostile row after a valid one: all or nothing
            reply = busy_anki.call("insertReviews", reviews=[good, bad])
            assert reply["result"] is None and reply["error"], (position, value)
            count += 1
    # short, long and duplicate rows are refused as a whole too
    for reviews in (
        [[base_id + 3, card, -1, 3]],
        [[base_id + 4, card, -1, 3, 4, -60, 2500, 6157, 1, 99]],
        [[base_id + 5, card, -1, 3, 4, -60, 2500, 6157, 1]] * 2,
    ):
        reply = busy_anki.call("insertReviews", reviews=reviews)
        assert reply["result"] is None and reply["error"]
        count += 1
    print(f"\n[fuzz] insertReviews hostile rows: {count} inputs")
    assert _counts(busy_anki) == before
    # and a valid row still goes in (the action works, it was the values that failed)
    good = [base_id + 6, card, -1, 3, 4, -60, 2500, 6157, 1]
    assert busy_anki.call("insertReviews", reviews=[good]) == {"result": None, "error": None}
    after = _counts(busy_anki)
    assert after["revlog"] == before["revlog"] + 1 and after["tables"] == before["tables"]


def test_hostile_strings_where_ids_may_be_strings_stay_data(busy_anki: AnkiInstance) -> None:
    before = _counts(busy_anki)
    injection = "0) or 1=1 --"
    reply = busy_anki.call("getReviewsOfCards", cards=[injection, "1; DROP TABLE cards"])
    assert reply["error"] is None
    assert all(rows == [] for rows in reply["result"].values())
    for action, params in (
        ("deckNameFromId", {"deckId": "1 or 1=1"}),
        ("findNotes", {"query": "') or 1=1 --"}),
        ("findCards", {"query": "nid:1) or (1=1"}),
        ("getDeckConfig", {"deck": "x'; DROP TABLE decks; --"}),
    ):
        reply = busy_anki.call(action, **params)
        assert set(reply) == {"result", "error"}, action
    after = _counts(busy_anki)
    assert after["tables"] == before["tables"] and after["notes"] == before["notes"]
