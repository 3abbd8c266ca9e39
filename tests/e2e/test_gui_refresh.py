"""After API writes Anki's own window is redrawn once, not after every request."""

from __future__ import annotations

import uuid

from .harness import AnkiInstance
from .support import anki_eval, wait_for

COUNT_RESETS = """
if not hasattr(mw, "_test_reset_count"):
    original = mw.reset
    mw._test_reset_count = [0]
    def counting_reset(*args, **kwargs):
        mw._test_reset_count[0] += 1
        return original(*args, **kwargs)
    mw.reset = counting_reset
mw.moveToState("deckBrowser")
mw._test_reset_count[0] = 0
result = True
"""


def resets(anki: AnkiInstance) -> int:
    return int(anki_eval(anki, "result = mw._test_reset_count[0]"))


def test_a_burst_of_writes_redraws_the_deck_list_once(anki: AnkiInstance) -> None:
    anki_eval(anki, COUNT_RESETS)
    prefix = f"Refresh {uuid.uuid4().hex[:6]}"
    for index in range(5):
        assert anki.invoke("createDeck", deck=f"{prefix}::{index}")
    wait_for(lambda: resets(anki) >= 1, what="the deck list to be redrawn")
    assert resets(anki) == 1
    # Reads change nothing, so they redraw nothing.
    anki.invoke("deckNames")
    anki.invoke("findNotes", query="deck:*")
    wait_for(
        lambda: anki_eval(anki, "result = service._refresh_waiting_since is None"), what="quiet"
    )
    assert resets(anki) == 1
