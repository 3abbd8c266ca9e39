"""App Nap prevention: the decision (macOS only) and the exact Objective-C calls, with the
runtime replaced by a recorder (no Mac needed, and no mock of Anki)."""

from __future__ import annotations

import ctypes
from typing import Any

import pytest

from plugin import app_nap

PROCESS_INFO_CLASS, STRING_CLASS = 0x1000, 0x2000
PROCESS_INFO, REASON_STRING, TOKEN = 0x1100, 0x2100, 0x3100


class RecordingRuntime:
    """Answers like the Objective-C runtime would, and records every message sent."""

    def __init__(self, token: int = TOKEN) -> None:
        self.token = token
        self.calls: list[tuple[Any, ...]] = []

    def get_class(self, name: str) -> int:
        self.calls.append(("class", name))
        return {"NSProcessInfo": PROCESS_INFO_CLASS, "NSString": STRING_CLASS}[name]

    def send(
        self, receiver: int, selector: str, *args: Any, arg_types: tuple[Any, ...] = ()
    ) -> int:
        assert len(args) == len(arg_types), f"{selector}: every argument needs its C type"
        self.calls.append((receiver, selector, *args))
        answers = {
            "processInfo": PROCESS_INFO,
            "stringWithUTF8String:": REASON_STRING,
            "beginActivityWithOptions:reason:": self.token,
        }
        return answers.get(selector, 0)


@pytest.mark.parametrize("platform", ["linux", "win32", "cygwin", "freebsd14"])
def test_nothing_happens_outside_macos(platform: str) -> None:
    def never() -> app_nap.ObjcRuntime:
        raise AssertionError("the runtime must not be loaded")

    assert app_nap.prevent_app_nap(platform, never) is None


def test_on_macos_an_activity_is_begun_retained_and_ended() -> None:
    runtime = RecordingRuntime()
    activity = app_nap.prevent_app_nap("darwin", lambda: runtime)
    assert activity is not None
    assert runtime.calls == [
        ("class", "NSProcessInfo"),
        (PROCESS_INFO_CLASS, "processInfo"),
        ("class", "NSString"),
        (STRING_CLASS, "stringWithUTF8String:", app_nap.REASON.encode()),
        (PROCESS_INFO, "beginActivityWithOptions:reason:", app_nap.ACTIVITY_OPTIONS, REASON_STRING),
        (TOKEN, "retain"),  # or the autorelease pool would end the activity
    ]
    runtime.calls.clear()
    activity.end()
    activity.end()  # a second stop is harmless
    assert runtime.calls == [(PROCESS_INFO, "endActivity:", TOKEN), (TOKEN, "release")]


def test_the_options_prevent_app_nap_but_let_the_mac_sleep() -> None:
    user_initiated = 0x00FFFFFF | (1 << 20)  # NSActivityUserInitiated
    idle_system_sleep_disabled = 1 << 20
    assert user_initiated & ~idle_system_sleep_disabled == app_nap.ACTIVITY_OPTIONS
    assert app_nap.ACTIVITY_OPTIONS == 0x00EFFFFF
    assert app_nap.ACTIVITY_OPTIONS < 2**64  # passed as a C uint64


def test_arguments_carry_their_c_types() -> None:
    types: dict[str, tuple[Any, ...]] = {}

    class TypeRecorder(RecordingRuntime):
        def send(
            self, receiver: int, selector: str, *args: Any, arg_types: tuple[Any, ...] = ()
        ) -> int:
            types[selector] = arg_types
            return super().send(receiver, selector, *args, arg_types=arg_types)

    activity = app_nap.prevent_app_nap("darwin", TypeRecorder)
    assert activity is not None
    activity.end()
    assert types["stringWithUTF8String:"] == (ctypes.c_char_p,)
    assert types["beginActivityWithOptions:reason:"] == (ctypes.c_uint64, ctypes.c_void_p)
    assert types["endActivity:"] == (ctypes.c_void_p,)
    assert types["processInfo"] == types["retain"] == types["release"] == ()


def test_a_runtime_that_cannot_load_never_stops_the_add_on(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def missing() -> app_nap.ObjcRuntime:
        raise OSError("libobjc.A.dylib: cannot open shared object file")

    assert app_nap.prevent_app_nap("darwin", missing) is None
    assert "could not keep macOS from napping" in capsys.readouterr().out


def test_a_nil_activity_is_reported_not_held(capsys: pytest.CaptureFixture[str]) -> None:
    runtime = RecordingRuntime(token=0)
    assert app_nap.prevent_app_nap("darwin", lambda: runtime) is None
    assert (0, "retain") not in runtime.calls
    assert "returned nil" in capsys.readouterr().out


def test_the_real_runtime_is_what_macos_gets_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a factory, darwin loads the ctypes runtime (which fails here: no libobjc
    with NSProcessInfo on Linux), and the failure is only reported."""
    loaded: list[bool] = []

    class Probe(app_nap._CtypesRuntime):
        def __init__(self) -> None:
            loaded.append(True)
            super().__init__()

    monkeypatch.setattr(app_nap, "_CtypesRuntime", Probe)
    assert app_nap.prevent_app_nap("darwin") is None
    assert loaded == [True]
