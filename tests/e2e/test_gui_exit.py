"""guiExitAnki in a private headless Anki: the process ends by itself, collection intact.

The original answers null but, on current Anki, never exits (its timer is garbage-
collected); ours must close Anki cleanly about a second after answering.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

import pytest

from .harness import DEMO_NOTES, AnkiInstance

pytestmark = pytest.mark.e2e

EXIT_DEADLINE = 30.0


def _unicase(left: str, right: str) -> int:
    a, b = left.casefold(), right.casefold()
    return (a > b) - (a < b)


def test_exit_anki_closes_the_process_and_keeps_the_collection(
    anki_factory: Callable[..., AnkiInstance],
) -> None:
    anki = anki_factory()
    # the server answers as soon as the add-on loads; the profile opens just after
    deadline = time.monotonic() + EXIT_DEADLINE
    while anki.call("findNotes", query="deck:Default")["error"] is not None:
        assert time.monotonic() < deadline, "the collection never opened"
        time.sleep(0.05)
    # an open editor must not stop the exit: it saves and closes with Anki
    note_id = anki.invoke("findNotes", query="deck:Default")[0]
    anki.invoke("guiEditNote", note=note_id)
    anki.invoke("__testEval", code="mw.col.decks.id('Made Before Exit')")
    assert anki.process is not None

    asked_at = time.monotonic()
    assert anki.call("guiExitAnki") == {"result": None, "error": None}

    deadline = asked_at + EXIT_DEADLINE
    while anki.process.poll() is None:
        assert time.monotonic() < deadline, f"Anki still running.\n{anki.log[-3000:]}"
        time.sleep(0.05)
    assert anki.process.returncode == 0
    assert time.monotonic() - asked_at >= 0.9  # "about a second later", after the reply

    db = sqlite3.connect(anki.collection_path)
    db.create_collation("unicase", _unicase)  # Anki's collation, used by its indexes
    try:
        assert db.execute("pragma integrity_check").fetchone() == ("ok",)
        assert db.execute("select count() from notes").fetchone() == (len(DEMO_NOTES),)
        deck_names = {name for (name,) in db.execute("select name from decks")}
    finally:
        db.close()
    assert "Made Before Exit" in deck_names
