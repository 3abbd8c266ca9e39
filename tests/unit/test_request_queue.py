"""Where requests run and in which order (plugin/api/request_queue.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import plugin.actions  # noqa: F401
from plugin.api.request_queue import RequestQueue, placement_of


def test_placement_follows_the_action_kind() -> None:
    assert placement_of({"action": "version"}) == "now"
    assert placement_of({"action": "requestPermission"}) == "now"
    assert placement_of({"action": "noSuchAction"}) == "now"
    assert placement_of({"action": "getProfiles"}) == "main"
    assert placement_of("not a dict") == "now"


def test_multi_takes_the_most_demanding_item() -> None:
    only_protocol = {"action": "multi", "params": {"actions": [{"action": "version"}]}}
    with_gui = {
        "action": "multi",
        "params": {"actions": [{"action": "version"}, {"action": "getProfiles"}]},
    }
    nested = {"action": "multi", "params": {"actions": [with_gui]}}
    assert placement_of(only_protocol) == "now"
    assert placement_of(with_gui) == "main"
    assert placement_of(nested) == "main"
    assert placement_of({"action": "multi", "params": {"actions": "x"}}) == "now"


class ManualWorker:
    """A background runner whose jobs run on a real thread when released."""

    def __init__(self) -> None:
        self.pending: list[
            tuple[Callable[[], Any], Callable[[Any, BaseException | None], None]]
        ] = []

    def __call__(
        self, compute: Callable[[], Any], on_done: Callable[[Any, BaseException | None], None]
    ) -> None:
        self.pending.append((compute, on_done))

    def release_one(self) -> None:
        compute, on_done = self.pending.pop(0)
        box: dict[str, Any] = {}

        def work() -> None:
            try:
                box["value"] = compute()
            except Exception as exc:
                box["error"] = exc

        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
        on_done(box.get("value"), box.get("error"))


def test_jobs_run_one_at_a_time_in_submission_order() -> None:
    worker = ManualWorker()
    queue = RequestQueue(worker, lambda exc: {"error": str(exc)})
    order: list[str] = []
    queue.submit_background(lambda: "first", order.append)
    queue.submit_main(lambda done: done("second"), order.append)
    queue.submit_background(lambda: "third", order.append)
    assert order == []  # the first background job blocks the queue
    assert len(worker.pending) == 1
    worker.release_one()
    assert order == ["first", "second"]
    worker.release_one()
    assert order == ["first", "second", "third"]
    assert len(queue) == 0


def test_a_failing_job_answers_with_an_error_and_the_queue_goes_on() -> None:
    worker = ManualWorker()
    queue = RequestQueue(worker, lambda exc: {"result": None, "error": str(exc)})
    replies: list[Any] = []

    def boom() -> Any:
        raise ValueError("broken")

    queue.submit_background(boom, replies.append)
    queue.submit_main(lambda done: done(1), replies.append)
    worker.release_one()
    assert replies == [{"result": None, "error": "broken"}, 1]


def test_many_synchronous_main_jobs_do_not_grow_the_stack() -> None:
    queue = RequestQueue(ManualWorker(), lambda exc: None)
    replies: list[int] = []
    for index in range(20_000):
        queue.submit_main(lambda done, i=index: done(i), replies.append)
    assert replies == list(range(20_000))


def test_main_job_answering_later_holds_the_queue() -> None:
    queue = RequestQueue(ManualWorker(), lambda exc: None)
    later: list[Callable[[Any], None]] = []
    replies: list[Any] = []
    queue.submit_main(later.append, replies.append)
    queue.submit_main(lambda done: done("next"), replies.append)
    assert replies == []
    later[0]("dialog answered")
    assert replies == ["dialog answered", "next"]
