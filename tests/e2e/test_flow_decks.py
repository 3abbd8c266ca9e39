"""Decks, their option groups, review history and .apkg round trips, over HTTP against
real Anki (spec §B Decks, Statistics, exportPackage/importPackage).

One flow: createDeck (nested) → changeDeck → getDeckStats → deck options → answerCards →
review statistics → exportPackage(includeSched) → importPackage into a second, fresh
Anki, which must then hold the same notes with the same scheduling.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from .conftest import AnkiFactory
from .harness import AnkiInstance

SCHEDULING_KEYS = ("type", "queue", "interval", "due", "factor", "reps", "lapses")
DEFAULT_CONFIG_ID = 1


def sched_today(anki: AnkiInstance) -> int:
    return int(anki.invoke("__testEval", code="result = mw.col.sched.today"))


def notes_by_front(anki: AnkiInstance, query: str) -> dict[str, dict[str, Any]]:
    infos = anki.invoke("notesInfo", query=query)
    return {info["fields"]["Front"]["value"]: info for info in infos}


def cards_by_front(anki: AnkiInstance, query: str) -> dict[str, dict[str, Any]]:
    infos = anki.invoke("cardsInfo", cards=anki.invoke("findCards", query=query))
    return {info["fields"]["Front"]["value"]: info for info in infos}


def scheduling(card: dict[str, Any]) -> dict[str, Any]:
    return {key: card[key] for key in (*SCHEDULING_KEYS, "deckName")}


def test_deck_flow_and_package_round_trip(
    anki: AnkiInstance, anki_factory: AnkiFactory, tmp_path: Path
) -> None:
    root = f"DeckFlow{uuid.uuid4().hex[:8]}"
    middle, leaf = f"{root}::Middle", f"{root}::Middle::Leaf"
    created_by_change = f"{root}::Made by changeDeck"

    # --- createDeck: parents are created, an existing name answers its id
    leaf_id = anki.invoke("createDeck", deck=leaf)
    assert type(leaf_id) is int
    ids = anki.invoke("deckNamesAndIds")
    assert {root, middle, leaf} <= set(ids) and ids[leaf] == leaf_id
    assert anki.invoke("createDeck", deck=leaf) == leaf_id
    assert anki.invoke("deckNameFromId", deckId=leaf_id) == leaf

    # --- notes land in the root deck, then changeDeck moves their cards
    fronts = [f"{root} front {i}" for i in range(4)]
    notes = [
        {
            "deckName": root,
            "modelName": "Basic",
            "fields": {"Front": front, "Back": f"back {i}"},
            "tags": [f"{root}-tag", f"n{i}"],
        }
        for i, front in enumerate(fronts)
    ]
    note_ids = anki.invoke("addNotes", notes=notes)
    cards = [info["cards"][0] for info in anki.invoke("notesInfo", notes=note_ids)]
    assert anki.invoke("getDecks", cards=cards) == {root: cards}

    assert anki.invoke("changeDeck", cards=cards[:3], deck=leaf) is None
    assert created_by_change not in anki.invoke("deckNames")
    assert anki.invoke("changeDeck", cards=cards[3:], deck=created_by_change) is None
    assert created_by_change in anki.invoke("deckNames")  # created on the fly
    assert anki.invoke("getDecks", cards=cards) == {leaf: cards[:3], created_by_change: cards[3:]}

    # --- getDeckStats: keyed by the id as a string, name is the last component only
    stats = anki.invoke("getDeckStats", decks=[leaf, root])
    root_id = ids[root]
    assert set(stats) == {str(leaf_id), str(root_id)}
    assert stats[str(leaf_id)] == {
        "deck_id": leaf_id,
        "name": "Leaf",
        "new_count": 3,
        "learn_count": 0,
        "review_count": 0,
        "total_in_deck": 3,
    }
    assert stats[str(root_id)]["name"] == root
    assert stats[str(root_id)]["new_count"] == 4  # subdecks included

    # --- option groups: clone the default, assign it, change it
    default = anki.invoke("getDeckConfig", deck=leaf)
    assert default["id"] == DEFAULT_CONFIG_ID and {"new", "rev", "lapse"} <= set(default)
    assert anki.invoke("getDeckConfig", deck=f"{root}::no such deck") is False
    config_id = anki.invoke("cloneDeckConfigId", name=f"{root} options", cloneFrom=1)
    assert type(config_id) is int and config_id != DEFAULT_CONFIG_ID
    assert anki.invoke("setDeckConfigId", decks=[leaf], configId=config_id) is True
    assert anki.invoke("setDeckConfigId", decks=[leaf, f"{root}::nope"], configId=1) is False
    config = anki.invoke("getDeckConfig", deck=leaf)
    assert (config["id"], config["name"]) == (config_id, f"{root} options")
    assert anki.invoke("getDeckConfig", deck=middle)["id"] == DEFAULT_CONFIG_ID
    config["new"]["perDay"] = 2
    assert anki.invoke("saveDeckConfig", config=config) is True
    assert anki.invoke("getDeckConfig", deck=leaf)["new"]["perDay"] == 2
    # the new limit shows in the deck's counts
    assert anki.invoke("getDeckStats", decks=[leaf])[str(leaf_id)]["new_count"] == 2

    # --- review two cards and read the history back
    reviewed_before = anki.invoke("getNumCardsReviewedToday")
    assert anki.invoke("getLatestReviewID", deck=leaf) == 0
    answers = [{"cardId": cards[0], "ease": 3}, {"cardId": cards[1], "ease": 4}]
    assert anki.invoke("answerCards", answers=answers) == [True, True]
    assert anki.invoke("getNumCardsReviewedToday") == reviewed_before + 2

    rows = anki.invoke("cardReviews", deck=leaf, startID=0)
    assert [(row[1], row[3]) for row in rows] == [(cards[0], 3), (cards[1], 4)]
    assert all(len(row) == 9 for row in rows)
    assert anki.invoke("cardReviews", deck=leaf, startID=rows[0][0]) == rows[1:]
    assert anki.invoke("cardReviews", deck=root, startID=0) == []  # subdecks excluded
    latest = anki.invoke("getLatestReviewID", deck=leaf)
    assert latest == rows[1][0]

    by_card = anki.invoke("getReviewsOfCards", cards=cards[:3])
    assert set(by_card) == {str(c) for c in cards[:3]}
    assert by_card[str(cards[2])] == []
    for row in rows:
        (entry,) = by_card[str(row[1])]
        assert [entry[k] for k in ("id", "usn", "ease", "ivl", "lastIvl", "factor")] == [
            row[0],
            row[2],
            row[3],
            row[4],
            row[5],
            row[6],
        ]
        assert (entry["time"], entry["type"]) == (row[7], row[8])

    # --- export the whole tree with scheduling
    package = tmp_path / "deck flow.apkg"
    assert anki.invoke("exportPackage", deck=f"{root}::missing", path=str(package)) is False
    assert not package.exists()
    assert anki.invoke("exportPackage", deck=root, path=str(package), includeSched=True) is True
    assert package.stat().st_size > 0

    source_notes = notes_by_front(anki, f'"deck:{root}"')
    source_cards = cards_by_front(anki, f'"deck:{root}"')
    assert set(source_notes) == set(fronts)
    reviewed = [source_cards[fronts[0]], source_cards[fronts[1]]]
    assert [(c["type"], c["reps"]) for c in reviewed] == [(1, 1), (2, 1)]

    # --- import into a second Anki: same notes, same scheduling, same options
    target = anki_factory()
    assert sched_today(target) == sched_today(anki)  # so day-based dues compare directly
    assert root not in target.invoke("deckNames")
    assert target.invoke("importPackage", path=str(package)) is True
    assert {root, middle, leaf, created_by_change} <= set(target.invoke("deckNames"))

    imported_notes = notes_by_front(target, f'"deck:{root}"')
    assert set(imported_notes) == set(fronts)
    for front, note in imported_notes.items():
        original = source_notes[front]
        assert note["fields"] == original["fields"]
        assert sorted(note["tags"]) == sorted(original["tags"])
        # Anki keeps note types apart by id: the source's "Basic" is another type than
        # the target's own "Basic", so the importer adds it under a unique name
        assert note["modelName"] in ("Basic", "Basic+")

    imported_cards = cards_by_front(target, f'"deck:{root}"')
    assert {f: scheduling(c) for f, c in imported_cards.items()} == {
        f: scheduling(c) for f, c in source_cards.items()
    }
    target_leaf_cards = [imported_cards[f]["cardId"] for f in fronts[:2]]
    history = target.invoke("getReviewsOfCards", cards=target_leaf_cards)
    assert [[r["ease"] for r in history[str(c)]] for c in target_leaf_cards] == [[3], [4]]

    imported_config = target.invoke("getDeckConfig", deck=leaf)
    assert imported_config["name"] == f"{root} options"
    assert imported_config["new"]["perDay"] == 2
