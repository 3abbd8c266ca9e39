"""Downloading media for ``storeMediaFile``'s ``url`` source (stdlib urllib).

Guarded where the original was not: the ``mediaAllowUrl`` setting, http/https only
(redirects included), a size cap read in chunks, and no request to this server's
own port on this machine — the server would wait on itself until the time-out.
"""

from __future__ import annotations

import http.client
import socket
import string
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import IO, Any

from ..api.errors import ActionError
from ..api.security import ip_of
from ..config import Settings
from .public_http import AddressRefused, PublicHTTPHandler, PublicHTTPSHandler

CHUNK_BYTES = 256 * 1024
USER_AGENT = "AnkiConnect"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def download(url: str, settings: Settings, *, public_only: bool = False) -> bytes:
    """The body of a 200 answer for ``url``; any other outcome raises ActionError.

    ``public_only`` (for web origins, security.url_guard_applies) connects only to
    public addresses, checked on each connection (public_http.py).
    """
    if not isinstance(url, str):
        raise ActionError('"url" must be a string')
    if not settings.mediaAllowUrl:
        raise ActionError('downloading media from a "url" is disabled by the setting mediaAllowUrl')
    check_url(url, settings)
    handlers: list[urllib.request.BaseHandler] = [_CheckedRedirects(settings)]
    if public_only:
        handlers += [PublicHTTPHandler(), PublicHTTPSHandler()]
    opener = urllib.request.build_opener(*handlers)
    deadline = time.monotonic() + settings.webTimeout / 1000
    request = urllib.request.Request(ascii_url(url), headers={"User-Agent": USER_AGENT})
    try:
        with opener.open(request, timeout=settings.webTimeout / 1000) as response:
            if response.status != 200:
                raise _status_error(url, response.status)
            return _read_capped(response, url, settings.mediaMaxDownloadSize, deadline)
    except urllib.error.HTTPError as exc:  # 4xx/5xx, and 3xx that were not followed
        raise _status_error(url, exc.code) from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, AddressRefused):
            raise ActionError(f"{url} download refused: {exc.reason}") from None
        raise ActionError(f"{url} download failed: {exc.reason}") from None
    except AddressRefused as exc:
        raise ActionError(f"{url} download refused: {exc}") from None
    except (OSError, http.client.HTTPException) as exc:  # time-outs, resets
        raise ActionError(f"{url} download failed: {exc or type(exc).__name__}") from None


def ascii_url(url: str) -> str:
    """Percent-encode what HTTP cannot carry raw (Yomitan sends `?kanji=猫`).

    ASCII punctuation is kept as is, so an already encoded URL is unchanged; a
    non-ASCII host name is IDNA-encoded.
    """
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc
    if not netloc.isascii():
        host = parts.hostname or ""
        try:
            netloc = netloc.replace(host, host.encode("idna").decode("ascii"))
        except UnicodeError:
            pass
    safe = string.punctuation
    return urllib.parse.urlunsplit(
        (
            parts.scheme,
            netloc,
            urllib.parse.quote(parts.path, safe=safe),
            urllib.parse.quote(parts.query, safe=safe),
            urllib.parse.quote(parts.fragment, safe=safe),
        )
    )


def _status_error(url: str, status: int) -> ActionError:
    return ActionError(f"{url} download failed with return code {status}")


def _read_capped(response: Any, url: str, limit: int, deadline: float) -> bytes:
    """Read the body in chunks, within the size cap and the whole-download deadline.

    The socket time-out alone bounds each read, not the download: a server sending
    a byte now and then would hold the collection queue for as long as it liked.
    """
    declared = response.headers.get("Content-Length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(url, limit)
    chunks: list[bytes] = []
    total = 0
    while chunk := response.read1(CHUNK_BYTES):
        if time.monotonic() > deadline:
            raise ActionError(f"{url} download failed: timed out")
        total += len(chunk)
        if total > limit:
            raise _too_large(url, limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(url: str, limit: int) -> ActionError:
    return ActionError(
        f"{url} download failed: larger than {limit} bytes (setting mediaMaxDownloadSize)"
    )


def check_url(url: str, settings: Settings) -> None:
    """Refuse non-http(s) URLs and URLs that lead back to this server."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ActionError(f"{url} download refused: only http and https URLs are allowed")
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError as exc:  # a port that is not a number or out of range
        raise ActionError(f"{url} download failed: {exc}") from None
    host = parts.hostname
    if not host:
        raise ActionError(f"{url} download failed: no host in the URL")
    if port == settings.webBindPort and _is_this_machine(host, port):
        raise ActionError(
            f"{url} download refused: it points to this AnkiConnect server itself"
            f" (port {port}), which cannot answer while it waits for the download"
        )


def _is_this_machine(host: str, port: int) -> bool:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return False  # unresolvable: the download itself reports the failure
    return any(_is_local_address(info[0], str(info[4][0])) for info in infos)


def _is_local_address(family: int, address: str) -> bool:
    ip = ip_of(address)
    if ip is None:
        return False
    if ip.is_loopback or ip.is_unspecified:
        return True
    # An address of one of this machine's interfaces is one we can bind to.
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.bind((address, 0))
    except OSError:
        return False
    return True


class _CheckedRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects like requests did, but check each target like the first URL."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        check_url(newurl, self.settings)
        return super().redirect_request(req, fp, code, msg, headers, newurl)
