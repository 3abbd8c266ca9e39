"""Cards actions that find and describe cards: findCards, cardsToNotes, cardsModTime, cardsInfo."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest
from anki.collection import AddNoteRequest, Collection
from anki.decks import DeckId

if TYPE_CHECKING:
    from tests.unit.conftest import Api

UNKNOWN = 1234567890123
INFO_KEYS = [
    "cardId",
    "fields",
    "fieldOrder",
    "question",
    "answer",
    "modelName",
    "ord",
    "deckName",
    "css",
    "factor",
    "interval",
    "note",
    "type",
    "queue",
    "due",
    "reps",
    "lapses",
    "left",
    "mod",
    "nextReviews",
    "flags",
]


def add_note(col: Collection, front: str, model: str = "Basic", deck: str = "Default") -> list[int]:
    note = col.new_note(col.models.by_name(model))
    note["Front"], note["Back"] = front, f"{front} back"
    col.add_note(note, DeckId(col.decks.id(deck)))
    return [int(card_id) for card_id in note.card_ids()]


def error_of(api: Api, action: str, **params: Any) -> str:
    with pytest.raises(Exception) as raised:
        api(action, **params)
    return str(raised.value)


# --- findCards, cardsToNotes, cardsModTime ------------------------------------------


def test_find_cards(api: Api, col: Collection) -> None:
    first = add_note(col, "cat")
    second = add_note(col, "dog", model="Basic (and reversed card)", deck="Animals")
    assert api("findCards") == []
    assert api("findCards", query=None) == []
    assert sorted(api("findCards", query="")) == sorted(first + second)
    assert api("findCards", query="front:cat") == first
    assert sorted(api("findCards", query='"deck:Animals"')) == sorted(second)
    assert api("findCards", query="is:suspended") == []


def test_find_cards_bad_search_is_anki_error_text(api: Api) -> None:
    error = error_of(api, "findCards", query="(unclosed")
    assert "Invalid search" in error  # Anki's own text (older versions wrap it in <p>)
    assert "closing bracket" in error


def test_cards_to_notes_distinct_and_ignores_unknown(api: Api, col: Collection) -> None:
    reversed_cards = add_note(col, "dog", model="Basic (and reversed card)")
    single = add_note(col, "cat")
    note_ids = {int(col.get_card(reversed_cards[0]).nid), int(col.get_card(single[0]).nid)}
    result = api("cardsToNotes", cards=[*reversed_cards, UNKNOWN, *single, *single])
    assert sorted(result) == sorted(note_ids) and len(result) == 2
    assert api("cardsToNotes", cards=[]) == []


def test_cards_mod_time_aligned(api: Api, col: Collection) -> None:
    (card_id,) = add_note(col, "cat")
    mod = col.get_card(card_id).mod
    assert abs(mod - time.time()) < 60
    result = api("cardsModTime", cards=[UNKNOWN, card_id, card_id])
    assert result == [{}, {"cardId": card_id, "mod": mod}, {"cardId": card_id, "mod": mod}]


# --- cardsInfo ----------------------------------------------------------------------


def test_cards_info_new_card(api: Api, col: Collection) -> None:
    (card_id,) = add_note(col, "cat <b>bold</b>")
    card = col.get_card(card_id)
    notetype = col.models.by_name("Basic")
    (info,) = api("cardsInfo", cards=[card_id])
    assert list(info) == INFO_KEYS
    style = f"<style>{notetype['css']}</style>"
    assert info["question"] == style + "cat <b>bold</b>"
    assert info["answer"].startswith(style + "cat <b>bold</b>")
    assert info["answer"].endswith("cat <b>bold</b> back")
    assert info["fields"] == {
        "Front": {"value": "cat <b>bold</b>", "order": 0},
        "Back": {"value": "cat <b>bold</b> back", "order": 1},
    }
    assert info["css"] == notetype["css"]
    expected = {
        "cardId": card_id,
        "fieldOrder": 0,
        "modelName": "Basic",
        "ord": 0,
        "deckName": "Default",
        "factor": 0,
        "interval": 0,
        "note": card.nid,
        "type": 0,
        "queue": 0,
        "due": card.due,
        "reps": 0,
        "lapses": 0,
        "left": 0,
        "mod": card.mod,
        "flags": 0,
    }
    assert {key: info[key] for key in expected} == expected
    # The labels of the four answer buttons as Anki describes them, without the Unicode
    # isolation marks it adds for right-to-left layouts (the API shows "<10m").
    states = col._backend.get_scheduling_states(card_id)
    marks = str.maketrans("", "", "\u2068\u2069")
    plain = [label.translate(marks) for label in col.sched.describe_next_states(states)]
    assert info["nextReviews"] == plain
    assert not any("\u2068" in label for label in info["nextReviews"])
    labels = [label.replace("\u2068", "").replace("\u2069", "") for label in info["nextReviews"]]
    assert labels[:3] == ["<1m", "<6m", "<10m"] and labels[3].endswith("d")


def test_cards_info_review_and_flags(api: Api, col: Collection) -> None:
    front, back = add_note(col, "dog", model="Basic (and reversed card)", deck="Animals::Dogs")
    card = col.get_card(back)
    card.start_timer()
    col.sched.answerCard(card, 4)
    col.set_user_flag_for_cards(2, [back])  # type: ignore[list-item]
    card = col.get_card(back)
    info_front, info_back = api("cardsInfo", cards=[front, back])
    assert info_back["fieldOrder"] == info_back["ord"] == 1
    assert info_back["deckName"] == "Animals::Dogs"
    assert info_back["modelName"] == "Basic (and reversed card)"
    assert info_back["question"].endswith("dog back")
    assert (info_back["type"], info_back["queue"], info_back["reps"]) == (2, 2, 1)
    assert (info_back["interval"], info_back["factor"]) == (card.ivl, 2500)
    assert info_back["due"] == card.due
    assert info_back["flags"] == 2
    states = col._backend.get_scheduling_states(back)
    marks = str.maketrans("", "", "\u2068\u2069")
    assert info_back["nextReviews"] == [
        label.translate(marks) for label in col.sched.describe_next_states(states)
    ]
    assert info_front["fieldOrder"] == 0 and info_front["flags"] == 0


def test_cards_info_unknown_ids_empty_and_aligned(api: Api, col: Collection) -> None:
    (card_id,) = add_note(col, "cat")
    result = api("cardsInfo", cards=[UNKNOWN, card_id, -5, card_id])
    assert result[0] == {} and result[2] == {}
    assert result[1]["cardId"] == result[3]["cardId"] == card_id
    assert api("cardsInfo", cards=[]) == []


def test_cards_info_suspended_and_sound(api: Api, col: Collection) -> None:
    note = col.new_note(col.models.by_name("Basic"))
    note["Front"], note["Back"] = "hear [sound:cat.mp3]", "back"
    col.add_note(note, DeckId(1))
    (card_id,) = note.card_ids()
    col.sched.suspend_cards([card_id])
    (info,) = api("cardsInfo", cards=[card_id])
    assert info["queue"] == -1
    assert "[anki:play:q:0]" in info["question"]  # as the reviewer renders it
    assert info["fields"]["Front"]["value"] == "hear [sound:cat.mp3]"


def test_cards_info_cloze_uses_note_type_fields(api: Api, col: Collection) -> None:
    note = col.new_note(col.models.by_name("Cloze"))
    note["Text"] = "{{c1::Paris}} is in {{c2::France}}"
    col.add_note(note, DeckId(1))
    first, second = note.card_ids()
    info_first, info_second = api("cardsInfo", cards=[first, second])
    assert list(info_first["fields"]) == ["Text", "Back Extra"]
    assert "[...]" in info_first["question"] and "France" in info_first["question"]
    assert info_second["ord"] == 1 and "Paris" in info_second["question"]


def test_cards_info_many_cards_and_unknown_ids_stay_fast(api: Api, col: Collection) -> None:
    notetype = col.models.by_name("Basic")
    requests = []
    for index in range(1000):
        note = col.new_note(notetype)
        note["Front"], note["Back"] = f"front {index}", f"back {index}"
        requests.append(AddNoteRequest(note=note, deck_id=DeckId(1)))
    col.add_notes(requests)
    known = [int(card_id) for card_id in col.find_cards("")]
    ids = known + list(range(1, 9001))
    started = time.perf_counter()
    result = api("cardsInfo", cards=ids)
    elapsed = time.perf_counter() - started
    assert [info["cardId"] for info in result[:1000]] == known
    assert result[1000:] == [{}] * 9000
    # Generous bound (about 0.2 s here): guards against a per-id backend error path.
    assert elapsed < 20
