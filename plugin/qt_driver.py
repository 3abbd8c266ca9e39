"""Wake the HTTP server from Qt's event loop on Anki's main thread.

One ``QSocketNotifier`` per socket: a read notifier for the listening socket and for
each connection, and a write notifier only while a reply waits for buffer space. Qt
implements socket notifiers on Windows, macOS and Linux alike, so every user runs
this same code, and a request is handled the moment its bytes arrive. Time-outs use
one single-shot timer set for the earliest deadline; nothing polls, and an idle
server with no connections has no timer running at all.
"""

from __future__ import annotations

import socket
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from aqt.qt import QObject, QSocketNotifier, QTimer


@dataclass
class _Watched:
    read: QSocketNotifier
    write: QSocketNotifier | None
    on_write: Callable[[], None]


class QtServerDriver(QObject):
    """The server's ``EventLoop`` (plugin/http/server.py) on top of Qt."""

    def __init__(self) -> None:
        super().__init__()
        self._watched: dict[socket.socket, _Watched] = {}
        # Single-shot: armed for the next time-out only, never a periodic tick.
        self.deadline_timer = QTimer(self)
        self.deadline_timer.setSingleShot(True)
        self.deadline_timer.timeout.connect(self._on_deadline)
        self._deadline_callback: Callable[[], None] | None = None

    # --- EventLoop --------------------------------------------------------------

    def watch(
        self, sock: socket.socket, on_read: Callable[[], None], on_write: Callable[[], None]
    ) -> None:
        notifier = self._notifier(sock, QSocketNotifier.Type.Read, on_read)
        self._watched[sock] = _Watched(notifier, None, on_write)

    def want(self, sock: socket.socket, *, read: bool, write: bool) -> None:
        watched = self._watched.get(sock)
        if watched is None:
            return
        watched.read.setEnabled(read)
        if write and watched.write is None:
            watched.write = self._notifier(sock, QSocketNotifier.Type.Write, watched.on_write)
        elif watched.write is not None:
            watched.write.setEnabled(write)

    def forget(self, sock: socket.socket) -> None:
        watched = self._watched.pop(sock, None)
        if watched is None:
            return
        for notifier in (watched.read, watched.write):
            if notifier is not None:
                # Disabled at once: the socket's number may be reused by the next
                # accept, and Qt allows one enabled notifier per number and type.
                notifier.setEnabled(False)
                notifier.deleteLater()

    def call_later(self, seconds: float | None, callback: Callable[[], None]) -> None:
        if seconds is None:
            self._deadline_callback = None
            self.deadline_timer.stop()
            return
        self._deadline_callback = callback
        # Rounded up: a timer that fires before the deadline only costs a re-arm.
        self.deadline_timer.start(max(0, int(seconds * 1000) + 1))

    def soon(self, callback: Callable[[], None]) -> None:
        QTimer.singleShot(0, lambda: self._call(callback))

    # --- plumbing ---------------------------------------------------------------

    def _notifier(
        self, sock: socket.socket, kind: QSocketNotifier.Type, callback: Callable[[], None]
    ) -> QSocketNotifier:
        notifier = QSocketNotifier(sock.fileno(), kind, self)  # type: ignore[call-overload]
        notifier.activated.connect(lambda *_args: self._call(callback))
        return notifier

    def _on_deadline(self) -> None:
        callback = self._deadline_callback
        if callback is not None:
            self._call(callback)

    def _call(self, callback: Callable[[], None]) -> None:
        try:
            callback()
        except Exception as exc:  # never let an I/O surprise escape into Qt
            self.report(exc)

    def report(self, exc: BaseException) -> None:
        """Print an unexpected error of the server; it keeps serving."""
        print(f"AnkiConnect: server error: {exc!r}")
        traceback.print_exception(exc)

    def stop(self) -> None:
        """After the server closed its sockets: release whatever is still watched."""
        for sock in list(self._watched):
            self.forget(sock)
        self.call_later(None, lambda: None)

    @property
    def watched_sockets(self) -> int:
        return len(self._watched)
