"""Reviewing through the API in a real headless Anki: deck screens, the reviewer, undo.

Answers are recorded in the background, so scheduling changes are polled for with a
deadline (never a fixed sleep).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from .gui_support import ev, wait_until
from .harness import AnkiInstance

pytestmark = pytest.mark.e2e

NOT_REVIEWING = "Gui review is not currently active."

SETUP = """
deck_id = mw.col.decks.id({deck!r})
model = mw.col.models.by_name("Basic")
cards = []
for front in ("review one", "review two"):
    note = mw.col.new_note(model)
    note["Front"] = front
    note["Back"] = front + " back"
    mw.col.add_note(note, deck_id)
    cards.append(note.cards()[0].id)
result = cards
"""

CARD_STATE = """
card = mw.col.get_card({card})
result = {{"queue": card.queue, "type": card.type, "reps": card.reps, "due": card.due}}
"""


def card_state(anki: AnkiInstance, card_id: int) -> dict[str, int]:
    return ev(anki, CARD_STATE.format(card=card_id))


def main_state(anki: AnkiInstance) -> str:
    return ev(anki, "result = mw.state")


@pytest.fixture
def review_deck(anki: AnkiInstance) -> Iterator[tuple[str, list[int]]]:
    """A deck of its own with two new cards; back to the deck list afterwards."""
    deck = f"GuiReview{uuid.uuid4().hex[:8]}"
    cards = ev(anki, SETUP.format(deck=deck))
    anki.invoke("guiDeckBrowser")
    yield deck, cards
    anki.invoke("guiDeckBrowser")


def test_reviewer_actions_when_not_reviewing(
    anki: AnkiInstance, review_deck: tuple[str, list[int]]
) -> None:
    assert main_state(anki) == "deckBrowser"
    assert anki.call("guiCurrentCard") == {"result": None, "error": NOT_REVIEWING}
    assert anki.invoke("guiReviewActive") is False
    assert anki.invoke("guiStartCardTimer") is False
    assert anki.invoke("guiShowQuestion") is False
    assert anki.invoke("guiShowAnswer") is False
    assert anki.invoke("guiAnswerCard", ease=3) is False
    assert anki.invoke("guiPlayAudio") is False


def test_deck_screens(anki: AnkiInstance, review_deck: tuple[str, list[int]]) -> None:
    deck, _cards = review_deck
    assert anki.invoke("guiDeckOverview", name="No Such Deck") is False
    assert anki.invoke("guiDeckReview", name="No Such Deck") is False
    assert main_state(anki) == "deckBrowser"

    assert anki.invoke("guiDeckOverview", name=deck) is True
    assert main_state(anki) == "overview"
    assert ev(anki, "result = mw.col.decks.current()['name']") == deck

    assert anki.invoke("guiDeckBrowser") is None
    assert main_state(anki) == "deckBrowser"


def test_full_review_answer_and_undo(
    anki: AnkiInstance, review_deck: tuple[str, list[int]]
) -> None:
    deck, cards = review_deck

    assert anki.invoke("guiDeckReview", name=deck) is True
    assert main_state(anki) == "review"
    assert anki.invoke("guiReviewActive") is True

    current = anki.invoke("guiCurrentCard")
    card_id = current["cardId"]
    assert card_id in cards
    front = "review one" if card_id == cards[0] else "review two"
    assert current["fields"] == {
        "Front": {"value": front, "order": 0},
        "Back": {"value": f"{front} back", "order": 1},
    }
    assert current["fieldOrder"] == 0
    assert current["modelName"] == "Basic"
    assert current["deckName"] == deck
    assert current["template"] == "Card 1"
    assert current["buttons"] == [1, 2, 3, 4]
    assert len(current["nextReviews"]) == 4 and all(current["nextReviews"])
    assert front in current["question"] and current["question"].startswith("<style>")
    assert f"{front} back" in current["answer"]
    assert ".card" in current["css"]
    before = card_state(anki, card_id)
    assert (before["queue"], before["reps"]) == (0, 0)

    # the answer side must be shown before an answer is accepted
    assert anki.invoke("guiAnswerCard", ease=3) is False
    assert anki.invoke("guiShowQuestion") is True
    assert anki.invoke("guiShowAnswer") is True
    assert anki.invoke("guiAnswerCard", ease=0) is False
    assert anki.invoke("guiAnswerCard", ease=5) is False
    assert anki.invoke("guiStartCardTimer") is True
    assert anki.invoke("guiPlayAudio") is True
    assert card_state(anki, card_id) == before

    assert anki.invoke("guiAnswerCard", ease=3) is True

    answered = wait_until(
        lambda: (s := card_state(anki, card_id))["reps"] == 1 and s, "the answer to be recorded"
    )
    assert answered["queue"] != 0  # new -> learning
    wait_until(lambda: anki.invoke("guiCurrentCard")["cardId"] != card_id, "the next card to show")

    assert anki.invoke("guiUndo") is True

    restored = wait_until(
        lambda: (s := card_state(anki, card_id))["reps"] == 0 and s, "the answer to be undone"
    )
    assert restored == before
    # the reviewer shows the card again, and it can be answered again
    wait_until(lambda: anki.invoke("guiCurrentCard")["cardId"] == card_id, "the undone card")
    assert anki.invoke("guiShowAnswer") is True
    assert anki.invoke("guiAnswerCard", ease=1) is True
    wait_until(lambda: card_state(anki, card_id)["reps"] == 1, "the second answer")
    anki.invoke("guiUndo")
    wait_until(lambda: card_state(anki, card_id)["reps"] == 0, "the second undo")

    assert anki.invoke("guiDeckBrowser") is None
    assert anki.invoke("guiReviewActive") is False
    assert anki.call("guiCurrentCard")["error"] == NOT_REVIEWING


def test_review_of_deck_with_nothing_due_shows_overview(anki: AnkiInstance) -> None:
    deck = f"GuiEmpty{uuid.uuid4().hex[:8]}"
    ev(anki, f"mw.col.decks.id({deck!r})")
    try:
        assert anki.invoke("guiDeckReview", name=deck) is True
        assert main_state(anki) == "overview"
        assert anki.invoke("guiReviewActive") is False
    finally:
        anki.invoke("guiDeckBrowser")


def test_check_database_answers_true_at_once(anki: AnkiInstance) -> None:
    assert anki.invoke("guiCheckDatabase") is True
    # the check runs in the background; the collection is usable again afterwards
    wait_until(lambda: ev(anki, "result = not mw.progress.busy()"), "the check to finish")
    assert ev(anki, "result = mw.col.db.scalar('pragma integrity_check')") == "ok"
