"""The `apiLogPath` request/reply log (spec §A.4).

The file is truncated when the server starts; each entry is a ``[request]`` or
``[reply]`` line followed by indented, key-sorted JSON.
"""

from __future__ import annotations

import json
import threading
from typing import Any, TextIO


class ApiLog:
    def __init__(self, path: str) -> None:
        self.path = path
        self._file: TextIO | None = open(path, "w", encoding="utf-8")  # noqa: SIM115
        # Replies of collection actions are logged from the worker thread.
        self._lock = threading.Lock()

    def write(self, kind: str, payload: Any) -> None:
        if self._file is None:
            return
        try:
            text = json.dumps(payload, indent=4, sort_keys=True, default=repr)
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
