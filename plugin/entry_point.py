"""Wires the add-on into Anki: settings, server, hooks and the in-process API.

Every hook we attach is registered in :func:`run`, in one visible block.
"""

from __future__ import annotations

import os
import selectors
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import aqt
from aqt import gui_hooks
from aqt.qt import QMessageBox, QTimer

from . import actions as _actions  # noqa: F401  (fills the registry)
from . import app_nap
from .api import dispatch
from .api.context import ActionContext, Caller
from .api.deferred import Deferred
from .api.effects import Effect
from .api.log import ApiLog
from .api.registry import Runs, register_hidden_action
from .api.reply_json import encode_reply
from .api.request_queue import RequestQueue, placement_of
from .api.security import is_loopback_host
from .api.web import WebApp
from .config import Settings, settings_from
from .gui import editor_load, settle
from .gui.permission import ask_permission
from .gui.status import add_tools_menu_entry
from .http.server import HttpServer, Limits, is_address_in_use
from .qt_driver import QtServerDriver

# Redraw Anki's deck list once requests have been quiet this long, but at least this
# often during a long stream of writes (a redraw costs the main thread ~20 ms).
REFRESH_QUIET_MS = 300
REFRESH_MAX_WAIT_S = 2.0
# Test/benchmark-only: "select" replaces selectors.DefaultSelector with the select()
# selector Windows has, process-wide, as the Windows-like set-up did.
FORCE_SELECTOR_ENV = "ANKICONNECT_FORCE_SELECTOR"
WorkerDone = Callable[[Any, BaseException | None], None]


class AnkiConnectService:
    """One per Anki process: owns the settings, the server and its driver."""

    def __init__(self, mw: Any, module: str) -> None:
        self.mw = mw
        self.module = module
        self.settings: Settings = self._read_settings()
        self.server: HttpServer | None = None
        self.driver: QtServerDriver | None = None
        self.app_nap: app_nap.Activity | None = None
        self.addresses: list[str] = []
        self.listen_error: str | None = None
        self.api_log = ApiLog(self.settings.apiLogPath) if self.settings.apiLogPath else None
        self.web = WebApp(
            lambda: self.settings,
            self.run_request,
            self.api_log,
            offload=self._offload,
            anki_ports=self.anki_page_ports,
        )
        self._refresh_timer: QTimer | None = None
        self._anki_ports: tuple[int, ...] | None = None
        self._refresh_waiting_since: float | None = None
        self._last_mod: int | None = None
        self.queue = RequestQueue(self._run_in_background, _error_reply)

    # --- settings ---------------------------------------------------------------

    def _read_settings(self) -> Settings:
        return settings_from(self.mw.addonManager.getConfig(self.module))

    def on_config_updated(self, config: dict[str, Any]) -> None:
        self.settings = settings_from(config)

    def save_settings(self, changes: dict[str, Any]) -> None:
        config = self.mw.addonManager.getConfig(self.module) or {}
        config.update(changes)
        self.mw.addonManager.writeConfig(self.module, config)
        self.settings = settings_from(config)

    # --- serving ----------------------------------------------------------------

    def listen_addresses(self) -> list[str]:
        host = self.settings.webBindAddress
        if host in ("127.0.0.1", "localhost"):
            # Node resolves `localhost` to ::1, so loopback means both families.
            return ["127.0.0.1", "::1"] if self.settings.webListenIpv6 else ["127.0.0.1"]
        return [host]

    def start(self) -> None:
        settings = self.settings
        limits = Limits(
            max_body_bytes=settings.webMaxBodySize,
            idle_timeout=settings.webIdleTimeout / 1000,
        )
        driver = QtServerDriver()
        server = HttpServer(self.web, driver, limits)
        port = settings.webBindPort
        for index, host in enumerate(self.listen_addresses()):
            try:
                self.addresses.append(server.listen(host, port, settings.listen_backlog))
            except OSError as exc:
                if index == 0:
                    server.close()
                    driver.stop()
                    self._report_listen_failure(host, port, exc)
                    return
                # ::1 is a convenience; a machine without IPv6 still serves IPv4.
        self.server = server
        self.driver = driver
        self.app_nap = app_nap.prevent_app_nap()  # replies stay fast with Anki in the background
        if not is_loopback_host(settings.webBindAddress) and not settings.apiKey:
            print(
                f"AnkiConnect: WARNING: listening on {settings.webBindAddress} without an "
                "apiKey: any machine that can reach this address can read and change "
                "your collection. Set apiKey in the add-on config."
            )

    def _report_listen_failure(self, host: str, port: int, exc: OSError) -> None:
        if is_address_in_use(exc):
            why = (
                f"Port {port} on {host} is already in use by another program (often a "
                "second copy of AnkiConnect or another Anki profile window)."
            )
        else:
            why = f"Could not listen on {host}:{port}: {exc.strerror or exc}."
        self.listen_error = why
        message = (
            f"AnkiConnect is not running. {why}\n\nAnki itself keeps working. Close the "
            "other program or change webBindPort in Tools > Add-ons > Config, then "
            "restart Anki."
        )
        print(f"AnkiConnect: {message}")
        box = QMessageBox(QMessageBox.Icon.Warning, "AnkiConnect", message, parent=self.mw)
        box.setModal(False)
        box.show()
        self._listen_failure_box = box  # keep a reference while it is shown

    def stop(self) -> None:
        if self.server is not None:
            self.server.close()  # first: it tells the driver which sockets to forget
            self.server = None
        if self.driver is not None:
            self.driver.stop()
            self.driver = None
        if self.app_nap is not None:
            self.app_nap.end()
            self.app_nap = None
        if self.api_log is not None:
            self.api_log.close()

    # --- requests ---------------------------------------------------------------

    def anki_page_ports(self) -> tuple[int, ...] | None:
        """The port of Anki's media server, which serves its reviewer and editor pages.

        None while it is not known (every loopback page then counts as Anki's).
        getPort() waits for the server thread without a time-out, so it is asked only
        once the thread says it is ready; the port never changes afterwards.
        """
        if self._anki_ports is None:
            media_server = getattr(self.mw, "mediaServer", None)
            ready = getattr(media_server, "_ready", None)
            if media_server is None or (ready is not None and not ready.is_set()):
                return None
            try:
                self._anki_ports = (int(media_server.getPort()),)
            except Exception:
                return None
        return self._anki_ports

    def make_context(self, caller: Caller) -> ActionContext:
        mw = self.mw
        return ActionContext(
            get_collection=lambda: mw.col,
            settings=self.settings,
            main_window=mw,
            caller=caller,
            save_settings=self.save_settings,
            ask_permission=self.ask_permission,
            current_settings=lambda: self.settings,
            # in-process callers wait for the answer, as they do for every action
            run_in_background=None if caller.in_process else self._run_in_background,
        )

    def run_request(
        self, envelope: dict[str, Any], caller: Caller, done: dispatch.ReplyCallback
    ) -> None:
        ctx = self.make_context(caller)
        placement = placement_of(envelope)
        if placement == "now":
            dispatch.run(envelope, ctx, done)
            return

        def finished(reply: dispatch.Reply) -> None:
            done(reply)
            self._schedule_refresh()

        if placement == "main":
            self.queue.submit_main(lambda reply: dispatch.run(envelope, ctx, reply), finished)
        else:
            log = self._log_reply if self.api_log is not None else None
            ctx.reply_is_json = True  # encode_reply below is the result's only reader
            # The reply is encoded (and logged) on the worker too, in slices that let the
            # main thread run in between: a 50 MB cardsInfo reply would otherwise freeze Anki.
            self.queue.submit_background(
                lambda: encode_reply(dispatch.run_sync(envelope, ctx), log=log), finished
            )

    def _log_reply(self, reply: Any) -> None:
        if self.api_log is not None:
            self.api_log.write("reply", reply)

    def _offload(self, compute: Callable[[], Any], on_done: WorkerDone) -> None:
        """Run work that needs no collection (decoding a large body) on a worker."""
        self._on_worker(compute, on_done, uses_collection=False)

    def _run_in_background(self, compute: Callable[[], Any], on_done: WorkerDone) -> None:
        # Anki's collection executor: one worker, shared with Anki's own operations,
        # so our work and Anki's never run on the collection at the same time.
        self._on_worker(compute, on_done, uses_collection=True)

    def _on_worker(
        self, compute: Callable[[], Any], on_done: WorkerDone, *, uses_collection: bool
    ) -> None:
        def collect(future: Future) -> None:
            error = future.exception()
            on_done(None if error else future.result(), error)

        self.mw.taskman.run_in_background(compute, collect, uses_collection=uses_collection)

    def ask_permission(self, origin: str) -> Deferred[tuple[bool, bool]]:
        return ask_permission(self.mw, origin)

    def invoke(
        self,
        action: str,
        params: dict[str, Any] | None = None,
        version: int = 6,
        key: str | None = None,
    ) -> Any:
        envelope: dict[str, Any] = {"action": action, "params": params or {}, "version": version}
        if key is not None:
            envelope["key"] = key
        ctx = self.make_context(Caller(in_process=True))
        reply = dispatch.run_sync(envelope, ctx)
        if placement_of(envelope) != "now":
            self._schedule_refresh()
        return reply

    # --- keeping the GUI current --------------------------------------------------

    def _schedule_refresh(self) -> None:
        """Redraw the deck list/overview once after a burst of collection changes."""
        if self._refresh_timer is None:
            self._refresh_timer = QTimer(self.mw)
            self._refresh_timer.setSingleShot(True)
            self._refresh_timer.timeout.connect(self._refresh_if_changed)
        now = time.monotonic()
        if self._refresh_waiting_since is None:
            self._refresh_waiting_since = now
        elif now - self._refresh_waiting_since > REFRESH_MAX_WAIT_S:
            return  # let the pending redraw happen instead of postponing it again
        self._refresh_timer.start(REFRESH_QUIET_MS)

    def _refresh_if_changed(self) -> None:
        self._refresh_waiting_since = None
        if self.server is None:
            return  # shutting down: the window's widgets may already be gone
        if len(self.queue) and self._refresh_timer is not None:
            # One of our requests is using the collection on the worker: reading it
            # here would make the main thread wait for that (a long query stalls
            # Anki's window). Look again once the queue has been quiet a moment.
            self._refresh_timer.start(REFRESH_QUIET_MS)
            return
        col = self.mw.col
        if col is None:
            return
        try:
            mod = col.mod
        except Exception:
            return
        if mod == self._last_mod:
            return
        self._last_mod = mod
        if self.mw.state in ("deckBrowser", "overview"):
            self.mw.reset()


def _error_reply(error: BaseException) -> dict[str, Any]:
    return dispatch.shape_reply(None, dispatch.error_text(error), 6)


class InProcessApi:
    """What other add-ons use: ``mw.ankiconnect.invoke("deckNames")``."""

    def __init__(self, service: AnkiConnectService) -> None:
        self._service = service
        # Run one request envelope as HTTP would; the reply as HTTP would send it.
        self.invoke = service.invoke

    def call(self, action: str, **params: Any) -> Any:
        """Run an action and return its result; raise RuntimeError with its error."""
        reply = self._service.invoke(action, params, 6, self._service.settings.apiKey)
        if reply["error"] is not None:
            raise RuntimeError(reply["error"])
        return reply["result"]

    def register_action(
        self, name: str, func: Callable[..., Any], *, effect: Effect, runs: Runs = "gui"
    ) -> None:
        """Add an action for HTTP clients: ``func(ctx, **params)``, hidden from apiReflect.

        It is judged like the others (origin, API key, ``effect`` for Anki's pages).
        Another add-on already runs code in Anki, so this grants it nothing new; the
        end-to-end suite's test add-on registers its inspection actions this way.
        """
        register_hidden_action(func, name=name, effect=effect, runs=runs)


SERVICE: AnkiConnectService | None = None


def run(module: str) -> AnkiConnectService:
    """Called once when Anki loads the add-on."""
    global SERVICE
    mw = aqt.mw
    service = AnkiConnectService(mw, module)
    SERVICE = service
    setattr(mw, "ankiconnect", InProcessApi(service))  # noqa: B010  (an attribute Anki lacks)
    if os.environ.get(FORCE_SELECTOR_ENV) == "select":
        # Tests and the benchmark only: what Windows has. Our server uses no selector,
        # so this must change nothing; the e2e suite and `make bench` prove it.
        selectors.DefaultSelector = selectors.SelectSelector  # type: ignore[misc,assignment]

    # --- hooks, all in one place ---
    mw.addonManager.setConfigUpdatedAction(module, service.on_config_updated)
    gui_hooks.main_window_did_init.append(_add_tools_menu_entry)
    # GUI actions answer once the web views ran what they were given (gui/settle.py)
    gui_hooks.webview_did_receive_js_message.append(settle.on_js_message)
    # an editor's reports of text older than the note the API loaded are dropped
    gui_hooks.webview_did_receive_js_message.append(editor_load.on_js_message)
    mw.app.aboutToQuit.connect(service.stop)

    service.start()
    return service


def _add_tools_menu_entry() -> None:
    if SERVICE is not None:
        add_tools_menu_entry(SERVICE)
