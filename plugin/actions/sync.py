"""The `sync` action (spec §B "Miscellaneous", errors §A.9), done the way Anki's Sync button does it.

Anki's button (``AnkiQt._sync_collection_and_media`` and ``aqt/sync.py``) fires
``sync_will_start``, runs ``col.sync_collection`` on the collection worker behind a
progress window, then starts watching the media sync the backend began, fires
``sync_did_finish`` and redraws the window. We do the same steps, with two
differences an API needs: a collection that needs a full sync is answered with the
original's error instead of the upload/download question, and errors are answered
instead of shown in a message box.

The progress window matters beyond showing progress: Anki's own timers do not fire
while a progress window is active, so nothing on the main thread asks for the
collection (and waits on the backend's lock) while the network exchange holds it.
It becomes visible only when a sync takes longer than Anki's usual delay.
"""

from __future__ import annotations

from typing import Any

from ..api.context import ActionContext
from ..api.deferred import Deferred
from ..api.errors import ActionError
from ..api.registry import action

PROGRESS_POLL_MS = 150  # how often aqt/sync.py reads the backend's sync progress


class SyncFailed(ActionError):
    """The exchange with the sync server failed; the collection is as it was."""


@action("misc", runs="gui")
def sync(ctx: ActionContext) -> Deferred[None] | None:
    """Synchronize the collection with the profile's sync server, and its media if Anki syncs media.

    The server is the one the profile is logged in to: AnkiWeb, or the custom sync
    server set in Anki's preferences. The reply comes once the collection is synced;
    media (when the profile syncs media) keeps syncing in the background, as after
    Anki's Sync button. The network exchange runs off Anki's main thread: Anki's
    window and requests that need neither the collection nor the window (such as
    `version`) are served meanwhile; other requests wait their turn. A collection that
    needs a full sync (after a note-type change, or on first contact with a server that
    has other content) is left alone with an error; use Anki's Sync button to choose
    upload or download. A failed exchange (server unreachable, login refused, no answer
    within the profile's network timeout) leaves the collection as it was, its changes
    waiting for the next sync, and the profile logged in.
    """
    mw = ctx.mw
    col = ctx.col
    auth = mw.pm.sync_auth()
    if auth is None:
        raise ActionError("sync: auth not configured")
    media = bool(mw.pm.media_syncing_enabled())

    def exchange() -> Any:
        return col.sync_collection(auth, media)

    session = _Session(mw, media)
    if ctx.run_in_background is None:
        # In-process callers wait, as for every other in-process action.
        try:
            output = exchange()
        except Exception as exc:
            session.finish(None, exc)
        else:
            session.finish(output, None)
        return None
    reply: Deferred[None] = Deferred()

    def done(output: Any, error: BaseException | None) -> None:
        try:
            session.finish(output, error)
        except Exception as exc:
            reply.reject(exc)
        else:
            reply.resolve(None)

    session.show_progress()
    try:
        ctx.run_in_background(exchange, done)
    except Exception as exc:  # the worker refused the job: close the window all the same
        done(None, exc)
    return reply


class _Session:
    """What happens around the exchange on the main thread, in Anki's order."""

    def __init__(self, mw: Any, media: bool) -> None:
        from aqt import gui_hooks

        self.mw = mw
        self.media = media
        self._timer: Any = None
        self._progress = False
        gui_hooks.sync_will_start()

    def show_progress(self) -> None:
        from aqt.qt import QTimer
        from aqt.sync import on_normal_sync_timer
        from aqt.utils import tr

        mw = self.mw
        # (no `title`: Anki 24.06 does not take one)
        mw.progress.start(label=tr.sync_checking())
        self._progress = True
        # Anki's own poller: progress text, and the user's cancel aborts the exchange.
        self._timer = QTimer(mw)
        self._timer.timeout.connect(lambda: on_normal_sync_timer(mw))
        self._timer.start(PROGRESS_POLL_MS)

    def finish(self, output: Any, error: BaseException | None) -> None:
        """Update Anki after the exchange; raise the action's error, if any."""
        mw = self.mw
        if self._timer is not None:
            self._timer.stop()
            self._timer.deleteLater()
        if self._progress:
            mw.progress.finish()
        try:
            if error is not None:
                raise SyncFailed(failure_text(error)) from error
            _remember_server(mw, output)
            check_required(output)
            if mw.col is not None:  # else the profile was closed meanwhile
                _after_success(mw, self.media)
        finally:
            self._refresh()

    def _refresh(self) -> None:
        # As AnkiQt._sync_collection_and_media's on_collection_sync_finished and
        # _refresh_after_sync; the scheduler reload is aqt/sync.py's.
        from aqt import gui_hooks

        mw = self.mw
        col = mw.col
        if col is not None:
            col._load_scheduler()  # the scheduler version may have changed
            col.models._clear_cache()
        gui_hooks.sync_did_finish()  # always, as it pairs with sync_will_start
        if col is not None:
            mw.reset()
            mw.toolbar.redraw()
            mw.flags.require_refresh()


def _remember_server(mw: Any, output: Any) -> None:
    mw.pm.set_host_number(output.host_number)
    if output.new_endpoint:
        mw.pm.set_current_sync_url(output.new_endpoint)


def _after_success(mw: Any, media: bool) -> None:
    from aqt.utils import tooltip, tr

    tooltip(parent=mw, msg=tr.sync_collection_complete())
    if media:
        # The backend started the media sync after the collection's; Anki's media
        # syncer shows its progress and reports its errors, as after the Sync button.
        mw.media_syncer.start_monitoring()


def check_required(output: Any) -> None:
    """The original's error when the server asks for a full sync (upload or download)."""
    allowed = (output.NO_CHANGES, output.NORMAL_SYNC)
    if output.required not in allowed:
        raise ActionError(
            f"Sync status {output.required} not one of {list(allowed)} - see "
            "SyncCollectionResponse.ChangesRequired for list of sync statuses"
        )


def failure_text(error: BaseException) -> str:
    """``sync: `` and Anki's own message, without the isolation marks Anki puts around values."""
    from anki.errors import Interrupted
    from anki.lang import without_unicode_isolation

    if isinstance(error, Interrupted):
        return "sync: cancelled in Anki"
    text = " ".join(without_unicode_isolation(str(error)).split())
    return f"sync: {text or type(error).__name__}"
