"""The card scheduling actions as one flow over HTTP against real Anki (spec §B Cards).

findCards → cardsInfo → answerCards → getIntervals → suspend/areSuspended/unsuspend →
areDue/getEaseFactors/setEaseFactors → forgetCards → setDueDate, reading the cards back
after each step to see that Anki's scheduler really changed them.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from .harness import AnkiInstance

NEW, LEARNING, REVIEW = 0, 1, 2  # card type and queue values
SUSPENDED = -1
UNKNOWN_CARD = 1


@pytest.fixture
def deck_cards(anki: AnkiInstance) -> tuple[str, list[int]]:
    """A deck of this test with three new Basic cards, in the order the notes were added."""
    deck = f"CardFlow{uuid.uuid4().hex[:8]}"
    notes = [
        {"deckName": deck, "modelName": "Basic", "fields": {"Front": f"{deck} {i}", "Back": "b"}}
        for i in range(3)
    ]
    anki.invoke("createDeck", deck=deck)
    note_ids = anki.invoke("addNotes", notes=notes)
    infos = anki.invoke("notesInfo", notes=note_ids)
    return deck, [info["cards"][0] for info in infos]


def state(anki: AnkiInstance, cards: list[int]) -> list[dict[str, Any]]:
    keys = ("type", "queue", "interval", "due", "reps", "lapses", "factor")
    return [{k: info[k] for k in keys} for info in anki.invoke("cardsInfo", cards=cards)]


def sched_today(anki: AnkiInstance) -> int:
    return int(anki.invoke("__testEval", code="result = mw.col.sched.today"))


def due_by_search(anki: AnkiInstance, cards: list[int]) -> list[bool]:
    due = set(anki.invoke("findCards", query="is:due"))
    return [card in due for card in cards]


def test_card_scheduling_flow(anki: AnkiInstance, deck_cards: tuple[str, list[int]]) -> None:
    deck, cards = deck_cards
    good, easy, again = cards

    # --- findCards / cardsInfo: three new cards
    assert sorted(anki.invoke("findCards", query=f'"deck:{deck}"')) == sorted(cards)
    infos = anki.invoke("cardsInfo", cards=[*cards, UNKNOWN_CARD])
    assert infos[3] == {}
    assert [i["cardId"] for i in infos[:3]] == cards
    assert {i["deckName"] for i in infos[:3]} == {deck}
    assert all(i["nextReviews"] and i["question"] for i in infos[:3])
    before = state(anki, cards)
    assert [(s["type"], s["queue"], s["reps"], s["interval"]) for s in before] == [
        (NEW, NEW, 0, 0)
    ] * 3
    assert anki.invoke("getIntervals", cards=cards) == [0, 0, 0]
    assert anki.invoke("areDue", cards=cards) == [True, True, True]

    # --- answerCards through the scheduler
    answers = [
        {"cardId": good, "ease": 3},
        {"cardId": easy, "ease": 4},
        {"cardId": again, "ease": 1},
        {"cardId": UNKNOWN_CARD, "ease": 3},
    ]
    assert anki.invoke("answerCards", answers=answers) == [True, True, True, False]
    after = state(anki, cards)
    assert [(s["type"], s["queue"], s["reps"]) for s in after] == [
        (LEARNING, LEARNING, 1),
        (REVIEW, REVIEW, 1),
        (LEARNING, LEARNING, 1),
    ]
    today = sched_today(anki)
    easy_ivl = after[1]["interval"]
    assert easy_ivl >= 3 and after[1]["due"] == today + easy_ivl
    reviews = anki.invoke("getReviewsOfCards", cards=cards)
    assert [[r["ease"] for r in reviews[str(c)]] for c in cards] == [[3], [4], [1]]

    # --- getIntervals: learning steps in negative seconds, review interval in days
    assert anki.invoke("getIntervals", cards=cards) == [-600, easy_ivl, -60]
    assert anki.invoke("getIntervals", cards=cards, complete=True) == [
        [-600],
        [easy_ivl],
        [-60],
    ]

    # --- suspend / areSuspended / suspended / unsuspend
    assert anki.invoke("suspend", cards=[good, easy]) is True
    assert anki.invoke("areSuspended", cards=[*cards, UNKNOWN_CARD]) == [True, True, False, None]
    assert anki.invoke("suspended", card=good) is True
    assert anki.invoke("suspended", card=again) is False
    assert [s["queue"] for s in state(anki, cards)] == [SUSPENDED, SUSPENDED, LEARNING]
    assert anki.invoke("suspend", cards=[good]) is False  # quirk: nothing left to suspend
    assert anki.invoke("unsuspend", cards=[good, easy]) is None
    restored = state(anki, cards)
    assert [(s["type"], s["queue"]) for s in restored] == [
        (LEARNING, LEARNING),
        (REVIEW, REVIEW),
        (LEARNING, LEARNING),
    ]
    assert restored == after  # suspending changed nothing else
    unknown = anki.call("suspend", cards=[UNKNOWN_CARD])
    assert unknown == {"result": None, "error": f"Card was not found: {UNKNOWN_CARD}"}

    # --- areDue: Anki's is:due for short steps; the review card is days away
    due = anki.invoke("areDue", cards=cards)
    assert due == due_by_search(anki, cards)
    assert due[1] is False and due[2] is True

    # --- ease factors
    factors = anki.invoke("getEaseFactors", cards=[*cards, UNKNOWN_CARD])
    assert factors[1] == 2500 and factors[3] is None
    assert factors[:3] == [s["factor"] for s in after]
    result = anki.invoke("setEaseFactors", cards=[easy, UNKNOWN_CARD], easeFactors=[2730, 2730])
    assert result == [True, False]
    assert anki.invoke("getEaseFactors", cards=[easy]) == [2730]
    assert state(anki, [easy])[0]["factor"] == 2730

    # --- forgetCards: back to new, history kept, a reset row logged
    assert anki.invoke("forgetCards", cards=[easy]) is None
    forgotten = state(anki, [easy])[0]
    assert (forgotten["type"], forgotten["queue"], forgotten["interval"]) == (NEW, NEW, 0)
    assert forgotten["reps"] == 1
    assert len(anki.invoke("getReviewsOfCards", cards=[easy])[str(easy)]) == 2
    assert anki.invoke("getIntervals", cards=[easy]) == [0]
    assert anki.invoke("areDue", cards=[easy]) == [True]

    # --- setDueDate: "0" = review due today, "5!" also sets the interval to 5 days
    assert anki.invoke("setDueDate", cards=[easy, again], days="0") is True
    for s in state(anki, [easy, again]):
        assert (s["type"], s["queue"], s["due"]) == (REVIEW, REVIEW, today)
    assert anki.invoke("areDue", cards=[easy, again]) == [True, True]
    assert anki.invoke("setDueDate", cards=[good], days="5!") is True
    moved = state(anki, [good])[0]
    assert (moved["type"], moved["queue"], moved["due"], moved["interval"]) == (
        REVIEW,
        REVIEW,
        today + 5,
        5,
    )
    assert anki.invoke("areDue", cards=cards) == due_by_search(anki, cards) == [False, True, True]
