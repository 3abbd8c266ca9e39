"""Incremental HTTP/1.x request parsing, linear in the bytes received.

Follows the original's framing rules (spec §A.1) where they matter to clients:
header lines split on the exact ``": "``, names lower-cased, the last duplicate wins,
a missing Content-Length means an empty body. Beyond the original it understands
chunked bodies and pipelined requests, and enforces size limits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

HEADER_END = b"\r\n\r\n"
_HEX_DIGITS = re.compile(rb"[0-9A-Fa-f]+")


@dataclass
class HttpRequest:
    method: str
    target: str
    http_version: str
    headers: dict[str, str]
    body: bytes | bytearray
    remote: str = ""

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


@dataclass(frozen=True)
class ParseFailure:
    """The request cannot be framed; the connection is answered and closed."""

    status: int
    message: str


@dataclass
class _Head:
    method: str
    target: str
    http_version: str
    headers: dict[str, str]


@dataclass
class RequestParser:
    max_header_bytes: int
    max_body_bytes: int
    _buffer: bytearray = field(default_factory=bytearray)
    _scanned: int = 0  # bytes of _buffer already searched for the header end
    _head: _Head | None = None
    _body_length: int | None = None  # Content-Length framing
    _chunked: bool = False
    _body_parts: list[bytes] = field(default_factory=list)
    _body_size: int = 0
    _chunk_remaining: int = 0  # chunked: bytes left in the current chunk (+2 for CRLF)
    _chunk_state: str = "size"  # size | data | trailer
    failed: ParseFailure | None = None

    @property
    def awaiting_body(self) -> bool:
        """Headers are in but the body is not: the moment to send `100 Continue`."""
        return self._head is not None

    @property
    def expects_continue(self) -> bool:
        # RFC 9110 §10.1.1: an HTTP/1.0 request's 100-continue expectation is ignored
        # (1.0 has no interim responses: the client would take it for the reply).
        return (
            self._head is not None
            and self._head.http_version != "HTTP/1.0"
            and self._head.headers.get("expect", "").lower() == "100-continue"
        )

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def next_request(self) -> HttpRequest | ParseFailure | None:
        """The next complete request, a failure, or None when more bytes are needed."""
        if self.failed is not None:
            return self.failed
        if self._head is None and not self._parse_head():
            return self.failed
        assert self._head is not None
        body = self._read_chunked() if self._chunked else self._read_sized()
        if body is None:
            return self.failed
        head, self._head = self._head, None
        return HttpRequest(
            method=head.method,
            target=head.target,
            http_version=head.http_version,
            headers=head.headers,
            body=body,
        )

    # --- head -------------------------------------------------------------------

    def _parse_head(self) -> bool:
        start = max(0, self._scanned - len(HEADER_END) + 1)
        end = self._buffer.find(HEADER_END, start)
        if end < 0:
            self._scanned = len(self._buffer)
            if len(self._buffer) > self.max_header_bytes:
                self._fail(431, "request headers are larger than the limit")
            return False
        if end > self.max_header_bytes:
            self._fail(431, "request headers are larger than the limit")
            return False
        raw = bytes(self._buffer[:end]).decode("latin-1")
        del self._buffer[: end + len(HEADER_END)]
        self._scanned = 0
        lines = raw.split("\r\n")
        parts = lines[0].split(" ")
        method = parts[0].upper()
        target = parts[1] if len(parts) > 1 else "/"
        http_version = parts[2].upper() if len(parts) > 2 else "HTTP/1.0"
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(": ")
            if sep:
                headers[name.lower()] = value.strip()
        self._head = _Head(method, target, http_version, headers)
        self._body_parts = []
        self._body_size = 0
        self._chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        self._chunk_state = "size"
        if self._chunked:
            self._body_length = None
            return True
        length_text = headers.get("content-length")
        if length_text is None:
            self._body_length = 0
            return True
        # isdigit() alone accepts non-ASCII digits such as "²", which int() rejects.
        if not (length_text.isascii() and length_text.isdigit()):
            self._fail(400, f"invalid Content-Length: {length_text[:40]!r}")
            return False
        self._body_length = int(length_text)
        if self._body_length > self.max_body_bytes:
            self._fail(413, self._too_large_text())
            return False
        return True

    def _too_large_text(self) -> str:
        return (
            f"request body is larger than the limit of {self.max_body_bytes} bytes "
            "(setting webMaxBodySize)"
        )

    def _fail(self, status: int, message: str) -> None:
        self.failed = ParseFailure(status, message)

    # --- bodies -----------------------------------------------------------------

    def _read_sized(self) -> bytes | bytearray | None:
        assert self._body_length is not None
        if len(self._buffer) < self._body_length:
            return None
        if len(self._buffer) == self._body_length:
            # The usual case: nothing pipelined behind the body. Hand the buffer over
            # instead of copying it (a 67 MB upload would otherwise exist twice).
            whole, self._buffer = self._buffer, bytearray()
            return whole
        body = bytes(self._buffer[: self._body_length])
        del self._buffer[: self._body_length]
        return body

    def _read_chunked(self) -> bytes | None:
        while True:
            if self._chunk_state == "size":
                line_end = self._buffer.find(b"\r\n")
                if line_end < 0:
                    if len(self._buffer) > 1024:
                        self._fail(400, "invalid chunk size line")
                    return None
                size_text = bytes(self._buffer[:line_end]).split(b";")[0].strip()
                del self._buffer[: line_end + 2]
                # Only hex digits: int(..., 16) would also take "0x5", "-0", "+5", "1_0".
                if not _HEX_DIGITS.fullmatch(size_text):
                    self._fail(400, "invalid chunk size line")
                    return None
                size = int(size_text, 16)
                if size == 0:
                    self._chunk_state = "trailer"
                    continue
                if self._body_size + size > self.max_body_bytes:
                    self._fail(413, self._too_large_text())
                    return None
                self._chunk_remaining = size
                self._chunk_state = "data"
            elif self._chunk_state == "data":
                if len(self._buffer) < self._chunk_remaining + 2:
                    return None
                end = self._chunk_remaining
                if self._buffer[end : end + 2] != b"\r\n":
                    self._fail(400, "chunk data is not followed by CRLF")
                    return None
                self._body_parts.append(bytes(self._buffer[: self._chunk_remaining]))
                self._body_size += self._chunk_remaining
                del self._buffer[: self._chunk_remaining + 2]
                self._chunk_state = "size"
            else:  # trailer: header lines until an empty line
                line_end = self._buffer.find(b"\r\n")
                if line_end < 0:
                    if len(self._buffer) > self.max_header_bytes:
                        self._fail(431, "request trailers are larger than the limit")
                    return None
                del self._buffer[: line_end + 2]
                if line_end == 0:
                    body = b"".join(self._body_parts)
                    self._body_parts = []
                    return body
