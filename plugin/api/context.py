"""What an action may use: the collection, the main window, settings and the caller.

Actions never import ``aqt.mw``; they receive an :class:`ActionContext`. Unit tests
build one around a real ``Collection`` with no main window; inside Anki the entry
point builds one around ``mw``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ..config import Settings
from .deferred import Deferred
from .errors import CollectionUnavailable, MainWindowUnavailable

if TYPE_CHECKING:
    from anki.collection import Collection

    from .request_queue import BackgroundRunner


CallerKind = Literal["local", "anki_page", "web"]


@dataclass(frozen=True)
class Caller:
    """Who sent the request, for decisions such as whether `path` media may be read."""

    origin: str | None = None  # the Origin header, None when absent
    remote: str | None = None  # peer address, None for in-process calls
    in_process: bool = False
    # Sent from one of Anki's own web views (card templates, the editor): its Origin
    # or Referer is Anki's media server (security.is_anki_page_url).
    anki_page: bool = False

    @property
    def kind(self) -> CallerKind:
        """``local`` (a program: no Origin), ``anki_page`` or ``web`` (any other Origin)."""
        if self.anki_page:
            return "anki_page"
        return "web" if self.origin is not None else "local"

    @property
    def is_local_tool(self) -> bool:
        """A local program (curl, a script, another add-on), not a web page."""
        return self.in_process or (self.kind == "local" and _is_loopback(self.remote))


def _is_loopback(address: str | None) -> bool:
    if address is None:
        return False
    return (
        address.startswith("127.")
        or address in ("::1", "::ffff:127.0.0.1")
        or (address.startswith("::ffff:127."))
    )


@dataclass
class ActionContext:
    get_collection: Callable[[], Collection | None]
    settings: Settings = field(default_factory=Settings)
    main_window: Any = None  # aqt.main.AnkiQt inside Anki, None in unit tests
    caller: Caller = field(default_factory=Caller)
    # Persist changed settings (the permission dialog adds origins); inside Anki this
    # writes the add-on config, in tests it records the change.
    save_settings: Callable[[dict[str, Any]], None] | None = None
    # Ask the user whether an origin may use the API; resolves to
    # (allow, ignore_further_requests). None where there is no GUI.
    ask_permission: Callable[[str], Deferred[tuple[bool, bool]]] | None = None
    # The settings as they are now (``settings`` is the snapshot taken when the
    # request arrived; an answer that comes later must build on the current ones).
    current_settings: Callable[[], Settings] | None = None
    # Run long work that holds the collection (a sync's network exchange) on Anki's
    # collection worker and call back on the main thread; None where the caller
    # waits instead (in-process calls, unit tests).
    run_in_background: BackgroundRunner | None = None
    # Answers worked out ahead for a run of like items of a `multi` (see
    # dispatch.batcher), by action name; an action finds its answer here or works.
    prefetched: dict[str, Any] = field(default_factory=dict)
    # The result only goes into an HTTP reply body, encoded on the worker: an action
    # may return it encoded ahead (reply_json.JsonArray) instead of as objects.
    reply_is_json: bool = False

    def latest_settings(self) -> Settings:
        return self.current_settings() if self.current_settings is not None else self.settings

    @property
    def col(self) -> Collection:
        col = self.get_collection()
        if col is None:
            raise CollectionUnavailable()
        return col

    @property
    def mw(self) -> Any:
        if self.main_window is None:
            raise MainWindowUnavailable()
        return self.main_window
