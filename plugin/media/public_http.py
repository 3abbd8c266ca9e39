"""urllib handlers that connect only to public addresses (``url`` media from web origins).

A web page or extension the user allowed must not use Anki as a proxy into this
machine or its network (a local service on 127.0.0.1, a router, the cloud metadata
address 169.254.169.254). Checking the URL's host name is not enough: DNS may answer
differently at connect time (rebinding), and a redirect may point anywhere. So the
check sits where the socket is made: each connection resolves the name, keeps only
public addresses (``security.is_public_address``) and connects to a checked address;
every redirect opens a new connection and is checked the same way.

Through a proxy the user configured (http_proxy, the system settings) the proxy
connects to the target, so the target's name is resolved and checked first; a name
that does not resolve here is left to the proxy.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import urllib.parse
import urllib.request
from typing import Any

from ..api.security import PRIVATE_URLS_SETTING, is_public_address


class AddressRefused(OSError):
    """The URL leads to an address web origins may not reach."""


def _refused(host: str, address: str) -> AddressRefused:
    return AddressRefused(
        f"{host} is {address}, an address of this computer or the local network, which "
        "web pages and browser extensions may not make Anki fetch from. Set "
        f"{PRIVATE_URLS_SETTING} to true to allow it."
    )


def connect_public(
    address: tuple[str, int], timeout: Any = None, source_address: Any = None
) -> socket.socket:
    """Like socket.create_connection, to public addresses only."""
    host, port = address
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    refused: AddressRefused | None = None
    error: OSError | None = None
    for family, kind, proto, _name, sockaddr in infos:
        ip = str(sockaddr[0])
        if not is_public_address(ip):
            refused = refused or _refused(host, ip)
            continue
        sock = socket.socket(family, kind, proto)
        try:
            if isinstance(timeout, (int, float)):
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            # the address the socket really reached is the one that must be public
            if not is_public_address(str(sock.getpeername()[0])):
                raise _refused(host, str(sock.getpeername()[0]))
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise error or refused or OSError(f"{host} has no address")


def check_name_public(host: str) -> None:
    """Before handing a URL to a proxy: refuse a name that resolves to a private address."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return  # only the proxy can resolve it
    for info in infos:
        ip = str(info[4][0])
        if not is_public_address(ip):
            raise _refused(host, ip)


class _PublicHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # http.client makes its socket through this attribute (HTTPS too, before the
        # TLS handshake, which still verifies the host name).
        self._create_connection = connect_public  # type: ignore[attr-defined]


class _PublicHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = connect_public  # type: ignore[attr-defined]


def _through_proxy(req: urllib.request.Request) -> bool:
    """urllib's ProxyHandler has pointed the request at a proxy (req.host changed)."""
    return req.host != urllib.parse.urlsplit(req.full_url).netloc


def _target_host(req: urllib.request.Request) -> str:
    return urllib.parse.urlsplit(req.full_url).hostname or ""


class PublicHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        if _through_proxy(req):
            check_name_public(_target_host(req))
            return self.do_open(http.client.HTTPConnection, req)
        return self.do_open(_PublicHTTPConnection, req)


class PublicHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self) -> None:
        self.ssl_context = ssl.create_default_context()
        super().__init__(context=self.ssl_context)

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        if _through_proxy(req):
            check_name_public(_target_host(req))
            return self.do_open(http.client.HTTPSConnection, req, context=self.ssl_context)
        return self.do_open(_PublicHTTPSConnection, req, context=self.ssl_context)
