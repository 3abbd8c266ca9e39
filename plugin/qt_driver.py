"""Drive the HTTP server from Qt's event loop on Anki's main thread.

Where the OS gives the selector a descriptor (epoll on Linux, kqueue on macOS) one
QSocketNotifier wakes us the moment any socket is ready: no polling, no idle cost.
Elsewhere (Windows' select) a timer polls every `apiPollInterval` ms as the
original does, but drains every ready socket on each tick.
"""

from __future__ import annotations

from aqt.qt import QObject, QSocketNotifier, QTimer

from .http.server import HttpServer

HOUSEKEEPING_MS = 1000


class QtServerDriver(QObject):
    def __init__(self, server: HttpServer, poll_interval_ms: int) -> None:
        super().__init__()
        self.server = server
        self.notifier: QSocketNotifier | None = None
        self.poll_timer: QTimer | None = None
        fd = server.fileno()
        if fd is not None:
            self.notifier = QSocketNotifier(fd, QSocketNotifier.Type.Read, self)  # type: ignore[call-overload]
            self.notifier.activated.connect(self._on_ready)
        else:
            self.poll_timer = QTimer(self)
            self.poll_timer.timeout.connect(self._on_ready)
            self.poll_timer.start(max(1, poll_interval_ms))
        self.housekeeping_timer = QTimer(self)
        self.housekeeping_timer.timeout.connect(server.housekeeping)
        self.housekeeping_timer.start(HOUSEKEEPING_MS)

    def _on_ready(self, *_args: object) -> None:
        try:
            self.server.process(0)
        except Exception as exc:  # never let an I/O surprise escape into Qt
            print(f"AnkiConnect: server error: {exc!r}")

    def stop(self) -> None:
        if self.notifier is not None:
            self.notifier.setEnabled(False)
            self.notifier = None
        if self.poll_timer is not None:
            self.poll_timer.stop()
        self.housekeeping_timer.stop()
