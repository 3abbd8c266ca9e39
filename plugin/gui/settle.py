"""Answer a GUI action only once Anki's window shows what the action reports.

Much of what Anki's windows do after a call happens later, on the event loop:
answering a card runs a CollectionOp whose success callback shows the next card; the
deck list and the overview fetch their numbers with a QueryOp and render afterwards;
undo runs in the background; web views load their pages and run scripts
asynchronously. A client that sends its next request at once (``guiCurrentCard``
right after ``guiAnswerCard``) must see the new state, not the old one, so GUI
actions answer through :func:`settle`: a :class:`~plugin.api.deferred.Deferred`
resolved once

1. the Python side of the window is in its new state (a predicate polled every few
   milliseconds on the main thread), and then
2. every web view concerned has run all it was asked to run so far (a barrier script
   that reports back over Anki's JS bridge, after the editor's UI has loaded).

The wait is bounded: after :data:`SETTLE_TIMEOUT_S` the request answers an error
saying the work was done but the window did not catch up, instead of hanging. In-
process callers run on the main thread and cannot be answered later; they get the
value at once, as before.
"""

from __future__ import annotations

import functools
import itertools
import time
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from aqt.qt import QTimer, sip

from ..api.context import ActionContext
from ..api.deferred import Deferred
from ..api.errors import ActionError

T = TypeVar("T")

SETTLE_TIMEOUT_S = 15.0
POLL_MS = 5
# A page load started by Anki (a redraw of the deck list, say) discards the scripts
# queued for the old page, ours included; an unanswered barrier is sent again.
RESEND_S = 0.25
# Once the window's state is reached, a web view still not done loading its page
# after this long holds the answer no longer. Anki's main view can stay stuck loading
# (seen under heavy CPU load when Anki loads the congratulations page three times in
# a row); the original never waited for it, and a client must not pay the full
# time-out for a page the API does not read.
WEB_GRACE_S = 5.0
BRIDGE_PREFIX = "ankiconnect:settled:"

# Runs after what the page was asked to run before; waits for the editor's UI module,
# whose `loaded` promise gates Anki's own scripts (loadNote and friends).
_BARRIER_JS = """(function () {
  var done = function () { pycmd(%s); };
  var ui = null;
  try { ui = require("anki/ui"); } catch (e) { ui = null; }
  if (ui && ui.loaded && typeof ui.loaded.then === "function") { ui.loaded.then(done); }
  else { done(); }
})();"""

_tokens = itertools.count(1)
_barriers: dict[str, Callable[[], None]] = {}
_active: set[_Waiter[Any]] = set()


def on_js_message(handled: tuple[bool, Any], message: str, context: Any) -> tuple[bool, Any]:
    """The ``webview_did_receive_js_message`` hook: our barriers report here."""
    if not message.startswith(BRIDGE_PREFIX):
        return handled
    callback = _barriers.pop(message[len(BRIDGE_PREFIX) :], None)
    if callback is not None:
        callback()
    return (True, None)


def when_web_ran(web: Any, callback: Callable[[], None]) -> None:
    """Call ``callback`` once ``web`` has run every script it was given so far.

    One barrier, not sent again: for a page that is not reloaded (an editor's).
    """
    token = f"{next(_tokens)}"
    _barriers[token] = callback
    web.evalWithCallback(_BARRIER_JS % f'"{BRIDGE_PREFIX}{token}"', None)


def live_webs(*webs: Any) -> list[Any]:
    """The web views among ``webs`` that still exist (closed windows drop theirs)."""
    return [web for web in webs if web is not None and not sip.isdeleted(web)]


def settle(
    ctx: ActionContext,
    value: T,
    *,
    what: str,
    ready: Callable[[], bool] = lambda: True,
    webs: Callable[[], Sequence[Any]] = list,
    finish: Callable[[], None] | None = None,
    result: Callable[[], T] | None = None,
) -> Deferred[T]:
    """``value``, once ``ready()`` holds and then the web views ``webs()`` caught up.

    ``what`` names the state waited for, for the time-out error. ``finish`` runs
    when the wait ends, however it ends (hooks are removed there). ``result``, if
    given, replaces ``value``: it is called once ``ready()`` held.
    """
    waiter = _Waiter(value, what, ready, webs, finish, result)
    if ctx.caller.in_process:
        waiter.end(waiter.final_value(), None)
    else:
        waiter.start()
    return waiter.deferred


class _Waiter(Generic[T]):
    """One wait: polls ``ready``, then runs the web barriers, within one deadline."""

    def __init__(
        self,
        value: T,
        what: str,
        ready: Callable[[], bool],
        webs: Callable[[], Sequence[Any]],
        finish: Callable[[], None] | None,
        result: Callable[[], T] | None,
    ) -> None:
        self.deferred: Deferred[T] = Deferred()
        self.value = value
        self.what = what
        self.ready = ready
        self.webs = webs
        self.finish = finish
        self.deadline = time.monotonic() + SETTLE_TIMEOUT_S
        # token -> (web view, when its barrier was last sent); None until the state
        # is reached
        self.barriers: dict[str, tuple[Any, float]] | None = None
        self.web_deadline = self.deadline
        self.result = result
        self.timer: QTimer | None = None

    def start(self) -> None:
        _active.add(self)
        self.poll()
        if self.deferred.done:
            return
        self.timer = QTimer()
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        self.timer.start()

    def poll(self) -> None:
        if self.deferred.done:
            return
        try:
            if self.barriers is None:
                if self.ready():
                    self.run_barriers()
                    return
            else:
                self.resend_barriers()
                if time.monotonic() > self.web_deadline:
                    self.end(self.value, None)  # see WEB_GRACE_S
                    return
        except Exception as exc:  # the window went away under us, and the like
            self.end(None, exc)
            return
        if time.monotonic() > self.deadline:
            self.end(
                None,
                ActionError(
                    f"Anki's window did not show {self.what} within {SETTLE_TIMEOUT_S:g} "
                    "seconds (the action itself was carried out)"
                ),
            )

    def final_value(self) -> T:
        return self.result() if self.result is not None else self.value

    def run_barriers(self) -> None:
        self.value = self.final_value()
        self.result = None
        self.barriers = {}
        self.web_deadline = min(self.deadline, time.monotonic() + WEB_GRACE_S)
        for web in live_webs(*self.webs()):
            token = f"{next(_tokens)}"
            _barriers[token] = functools.partial(self.barrier_done, token)
            self.send_barrier(token, web)
        if not self.barriers:
            self.end(self.value, None)

    def send_barrier(self, token: str, web: Any) -> None:
        assert self.barriers is not None
        self.barriers[token] = (web, time.monotonic())
        web.evalWithCallback(_BARRIER_JS % f'"{BRIDGE_PREFIX}{token}"', None)

    def resend_barriers(self) -> None:
        assert self.barriers is not None
        now = time.monotonic()
        for token, (web, sent) in list(self.barriers.items()):
            if sip.isdeleted(web):
                self.barrier_done(token)  # the window closed: nothing left to wait for
            elif now - sent > RESEND_S and getattr(web, "_domDone", True):
                # only to a loaded page: while one loads, the last one sent waits
                _barriers[token] = functools.partial(self.barrier_done, token)
                self.send_barrier(token, web)

    def barrier_done(self, token: str) -> None:
        if self.barriers is None or self.deferred.done:
            return
        self.barriers.pop(token, None)
        if not self.barriers:
            self.end(self.value, None)

    def end(self, value: Any, error: BaseException | None) -> None:
        if self.timer is not None:
            self.timer.stop()
            self.timer.deleteLater()
            self.timer = None
        _active.discard(self)
        for token in self.barriers or {}:
            _barriers.pop(token, None)
        if self.finish is not None:
            finish, self.finish = self.finish, None
            finish()
        if error is not None:
            self.deferred.reject(error)
        else:
            self.deferred.resolve(value)
