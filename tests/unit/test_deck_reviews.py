"""cardReviews' two query plans give the same rows; the cheaper one is chosen by size."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from anki.collection import Collection

from plugin.api.context import ActionContext
from plugin.api.reply_json import encode_reply
from plugin.collection import deck_reviews
from plugin.collection.deck_reviews import PROBE_QUERY, SCAN_QUERY, _orders_json, scan_is_cheaper
from tests.unit.test_stats import add_cards

FIRST_ID = 1_700_000_000_000
DECKS = {"Big": 60, "Big::Sub": 10, "Small": 3, "Other": 27, "Empty": 0}


@pytest.fixture
def reviewed(api: Any, col: Collection) -> dict[str, list[int]]:
    """Decks of several sizes, and 600 reviews of their cards in random order."""
    cards = {deck: add_cards(col, deck, count) for deck, count in DECKS.items()}
    every_card = [card for deck_cards in cards.values() for card in deck_cards]
    rng = random.Random(17)
    reviews = [
        [FIRST_ID + 1000 * n + rng.randrange(1000), rng.choice(every_card), -1]
        + [rng.randrange(1, 5), rng.randrange(-600, 400), rng.randrange(0, 90)]
        + [rng.choice([0, 2500]), rng.randrange(1, 60_000), rng.randrange(0, 4)]
        for n in range(600)
    ]
    api("insertReviews", reviews=reviews)
    return cards


def expected(col: Collection, cards: list[int], start_id: int) -> list[list[int]]:
    """The deck's reviews after start_id, oldest first, computed without the plans."""
    wanted = set(cards)
    rows = col.db.all("select id, cid, usn, ease, ivl, lastIvl, factor, time, type from revlog")
    return sorted(list(row) for row in rows if row[1] in wanted and row[0] > start_id)


def start_ids(col: Collection) -> list[int]:
    ids = col.db.list("select id from revlog order by id")
    return [0, ids[0] - 1, ids[0], ids[len(ids) // 2], ids[-2], ids[-1], ids[-1] + 1]


@pytest.mark.parametrize("deck", list(DECKS))
def test_both_plans_give_the_deck_s_reviews_oldest_first(
    col: Collection, reviewed: dict[str, list[int]], deck: str
) -> None:
    deck_id = col.decks.id_for_name(deck)
    for start_id in start_ids(col):
        rows = expected(col, reviewed[deck], start_id)
        assert col.db.all(PROBE_QUERY, start_id, deck_id) == rows
        assert col.db.all(SCAN_QUERY, start_id, deck_id) == rows
        assert deck_reviews.deck_reviews(col, deck_id, start_id) == rows
    assert expected(col, reviewed[deck], 0) or deck == "Empty"  # the test has rows to compare


@pytest.fixture(params=[True, False], ids=["scan", "probe"])
def forced_plan(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Each plan in turn, whatever the sizes would choose."""
    scan = bool(request.param)
    monkeypatch.setattr(deck_reviews, "scan_is_cheaper", lambda *_: scan)
    return scan


@pytest.mark.usefixtures("forced_plan")
def test_the_action_answers_the_same_with_either_plan(
    api: Any, col: Collection, reviewed: dict[str, list[int]]
) -> None:
    middle = start_ids(col)[3]
    for deck in DECKS:
        assert api("cardReviews", deck=deck, startID=middle) == expected(
            col, reviewed[deck], middle
        )
    assert api("cardReviews", deck="Never::Seen", startID=0) == []
    assert col.decks.id_for_name("Never::Seen") is not None  # created, as the original does


def test_the_scan_is_chosen_for_a_big_deck_and_probes_for_a_small_one(
    col: Collection, reviewed: dict[str, list[int]]
) -> None:
    big, small = col.decks.id_for_name("Big"), col.decks.id_for_name("Small")
    ids = col.db.list("select id from revlog order by id")
    assert scan_is_cheaper(col, big, 0)  # 60% of the cards: reading the log is cheaper
    assert not scan_is_cheaper(col, small, 0)  # 3 cards: three probes
    # only the last reviews are after the start id: a short scan beats probing every card
    assert scan_is_cheaper(col, small, ids[-3])
    assert scan_is_cheaper(col, small, ids[-1])
    assert not scan_is_cheaper(col, col.decks.id_for_name("Empty"), 0)


def test_no_reviews_probes(col: Collection) -> None:
    add_cards(col, "Default", 2)
    assert not scan_is_cheaper(col, 1, 0)
    assert deck_reviews.deck_reviews(col, 1, 0) == []


@pytest.mark.parametrize(
    ("deck_cards", "all_cards", "reviews_after", "scan"),
    [
        (20_000, 100_000, 100_000, True),  # the benchmark's deck, from the start
        (5_780, 100_000, 100_000, True),
        (3_000, 100_000, 100_000, False),
        (3_000, 100_000, 10_000, True),
        (1_000, 100_000, 10_000, False),
        (1_000, 100_000, 1_000, True),
        (20, 100_000, 1_000, False),
        (20, 100_000, 0, True),
    ],
)
def test_choice_follows_the_measured_costs(
    deck_cards: int, all_cards: int, reviews_after: float, scan: bool
) -> None:
    # the cases of the measurements at 10^5 reviews where one plan was clearly faster
    assert deck_reviews._scan_is_cheaper(deck_cards, all_cards, reviews_after) is scan


def test_reviews_after_a_start_id_are_estimated_from_the_id_range() -> None:
    estimate = deck_reviews._reviews_after
    assert estimate(0, 1000, 10_000, 20_000) == 1000
    assert estimate(9_999, 1000, 10_000, 20_000) == 1000
    assert estimate(15_000, 1000, 10_000, 20_000) == 500
    assert estimate(20_000, 1000, 10_000, 20_000) == 0
    assert estimate(10**20, 1000, 10_000, 20_000) == 0


# --- the rows as JSON text (the reply their only reader) --------------------------------


def reply_bytes(api: Any, ctx: ActionContext, as_text: bool, **params: Any) -> bytes:
    ctx.reply_is_json = as_text
    reply = api.reply({"action": "cardReviews", "version": 6, "params": params})
    assert reply["error"] is None
    encoded = encode_reply(reply)
    assert encoded.body is not None
    return b"".join(encoded.body)


@pytest.mark.usefixtures("forced_plan")
def test_json_text_is_the_rows_as_json_dumps_writes_them(
    api: Any,
    ctx: ActionContext,
    col: Collection,
    reviewed: dict[str, list[int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(deck_reviews, "SLICE_BYTES", 100)  # several slices, cut anywhere
    for deck in DECKS:
        deck_id = col.decks.id_for_name(deck)
        for start_id in start_ids(col):
            rows = expected(col, reviewed[deck], start_id)
            encoded = deck_reviews.deck_reviews_json(col, deck_id, start_id)
            if not deck_reviews._orders_json(col):
                assert encoded is None  # SQLite 3.44: the rows answer
                continue
            assert encoded is not None
            assert b"".join(encoded.slices) == json.dumps(rows).encode("ascii")
            assert encoded.decoded() == rows
            assert len(encoded.slices) == max(
                1, -(-len(json.dumps(rows).replace(", ", ",")) // 100)
            )
    middle = start_ids(col)[3]
    as_text = reply_bytes(api, ctx, True, deck="Big", startID=middle)
    assert as_text == reply_bytes(api, ctx, False, deck="Big", startID=middle)
    assert json.loads(as_text)["result"] == expected(col, reviewed["Big"], middle)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("factor", "2500.5"),
        ("ivl", "1e300"),
        ("time", "'slow'"),
        ("ease", "x'00'"),
    ],
)
def test_a_value_that_is_not_an_int_is_answered_from_the_rows(
    api: Any,
    ctx: ActionContext,
    col: Collection,
    reviewed: dict[str, list[int]],
    column: str,
    value: str,
) -> None:
    big = col.decks.id_for_name("Big")
    [first, *_] = expected(col, reviewed["Big"], 0)
    assert (deck_reviews.deck_reviews_json(col, big, 0) is None) != _orders_json(col)
    col.db.execute(f"update revlog set {column} = {value} where id = ?", first[0])
    assert deck_reviews.deck_reviews_json(col, big, 0) is None
    rows_reply = reply_bytes(api, ctx, False, deck="Big", startID=0)
    assert reply_bytes(api, ctx, True, deck="Big", startID=0) == rows_reply
    assert json.loads(rows_reply)["result"][0] != first  # the odd value is in the reply


def test_ordered_json_aggregates_are_known_from_the_sqlite_version(col: Collection) -> None:
    version = tuple(int(part) for part in col.db.scalar("select sqlite_version()").split("."))
    # 3.44 dropped json_array's subtype in ordered aggregates (each row became a string)
    assert _orders_json(col) is (version >= (3, 45))
