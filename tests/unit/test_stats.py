"""Statistics actions against a real Collection, with reviews made by Anki's scheduler."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
from anki.collection import Collection
from anki.scheduler_pb2 import CardAnswer

from plugin.actions.stats import getReviewsOfCards

# Errors come back as the conftest's ApiError, whose str() is the error text.

ROW_KEYS = ["id", "usn", "ease", "ivl", "lastIvl", "factor", "time", "type"]


def add_cards(col: Collection, deck: str, count: int) -> list[int]:
    deck_id = col.decks.id(deck)
    card_ids = []
    for index in range(count):
        note = col.new_note(col.models.by_name("Basic"))
        note["Front"] = f"{deck}-{index}"
        col.add_note(note, deck_id)
        card_ids.append(note.cards()[0].id)
    return card_ids


def answer(col: Collection, deck: str, rating: int = CardAnswer.GOOD) -> int:
    """Answer the next queued card of `deck` through Anki's scheduler; its card id."""
    col.decks.select(col.decks.id_for_name(deck))
    queued = col.sched.get_queued_cards(fetch_limit=1).cards[0]
    card = col.get_card(queued.card.id)
    card.start_timer()
    col.sched.answer_card(col.sched.build_answer(card=card, states=queued.states, rating=rating))
    return card.id


def revlog(col: Collection, card_id: int) -> list[list[int]]:
    return [
        list(row)
        for row in col.db.all(
            "select id, cid, usn, ease, ivl, lastIvl, factor, time, type"
            " from revlog where cid = ? order by id",
            card_id,
        )
    ]


def ms(moment: datetime) -> int:
    """Review id (ms epoch) of a naive local datetime."""
    return int(time.mktime(moment.timetuple())) * 1000


# --- getNumCardsReviewedToday ---------------------------------------------------------


def test_reviewed_today_counts_review_log_entries(api, col):
    assert api("getNumCardsReviewedToday") == 0
    add_cards(col, "Default", 1)
    first = answer(col, "Default", CardAnswer.AGAIN)
    assert api("getNumCardsReviewedToday") == 1
    # The same card answered again (it is back in learning) is another entry.
    assert answer(col, "Default") == first
    assert api("getNumCardsReviewedToday") == 2


def test_reviewed_today_ignores_reviews_before_the_day_started(api, col):
    [card] = add_cards(col, "Default", 1)
    day_start_ms = (col.sched.day_cutoff - 86_400) * 1000
    api(
        "insertReviews",
        reviews=[
            [day_start_ms - 1000, card, -1, 3, 1, 0, 2500, 5000, 1],
            [day_start_ms + 1000, card, -1, 3, 1, 0, 2500, 5000, 1],
        ],
    )
    assert api("getNumCardsReviewedToday") == 1


# --- getNumCardsReviewedByDay ---------------------------------------------------------


def test_reviewed_by_day_newest_first_with_rollover(api, col):
    [card] = add_cards(col, "Default", 1)
    assert col.get_config("rollover", 4) == 4
    noon = datetime.now().replace(hour=12, minute=0, second=0, microsecond=0)
    three_days_ago = noon - timedelta(days=3)
    # 02:00 is before the 04:00 rollover: it counts for the previous day.
    early_two_days_ago = (noon - timedelta(days=2)).replace(hour=2)
    reviews = [
        [ms(three_days_ago), card, -1, 3, 1, 0, 2500, 1000, 0],
        [ms(three_days_ago) + 1, card, -1, 3, 1, 0, 2500, 1000, 1],
        [ms(early_two_days_ago), card, -1, 3, 1, 0, 2500, 1000, 1],
        [ms(noon - timedelta(days=1)), card, -1, 3, 1, 0, 2500, 1000, 1],
    ]
    api("insertReviews", reviews=reviews)
    day = [(noon - timedelta(days=n)).strftime("%Y-%m-%d") for n in range(4)]
    assert api("getNumCardsReviewedByDay") == [[day[1], 1], [day[3], 3]]


def test_reviewed_by_day_includes_scheduler_reviews(api, col):
    add_cards(col, "Default", 2)
    answer(col, "Default")
    answer(col, "Default")
    now = time.time() - 4 * 3600  # today's date in Anki's terms (rollover 4)
    assert api("getNumCardsReviewedByDay") == [[time.strftime("%Y-%m-%d", time.localtime(now)), 2]]


def test_reviewed_by_day_empty(api):
    assert api("getNumCardsReviewedByDay") == []


# --- getCollectionStatsHTML -----------------------------------------------------------


@pytest.mark.parametrize("params", [{}, {"wholeCollection": True}, {"wholeCollection": False}])
def test_collection_stats_html(api, col, params):
    add_cards(col, "Default", 1)
    answer(col, "Default")
    html = api("getCollectionStatsHTML", **params)
    assert html.startswith("<center>") and html.endswith("</center>")
    assert "Today" in html


def test_collection_stats_html_rejects_non_bool(api):
    with pytest.raises(Exception, match="parameter 'wholeCollection' must be boolean"):
        api("getCollectionStatsHTML", wholeCollection="yes")


# --- cardReviews ----------------------------------------------------------------------


def test_card_reviews_of_deck_after_start_id(api, col):
    add_cards(col, "Lang", 2)
    add_cards(col, "Lang::Sub", 1)
    first = answer(col, "Lang")
    second = answer(col, "Lang")
    answer(col, "Lang::Sub")  # subdecks are excluded
    rows = revlog(col, first) + revlog(col, second)
    rows.sort()
    assert api("cardReviews", deck="Lang", startID=0) == rows
    assert all(len(row) == 9 for row in rows)
    assert api("cardReviews", deck="Lang", startID=rows[0][0]) == rows[1:]
    assert api("cardReviews", deck="Lang", startID=rows[-1][0]) == []


def test_card_reviews_creates_unknown_deck(api, col):
    assert api("cardReviews", deck="Ghost", startID=0) == []
    assert col.decks.id_for_name("Ghost") is not None


def test_card_reviews_start_id_must_be_int(api):
    with pytest.raises(Exception, match="parameter 'startID' must be integer"):
        api("cardReviews", deck="Default", startID="soon")


# --- getLatestReviewID ----------------------------------------------------------------


def test_latest_review_id(api, col):
    add_cards(col, "Lang", 2)
    add_cards(col, "Other", 1)
    assert api("getLatestReviewID", deck="Lang") == 0
    answer(col, "Lang")
    card = answer(col, "Lang")
    answer(col, "Other")
    assert api("getLatestReviewID", deck="Lang") == revlog(col, card)[-1][0]


def test_latest_review_id_creates_unknown_deck(api, col):
    assert api("getLatestReviewID", deck="Ghost::Deck") == 0
    assert col.decks.id_for_name("Ghost::Deck") is not None


# --- getReviewsOfCards ----------------------------------------------------------------


def test_reviews_of_cards_keyed_by_string_id(api, col):
    [reviewed] = add_cards(col, "Solo", 1)
    [unreviewed] = add_cards(col, "Default", 1)
    answer(col, "Solo", CardAnswer.AGAIN)
    assert answer(col, "Solo") == reviewed
    result = api("getReviewsOfCards", cards=[reviewed, unreviewed, 999])
    assert list(result) == [str(reviewed), str(unreviewed), "999"]
    expected = [
        dict(zip(ROW_KEYS, row[:1] + row[2:], strict=True)) for row in revlog(col, reviewed)
    ]
    assert len(expected) == 2
    assert result[str(reviewed)] == expected
    assert list(result[str(reviewed)][0]) == ROW_KEYS
    assert result[str(unreviewed)] == [] and result["999"] == []


def test_reviews_of_cards_string_ids_match_nothing(api, col):
    [card] = add_cards(col, "Default", 1)
    answer(col, "Default")
    assert api("getReviewsOfCards", cards=[str(card)]) == {str(card): []}


def test_reviews_of_cards_many_ids(api, col):
    cards = add_cards(col, "Default", 1)
    answer(col, "Default")
    result = api("getReviewsOfCards", cards=list(range(1, 1500)) + cards)
    assert len(result) == 1500
    assert len(result[str(cards[0])]) == 1


@pytest.mark.parametrize(
    ("cards", "where", "got"),
    [([True], "cards[0]", "true"), ([1, False], "cards[1]", "false"), ([[1]], "cards[0]", "[1]")],
)
def test_reviews_of_cards_refuses_bools_and_other_non_ids(api, cards, where, got):
    with pytest.raises(Exception) as refused:
        api("getReviewsOfCards", cards=cards)
    assert str(refused.value) == (
        f"AnkiConnect.getReviewsOfCards() parameter '{where}' must be integer or string, got {got}"
    )


def test_reviews_of_cards_never_takes_true_for_card_1(api, ctx, col):
    [card] = add_cards(col, "Default", 1)
    answer(col, "Default")
    col.db.execute("update cards set id = 1 where id = ?", card)
    col.db.execute("update revlog set cid = 1 where cid = ?", card)
    assert len(api("getReviewsOfCards", cards=[1])["1"]) == 1
    # past the dispatcher (the in-process registry function itself): no KeyError
    assert getReviewsOfCards(ctx, [True]) == {"True": []}
