"""The `apiLogPath` request/reply log (spec §A.4).

The file is truncated when the server starts; each entry is a ``[request]`` or
``[reply]`` line followed by indented, key-sorted JSON. Unlike the original's, it
never holds the API key (requests and ``multi`` items show ``REDACTED``) and it is
readable by the user only (mode 0600): the log shows the collection's content.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from typing import Any, TextIO

from .reply_json import plain_json

REDACTED = "REDACTED"
MAX_MULTI_DEPTH = 64


def redact_keys(envelope: Any, depth: int = 0) -> Any:
    """The envelope with every ``key`` replaced, in it and in its ``multi`` items.

    Copies only the dicts on the way to a key, so a 50 MiB upload is not duplicated.
    """
    if not isinstance(envelope, dict) or depth > MAX_MULTI_DEPTH:
        return envelope
    copy = dict(envelope)
    if "key" in copy:
        copy["key"] = REDACTED
    params = copy.get("params")
    if copy.get("action") == "multi" and isinstance(params, dict):
        items = params.get("actions")
        if isinstance(items, list):
            copy["params"] = {
                **params,
                "actions": [redact_keys(item, depth + 1) for item in items],
            }
    return copy


def _open_private(path: str) -> TextIO:
    """Open for writing, truncated, readable and writable by the user only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with contextlib.suppress(OSError):  # an existing file keeps its mode otherwise
        os.chmod(path, 0o600)
    return os.fdopen(fd, "w", encoding="utf-8")


class ApiLog:
    def __init__(self, path: str) -> None:
        self.path = path
        self._file: TextIO | None = _open_private(path)
        # Replies of collection actions are logged from the worker thread.
        self._lock = threading.Lock()

    def write(self, kind: str, payload: Any) -> None:
        if self._file is None:
            return
        if kind == "request":
            payload = redact_keys(payload)
        try:
            text = json.dumps(payload, indent=4, sort_keys=True, default=_loggable)
        except (TypeError, ValueError, RecursionError):
            text = repr(payload)
        try:
            with self._lock:
                if self._file is None:
                    return
                self._file.write(f"[{kind}]\n{text}\n\n")
                self._file.flush()
        except OSError as exc:  # a full disk must not cost the client its reply
            print(f"AnkiConnect: cannot write the API log {self.path}: {exc}")

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def _loggable(value: Any) -> Any:
    """A result encoded ahead is logged as its items; other odd objects as their repr."""
    try:
        return plain_json(value)
    except TypeError:
        return repr(value)
