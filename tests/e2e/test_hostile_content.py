"""Hostile content cannot use the API (issue 14), in a real headless Anki over HTTP.

- a card template's script, run by Anki's own reviewer, may read but not write;
- a web origin cannot make Anki fetch from this machine (a loopback listener stays
  untouched), while a local program still can;
- a web origin cannot name files (exportPackage leaves the file alone);
- the API log holds no key and is readable by the user only.
"""

from __future__ import annotations

import json
import os
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..listener import LoopbackListener, loopback_listener
from .harness import AnkiInstance
from .support import anki_eval, http_request, json_body, wait_for

pytestmark = pytest.mark.e2e

EXTENSION = "chrome-extension://likgccmbimhjbgkjambclfkhldnlhbnn"
REPORT_TIMEOUT = 20.0  # QtWebEngine's first page load on a loaded 2-core machine
REVIEW_ATTEMPTS = 3


@pytest.fixture
def listener() -> Iterator[LoopbackListener]:
    with loopback_listener(b"local service secret") as server:
        yield server


def with_origin(anki: AnkiInstance, origin: str | None, action: str, **params: Any) -> Any:
    headers = {"Origin": origin} if origin else {}
    raw = anki.send_raw(http_request(anki, json_body(action, **params), headers))
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body) if body else None


# --------------------------------------------------------------------------- card templates


def _template_script(api_port: int, report_port: int, deck: str) -> str:
    """Front template: try a write and a read, then report both to the listener."""
    return f"""{{{{Front}}}}
<script>
(async () => {{
  const call = async (action, params) => {{
    try {{
      const r = await fetch("http://127.0.0.1:{api_port}/", {{
        method: "POST",
        body: JSON.stringify({{action, version: 6, params}}),
      }});
      return {{status: r.status, reply: await r.json()}};
    }} catch (e) {{
      return {{status: 0, reply: String(e)}};
    }}
  }};
  const write = await call("createDeck", {{deck: "{deck}"}});
  const read = await call("deckNames", {{}});
  await fetch("http://127.0.0.1:{report_port}/report", {{
    method: "POST",
    mode: "no-cors",
    body: JSON.stringify({{write, read, origin: location.origin}}),
  }});
}})();
</script>"""


def _review_until_reported(anki: AnkiInstance, deck: str, listener: LoopbackListener) -> None:
    """Open the reviewer on ``deck`` until the card's script has reported.

    On a loaded machine Anki's reviewer page now and then runs its first
    `_showQuestion` before reviewer.js has loaded ("_showQuestion is not defined" in
    the log) and the card is never shown; leaving and re-entering the reviewer
    loads the page again.
    """
    for _attempt in range(REVIEW_ATTEMPTS):
        assert anki.invoke("guiDeckReview", name=deck) is True
        try:
            wait_for(lambda: listener.posts, timeout=REPORT_TIMEOUT, what="the report")
            return
        except AssertionError:
            anki_eval(anki, "mw.moveToState('overview')")
    state = anki_eval(anki, "result = [mw.state, mw.reviewer.card and mw.reviewer.card.id]")
    raise AssertionError(f"no report; state {state}; log:\n{anki.log_since_launch[-3000:]}")


def test_card_template_in_the_reviewer_may_read_but_not_write(
    anki_factory: Any, listener: LoopbackListener
) -> None:
    anki: AnkiInstance = anki_factory()
    tag = uuid.uuid4().hex[:8]
    hostile_deck = f"Planted{tag}"
    model = f"Hostile{tag}"
    anki.invoke(
        "createModel",
        modelName=model,
        inOrderFields=["Front", "Back"],
        cardTemplates=[
            {
                "Name": "Card 1",
                "Front": _template_script(anki.port, listener.port, hostile_deck),
                "Back": "{{Back}}",
            }
        ],
    )
    deck = f"Shared{tag}"
    anki.invoke("createDeck", deck=deck)
    anki.invoke(
        "addNote",
        note={"deckName": deck, "modelName": model, "fields": {"Front": "q", "Back": "a"}},
    )
    _review_until_reported(anki, deck, listener)
    report = json.loads(listener.posts[0])
    media_port = anki_eval(anki, "result = mw.mediaServer.getPort()")
    # the script ran in Anki's own page, served by its media server
    assert report["origin"] == f"http://127.0.0.1:{media_port}"
    # the write was refused with a 403 naming the setting, and nothing was created
    assert report["write"]["status"] == 403
    assert report["write"]["reply"]["result"] is None
    assert "ankiPagesAllow" in report["write"]["reply"]["error"]
    assert hostile_deck not in anki.invoke("deckNames")
    # the read was answered (note types such as jp-mining-note look things up)
    assert report["read"]["status"] == 200
    assert deck in report["read"]["reply"]["result"]


# --------------------------------------------------------------------------- url media


def test_url_media_from_an_extension_never_reaches_a_loopback_service(
    anki: AnkiInstance, listener: LoopbackListener
) -> None:
    name = f"ssrf{uuid.uuid4().hex[:8]}.txt"
    for host in ("127.0.0.1", "localhost", "[::ffff:127.0.0.1]"):
        url = f"http://{host}:{listener.port}/admin"
        status, reply = with_origin(anki, EXTENSION, "storeMediaFile", filename=name, url=url)
        assert status == 200 and reply["result"] is None, reply
        assert "download refused" in reply["error"]
        assert "mediaUrlAllowPrivateFromWeb" in reply["error"]
    assert listener.hits == []
    assert anki.invoke("retrieveMediaFile", filename=name) is False
    # a local program (no Origin) still fetches from loopback: local audio servers
    url = f"http://127.0.0.1:{listener.port}/audio"
    status, reply = with_origin(anki, None, "storeMediaFile", filename=name, url=url)
    assert (status, reply) == (200, {"result": name, "error": None})
    assert listener.hits == ["/audio"]
    assert anki.invoke("retrieveMediaFile", filename=name) == "bG9jYWwgc2VydmljZSBzZWNyZXQ="
    anki.invoke("deleteMediaFile", filename=name)


def test_note_media_url_from_an_extension_is_refused_too(
    anki: AnkiInstance, listener: LoopbackListener
) -> None:
    front = f"ssrf-note-{uuid.uuid4().hex[:8]}"
    note = {
        "deckName": "Default",
        "modelName": "Basic",
        "fields": {"Front": front, "Back": ""},
        "audio": {
            "url": f"http://127.0.0.1:{listener.port}/a.mp3",
            "filename": f"{front}.mp3",
            "fields": ["Back"],
        },
    }
    status, reply = with_origin(anki, EXTENSION, "addNote", note=note)
    assert status == 200 and isinstance(reply["result"], int), reply
    try:
        back = anki.invoke("notesInfo", notes=[reply["result"]])[0]["fields"]["Back"]["value"]
        assert "download refused" in back
        assert listener.hits == []
    finally:
        anki.invoke("deleteNotes", notes=[reply["result"]])


# --------------------------------------------------------------------------- file paths


def test_export_package_from_an_extension_leaves_the_file_untouched(
    anki: AnkiInstance, tmp_path: Path
) -> None:
    target = tmp_path / "precious.txt"
    target.write_bytes(b"the user's own file")
    before = target.stat().st_mtime_ns
    status, reply = with_origin(anki, EXTENSION, "exportPackage", deck="Default", path=str(target))
    assert status == 200 and reply["result"] is None
    assert "allowFilePathsFromWeb" in reply["error"]
    assert target.read_bytes() == b"the user's own file"
    assert target.stat().st_mtime_ns == before
    # importPackage and guiImportFile refuse a path from a web origin the same way
    for action in ("importPackage", "guiImportFile"):
        status, reply = with_origin(anki, EXTENSION, action, path=str(target))
        assert reply["result"] is None and "allowFilePathsFromWeb" in reply["error"], action
    # a local program exports as before
    out = tmp_path / "deck.apkg"
    status, reply = with_origin(anki, None, "exportPackage", deck="Default", path=str(out))
    assert reply == {"result": True, "error": None}
    assert out.stat().st_size > 0


def test_file_paths_from_web_setting_allows_an_extension_to_export(
    anki_factory: Any, tmp_path: Path
) -> None:
    anki: AnkiInstance = anki_factory({"allowFilePathsFromWeb": True})
    out = tmp_path / "allowed.apkg"
    status, reply = with_origin(anki, EXTENSION, "exportPackage", deck="Default", path=str(out))
    assert reply == {"result": True, "error": None}
    assert out.stat().st_size > 0


# --------------------------------------------------------------------------- API log


def test_api_log_holds_no_key_and_is_private(anki_factory: Any, tmp_path: Path) -> None:
    log_path = tmp_path / "api.log"
    key = f"key-{uuid.uuid4().hex}"
    anki: AnkiInstance = anki_factory({"apiLogPath": str(log_path), "apiKey": key}, api_key=key)
    assert "Default" in anki.invoke("deckNames")
    reply = anki.request(
        {
            "action": "multi",
            "version": 6,
            "key": key,
            "params": {"actions": [{"action": "deckNames", "key": key}, {"action": "version"}]},
        }
    )
    assert reply["error"] is None and "Default" in reply["result"][0]
    text = wait_for(
        lambda: log_path.read_text() if "multi" in log_path.read_text() else "",
        what="the multi request in the log",
    )
    assert "deckNames" in text
    assert key not in text
    assert stat.S_IMODE(os.stat(log_path).st_mode) == 0o600
