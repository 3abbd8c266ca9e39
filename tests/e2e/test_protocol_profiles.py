"""Profiles over HTTP (spec §B misc, §A.4 "collection is not available"): a real switch
to another profile and back, and requests while no profile is open.

Switching profiles is disruptive, so this module has its own instance.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .harness import AnkiInstance
from .support import anki_eval, private_instance, wait_for

NO_COLLECTION = {"result": None, "error": "collection is not available"}


@pytest.fixture(scope="module")
def anki_pr(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnkiInstance]:
    with private_instance(tmp_path_factory.mktemp("anki-profiles") / "base") as instance:
        yield instance


def open_profile(anki: AnkiInstance) -> str | None:
    """The open profile's name, None while none is open; fails at once if Anki quit."""
    try:
        return anki_eval(anki, "result = mw.pm.name if mw.col is not None else None")
    except OSError:
        # the process may take a moment to exit after closing its server
        wait_for(lambda: not anki.running, timeout=15, what="Anki to finish exiting")
        raise AssertionError(
            f"Anki quit (exit code {anki.process and anki.process.returncode})"
        ) from None


def test_switch_to_another_profile_and_back(anki_pr: AnkiInstance) -> None:
    assert anki_pr.invoke("getProfiles") == ["User 1"]
    anki_eval(anki_pr, "mw.pm.create('Second')")
    assert sorted(anki_pr.invoke("getProfiles")) == ["Second", "User 1"]
    assert anki_pr.invoke("loadProfile", name="second profile") is False

    assert anki_pr.invoke("loadProfile", name="Second") is True
    wait_for(lambda: open_profile(anki_pr) == "Second", timeout=30, what="profile Second")
    assert anki_pr.invoke("getActiveProfile") == "Second"
    assert anki_pr.invoke("deckNames") == ["Default"]

    assert anki_pr.invoke("loadProfile", name="User 1") is True
    wait_for(lambda: open_profile(anki_pr) == "User 1", timeout=30, what="profile User 1")
    assert anki_pr.invoke("getActiveProfile") == "User 1"
    assert "Japanese::Vocabulary" in anki_pr.invoke("deckNames")


def test_requests_while_no_profile_is_open(anki_pr: AnkiInstance) -> None:
    anki_eval(anki_pr, "mw.unloadProfileAndShowProfileManager()")
    wait_for(lambda: anki_eval(anki_pr, "result = mw.col is None"), what="profile closed")
    # the server keeps running without a profile
    assert anki_pr.call("version") == {"result": 6, "error": None}
    assert anki_pr.call("deckNames") == NO_COLLECTION
    assert anki_pr.call("findCards", query="") == NO_COLLECTION
    assert anki_pr.call("multi", actions=[{"action": "deckNames"}, {"action": "version"}]) == {
        "result": [NO_COLLECTION, 6],
        "error": None,
    }
    assert sorted(anki_pr.invoke("getProfiles")) == ["Second", "User 1"]

    # as if the user had picked File > Switch Profile: the profile manager is open
    assert anki_eval(anki_pr, "result = mw.profileDiag.isVisible()") is True
    assert anki_pr.invoke("loadProfile", name="User 1") is True
    wait_for(lambda: open_profile(anki_pr) == "User 1", timeout=30, what="profile reopened")
    assert anki_eval(anki_pr, "result = mw.profileDiag.isVisible()") is False
    assert "Japanese::Vocabulary" in anki_pr.invoke("deckNames")
    assert anki_eval(anki_pr, "result = mw.state") in ("deckBrowser", "overview")
