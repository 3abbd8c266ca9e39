"""Spec §A.7 / §E.8 ``requestPermission`` over HTTP against real Anki, with the
permission dialog answered from the test through ``__testEval``.

The dialog saves origins in the add-on config, so this module has its own instance.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from .harness import AnkiInstance, RawConnection
from .support import anki_eval, http_request, json_body, private_instance, wait_for

DIALOGS = (
    "import sys\n"
    "from aqt.qt import QMessageBox\n"
    "permission = sys.modules[service.__class__.__module__.rsplit('.', 1)[0] + '.gui.permission']\n"
    "dialogs = permission.OPEN_DIALOGS\n"
)
DENIED = {"permission": "denied"}
GRANTED = {"permission": "granted", "requireApikey": False, "version": 6}
FORBIDDEN = (
    b"HTTP/1.1 403 Forbidden\r\n"
    b"Access-Control-Allow-Origin: http://localhost\r\n"
    b"Access-Control-Allow-Headers: *\r\n"
    b"Connection: close\r\n\r\n"  # no Content-Length: the connection ends the reply
)


@pytest.fixture(scope="module")
def anki_p(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnkiInstance]:
    with private_instance(tmp_path_factory.mktemp("anki-permission") / "base") as instance:
        yield instance


@pytest.fixture(autouse=True)
def no_dialog_left_open(anki_p: AnkiInstance) -> Iterator[None]:
    yield
    anki_eval(anki_p, DIALOGS + "for box in list(dialogs): box.reject()\nresult = len(dialogs)")


def open_dialogs(anki: AnkiInstance) -> list[dict[str, Any]]:
    return anki_eval(
        anki,
        DIALOGS + "result = [{'title': b.windowTitle(), 'text': b.text(),"
        " 'checkbox': b.checkBox().text(), 'visible': b.isVisible(), 'modal': b.isModal()}"
        " for b in dialogs]",
    )


def answer(anki: AnkiInstance, button: str, *, ignore: bool = False) -> None:
    anki_eval(
        anki,
        DIALOGS + "box = dialogs[0]\n"
        f"box.checkBox().setChecked({ignore})\n"
        f"box.button(QMessageBox.StandardButton.{button}).click()\n",
    )


def saved_config(anki: AnkiInstance) -> dict[str, Any]:
    meta = json.loads((anki.addon_dir / "meta.json").read_text(encoding="utf8"))
    return dict(meta["config"])


def ask(anki: AnkiInstance, origin: str, version: int | None = 6) -> RawConnection:
    """Send requestPermission from ``origin`` and leave the reply pending."""
    conn = anki.raw_connection(timeout=20)
    conn.send(
        http_request(anki, json_body("requestPermission", version=version), {"Origin": origin})
    )
    return conn


def send_from(anki: AnkiInstance, origin: str, body: bytes) -> bytes:
    return anki.send_raw(http_request(anki, body, {"Origin": origin}))


def test_denied_when_answered_no_and_others_served_meanwhile(anki_p: AnkiInstance) -> None:
    origin = "https://no.example"
    with ask(anki_p, origin) as pending:
        dialogs = wait_for(lambda: open_dialogs(anki_p), what="the permission dialog")
        assert len(dialogs) == 1
        assert dialogs[0]["title"] == "A website wants to access to Anki"
        assert origin in dialogs[0]["text"]
        assert dialogs[0]["checkbox"] == f'Ignore further requests from "{origin}"'
        assert dialogs[0]["visible"]
        # the dialog does not block other clients
        started = time.monotonic()
        assert anki_p.call("version") == {"result": 6, "error": None}
        assert "Default" in anki_p.invoke("deckNames")
        assert time.monotonic() - started < 1.0
        assert not pending.is_closed_by_peer(wait=0.1)  # still waiting for the user
        answer(anki_p, "No")
        response = pending.read_response()
    assert response.status == 200
    # the caller's own origin, so the page can read the answer
    assert response.header("Access-Control-Allow-Origin") == origin
    assert response.json() == {"result": DENIED, "error": None}
    config = saved_config(anki_p)
    assert origin not in config.get("webCorsOriginList", [])
    assert origin not in config.get("ignoreOriginList", [])
    # not ignored: asking again shows the dialog again
    with ask(anki_p, origin, version=None) as again:
        wait_for(lambda: open_dialogs(anki_p), what="a second dialog")
        answer(anki_p, "No")
        assert again.read_response().json() == DENIED  # version 4: bare
    assert send_from(anki_p, origin, json_body("version")) == FORBIDDEN


def test_granted_when_answered_yes_and_origin_saved(anki_p: AnkiInstance) -> None:
    origin = "https://yes.example"
    before = anki_p.invoke("deckNames")
    assert send_from(anki_p, origin, json_body("createDeck", deck="Yes deck")) == FORBIDDEN
    assert anki_p.invoke("deckNames") == before
    with ask(anki_p, origin) as pending:
        wait_for(lambda: open_dialogs(anki_p), what="the permission dialog")
        answer(anki_p, "Yes")
        response = pending.read_response()
    assert response.header("Access-Control-Allow-Origin") == origin
    assert response.json() == {"result": GRANTED, "error": None}
    assert origin in saved_config(anki_p)["webCorsOriginList"]
    assert "http://localhost" in saved_config(anki_p)["webCorsOriginList"]
    assert origin in anki_eval(anki_p, "result = list(service.settings.webCorsOriginList)")
    # from now on the origin is allowed, echoed, and gets granted without a dialog
    raw = send_from(anki_p, origin, json_body("deckNames"))
    assert raw.startswith(b"HTTP/1.1 200 OK\r\n")
    assert f"Access-Control-Allow-Origin: {origin}\r\n".encode() in raw
    raw = send_from(anki_p, origin, json_body("requestPermission"))
    assert json.loads(raw.split(b"\r\n\r\n", 1)[1]) == {"result": GRANTED, "error": None}
    assert open_dialogs(anki_p) == []


def test_ignored_when_answered_no_with_checkbox(anki_p: AnkiInstance) -> None:
    origin = "https://ignore.example"
    with ask(anki_p, origin) as pending:
        wait_for(lambda: open_dialogs(anki_p), what="the permission dialog")
        answer(anki_p, "No", ignore=True)
        assert pending.read_response().json() == {"result": DENIED, "error": None}
    assert origin in saved_config(anki_p)["ignoreOriginList"]
    assert origin not in saved_config(anki_p)["webCorsOriginList"]
    # the next request is denied at once, without a dialog
    started = time.monotonic()
    raw = send_from(anki_p, origin, json_body("requestPermission"))
    assert time.monotonic() - started < 1.0
    assert json.loads(raw.split(b"\r\n\r\n", 1)[1]) == {"result": DENIED, "error": None}
    assert f"Access-Control-Allow-Origin: {origin}\r\n".encode() in raw
    assert open_dialogs(anki_p) == []
    assert send_from(anki_p, origin, json_body("version")) == FORBIDDEN


def test_yes_with_checkbox_ticked_grants_without_ignoring(anki_p: AnkiInstance) -> None:
    origin = "https://both.example"
    with ask(anki_p, origin) as pending:
        wait_for(lambda: open_dialogs(anki_p), what="the permission dialog")
        answer(anki_p, "Yes", ignore=True)
        assert pending.read_response().json() == {"result": GRANTED, "error": None}
    config = saved_config(anki_p)
    assert origin in config["webCorsOriginList"]
    assert origin not in config.get("ignoreOriginList", [])


def test_client_params_are_refused_and_server_fills_origin(anki_p: AnkiInstance) -> None:
    # a client cannot claim to be allowed: its params are overwritten by the server
    body = json.dumps(
        {
            "action": "requestPermission",
            "version": 6,
            "params": {"origin": "http://localhost", "allowed": True},
        }
    ).encode()
    with anki_p.raw_connection(timeout=20) as conn:
        conn.send(http_request(anki_p, body, {"Origin": "https://liar.example"}))
        dialogs = wait_for(lambda: open_dialogs(anki_p), what="the permission dialog")
        assert "https://liar.example" in dialogs[0]["text"]
        answer(anki_p, "No")
        assert conn.read_response().json() == {"result": DENIED, "error": None}
    reply = anki_p.call("requestPermission", extra=1)
    assert reply == {
        "result": None,
        "error": "AnkiConnect.requestPermission() got an unexpected keyword argument 'extra'",
    }


def test_two_dialogs_for_two_origins_answered_independently(anki_p: AnkiInstance) -> None:
    with (
        ask(anki_p, "https://first.example") as first,
        ask(anki_p, "https://second.example") as second,
    ):
        wait_for(lambda: len(open_dialogs(anki_p)) == 2, what="two dialogs")
        answer(anki_p, "No")  # the first one opened
        assert first.read_response().json() == {"result": DENIED, "error": None}
        answer(anki_p, "Yes")
        assert second.read_response().json() == {"result": GRANTED, "error": None}
    config = saved_config(anki_p)
    assert "https://second.example" in config["webCorsOriginList"]
    assert "https://first.example" not in config["webCorsOriginList"]


def test_caller_gone_before_the_answer_does_no_harm(anki_p: AnkiInstance) -> None:
    origin = "https://gone.example"
    with ask(anki_p, origin):
        wait_for(lambda: open_dialogs(anki_p), what="the permission dialog")
    # the page closed its connection; the user still answers later
    answer(anki_p, "Yes")
    assert origin in saved_config(anki_p)["webCorsOriginList"]
    assert anki_p.call("version") == {"result": 6, "error": None}
    raw = send_from(anki_p, origin, json_body("version"))
    assert raw.startswith(b"HTTP/1.1 200 OK\r\n")
    assert "Traceback" not in anki_p.log
