"""plugin.gui.settle without an event loop: the answers that need no waiting.

Waiting for Anki's window (polling, web barriers, the time-out) is tested end to end
in tests/e2e/test_gui_settle.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from plugin.api.context import ActionContext, Caller
from plugin.api.errors import ActionError
from plugin.gui import settle


def http_ctx() -> ActionContext:
    return ActionContext(get_collection=lambda: None, caller=Caller(remote="127.0.0.1"))


def outcome(deferred: Any) -> tuple[Any, BaseException | None]:
    assert deferred.done
    return deferred.outcome


def test_a_state_already_reached_without_web_views_answers_at_once() -> None:
    finished: list[bool] = []
    answer = settle.settle(http_ctx(), 7, what="x", finish=lambda: finished.append(True))
    assert outcome(answer) == (7, None)
    assert finished == [True]


def test_result_replaces_the_value_once_ready() -> None:
    answer = settle.settle(http_ctx(), 1, what="x", result=lambda: {"computed": True})
    assert outcome(answer) == ({"computed": True}, None)


def test_a_failing_state_check_is_the_answer() -> None:
    def ready() -> bool:
        raise ActionError("the window went away")

    value, error = outcome(settle.settle(http_ctx(), 1, what="x", ready=ready))
    assert value is None and str(error) == "the window went away"


def test_in_process_callers_never_wait() -> None:
    ctx = ActionContext(get_collection=lambda: None, caller=Caller(in_process=True))
    never = settle.settle(ctx, "now", what="x", ready=lambda: False)
    assert outcome(never) == ("now", None)


@pytest.mark.parametrize("message", ["domDone", "ankiconnect:other", "key:0:1:text"])
def test_other_bridge_messages_pass_through(message: str) -> None:
    handled = (False, None)
    assert settle.on_js_message(handled, message, None) is handled


def test_a_barrier_report_runs_its_callback_once() -> None:
    calls: list[int] = []
    settle._barriers["t-unit"] = lambda: calls.append(1)
    message = settle.BRIDGE_PREFIX + "t-unit"
    assert settle.on_js_message((False, None), message, None) == (True, None)
    assert settle.on_js_message((False, None), message, None) == (True, None)  # stale
    assert calls == [1]
