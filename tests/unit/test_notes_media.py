"""Media objects in notes: audio/video/picture on addNote, addNotes, updateNoteFields (§E.3, §E.13)."""

# Errors come back as the conftest's ApiError; they are caught as Exception (str() = text).

from __future__ import annotations

import base64
import hashlib
import http.server
import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from anki.collection import Collection

from tests.unit.conftest import Api

SOUND = b"ID3 fake mp3 bytes"
IMAGE = b"\x89PNG fake png bytes"


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode("ascii")


def basic(front: str = "front", back: str = "back", **media: Any) -> dict[str, Any]:
    note: dict[str, Any] = {
        "deckName": "Default",
        "modelName": "Basic",
        "fields": {"Front": front, "Back": back},
    }
    note.update(media)
    return note


def media_files(col: Collection) -> set[str]:
    return set(os.listdir(col.media.dir()))


def read_media(col: Collection, name: str) -> bytes:
    with open(os.path.join(col.media.dir(), name), "rb") as file:
        return file.read()


@pytest.fixture
def http_404() -> Iterator[str]:
    """A local HTTP server answering 404 to everything; yields its base URL."""

    class NotFound(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_trap_e3_media_one_object_or_list(api: Api, col: Collection) -> None:
    note_id = api(
        "addNote",
        note=basic(
            audio={"data": b64(SOUND), "filename": "cat.mp3", "fields": ["Front"]},
            video=[{"data": b64(b"vid"), "filename": "cat.mp4", "fields": ["Back"]}],
            picture=[
                {"data": b64(IMAGE), "filename": "cat.png", "fields": ["Back", "Missing"]},
            ],
        ),
    )
    note = col.get_note(note_id)
    assert note["Front"] == "front[sound:cat.mp3]"
    assert note["Back"] == 'back[sound:cat.mp4]<img src="cat.png">'
    assert {"cat.mp3", "cat.mp4", "cat.png"} <= media_files(col)
    assert read_media(col, "cat.mp3") == SOUND


def test_trap_e3_media_without_fields_is_stored_but_not_referenced(
    api: Api, col: Collection
) -> None:
    note_id = api("addNote", note=basic(audio={"data": b64(SOUND), "filename": "solo.mp3"}))
    assert col.get_note(note_id).fields == ["front", "back"]
    assert "solo.mp3" in media_files(col)


def test_trap_e3_skip_hash_match_stores_nothing(api: Api, col: Collection) -> None:
    media = {
        "data": b64(SOUND),
        "filename": "skipped.mp3",
        "skipHash": hashlib.md5(SOUND).hexdigest(),
        "fields": ["Front"],
    }
    note_id = api("addNote", note=basic(audio=media))
    assert col.get_note(note_id)["Front"] == "front"
    assert "skipped.mp3" not in media_files(col)


def test_trap_e3_delete_existing_null_keeps_existing(api: Api, col: Collection) -> None:
    col.media.write_data("clash.mp3", b"old content")
    media = {"data": b64(SOUND), "filename": "clash.mp3", "fields": ["Front"]}
    note_id = api("addNote", note=basic(audio=media))
    front = col.get_note(note_id)["Front"]
    stored = front.removeprefix("front[sound:").removesuffix("]")
    assert stored != "clash.mp3" and stored.startswith("clash-")
    assert read_media(col, "clash.mp3") == b"old content"
    assert read_media(col, stored) == SOUND


def test_trap_e3_delete_existing_true_replaces(api: Api, col: Collection) -> None:
    col.media.write_data("swap.mp3", b"old content")
    media = {
        "data": b64(SOUND),
        "filename": "swap.mp3",
        "fields": ["Front"],
        "deleteExisting": True,
    }
    note_id = api("addNote", note=basic(audio=media))
    assert col.get_note(note_id)["Front"] == "front[sound:swap.mp3]"
    assert read_media(col, "swap.mp3") == SOUND


def test_trap_e13_media_reference_uses_stored_name(api: Api, col: Collection) -> None:
    # Anki normalizes names (here: characters it forbids are dropped); the field
    # must reference the name actually stored, not the requested one.
    media = {"data": b64(IMAGE), "filename": "a:b?.png", "fields": ["Back"]}
    note_id = api("addNote", note=basic(picture=media))
    back = col.get_note(note_id)["Back"]
    stored = back.removeprefix('back<img src="').removesuffix('">')
    assert stored in media_files(col)
    assert stored != "a:b?.png"


def test_trap_e3_failed_decoding_writes_error_text_into_fields(api: Api, col: Collection) -> None:
    media = {"data": "abc", "filename": "bad.mp3", "fields": ["Back"]}
    note_id = api("addNote", note=basic(audio=media))
    assert col.get_note(note_id)["Back"] == "backIncorrect padding"
    assert "bad.mp3" not in media_files(col)


def test_trap_e3_failed_download_writes_html_escaped_error(
    api: Api, col: Collection, http_404: str
) -> None:
    url = f"{http_404}/audio.mp3?kanji=neko&kana=neko"
    media = {"url": url, "filename": "dl.mp3", "fields": ["Front"]}
    note_id = api("addNote", note=basic(audio=media))
    escaped = url.replace("&", "&amp;")
    assert col.get_note(note_id)["Front"] == (
        f"front{escaped} download failed with return code 404"
    )


def test_trap_e3_failed_media_without_fields_raises_fields_key(api: Api, col: Collection) -> None:
    with pytest.raises(Exception) as error:
        api("addNote", note=basic(audio={"data": "abc", "filename": "x.mp3"}))
    assert str(error.value) == "'fields'"


def test_media_without_source_writes_the_no_source_error(api: Api, col: Collection) -> None:
    note_id = api("addNote", note=basic(audio={"filename": "x.mp3", "fields": ["Back"]}))
    assert col.get_note(note_id)["Back"] == (
        "backYou must provide a &quot;data&quot;, &quot;path&quot;, or &quot;url&quot; field."
    )


def test_can_add_never_stores_media(api: Api, col: Collection) -> None:
    media = {"data": b64(SOUND), "filename": "probe.mp3", "fields": ["Front"]}
    assert api("canAddNote", note=basic(audio=media)) is True
    assert api("canAddNotes", notes=[basic(audio=media)]) == [True]
    assert api("canAddNotesWithErrorDetail", notes=[basic(audio=media)]) == [{"canAdd": True}]
    assert "probe.mp3" not in media_files(col)


def test_add_notes_with_media(api: Api, col: Collection) -> None:
    notes = [
        basic("one", audio={"data": b64(b"1"), "filename": "one.mp3", "fields": ["Front"]}),
        basic("two", picture={"data": b64(b"2"), "filename": "two.png", "fields": ["Back"]}),
    ]
    first, second = api("addNotes", notes=notes)
    assert col.get_note(first)["Front"] == "one[sound:one.mp3]"
    assert col.get_note(second)["Back"] == 'back<img src="two.png">'


def test_add_notes_stores_no_media_when_a_note_is_refused(api: Api, col: Collection) -> None:
    notes = [
        basic("one", audio={"data": b64(b"1"), "filename": "kept-out.mp3", "fields": ["Front"]}),
        basic(""),
    ]
    with pytest.raises(Exception, match="empty"):
        api("addNotes", notes=notes)
    assert "kept-out.mp3" not in media_files(col)
    assert col.note_count() == 0


def test_add_notes_media_key_error_fails_the_batch(api: Api, col: Collection) -> None:
    notes = [basic("one"), basic("two", audio={"data": "abc", "filename": "x.mp3"})]
    with pytest.raises(Exception) as error:
        api("addNotes", notes=notes)
    assert str(error.value) == "[\"'fields'\"]"
    assert col.note_count() == 0


def test_update_note_fields_appends_media_after_new_values(api: Api, col: Collection) -> None:
    note_id = api("addNote", note=basic())
    media = [{"data": b64(SOUND), "filename": "upd.mp3", "fields": ["Back"]}]
    api("updateNoteFields", note={"id": note_id, "fields": {"Back": "new"}, "audio": media})
    assert col.get_note(note_id)["Back"] == "new[sound:upd.mp3]"


def test_update_note_with_fields_attaches_media(api: Api, col: Collection) -> None:
    note_id = api("addNote", note=basic())
    media = {"data": b64(IMAGE), "filename": "u.png", "fields": ["Front"]}
    api("updateNote", note={"id": note_id, "fields": {}, "picture": media, "tags": ["t"]})
    note = col.get_note(note_id)
    assert note["Front"] == 'front<img src="u.png">' and note.tags == ["t"]
