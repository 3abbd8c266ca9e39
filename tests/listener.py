"""A loopback HTTP server a test owns, standing for a local service an attacker would
like Anki to reach: it records every GET path and keeps every POSTed body."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class LoopbackListener:
    def __init__(self, secret: bytes = b"local secret") -> None:
        self.hits: list[str] = []
        self.posts: list[bytes] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802  (http.server's name)
                outer.hits.append(self.path)
                self._answer(secret)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                outer.posts.append(self.rfile.read(length))
                self._answer(b"ok")

            def _answer(self, body: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def loopback_listener(secret: bytes = b"local secret") -> Iterator[LoopbackListener]:
    server = LoopbackListener(secret)
    try:
        yield server
    finally:
        server.close()
