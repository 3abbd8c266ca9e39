"""Helpers shared by the end-to-end tests: ``__testEval``, polling, raw requests."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from .harness import AnkiInstance

POLL_SECONDS = 0.02

# Every API method of the newest AnkiConnect (spec §B: 121 names in 25.11.9.0, plus
# upstream master's guiAddNoteSetData: 122).
SPEC_ACTIONS = sorted(
    """
    addNote addNotes addTags answerCards apiReflect areDue areSuspended canAddNote
    canAddNoteWithErrorDetail canAddNotes canAddNotesWithErrorDetail cardReviews cardsInfo
    cardsModTime cardsToNotes changeDeck clearUnusedTags cloneDeckConfigId createDeck
    createModel deckNameFromId deckNames deckNamesAndIds deleteDecks deleteMediaFile
    deleteNotes exportPackage findAndReplaceInModels findCards findModelsById
    findModelsByName findNotes forgetCards getActiveProfile getCollectionStatsHTML
    getDeckConfig getDeckStats getDecks getEaseFactors getIntervals getLatestReviewID
    getMediaDirPath getMediaFilesNames getNoteTags getNumCardsReviewedByDay
    getNumCardsReviewedToday getProfiles getReviewsOfCards getTags guiAddCards guiAddNoteSetData guiAnswerCard
    guiBrowse guiCheckDatabase guiCurrentCard guiDeckBrowser guiDeckOverview guiDeckReview
    guiEditNote guiExitAnki guiImportFile guiPlayAudio guiReviewActive guiSelectCard
    guiSelectNote guiSelectedNotes guiShowAnswer guiShowQuestion guiStartCardTimer guiUndo
    importPackage insertReviews loadProfile modelFieldAdd modelFieldDescriptions
    modelFieldFonts modelFieldNames modelFieldRemove modelFieldRename modelFieldReposition
    modelFieldSetDescription modelFieldSetFont modelFieldSetFontSize modelFieldsOnTemplates
    modelNameFromId modelNames modelNamesAndIds modelStyling modelTemplateAdd
    modelTemplateRemove modelTemplateRename modelTemplateReposition modelTemplates multi
    notesInfo notesModTime relearnCards reloadCollection removeDeckConfigId removeEmptyNotes
    removeTags replaceTags replaceTagsInAllNotes requestPermission retrieveMediaFile
    saveDeckConfig setDeckConfigId setDueDate setEaseFactors setSpecificValueOfCard
    storeMediaFile suspend suspended sync unsuspend updateModelStyling updateModelTemplates
    updateNote updateNoteFields updateNoteModel updateNoteTags version
    """.split()  # noqa: SIM905  (a word list reads better than 122 lines)
)


class EvalError(AssertionError):
    """``__testEval`` answered with an error."""


def anki_eval(instance: AnkiInstance, code: str, *, key: str | None = None) -> Any:
    """Run ``code`` on Anki's main thread; return the value it left in ``result``."""
    envelope: dict[str, Any] = {"action": "__testEval", "params": {"code": code}, "version": 6}
    key = key if key is not None else instance.api_key
    if key is not None:
        envelope["key"] = key
    reply = instance.request(envelope)
    if reply.get("error") is not None:
        raise EvalError(reply["error"])
    return reply["result"]


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll until ``predicate()`` is truthy; return its value (no fixed sleeps)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(POLL_SECONDS)


def http_request(
    instance: AnkiInstance,
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    *,
    method: str = "POST",
    host: str | None = None,
    content_length: bool = True,
) -> bytes:
    """The exact bytes of one HTTP/1.1 request (Host first, then ``headers``)."""
    lines = [f"{method} / HTTP/1.1", f"Host: {host or f'127.0.0.1:{instance.port}'}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if content_length and body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def json_body(action: str, version: int | None = 6, **params: Any) -> bytes:
    envelope: dict[str, Any] = {"action": action, "params": params}
    if version is not None:
        envelope["version"] = version
    return json.dumps(envelope).encode()


@contextlib.contextmanager
def private_instance(
    base: Path, config: Mapping[str, Any] | None = None, **kwargs: Any
) -> Iterator[AnkiInstance]:
    """A module-scoped Anki of our own (``anki_factory`` is per test)."""
    instance = AnkiInstance(base, config=config, **kwargs)
    instance.start()
    try:
        yield instance
    finally:
        instance.stop()


def addon_package_expr() -> str:
    """Python (for ``__testEval``) naming the add-on's package in ``sys.modules``."""
    return "sys.modules[service.__class__.__module__.rsplit('.', 1)[0]]"


# How long Anki's main thread was blocked: a QTimer on it that records how late it
# fires (the benchmark and the stall tests read it through the test hook).
MONITOR_CODE = """
import time
from aqt.qt import QTimer
state = {"last": time.perf_counter(), "max": 0.0}
timer = QTimer(mw)
timer.setInterval(10)
def tick():
    now = time.perf_counter()
    state["max"] = max(state["max"], now - state["last"] - 0.010)
    state["last"] = now
timer.timeout.connect(tick)
timer.start()
mw._ankiconnect_stall_monitor = (timer, state)
result = True
"""
MONITOR_RESET = (
    "import time\nstate = mw._ankiconnect_stall_monitor[1]\n"
    "state['max'] = 0.0\nstate['last'] = time.perf_counter()\nresult = True"
)
MONITOR_READ = "result = mw._ankiconnect_stall_monitor[1]['max']"
