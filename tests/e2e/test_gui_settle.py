"""Every GUI action answers once Anki's window shows what it reports (issue 15 point 6).

The next request is sent the moment the previous reply arrives (or pipelined on the
same connection, so the server reads it before the window had a chance to catch up),
while CPU-bound helper processes keep the machine busy. No sleeps: what the window
shows is read right after each reply.

These tests have an Anki of their own: under heavy load Anki's web views can stay
stuck after the congratulations page was loaded several times in a row (an Anki
behaviour, seen without this add-on too), which must not slow the other modules.
The test that finishes a deck, and so shows that page, runs last.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from .gui_support import ev
from .harness import AnkiInstance
from .support import addon_package_expr, http_request, private_instance

pytestmark = pytest.mark.e2e

NOTE_TYPE = "Basic (and reversed card)"  # two templates: Card 1, Card 2
KEEP_ALIVE = {"Connection": "keep-alive", "Content-Type": "application/json"}

MAIN_PAGE = "result = mw.mediaServer.get_page_html(id(mw.web)) or ''"
WEB_CAUGHT_UP = "result = bool({web}._domDone) and not {web}._pendingActions"
CLOSE_WINDOWS = """
import aqt
for name in ("AddCards", "Browser", "AnkiConnectEditNote"):
    entry = aqt.dialogs._dialogs.get(name)
    window = entry[1] if entry else None
    if window is None:
        continue
    if name == "Browser":
        window._closeWindow()
    elif name == "AddCards":
        window._close()
    else:
        window.close()
"""


@pytest.fixture(scope="module")
def anki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnkiInstance]:
    """This module's own Anki (it shadows the session's)."""
    with private_instance(tmp_path_factory.mktemp("anki-settle") / "base") as instance:
        yield instance


@pytest.fixture
def busy_machine() -> Iterator[None]:
    """Two CPU-bound processes (the machine has two cores) for the whole test."""
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        yield
    finally:
        for hog in hogs:
            hog.kill()
        for hog in hogs:
            hog.wait()


@pytest.fixture
def two_card_deck(anki: AnkiInstance) -> Iterator[str]:
    """A deck of its own with one note whose type makes two cards; deck list after."""
    deck = f"Settle{uuid.uuid4().hex[:8]}"
    ev(
        anki,
        f"""
deck_id = mw.col.decks.id({deck!r})
note = mw.col.new_note(mw.col.models.by_name({NOTE_TYPE!r}))
note["Front"] = "settle front"
note["Back"] = "settle back"
mw.col.add_note(note, deck_id)
""",
    )
    anki.invoke("guiDeckBrowser")
    try:
        yield deck
    finally:
        anki.invoke("guiDeckBrowser")


def pipelined(anki: AnkiInstance, *envelopes: dict[str, Any]) -> list[Any]:
    """Send the requests in one write on one keep-alive connection; their replies."""
    data = b"".join(
        http_request(anki, json.dumps({**envelope, "version": 6}).encode(), KEEP_ALIVE)
        for envelope in envelopes
    )
    with anki.raw_connection(timeout=30) as conn:
        conn.send(data)
        return [conn.read_response().json() for _ in envelopes]


def template_now(anki: AnkiInstance) -> str:
    return str(anki.invoke("guiCurrentCard")["template"])


@pytest.mark.usefixtures("busy_machine")
def test_reviewer_state_is_shown_before_each_reply(anki: AnkiInstance, two_card_deck: str) -> None:
    assert anki.invoke("guiDeckReview", name=two_card_deck) is True
    assert template_now(anki) == "Card 1"

    assert anki.invoke("guiShowAnswer") is True
    assert ev(anki, "result = mw.reviewer.state") == "answer"
    assert anki.invoke("guiAnswerCard", ease=4) is True
    # the original showed Card 2 here; ours answered before the next card was shown
    assert template_now(anki) == "Card 2"

    assert anki.invoke("guiUndo") is True
    assert template_now(anki) == "Card 1"  # the undone answer's card is back

    # pipelined: the server reads guiCurrentCard before the answer could be recorded
    show, answer, current = pipelined(
        anki,
        {"action": "guiShowAnswer"},
        {"action": "guiAnswerCard", "params": {"ease": 4}},
        {"action": "guiCurrentCard"},
    )
    assert (show["result"], answer["result"]) == (True, True)
    assert current["result"]["template"] == "Card 2"

    assert anki.invoke("guiShowQuestion") is True
    assert ev(anki, "result = mw.reviewer.state") == "question"
    assert ev(anki, WEB_CAUGHT_UP.format(web="mw.web")) is True


@pytest.mark.usefixtures("busy_machine")
def test_deck_screens_are_rendered_before_the_reply(anki: AnkiInstance, two_card_deck: str) -> None:
    assert anki.invoke("guiDeckOverview", name=two_card_deck) is True
    assert ev(anki, "result = mw.state") == "overview"
    page = ev(anki, MAIN_PAGE)
    assert two_card_deck in page and "deckbrowser" not in page.lower()

    new_deck = f"SettleNew{uuid.uuid4().hex[:8]}"
    anki.invoke("createDeck", deck=new_deck)
    assert anki.invoke("guiDeckBrowser") is None
    assert ev(anki, "result = mw.state") == "deckBrowser"
    assert new_deck in ev(anki, MAIN_PAGE)  # the deck list was drawn after the change
    anki.invoke("deleteDecks", decks=[new_deck], cardsToo=True)

    assert anki.invoke("guiDeckReview", name=two_card_deck) is True
    assert ev(anki, "result = mw.state") == "review"
    assert ev(anki, WEB_CAUGHT_UP.format(web="mw.web")) is True


@pytest.mark.usefixtures("busy_machine")
def test_editor_windows_show_their_note_before_the_reply(anki: AnkiInstance) -> None:
    ev(anki, CLOSE_WINDOWS)
    try:
        note = {"deckName": "Default", "modelName": "Basic", "fields": {"Front": "settle add"}}
        assert anki.invoke("guiAddCards", note=note) == 0
        web = 'aqt.dialogs._dialogs["AddCards"][1].editor.web'
        assert ev(anki, WEB_CAUGHT_UP.format(web=web)) is True

        cards = anki.invoke("guiBrowse", query="front:settle*")
        web = 'aqt.dialogs._dialogs["Browser"][1].editor.web'
        assert ev(anki, WEB_CAUGHT_UP.format(web=web)) is True
        demo = anki.invoke("findCards", query="deck:Default")
        assert anki.invoke("guiSelectCard", card=demo[0]) is True
        assert ev(anki, WEB_CAUGHT_UP.format(web=web)) is True
        assert sorted(cards) == sorted(anki.invoke("findCards", query="front:settle*"))

        note_id = anki.invoke("cardsToNotes", cards=[demo[0]])[0]
        assert anki.invoke("guiEditNote", note=note_id) is None
        web = 'aqt.dialogs._dialogs["AnkiConnectEditNote"][1].editor.web'
        assert ev(anki, WEB_CAUGHT_UP.format(web=web)) is True
        assert ev(anki, f"result = {web.rsplit('.', 2)[0]}.editor.note.id") == note_id
    finally:
        ev(anki, CLOSE_WINDOWS)


def test_a_window_that_never_catches_up_answers_an_error(
    anki: AnkiInstance, two_card_deck: str
) -> None:
    settle = f"{addon_package_expr()}.gui.settle"
    # the overview never renders: the wait must end with an error, not hang
    timeout = ev(
        anki,
        f"import sys\nresult = {settle}.SETTLE_TIMEOUT_S\n{settle}.SETTLE_TIMEOUT_S = 0.5\n"
        "mw.overview.refresh = lambda: None",
    )
    try:
        reply = anki.call("guiDeckOverview", name=two_card_deck)
    finally:
        ev(anki, f"import sys\n{settle}.SETTLE_TIMEOUT_S = {timeout!r}\ndel mw.overview.refresh")
    assert reply == {
        "result": None,
        "error": "Anki's window did not show the deck overview within 0.5 seconds"
        " (the action itself was carried out)",
    }
    assert ev(anki, "result = mw.state") == "overview"
    assert anki.invoke("version") == 6  # the server kept serving


@pytest.mark.usefixtures("busy_machine")
def test_answering_the_last_card_answers_once_the_overview_is_shown(anki: AnkiInstance) -> None:
    # last in this module: it shows the congratulations page (see the module docstring)
    deck = "SettleLast"
    ev(
        anki,
        f"""
deck_id = mw.col.decks.id({deck!r})
note = mw.col.new_note(mw.col.models.by_name("Basic"))
note["Front"] = "last card"
mw.col.add_note(note, deck_id)
""",
    )
    assert anki.invoke("guiDeckReview", name=deck) is True
    _show, answer, active = pipelined(
        anki,
        {"action": "guiShowAnswer"},
        {"action": "guiAnswerCard", "params": {"ease": 4}},
        {"action": "guiReviewActive"},
    )
    assert (answer["result"], active["result"]) == (True, False)
    assert ev(anki, "result = mw.state") == "overview"
    # nothing left: Anki's congratulations page is what the overview shows
    assert "congrats" in ev(anki, "result = mw.web.url().toString()")
