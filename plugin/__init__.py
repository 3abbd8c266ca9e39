"""AnkiConnect, reimplemented: a JSON-over-HTTP API to Anki on 127.0.0.1:8765.

Inside Anki this starts the server. Outside Anki (tests, tools) importing the
package does nothing, so its modules can be used without a GUI.

Other add-ons call the API in process, without HTTP and without knowing this
add-on's folder name::

    from aqt import mw
    mw.ankiconnect.invoke("deckNames")            # {"result": [...], "error": None}
    mw.ankiconnect.call("addNote", note={...})     # the result, or RuntimeError
"""

from __future__ import annotations

import sys
from typing import Any


def _main_window() -> Any:
    aqt = sys.modules.get("aqt")
    return getattr(aqt, "mw", None) if aqt is not None else None


def invoke(
    action: str, params: dict[str, Any] | None = None, version: int = 6, key: str | None = None
) -> Any:
    """Run one request envelope in process and return the reply as HTTP would."""
    from . import entry_point

    if entry_point.SERVICE is None:
        raise RuntimeError("AnkiConnect is not running inside Anki")
    return entry_point.SERVICE.invoke(action, params, version, key)


if _main_window() is not None:
    from . import entry_point as _entry_point

    _entry_point.run(__name__)
