"""Keep macOS from putting Anki into App Nap while the server runs.

A napping app gets its timers and socket wake-ups throttled to seconds, so replies
took seconds while Anki sat in the background. macOS documents the cure: hold an
``NSProcessInfo`` activity (``beginActivityWithOptions:reason:``) for as long as the
work lasts. We call it through the Objective-C runtime with ``ctypes`` rather than
``anki_mac_helper.disable_appnap``: that function came with anki-mac-helper 0.1.1
(2025), which older supported releases such as Anki 24.06 predate; Anki never calls it
itself; and it is one global switch that anything else could turn back off, while an
activity token is ours alone. Idle system sleep stays
allowed: the Mac may still sleep when nobody uses it.

Nothing here runs, and ``ctypes`` is not even loaded, on other systems.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, Protocol

# NSActivityUserInitiatedAllowingIdleSystemSleep: NSActivityUserInitiated
# (0x00FFFFFF | NSActivityIdleSystemSleepDisabled) without the idle-sleep bit (1 << 20).
ACTIVITY_OPTIONS = 0x00FFFFFF & ~(1 << 20)
REASON = "AnkiConnect answers requests from other programs"


class ObjcRuntime(Protocol):
    """The few Objective-C runtime calls we need (replaced in tests)."""

    def get_class(self, name: str) -> int: ...

    def send(
        self, receiver: int, selector: str, *args: Any, arg_types: tuple[Any, ...] = ()
    ) -> int:
        """``[receiver selector args...]`` returning an object pointer (0 for nil)."""
        ...


class Activity:
    """A held activity; :meth:`end` lets macOS nap the app again."""

    def __init__(self, runtime: ObjcRuntime, process_info: int, token: int) -> None:
        self._runtime = runtime
        self._process_info = process_info
        self._token: int | None = token

    def end(self) -> None:
        token, self._token = self._token, None
        if token is None:
            return
        import ctypes

        self._runtime.send(self._process_info, "endActivity:", token, arg_types=(ctypes.c_void_p,))
        self._runtime.send(token, "release")


def prevent_app_nap(
    platform: str = sys.platform,
    runtime_factory: Callable[[], ObjcRuntime] | None = None,
) -> Activity | None:
    """On macOS, begin the activity and return it; elsewhere (or on failure) None."""
    if platform != "darwin":
        return None
    try:
        runtime = runtime_factory() if runtime_factory is not None else _CtypesRuntime()
        return begin_activity(runtime)
    except Exception as exc:  # a missing symbol must never stop the add-on
        print(f"AnkiConnect: could not keep macOS from napping Anki: {exc!r}")
        return None


def begin_activity(runtime: ObjcRuntime) -> Activity:
    import ctypes  # here, not at the top: only macOS gets this far

    process_info = runtime.send(runtime.get_class("NSProcessInfo"), "processInfo")
    reason = runtime.send(
        runtime.get_class("NSString"),
        "stringWithUTF8String:",
        REASON.encode("utf-8"),
        arg_types=(ctypes.c_char_p,),
    )
    token = runtime.send(
        process_info,
        "beginActivityWithOptions:reason:",
        ACTIVITY_OPTIONS,
        reason,
        arg_types=(ctypes.c_uint64, ctypes.c_void_p),
    )
    if not token:
        raise RuntimeError("beginActivityWithOptions:reason: returned nil")
    # The token comes autoreleased: without a retain the run loop's pool would free
    # it, and with it the activity, at the end of this turn.
    runtime.send(token, "retain")
    return Activity(runtime, process_info, token)


class _CtypesRuntime:
    """libobjc through ctypes; ``objc_msgSend`` is cast to each call's exact prototype
    (required on arm64, where it is not variadic)."""

    def __init__(self) -> None:
        import ctypes
        import ctypes.util

        self._ctypes = ctypes
        self._objc = ctypes.CDLL(ctypes.util.find_library("objc") or "/usr/lib/libobjc.A.dylib")
        # NSProcessInfo lives in Foundation; Qt has loaded it already, this is a no-op then.
        ctypes.CDLL("/System/Library/Frameworks/Foundation.framework/Foundation")
        self._objc.objc_getClass.restype = ctypes.c_void_p
        self._objc.objc_getClass.argtypes = [ctypes.c_char_p]
        self._objc.sel_registerName.restype = ctypes.c_void_p
        self._objc.sel_registerName.argtypes = [ctypes.c_char_p]
        self._msg_send = ctypes.cast(self._objc.objc_msgSend, ctypes.c_void_p).value

    def get_class(self, name: str) -> int:
        found = self._objc.objc_getClass(name.encode("ascii"))
        if not found:
            raise RuntimeError(f"no Objective-C class {name}")
        return int(found)

    def send(
        self, receiver: int, selector: str, *args: Any, arg_types: tuple[Any, ...] = ()
    ) -> int:
        ctypes = self._ctypes
        prototype = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, *arg_types)
        function = prototype(self._msg_send)
        result = function(receiver, self._objc.sel_registerName(selector.encode("ascii")), *args)
        return int(result or 0)
