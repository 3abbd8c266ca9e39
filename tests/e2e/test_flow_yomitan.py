"""Yomitan's whole conversation with the add-on (spec §D), over HTTP against real Anki.

Every request is sent the way Yomitan's ``anki-connect.js`` sends it: a JSON POST with
``version: 2`` from a ``chrome-extension://`` origin. At version 2 a success is the bare
result and an error is ``{"result": null, "error": "…"}``; Yomitan treats any non-array
object reply with an ``error`` property as a failure, so the helpers check exactly that.
"""

from __future__ import annotations

import base64
import http.server
import json
import threading
import urllib.parse
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import AnkiFactory
from .harness import AnkiInstance
from .support import anki_eval

EXTENSION_ORIGIN = "chrome-extension://likgccmbimhjbgkjambclfkhldnlhbnn"
DUPLICATE = "cannot create note because it is a duplicate"
AUDIO_BYTES = b"ID3\x03\x00fake mp3 from the local audio server \xff\xfb"
PICTURE_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


class Yomitan:
    """A client that speaks exactly like Yomitan (version 2, extension origin)."""

    def __init__(self, anki: AnkiInstance, key: str | None = None) -> None:
        self.anki = anki
        self.key = key

    def send(self, action: str, **params: Any) -> Any:
        envelope: dict[str, Any] = {"action": action, "params": params, "version": 2}
        if self.key is not None:  # Yomitan sends a key only when the user set one
            envelope["key"] = self.key
        body = json.dumps(envelope).encode()
        headers = {"Content-Type": "application/json", "Origin": EXTENSION_ORIGIN}
        status, response_headers, raw = self.anki.post_raw(body, headers)
        assert status == 200, (status, raw[:300])
        # fetch() in "cors" mode only hands the body to Yomitan with this header
        assert response_headers["Access-Control-Allow-Origin"] == EXTENSION_ORIGIN
        return json.loads(raw)

    def ok(self, action: str, **params: Any) -> Any:
        """A reply Yomitan accepts as a success: anything but an object with ``error``."""
        reply = self.send(action, **params)
        assert not (isinstance(reply, dict) and "error" in reply), reply
        return reply

    def fail(self, action: str, **params: Any) -> str:
        reply = self.send(action, **params)
        assert isinstance(reply, dict) and set(reply) == {"result", "error"}, reply
        assert reply["result"] is None and isinstance(reply["error"], str), reply
        return str(reply["error"])


@pytest.fixture
def yomitan(anki: AnkiInstance) -> Yomitan:
    return Yomitan(anki)


@pytest.fixture
def deck(anki: AnkiInstance) -> str:
    """A deck of this test with a child deck (the user made them; Yomitan does not)."""
    name = f"YomitanFlow{uuid.uuid4().hex[:8]}"
    anki.invoke("createDeck", deck=f"{name}::Sub")
    return name


def unique_word() -> str:
    return f"猫{uuid.uuid4().hex[:10]}"


def yomitan_note(
    word: str,
    deck: str,
    *,
    model: str = "Basic",
    scope: str = "collection",
    scope_deck: str | None = None,
    check_children: bool = False,
    check_all_models: bool = False,
    allow_duplicate: bool = False,
    back: str = "cat",
) -> dict[str, Any]:
    """A note as Yomitan's note builder makes it (every option key present)."""
    return {
        "deckName": deck,
        "modelName": model,
        "fields": {"Front": word, "Back": back},
        "tags": ["yomitan"],
        "options": {
            "allowDuplicate": allow_duplicate,
            "duplicateScope": scope,
            "duplicateScopeOptions": {
                "deckName": scope_deck,
                "checkChildren": check_children,
                "checkAllModels": check_all_models,
            },
        },
    }


def first_field_only(note: dict[str, Any]) -> dict[str, Any]:
    """Yomitan's duplicate probes keep only the first field."""
    first = next(iter(note["fields"]))
    return {**note, "fields": {first: note["fields"][first]}}


def find_query(word: str, deck: str | None = None) -> str:
    """The query Yomitan builds for its "view note" / duplicate lookups."""
    prefix = f'"deck:{deck}" ' if deck is not None else ""
    return f'{prefix}"front:{word}"'


# --------------------------------------------------------------------------- session start


def test_startup_checks(yomitan: Yomitan, deck: str) -> None:
    version = yomitan.ok("version")
    assert version == 6 and type(version) is int  # a non-number counts as 0 in Yomitan

    decks = yomitan.ok("deckNames")
    assert decks == sorted(decks)
    assert {"Default", "Japanese", "Japanese::Vocabulary", deck, f"{deck}::Sub"} <= set(decks)

    models = yomitan.ok("modelNames")
    assert all(isinstance(name, str) for name in models)
    assert {"Basic", "Basic (and reversed card)", "Cloze"} <= set(models)
    assert yomitan.ok("modelFieldNames", modelName="Basic") == ["Front", "Back"]
    assert yomitan.fail("modelFieldNames", modelName="No such model") == (
        "model was not found: No such model"
    )

    # the fallbacks Yomitan takes depend on this exact text in an error reply
    assert yomitan.fail("noSuchAction") == "unsupported action"
    reflected = yomitan.ok(
        "apiReflect", scopes=["actions"], actions=["canAddNotesWithErrorDetail", "nope"]
    )
    assert reflected == {"scopes": ["actions"], "actions": ["canAddNotesWithErrorDetail"]}


# --------------------------------------------------------------------------- adding notes


def test_duplicate_probe_then_add(anki: AnkiInstance, yomitan: Yomitan, deck: str) -> None:
    word = unique_word()
    note_id = yomitan.ok("addNote", note=yomitan_note(word, deck))
    assert type(note_id) is int

    fresh = unique_word()
    probes = [first_field_only(yomitan_note(w, deck)) for w in (word, fresh)]
    detail = yomitan.ok("canAddNotesWithErrorDetail", notes=probes)
    assert len(detail) == 2
    assert detail[0]["canAdd"] is False and DUPLICATE in detail[0]["error"]
    assert detail[1] == {"canAdd": True}  # no "error" key at all when addable
    # the fallback path of older add-ons
    assert yomitan.ok("canAddNotes", notes=probes) == [False, True]
    # probing stored nothing
    assert anki.invoke("findNotes", query=find_query(fresh)) == []

    assert yomitan.fail("addNote", note=yomitan_note(word, deck)) == DUPLICATE
    info = anki.invoke("notesInfo", notes=[note_id])[0]
    assert info["fields"]["Front"]["value"] == word and info["tags"] == ["yomitan"]
    # the card is in the requested deck (releases before 25.11 put it in Default)
    assert anki.invoke("cardsInfo", cards=info["cards"])[0]["deckName"] == deck
    assert anki.invoke("findNotes", query=find_query(word)) == [note_id]


def test_deck_scoped_duplicates(anki: AnkiInstance, yomitan: Yomitan, deck: str) -> None:
    word = unique_word()
    child = f"{deck}::Sub"
    other = f"{deck}Other{uuid.uuid4().hex[:6]}"
    anki.invoke("createDeck", deck=other)
    in_child = yomitan.ok("addNote", note=yomitan_note(word, child, scope="deck"))

    # deck scope looks only at the target deck: the parent holds no copy yet
    in_parent = yomitan.ok("addNote", note=yomitan_note(word, deck, scope="deck"))
    assert in_parent != in_child
    # ...but now it does
    assert yomitan.fail("addNote", note=yomitan_note(word, deck, scope="deck")) == DUPLICATE

    # duplicateScopeOptions.deckName redirects the check to another deck
    redirected = yomitan_note(word, other, scope="deck", scope_deck=child)
    assert yomitan.fail("addNote", note=redirected) == DUPLICATE
    # ...and checkChildren extends it to that deck's subdecks
    child_word = unique_word()
    yomitan.ok("addNote", note=yomitan_note(child_word, child))
    probes = [
        first_field_only(
            yomitan_note(child_word, other, scope="deck", scope_deck=deck, check_children=flag)
        )
        for flag in (False, True)
    ]
    detail = yomitan.ok("canAddNotesWithErrorDetail", notes=probes)
    assert detail[0] == {"canAdd": True}
    assert detail[1]["canAdd"] is False and DUPLICATE in detail[1]["error"]

    # another note type is no duplicate unless checkAllModels
    reversed_model = "Basic (and reversed card)"
    other_model = yomitan_note(word, deck, scope="deck", model=reversed_model)
    all_models = yomitan_note(word, deck, scope="deck", model=reversed_model, check_all_models=True)
    assert yomitan.fail("addNote", note=all_models) == DUPLICATE
    reversed_id = yomitan.ok("addNote", note=other_model)

    # allowDuplicate: Yomitan's "add duplicate" button
    forced = yomitan.ok("addNote", note=yomitan_note(word, deck, allow_duplicate=True))

    # Yomitan's lookups: a multi of findNotes items without version => bare arrays
    items = [
        {"action": "findNotes", "params": {"query": find_query(word)}},
        {"action": "findNotes", "params": {"query": find_query(word, child)}},
        {"action": "findNotes", "params": {"query": find_query(word, other)}},
    ]
    found = yomitan.ok("multi", actions=items)
    assert [sorted(ids) for ids in found] == [
        sorted([in_child, in_parent, reversed_id, forced]),
        [in_child],
        [],
    ]
    cards = anki.invoke("notesInfo", notes=[reversed_id])[0]["cards"]
    assert len(cards) == 2  # the reversed type made both of its cards


def test_add_notes_is_all_or_nothing(anki: AnkiInstance, yomitan: Yomitan, deck: str) -> None:
    existing = unique_word()
    yomitan.ok("addNote", note=yomitan_note(existing, deck))
    first, last = unique_word(), unique_word()
    batch = [yomitan_note(w, deck) for w in (first, existing, last)]

    assert yomitan.fail("addNotes", notes=batch) == f"['{DUPLICATE}']"
    for word in (first, last):
        assert anki.invoke("findNotes", query=find_query(word)) == []

    ids = yomitan.ok("addNotes", notes=[batch[0], batch[2]])
    assert len(ids) == 2 and all(type(i) is int for i in ids)
    assert [anki.invoke("findNotes", query=find_query(w)) for w in (first, last)] == [
        [ids[0]],
        [ids[1]],
    ]


# --------------------------------------------------------------------------- after adding


def test_view_update_and_suspend(anki: AnkiInstance, yomitan: Yomitan, deck: str) -> None:
    notes = [yomitan_note(unique_word(), deck, back=f"meaning {i}") for i in range(2)]
    ids = yomitan.ok("addNotes", notes=notes)

    infos = yomitan.ok("notesInfo", notes=[*ids, 1])
    assert len(infos) == 3 and infos[2] == {}  # no numeric noteId: Yomitan maps it to null
    for note, note_id, info in zip(notes, ids, infos, strict=False):
        assert info["noteId"] == note_id
        assert info["modelName"] == "Basic"
        assert info["tags"] == ["yomitan"]
        assert info["fields"] == {
            "Front": {"value": note["fields"]["Front"], "order": 0},
            "Back": {"value": note["fields"]["Back"], "order": 1},
        }
        assert len(info["cards"]) == 1 and type(info["cards"][0]) is int

    # Yomitan's "overwrite" mode; it requires exactly null back
    reply = yomitan.send("updateNoteFields", note={"id": ids[0], "fields": {"Back": "updated"}})
    assert reply is None
    updated = yomitan.ok("notesInfo", notes=[ids[0]])[0]
    assert updated["fields"]["Back"]["value"] == "updated"
    assert updated["fields"]["Front"]["value"] == notes[0]["fields"]["Front"]

    card_ids = [info["cards"][0] for info in infos[:2]]
    cards = yomitan.ok("cardsInfo", cards=card_ids)
    assert [(c["cardId"], c["note"], c["flags"], c["queue"]) for c in cards] == [
        (card_ids[0], ids[0], 0, 0),
        (card_ids[1], ids[1], 0, 0),
    ]
    assert yomitan.ok("findCards", query=f"nid:{ids[0]}") == [card_ids[0]]

    assert yomitan.ok("suspend", cards=card_ids) is True
    assert [c["queue"] for c in yomitan.ok("cardsInfo", cards=card_ids)] == [-1, -1]
    assert anki.invoke("areSuspended", cards=card_ids) == [True, True]


def test_gui_browse_by_note_ids(anki: AnkiInstance, yomitan: Yomitan, deck: str) -> None:
    ids = yomitan.ok("addNotes", notes=[yomitan_note(unique_word(), deck) for _ in range(2)])
    try:
        one = yomitan.ok("guiBrowse", query=f"nid:{ids[0]}")
        assert one == anki.invoke("findCards", query=f"nid:{ids[0]}") and len(one) == 1
        both = yomitan.ok("guiBrowse", query=f"nid:{ids[0]},{ids[1]}")
        assert sorted(both) == sorted(anki.invoke("findCards", query=f"deck:{deck}"))
        search = anki.invoke(
            "__testEval", code="result = aqt.dialogs._dialogs['Browser'][1].current_search()"
        )
        assert search == f"nid:{ids[0]},{ids[1]}"
    finally:
        anki.invoke(
            "__testEval",
            code="b = aqt.dialogs._dialogs['Browser'][1]\nif b is not None:\n    b.close()",
        )


# --------------------------------------------------------------------------- media


class _AudioHandler(http.server.BaseHTTPRequestHandler):
    requested: list[str] = []  # noqa: RUF012  (one list shared by the handler instances)

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802  (http.server's name)
        self.requested.append(self.path)
        found = self.path.startswith("/audio?")
        body = AUDIO_BYTES if found else b"not here"
        self.send_response(200 if found else 404)
        self.send_header("Content-Type", "audio/mpeg")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def audio_server(anki: AnkiInstance) -> Iterator[str]:
    """An audio source on 127.0.0.1, standing in for Yomitan's public audio hosts.

    A web origin may not make Anki fetch from this machine (docs/security.md), so
    for the stand-in the shared Anki is told to treat loopback like a public host;
    that the decision for public hosts is "allowed" is a unit test
    (tests/unit/test_policy.py::test_public_addresses_are_allowed).
    """
    _AudioHandler.requested = []
    widen = "service.save_settings({{'mediaUrlAllowPrivateFromWeb': {}}})"
    anki_eval(anki, widen.format(True))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _AudioHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
        anki_eval(anki, widen.format(False))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def test_store_media_from_data_and_url(yomitan: Yomitan, audio_server: str) -> None:
    tag = uuid.uuid4().hex[:10]
    # lower-case names: Anki >= 26.05 lower-cases new media names
    picture = yomitan.ok("storeMediaFile", filename=f"yomitan_{tag}.png", data=b64(PICTURE_BYTES))
    assert picture == f"yomitan_{tag}.png"
    assert yomitan.ok("retrieveMediaFile", filename=picture) == b64(PICTURE_BYTES)

    # Yomitan's audio sources put raw kanji/kana in the query string
    url = f"{audio_server}/audio?kanji=猫&kana=ねこ"
    audio = yomitan.ok("storeMediaFile", filename=f"yomitan_audio_{tag}.mp3", url=url)
    assert audio == f"yomitan_audio_{tag}.mp3"
    assert yomitan.ok("retrieveMediaFile", filename=audio) == b64(AUDIO_BYTES)
    assert len(_AudioHandler.requested) == 1
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(_AudioHandler.requested[0]).query)
    assert query == {"kanji": ["猫"], "kana": ["ねこ"]}

    missing = f"{audio_server}/gone?kanji=犬"
    error = yomitan.fail("storeMediaFile", filename=f"gone_{tag}.mp3", url=missing)
    assert error == f"{missing} download failed with return code 404"


def test_add_note_with_audio_url_and_picture_data(
    anki: AnkiInstance, yomitan: Yomitan, deck: str, audio_server: str
) -> None:
    tag = uuid.uuid4().hex[:10]
    audio_name = f"yomitan_{tag}_ねこ.mp3"
    picture_name = f"yomitan_{tag}.png"
    note = yomitan_note(unique_word(), deck)
    note["audio"] = [
        {
            "url": f"{audio_server}/audio?kanji=猫&kana=ねこ",
            "filename": audio_name,
            "fields": ["Front"],
        }
    ]
    note["picture"] = {"data": b64(PICTURE_BYTES), "filename": picture_name, "fields": ["Back"]}

    note_id = yomitan.ok("addNote", note=note)

    fields = yomitan.ok("notesInfo", notes=[note_id])[0]["fields"]
    assert fields["Front"]["value"] == f"{note['fields']['Front']}[sound:{audio_name}]"
    assert fields["Back"]["value"] == f'cat<img src="{picture_name}">'
    assert yomitan.ok("retrieveMediaFile", filename=audio_name) == b64(AUDIO_BYTES)
    assert yomitan.ok("retrieveMediaFile", filename=picture_name) == b64(PICTURE_BYTES)
    assert set(anki.invoke("getMediaFilesNames", pattern=f"yomitan_{tag}*")) == {
        audio_name,
        picture_name,
    }


# --------------------------------------------------------------------------- with an API key


def test_api_key_sent_on_every_request_and_multi_item(anki_factory: AnkiFactory) -> None:
    """With a key configured, Yomitan adds ``key`` to the request and to each multi item."""
    secret = "yomitan-secret"
    keyed = Yomitan(anki_factory({"apiKey": secret}, api_key=secret), key=secret)
    assert keyed.ok("version") == 6
    note_id = keyed.ok("addNote", note=yomitan_note(unique_word(), "Default"))
    word_query = find_query(keyed.ok("notesInfo", notes=[note_id])[0]["fields"]["Front"]["value"])
    items = [
        {"action": "findNotes", "params": {"query": word_query}, "key": secret},
        {"action": "findNotes", "params": {"query": word_query}},  # an old Yomitan's item
    ]
    assert keyed.ok("multi", actions=items) == [
        [note_id],
        {"result": None, "error": "valid api key must be provided"},
    ]
    assert Yomitan(keyed.anki, key="wrong").fail("version") == "valid api key must be provided"
    assert Yomitan(keyed.anki).fail("deckNames") == "valid api key must be provided"
