"""storeMediaFile's `url` source against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import base64
import dataclasses
import http.server
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from anki.collection import Collection

from plugin.api import dispatch
from plugin.api.context import ActionContext
from plugin.api.errors import ActionError
from plugin.media.store import load_media_bytes

BIG = 5000  # bytes served by /big and /big-stream


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # bodies end at connection close: streamed, no length

    def do_GET(self) -> None:
        route = ROUTES.get(self.path.split("?")[0])
        if route is None:
            self.send_error(404)
            return
        route(self)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def reply(self, status: int, body: bytes, length: bool = True, **headers: str) -> None:
        self.send_response(status)
        if length:
            self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location: str) -> None:
        self.reply(302, b"", Location=location)


def _stream(handler: Handler) -> None:
    handler.send_response(200)
    handler.end_headers()
    for _ in range(BIG // 100):
        handler.wfile.write(b"y" * 100)


def _slow(handler: Handler) -> None:
    time.sleep(1.0)
    handler.reply(200, b"late")


ROUTES = {
    "/ok": lambda h: h.reply(200, b"downloaded bytes"),
    "/empty": lambda h: h.reply(200, b""),
    "/no-content": lambda h: h.reply(204, b"", length=False),
    "/server-error": lambda h: h.reply(500, b"oops"),
    "/big": lambda h: h.reply(200, b"x" * BIG),
    "/big-stream": _stream,
    "/slow": _slow,
    "/to-ok": lambda h: h.redirect("/ok"),
    "/to-missing": lambda h: h.redirect("/missing"),
    "/to-file": lambda h: h.redirect("file:///etc/passwd"),
    "/to-ftp": lambda h: h.redirect("ftp://127.0.0.1/x"),
    "/to-own-port": lambda h: h.redirect(f"http://localhost:{OWN_PORT}/ok"),
}
OWN_PORT = 1  # the webBindPort used by the tests that do not target the test server


class QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that stops reading (size cap, time-out) is expected here


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = QuietServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def web(ctx: ActionContext) -> ActionContext:
    settings = dataclasses.replace(ctx.settings, webBindPort=OWN_PORT, webTimeout=400)
    return dataclasses.replace(ctx, settings=settings)


def changed(ctx: ActionContext, **settings: Any) -> ActionContext:
    return dataclasses.replace(ctx, settings=dataclasses.replace(ctx.settings, **settings))


def store(ctx: ActionContext, url: str, filename: str = "dl.bin", **extra: Any) -> Any:
    params = {"filename": filename, "url": url, **extra}
    reply = dispatch.run_sync({"action": "storeMediaFile", "version": 6, "params": params}, ctx)
    if reply["error"] is not None:
        raise ActionError(reply["error"])
    return reply["result"]


def error_of(ctx: ActionContext, url: str, **extra: Any) -> str:
    with pytest.raises(ActionError) as raised:
        store(ctx, url, **extra)
    return str(raised.value)


def stored(col: Collection, name: str) -> bytes:
    with open(f"{col.media.dir()}/{name}", "rb") as file:
        return file.read()


def test_url_200_is_stored(web: ActionContext, col: Collection, server: str) -> None:
    assert store(web, f"{server}/ok") == "dl.bin"
    assert stored(col, "dl.bin") == b"downloaded bytes"


def test_url_empty_body_is_stored(web: ActionContext, col: Collection, server: str) -> None:
    assert store(web, f"{server}/empty") == "dl.bin"
    assert stored(col, "dl.bin") == b""


def test_url_is_used_only_without_data_and_path(web: ActionContext, server: str) -> None:
    data = base64.b64encode(b"data").decode()
    assert load_media_bytes(web, data=data, path=None, url=f"{server}/ok") == b"data"
    assert load_media_bytes(web, data="", path="", url=f"{server}/ok") == b"downloaded bytes"


@pytest.mark.parametrize(
    ("route", "status"),
    [("/missing", 404), ("/server-error", 500), ("/no-content", 204), ("/to-missing", 404)],
)
def test_url_non_200_gives_the_original_text(
    web: ActionContext, col: Collection, server: str, route: str, status: int
) -> None:
    url = f"{server}{route}"
    assert error_of(web, url) == f"{url} download failed with return code {status}"
    assert os.listdir(col.media.dir()) == []


def test_url_redirects_are_followed(web: ActionContext, col: Collection, server: str) -> None:
    assert store(web, f"{server}/to-ok") == "dl.bin"
    assert stored(col, "dl.bin") == b"downloaded bytes"


@pytest.mark.parametrize("route", ["/big", "/big-stream"])
def test_url_larger_than_the_cap_is_refused(web: ActionContext, server: str, route: str) -> None:
    capped = changed(web, mediaMaxDownloadSize=BIG - 1)
    url = f"{server}{route}"
    assert error_of(capped, url) == (
        f"{url} download failed: larger than {BIG - 1} bytes (setting mediaMaxDownloadSize)"
    )


@pytest.mark.parametrize("route", ["/big", "/big-stream"])
def test_url_exactly_at_the_cap_is_stored(
    web: ActionContext, col: Collection, server: str, route: str
) -> None:
    assert store(changed(web, mediaMaxDownloadSize=BIG), f"{server}{route}") == "dl.bin"
    assert len(stored(col, "dl.bin")) == BIG


def test_url_times_out_after_web_timeout(web: ActionContext, server: str) -> None:
    url = f"{server}/slow"
    started = time.monotonic()
    assert error_of(changed(web, webTimeout=200), url) == f"{url} download failed: timed out"
    assert time.monotonic() - started < 0.9


def test_url_refused_when_disabled(web: ActionContext, server: str) -> None:
    error = error_of(changed(web, mediaAllowUrl=False), f"{server}/ok")
    assert error == 'downloading media from a "url" is disabled by the setting mediaAllowUrl'


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "data:text/plain,hi", "/relative", "x"]
)
def test_url_only_http_and_https(web: ActionContext, url: str) -> None:
    assert error_of(web, url) == f"{url} download refused: only http and https URLs are allowed"


def test_url_redirect_to_another_scheme_is_refused(web: ActionContext, server: str) -> None:
    assert "only http and https URLs are allowed" in error_of(web, f"{server}/to-ftp")
    # urllib itself stops a redirect to file:// before asking us: not followed either.
    url = f"{server}/to-file"
    assert error_of(web, url) == f"{url} download failed with return code 302"


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "LOCALHOST", "127.1.2.3", "0.0.0.0", "[::1]"]
)
def test_url_to_our_own_port_on_this_machine_is_refused(
    web: ActionContext, server: str, host: str
) -> None:
    port = int(server.rsplit(":", 1)[1])
    ours = changed(web, webBindPort=port)  # the test server plays AnkiConnect
    url = f"http://{host}:{port}/ok"
    assert error_of(ours, url) == (
        f"{url} download refused: it points to this AnkiConnect server itself (port {port}),"
        " which cannot answer while it waits for the download"
    )


def test_url_redirect_to_our_own_port_is_refused(web: ActionContext, server: str) -> None:
    assert "points to this AnkiConnect server itself" in error_of(web, f"{server}/to-own-port")


def test_url_connection_refused_is_reported(web: ActionContext) -> None:
    url = "http://127.0.0.1:9/ok"  # discard port: nothing listens in the test sandbox
    assert error_of(web, url).startswith(f"{url} download failed: ")


def test_url_bad_port_is_reported(web: ActionContext) -> None:
    url = "http://127.0.0.1:99999/ok"
    assert error_of(web, url).startswith(f"{url} download failed: ")


def test_non_ascii_urls_are_percent_encoded_before_the_request() -> None:
    from plugin.media.download import ascii_url

    assert (
        ascii_url("https://example.com/audio?kanji=猫&kana=ねこ")
        == "https://example.com/audio?kanji=%E7%8C%AB&kana=%E3%81%AD%E3%81%93"
    )
    assert ascii_url("http://example.com/a%20b?x=1&y=%2F") == "http://example.com/a%20b?x=1&y=%2F"
    assert ascii_url("http://例え.jp/x y") == "http://xn--r8jz45g.jp/x%20y"
