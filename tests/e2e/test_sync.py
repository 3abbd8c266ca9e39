"""`sync` against Anki's own sync server, with two real Ankis (see sync_server.py).

The first Anki reaches the server through a relay that can hold its traffic, so a
sync can be kept in flight while the test looks at Anki; the second talks to the
server directly. Both were logged in (and given the server's copy) before starting.
"""

from __future__ import annotations

import base64
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from .harness import AnkiInstance, stop_all
from .support import MONITOR_CODE, MONITOR_READ, anki_eval, wait_for
from .sync_server import SYNC_PASSWORD, SYNC_USER, HoldingRelay, SyncServer, log_in

FULL_SYNC_ERROR = (
    "Sync status {} not one of [0, 1] - see "
    "SyncCollectionResponse.ChangesRequired for list of sync statuses"
)
HOLD_SECONDS = 1.0
SYNC_TIMEOUT = 120.0  # seconds an HTTP `sync` may take on a loaded machine


@dataclass
class Setup:
    server: SyncServer
    relay: HoldingRelay
    first: AnkiInstance  # syncs through the relay
    second: AnkiInstance


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    root = tmp_path_factory.mktemp("sync")
    server = SyncServer(root / "server").start()
    relay = HoldingRelay(server.port)
    first = AnkiInstance(root / "first")  # the demo collection becomes the server's copy
    second = AnkiInstance(root / "second", collection_setup=None)
    try:
        first.prepare()
        second.prepare()
        log_in(first.base_dir, relay.endpoint, full_sync="upload")
        log_in(second.base_dir, server.endpoint, full_sync="download")
        for instance in (first, second):
            instance.launch()
        for instance in (first, second):
            instance.wait_until_ready()
        yield Setup(server, relay, first, second)
    finally:
        stop_all([first, second])
        relay.close()
        server.stop()


def sync(instance: AnkiInstance) -> Any:
    return instance.request({"action": "sync", "version": 6}, timeout=SYNC_TIMEOUT)


def synced(instance: AnkiInstance) -> None:
    assert sync(instance) == {"result": None, "error": None}
    wait_for(
        lambda: anki_eval(instance, "result = not mw.media_syncer.is_syncing()"),
        timeout=60,
        what="media sync to finish",
    )


def new_tag() -> str:
    return f"sync{uuid.uuid4().hex[:8]}"


def basic(front: str, tag: str, back: str = "back") -> dict[str, Any]:
    return {
        "deckName": "Default",
        "modelName": "Basic",
        "fields": {"Front": front, "Back": back},
        "tags": [tag],
    }


def fronts(instance: AnkiInstance, tag: str) -> list[str]:
    ids = instance.invoke("findNotes", query=f"tag:{tag}")
    infos = instance.invoke("notesInfo", notes=ids)
    return sorted(info["fields"]["Front"]["value"] for info in infos)


def test_notes_and_media_reach_the_second_anki(setup: Setup) -> None:
    first, second = setup.first, setup.second
    tag = new_tag()
    data = base64.b64encode(f"picture of {tag}".encode()).decode()
    name = first.invoke("storeMediaFile", filename=f"{tag}.png", data=data)
    expected = [f"{tag} one", f'{tag} two <img src="{name}">']
    first.invoke("addNotes", notes=[basic(front, tag) for front in expected])
    assert fronts(second, tag) == []

    synced(first)
    synced(second)

    assert fronts(second, tag) == expected
    assert second.invoke("retrieveMediaFile", filename=name) == data


def test_an_edit_on_the_second_reaches_the_first(setup: Setup) -> None:
    first, second = setup.first, setup.second
    tag = new_tag()
    (note_id,) = first.invoke("addNotes", notes=[basic(f"{tag} original", tag)])
    synced(first)
    synced(second)
    second.invoke("updateNoteFields", note={"id": note_id, "fields": {"Front": f"{tag} edited"}})

    synced(second)
    anki_eval(first, RECORD_SYNC_EVENTS)
    synced(first)

    assert fronts(first, tag) == [f"{tag} edited"]
    # Anki's own sync hooks ran and its window was redrawn, as after its Sync button.
    events = anki_eval(first, "result = mw._sync_test_events")
    assert events[:3] == ["sync_will_start", "sync_did_finish", "reset"]


RECORD_SYNC_EVENTS = """
from aqt import gui_hooks
if not hasattr(mw, "_sync_test_events"):
    events = mw._sync_test_events = []
    gui_hooks.sync_will_start.append(lambda: events.append("sync_will_start"))
    gui_hooks.sync_did_finish.append(lambda: events.append("sync_did_finish"))
    original_reset = mw.reset
    def reset(*args, **kwargs):
        events.append("reset")
        return original_reset(*args, **kwargs)
    mw.reset = reset
mw._sync_test_events.clear()
result = True
"""


def test_sync_in_a_batch_and_from_another_add_on(setup: Setup) -> None:
    first, second = setup.first, setup.second
    tag = new_tag()
    # The batch's next item runs once the sync has answered.
    first.invoke("addNotes", notes=[basic(f"{tag} batch", tag)])
    find = {"action": "findNotes", "params": {"query": f"tag:{tag}"}}
    replies = first.invoke("multi", actions=[{"action": "sync"}, find])
    assert replies[0] is None and len(replies[1]) == 1
    # In process the caller waits for the answer, as for every in-process action.
    in_process = anki_eval(second, 'result = mw.ankiconnect.invoke("sync")')
    assert in_process == {"result": None, "error": None}
    assert fronts(second, tag) == [f"{tag} batch"]


def test_requests_during_a_sync_protocol_at_once_collection_after(setup: Setup) -> None:
    first = setup.first
    tag = new_tag()
    first.invoke("addNotes", notes=[basic(f"{tag} {i}", tag) for i in range(3000)])
    anki_eval(first, MONITOR_CODE)
    answered: list[str] = []

    def send(action: str, timeout: float = SYNC_TIMEOUT) -> None:
        reply = first.request({"action": action, "version": 6}, timeout=timeout)
        assert reply["error"] is None, reply
        answered.append(action)

    sync_thread = threading.Thread(target=send, args=("sync",))
    deck_names = threading.Thread(target=send, args=("deckNames",))
    with setup.relay.holding():
        sync_thread.start()
        assert setup.relay.held.wait(30), "the sync never reached the network"
        held_at = time.monotonic()
        send("version", timeout=10)  # served while the sync is in flight
        deck_names.start()
        time.sleep(max(0.0, HOLD_SECONDS - (time.monotonic() - held_at)))
        assert answered == ["version"]  # deckNames waits for the collection
    sync_thread.join(SYNC_TIMEOUT)
    deck_names.join(SYNC_TIMEOUT)

    # In the order Anki answered them (two replies sent a millisecond apart can reach
    # the client threads in either order): the status dialog's list of recent requests.
    recent = anki_eval(first, "result = [r.action for r in service.web.recent][-3:]")
    assert recent == ["version", "sync", "deckNames"]
    assert sorted(answered) == ["deckNames", "sync", "version"]
    longest_stall = anki_eval(first, MONITOR_READ)
    assert longest_stall < HOLD_SECONDS / 2, f"main thread blocked for {longest_stall:.3f} s"


def test_server_down_is_an_error_and_changes_wait_for_the_next_sync(setup: Setup) -> None:
    first, second = setup.first, setup.second
    tag = new_tag()
    second.invoke("addNotes", notes=[basic(f"{tag} while down", tag)])
    setup.server.stop()
    try:
        reply = sync(second)
    finally:
        setup.server.start()
    assert reply["result"] is None
    assert reply["error"].startswith("sync: A network error occurred."), reply
    assert fronts(second, tag) == [f"{tag} while down"]  # nothing lost or duplicated

    synced(second)
    synced(first)
    assert fronts(first, tag) == [f"{tag} while down"]


def test_wrong_password_is_an_error_and_the_login_is_kept(setup: Setup) -> None:
    second = setup.second
    setup.server.stop()
    setup.server.start(users={SYNC_USER: "changed on the server"})
    try:
        reply = sync(second)
    finally:
        setup.server.stop()
        setup.server.start(users={SYNC_USER: SYNC_PASSWORD})
    assert reply["result"] is None
    assert reply["error"].startswith("sync: ") and "password" in reply["error"], reply
    synced(second)  # still logged in: the right password works again


def test_timeout_is_an_error(setup: Setup) -> None:
    first = setup.first
    anki_eval(first, "mw.pm.set_network_timeout(1)\nresult = True")
    try:
        with setup.relay.holding(drop=True):
            reply = sync(first)
    finally:
        anki_eval(first, "mw.pm.set_network_timeout(None)\nresult = True")
    assert reply["result"] is None
    assert reply["error"].startswith("sync: Connection timed out."), reply
    synced(first)


def test_full_sync_required_is_the_original_error_and_changes_nothing(
    setup: Setup, tmp_path: Any
) -> None:
    # A profile with notes of its own meets a server with other content: only a full
    # upload or download could sync it, which the API never chooses for the user.
    third = AnkiInstance(tmp_path / "third")
    third.prepare()
    log_in(third.base_dir, setup.server.endpoint)
    with third:
        before = third.invoke("findNotes", query="deck:*")
        assert sync(third) == {"result": None, "error": FULL_SYNC_ERROR.format(2)}
        assert third.invoke("findNotes", query="deck:*") == before
        # no upload/download question was put up
        assert anki_eval(third, "result = mw.app.activeModalWidget() is None")
