"""The parts of `sync` that need no window: which outcomes are errors, and their texts.

Real outcomes and real errors come from a real Collection talking to Anki's own sync
server on loopback (tests/e2e/sync_server.py); the action itself, with Anki's window,
is tested end to end in tests/e2e/test_sync.py.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from anki.collection import Collection
from anki.errors import Interrupted
from anki.sync import SyncAuth

from plugin.actions.sync import check_required, failure_text
from plugin.api.errors import ActionError
from tests.e2e.harness import free_port
from tests.e2e.sync_server import SYNC_PASSWORD, SYNC_USER, HoldingRelay, SyncServer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SyncServer]:
    with SyncServer(tmp_path_factory.mktemp("sync-server")) as running:
        yield running


def logged_in(col: Collection, server: SyncServer) -> Any:
    return col.sync_login(username=SYNC_USER, password=SYNC_PASSWORD, endpoint=server.endpoint)


def test_no_changes_and_normal_syncs_pass(tmp_path: Path, server: SyncServer) -> None:
    col = Collection(str(tmp_path / "empty.anki2"))
    try:
        output = col.sync_collection(logged_in(col, server), False)
    finally:
        col.close()
    assert output.required in (output.NO_CHANGES, output.NORMAL_SYNC)
    check_required(output)  # no error


def test_a_needed_full_sync_is_the_original_error(tmp_path: Path, server: SyncServer) -> None:
    col = Collection(str(tmp_path / "notes.anki2"))
    try:
        note = col.new_note(col.models.by_name("Basic"))
        note["Front"] = "only here"
        col.add_note(note, col.decks.id("Default"))
        output = col.sync_collection(logged_in(col, server), False)
    finally:
        col.close()
    assert output.required == output.FULL_UPLOAD
    with pytest.raises(ActionError) as caught:
        check_required(output)
    assert str(caught.value) == (
        f"Sync status {output.FULL_UPLOAD} not one of [0, 1] - see "
        "SyncCollectionResponse.ChangesRequired for list of sync statuses"
    )


def failure_of(col: Collection, auth: SyncAuth) -> BaseException:
    with pytest.raises(Exception) as caught:
        col.sync_collection(auth, False)
    return caught.value


def test_failure_texts_are_annotated_anki_messages(tmp_path: Path, server: SyncServer) -> None:
    col = Collection(str(tmp_path / "c.anki2"))
    try:
        auth = logged_in(col, server)
        wrong_key = SyncAuth(hkey="0" * 40, endpoint=server.endpoint)
        nobody = SyncAuth(hkey=auth.hkey, endpoint=f"http://127.0.0.1:{free_port()}/")
        rejected = failure_of(col, wrong_key)
        unreachable = failure_of(col, nobody)
    finally:
        col.close()
    rejected_text = failure_text(rejected)
    assert rejected_text.startswith("sync: ") and "password" in rejected_text
    unreachable_text = failure_text(unreachable)
    assert unreachable_text.startswith("sync: A network error occurred. ")
    # one line, without the isolation marks Anki puts around quoted values
    for text in (rejected_text, unreachable_text):
        assert "\n" not in text and "\u2068" not in text and "\u2069" not in text


def test_a_sync_cancelled_in_anki_says_so(tmp_path: Path, server: SyncServer) -> None:
    # What the progress window's cancel does: abort the exchange while it is in flight.
    relay = HoldingRelay(server.port)
    col = Collection(str(tmp_path / "c.anki2"))
    outcome: list[BaseException] = []
    try:
        auth = col.sync_login(username=SYNC_USER, password=SYNC_PASSWORD, endpoint=relay.endpoint)
        with relay.holding(drop=True):
            worker = threading.Thread(target=lambda: outcome.append(failure_of(col, auth)))
            worker.start()
            assert relay.held.wait(10)
            col.abort_sync()
            worker.join(10)
    finally:
        relay.close()
        col.close()
    assert isinstance(outcome[0], Interrupted)
    assert failure_text(outcome[0]) == "sync: cancelled in Anki"
