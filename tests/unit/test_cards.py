"""Cards actions that read and change scheduling state, on a real Collection.

Cards are brought into their states through Anki's scheduler (answering and
suspending as the reviewer does), so the revlog holds what Anki writes.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest
from anki.collection import Collection
from anki.decks import DeckId

if TYPE_CHECKING:
    from tests.unit.conftest import Api

UNKNOWN = 1234567890123
SUSPENDED, NEW, LEARNING, REVIEW, RELEARNING = -1, 0, 1, 2, 3


def add_card(col: Collection, front: str) -> int:
    note = col.new_note(col.models.by_name("Basic"))
    note["Front"], note["Back"] = front, f"{front} back"
    col.add_note(note, DeckId(1))
    return int(note.card_ids()[0])


def answer(col: Collection, card_id: int, ease: int) -> None:
    card = col.get_card(card_id)
    card.start_timer()
    col.sched.answerCard(card, ease)  # type: ignore[arg-type]


@pytest.fixture
def cards(col: Collection) -> dict[str, int]:
    """One card per state: new, learning (Again), review (Easy), suspended review."""
    ids = {name: add_card(col, name) for name in ("new", "learning", "review", "suspended")}
    answer(col, ids["learning"], 1)
    answer(col, ids["review"], 4)
    answer(col, ids["suspended"], 4)
    col.sched.suspend_cards([ids["suspended"]])  # type: ignore[list-item]
    return ids


def error_of(api: Api, action: str, **params: Any) -> str:
    with pytest.raises(Exception) as raised:
        api(action, **params)
    return str(raised.value)


def mark_synced(col: Collection, card_id: int) -> None:
    """Test setup: make the card look synced long ago, so a proper save shows."""
    col.db.execute("update cards set mod = 1, usn = 5 where id = ?", card_id)


def assert_saved_by_anki(col: Collection, card_id: int) -> None:
    card = col.get_card(card_id)
    assert card.usn == -1 and abs(card.mod - time.time()) < 60


def revlog_count(col: Collection) -> int:
    return int(col.db.scalar("select count() from revlog"))


# --- ease factors ------------------------------------------------------------------


def test_get_ease_factors_aligned_with_null_for_unknown(api: Api, cards: dict[str, int]) -> None:
    result = api("getEaseFactors", cards=[cards["review"], cards["new"], UNKNOWN])
    assert result == [2500, 0, None]
    assert api("getEaseFactors", cards=[]) == []


def test_set_ease_factors_saves_through_anki(api: Api, col: Collection, cards: dict) -> None:
    mark_synced(col, cards["review"])
    result = api("setEaseFactors", cards=[cards["review"], UNKNOWN], easeFactors=[3100, 1300])
    assert result == [True, False]
    assert col.get_card(cards["review"]).factor == 3100
    assert_saved_by_anki(col, cards["review"])
    assert col.undo_status().undo == "Update Card"
    col.undo()
    assert col.get_card(cards["review"]).factor == 2500


def test_set_ease_factors_short_list_fails_before_writing(
    api: Api, col: Collection, cards: dict
) -> None:
    params = {"cards": [cards["review"], cards["new"]], "easeFactors": [2000]}
    assert error_of(api, "setEaseFactors", **params) == "list index out of range"
    assert col.get_card(cards["review"]).factor == 2500
    # An unknown id past the end of easeFactors is just false, as in the original.
    assert api("setEaseFactors", cards=[cards["review"], UNKNOWN], easeFactors=[2100]) == [
        True,
        False,
    ]


# --- setSpecificValueOfCard --------------------------------------------------------


def test_set_specific_value_sets_unprotected_keys(api: Api, col: Collection, cards: dict) -> None:
    mark_synced(col, cards["review"])
    result = api(
        "setSpecificValueOfCard",
        card=cards["review"],
        keys=["flags", "factor"],
        newValues=[3, 2700],
    )
    assert result == [True]
    card = col.get_card(cards["review"])
    assert (card.flags, card.factor) == (3, 2700)
    assert_saved_by_anki(col, cards["review"])
    assert col.undo_status().undo == "Update Card"


def test_set_specific_value_protected_keys_need_warning_check(
    api: Api, col: Collection, cards: dict
) -> None:
    card_id = cards["review"]
    for check in ({}, {"warning_check": False}, {"warning_check": None}):
        assert (
            api(
                "setSpecificValueOfCard",
                card=card_id,
                keys=["flags", "ivl"],
                newValues=[1, 9],
                **check,
            )
            is False
        )
    assert col.get_card(card_id).flags == 0
    result = api(
        "setSpecificValueOfCard",
        card=card_id,
        keys=["ivl", "due"],
        newValues=[9, 12],
        warning_check=True,
    )
    assert result == [True]
    card = col.get_card(card_id)
    assert (card.ivl, card.due) == (9, 12)


@pytest.mark.parametrize(
    "params",
    [
        {"card": [1], "keys": ["flags"], "newValues": [1]},
        {"card": 1, "keys": "flags", "newValues": [1]},
        {"card": 1, "keys": ["flags"], "newValues": 1},
        {"card": 1, "keys": ["flags", "factor"], "newValues": [1]},
    ],
)
def test_set_specific_value_answers_false_for_bad_shapes(api: Api, params: dict) -> None:
    assert api("setSpecificValueOfCard", **params) is False


def test_set_specific_value_errors_are_one_element_lists(
    api: Api, col: Collection, cards: dict
) -> None:
    result = api("setSpecificValueOfCard", card=UNKNOWN, keys=["flags"], newValues=[1])
    assert result == [[False, f"Card was not found: {UNKNOWN}"]]
    result = api(
        "setSpecificValueOfCard",
        card=cards["review"],
        keys=["flags", "factor"],
        newValues=[2, "high"],
    )
    assert result[0][0] is False and "int" in result[0][1]
    assert col.get_card(cards["review"]).flags == 0  # nothing saved


# --- suspending --------------------------------------------------------------------


def queue_of(col: Collection, card_id: int) -> int:
    return int(col.get_card(card_id).queue)


def test_suspend_true_when_any_card_changes(api: Api, col: Collection, cards: dict) -> None:
    assert api("suspend", cards=[cards["suspended"], cards["new"]]) is True
    assert queue_of(col, cards["new"]) == SUSPENDED
    assert col.undo_status().undo == "Suspend"
    # All already suspended: false, even for two (the original answered true there).
    assert api("suspend", cards=[cards["suspended"], cards["new"]]) is False
    assert api("suspend", cards=[cards["suspended"]]) is False


def test_suspend_unknown_card_fails_before_any_change(
    api: Api, col: Collection, cards: dict
) -> None:
    error = error_of(api, "suspend", cards=[cards["new"], UNKNOWN])
    assert error == f"Card was not found: {UNKNOWN}"
    assert queue_of(col, cards["new"]) == NEW


def test_suspend_false_unsuspends(api: Api, col: Collection, cards: dict) -> None:
    assert api("suspend", cards=[cards["suspended"]], suspend=False) is True
    assert queue_of(col, cards["suspended"]) == REVIEW
    assert api("suspend", cards=[cards["suspended"]], suspend=False) is False


def test_unsuspend_answers_null(api: Api, col: Collection, cards: dict) -> None:
    assert api("unsuspend", cards=[cards["suspended"], cards["new"]]) is None
    assert queue_of(col, cards["suspended"]) == REVIEW
    assert api("unsuspend", cards=[cards["new"]]) is None
    assert error_of(api, "unsuspend", cards=[UNKNOWN]) == f"Card was not found: {UNKNOWN}"


def test_unsuspend_leaves_buried_cards_buried(api: Api, col: Collection, cards: dict) -> None:
    col.sched.bury_cards([cards["new"]])  # type: ignore[list-item]
    api("unsuspend", cards=[cards["new"], cards["suspended"]])
    assert queue_of(col, cards["new"]) == -3  # manually buried


def test_suspended_and_are_suspended(api: Api, cards: dict) -> None:
    assert api("suspended", card=cards["suspended"]) is True
    assert api("suspended", card=cards["review"]) is False
    assert error_of(api, "suspended", card=UNKNOWN) == f"Card was not found: {UNKNOWN}"
    ids = [cards["review"], cards["suspended"], UNKNOWN, cards["new"]]
    assert api("areSuspended", cards=ids) == [False, True, None, False]


# --- areDue and getIntervals --------------------------------------------------------


def test_are_due_by_state(api: Api, cards: dict) -> None:
    # learning: 1-minute step, inside the 20-minute learn-ahead limit, so `is:due`.
    ids = [cards["new"], cards["learning"], cards["review"], cards["suspended"]]
    assert api("areDue", cards=ids) == [True, True, False, False]


def test_are_due_review_card_due_today(api: Api, col: Collection, cards: dict) -> None:
    col.sched.set_due_date([cards["review"]], "0")  # type: ignore[list-item]
    assert api("areDue", cards=[cards["review"]]) == [True]


def test_are_due_long_learning_step_waits_for_its_interval(
    api: Api, col: Collection, cards: dict
) -> None:
    config = col.decks.config_dict_for_deck_id(DeckId(1))
    config["new"]["delays"] = [60.0, 120.0]  # minutes
    col.decks.update_config(config)
    card_id = cards["new"]
    answer(col, card_id, 1)  # Again: back to the 60-minute step
    assert col.db.scalar("select ivl from revlog where cid = ?", card_id) == -3600
    assert api("areDue", cards=[card_id]) == [False]
    # The same review two hours ago: its hour has passed.
    col.db.execute("update revlog set id = id - 7200000 where cid = ?", card_id)
    assert api("areDue", cards=[card_id]) == [True]


def test_are_due_errors_without_history(api: Api, col: Collection, cards: dict) -> None:
    assert error_of(api, "areDue", cards=[cards["new"], UNKNOWN]) == "list index out of range"
    api(
        "setSpecificValueOfCard",
        card=cards["new"],
        keys=["type", "queue"],
        newValues=[2, 2],
        warning_check=True,
    )
    assert error_of(api, "areDue", cards=[cards["new"]]) == "list index out of range"


def test_get_intervals_latest_and_complete(api: Api, col: Collection, cards: dict) -> None:
    review_ivl = col.get_card(cards["review"]).ivl
    ids = [cards["new"], cards["learning"], cards["review"]]
    assert api("getIntervals", cards=ids) == [0, -60, review_ivl]
    answer(col, cards["learning"], 3)  # Good: next step, 10 minutes
    assert api("getIntervals", cards=ids, complete=True) == [0, [-60, -600], [review_ivl]]


def test_get_intervals_unknown_card(api: Api, cards: dict) -> None:
    assert error_of(api, "getIntervals", cards=[UNKNOWN]) == "list index out of range"
    assert api("getIntervals", cards=[UNKNOWN, cards["review"]], complete=True)[0] == []


# --- forget, relearn, answer, set due date ------------------------------------------


def test_forget_cards_resets_to_new_and_logs(api: Api, col: Collection, cards: dict) -> None:
    position = col.get_card(cards["new"]).due  # positions follow creation order
    logged = revlog_count(col)
    assert api("forgetCards", cards=[cards["review"], UNKNOWN]) is None
    card = col.get_card(cards["review"])
    assert (card.type, card.queue, card.ivl) == (NEW, NEW, 0)
    assert card.reps == 1  # counts kept
    assert card.due == position + 2  # its original position restored
    assert revlog_count(col) == logged + 1
    assert col.undo_status().undo == "Reset Card"
    assert api("forgetCards", cards=[]) is None


def test_relearn_cards_through_anki(api: Api, col: Collection, cards: dict) -> None:
    mark_synced(col, cards["review"])
    before = col.get_card(cards["review"])
    assert api("relearnCards", cards=[cards["review"], UNKNOWN]) is None
    card = col.get_card(cards["review"])
    assert (card.type, card.queue) == (RELEARNING, LEARNING)
    assert_saved_by_anki(col, cards["review"])
    assert abs(card.due - time.time()) < 60
    assert (card.ivl, card.factor, card.reps, card.lapses) == (before.ivl, before.factor, 1, 0)
    assert api("areDue", cards=[cards["review"]]) == [True]  # in the learning queue, due now
    assert col.undo_status().undo == "Update Card"
    col.undo()
    assert col.get_card(cards["review"]).type == REVIEW
    api("relearnCards", cards=[cards["review"]])
    assert api("answerCards", answers=[{"cardId": cards["review"], "ease": 3}]) == [True]


def test_answer_cards_through_the_scheduler(api: Api, col: Collection, cards: dict) -> None:
    logged = revlog_count(col)
    answers = [
        {"cardId": cards["new"], "ease": 3},
        {"cardId": UNKNOWN, "ease": 3},
        {"cardId": cards["learning"], "ease": 4},
    ]
    assert api("answerCards", answers=answers) == [True, False, True]
    assert revlog_count(col) == logged + 2
    assert col.get_card(cards["new"]).type == LEARNING
    assert col.get_card(cards["learning"]).type == REVIEW
    assert col.undo_status().undo == "Answer Card"
    assert api("answerCards", answers=[]) == []


@pytest.mark.parametrize("ease", [0, 5, -1])
def test_answer_cards_invalid_ease_rejected_before_writing(
    api: Api, col: Collection, cards: dict, ease: int
) -> None:
    logged = revlog_count(col)
    answers = [{"cardId": cards["new"], "ease": 3}, {"cardId": cards["review"], "ease": ease}]
    assert error_of(api, "answerCards", answers=answers) == "invalid ease"
    assert revlog_count(col) == logged
    assert col.get_card(cards["new"]).type == NEW
    # For an unknown card the ease is never looked at: false, as in the original.
    assert api("answerCards", answers=[{"cardId": UNKNOWN, "ease": 9}]) == [False]


def test_answer_cards_param_shape(api: Api) -> None:
    error = error_of(api, "answerCards", answers=[{"cardId": 1}])
    assert error.startswith("AnkiConnect.answerCards() parameter 'answers[0]'")


def test_set_due_date_syntax(api: Api, col: Collection, cards: dict) -> None:
    today = col.sched.today
    assert api("setDueDate", cards=[cards["new"], UNKNOWN], days="0") is True
    card = col.get_card(cards["new"])
    assert (card.type, card.queue, card.due) == (REVIEW, REVIEW, today)
    assert api("setDueDate", cards=[cards["new"]], days="1!") is True
    card = col.get_card(cards["new"])
    assert (card.due, card.ivl) == (today + 1, 1)
    api("setDueDate", cards=[cards["learning"]], days="3-7")
    assert today + 3 <= col.get_card(cards["learning"]).due <= today + 7
    assert col.undo_status().undo == "Set Due Date"


def test_set_due_date_invalid_days_is_anki_error(api: Api, col: Collection, cards: dict) -> None:
    assert error_of(api, "setDueDate", cards=[cards["new"]], days="soon") == "soon"
    assert col.get_card(cards["new"]).type == NEW


# --- through the dispatcher ----------------------------------------------------------


def test_version_4_results_are_bare(api: Api, cards: dict) -> None:
    envelope = {"action": "areSuspended", "params": {"cards": [cards["suspended"]]}}
    assert api.reply(envelope) == [True]
    envelope = {"action": "unsuspend", "version": 6, "params": {"cards": [cards["suspended"]]}}
    assert api.reply(envelope) == {"result": None, "error": None}


def test_param_errors(api: Api) -> None:
    assert (
        error_of(api, "suspend")
        == "AnkiConnect.suspend() missing 1 required positional argument: 'cards'"
    )
    assert "parameter 'cards'" in error_of(api, "getEaseFactors", cards="1")
    assert error_of(api, "setDueDate", cards=[], days="1", foo=1) == (
        "AnkiConnect.setDueDate() got an unexpected keyword argument 'foo'"
    )
