"""Replies, and which connections stay open after them (RFC 9112 §9.3, §9.6).

HTTP/1.1 connections persist unless the client says ``Connection: close``; HTTP/1.0
ones persist only when the client sends ``Connection: keep-alive``, and then the
reply says ``Connection: keep-alive`` too (a 1.0 client assumes a close otherwise).
Every reply after which the server closes says ``Connection: close``, so a client
never sends its next request into a connection that is going away.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .parser import HttpRequest

CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"

REASONS = {
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    413: "Payload Too Large",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


# Below this size a reply is joined into one buffer (one send, one packet).
JOIN_BELOW = 64 * 1024


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    # A large body may come as slices (encoded on a worker): they are written one
    # after the other, never joined into one more copy.
    body: bytes | Sequence[bytes] = b""

    def encode_head(self, extra: tuple[str, str] | None = None) -> bytes:
        """Status line and headers; ``extra`` goes last, after the application's own."""
        reason = REASONS.get(self.status, "OK")
        lines = [f"HTTP/1.1 {self.status} {reason}"]
        lines.extend(f"{name}: {value}" for name, value in self.headers)
        if extra is not None:
            lines.append(f"{extra[0]}: {extra[1]}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def parts(self, extra: tuple[str, str] | None = None) -> list[bytes]:
        """Head and body as buffers to write in order; small replies in one."""
        body = [self.body] if isinstance(self.body, bytes | bytearray) else list(self.body)
        parts = [self.encode_head(extra), *body]
        if sum(len(part) for part in parts) < JOIN_BELOW:
            return [b"".join(parts)]
        return parts

    def encode(self) -> bytes:
        return b"".join(self.parts())


Respond = Callable[[HttpResponse], None]
CLOSE = ("Connection", "close")
KEEP_ALIVE = ("Connection", "keep-alive")


def _version(request: HttpRequest) -> tuple[int, int]:
    """(major, minor) of the request line; anything unreadable counts as HTTP/1.0."""
    name, _, number = request.http_version.partition("/")
    major, _, minor = number.partition(".")
    if name != "HTTP" or not (major.isdigit() and minor.isdigit()):
        return (1, 0)
    return (int(major), int(minor))


def _tokens(request: HttpRequest) -> set[str]:
    return {t.strip().lower() for t in request.headers.get("connection", "").split(",")}


def client_keeps_alive(request: HttpRequest) -> bool:
    """Whether the client expects the connection to stay open after this request."""
    tokens = _tokens(request)
    if "close" in tokens:
        return False
    return _version(request) >= (1, 1) or "keep-alive" in tokens


def is_self_delimited(request: HttpRequest, response: HttpResponse) -> bool:
    """Whether the client can find the end of this reply without the connection closing.

    The 403 has no Content-Length (as the original's): it ends where the connection
    does. A reply to HEAD carries the banner's body, as the original's does, which a
    client would read as the start of the next reply: that connection ends too.
    """
    if request.method == "HEAD":
        return False
    return any(name.lower() == "content-length" for name, _ in response.headers)


def connection_header(request: HttpRequest, keep_open: bool) -> tuple[str, str] | None:
    """The ``Connection`` header a reply needs; None where the default says it all."""
    if not keep_open:
        return CLOSE
    return None if _version(request) >= (1, 1) else KEEP_ALIVE
