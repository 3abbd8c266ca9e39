"""Where each request runs, and in what order.

Collection work runs off the main thread so a 10,000-note ``addNotes`` never freezes
Anki's window or the server; GUI work runs on the main thread; protocol answers
(``version``, ``apiReflect``, ``requestPermission``) are given at once. Requests that
touch the collection or the GUI are executed one at a time in arrival order, so a
GUI action never waits on the collection lock held by one of our background jobs
and clients see the same ordering the original's single thread gave them.

A main-thread job may answer later: ``sync`` starts on the main thread, hands its
network exchange to the collection worker and answers when it ends. The queue waits
for that answer, so the requests behind it keep their order (and none of them blocks
the main thread on the collection lock the exchange holds).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from .registry import HIDDEN, REGISTRY

Placement = Literal["now", "main", "background"]
Reply = Any
Finished = Callable[[Reply], None]
# Runs ``compute`` on a worker thread, then calls ``on_done(value, error)`` on the
# main thread (inside Anki: the task manager's collection executor).
BackgroundRunner = Callable[
    [Callable[[], Reply], Callable[[Reply, BaseException | None], None]], None
]

_RANK: dict[str, int] = {"now": 0, "background": 1, "main": 2}


def placement_of(envelope: Any) -> Placement:
    """Where an envelope must run: the most demanding of its action(s)."""
    if not isinstance(envelope, dict):
        return "now"
    name = envelope.get("action")
    found = (REGISTRY.get(name) or HIDDEN.get(name)) if isinstance(name, str) else None
    if found is None:
        return "now"  # answered with an error at once
    if name == "multi":
        params = envelope.get("params")
        items = params.get("actions") if isinstance(params, dict) else None
        if not isinstance(items, list):
            return "now"
        best: Placement = "now"
        for item in items:
            candidate = placement_of(item)
            if _RANK[candidate] > _RANK[best]:
                best = candidate
                if best == "main":
                    break
        return best
    if found.runs == "protocol":
        return "now"
    if found.runs == "gui":
        return "main"
    return "background"


@dataclass
class _Job:
    placement: Placement
    start: Callable[[Finished], None] | None  # main-thread work: calls back when done
    compute: Callable[[], Reply] | None  # background work: returns the reply
    finished: Finished


class RequestQueue:
    """Runs queued jobs one at a time, in submission order."""

    def __init__(
        self, run_in_background: BackgroundRunner, error_reply: Callable[[BaseException], Reply]
    ) -> None:
        self._run_in_background = run_in_background
        self._error_reply = error_reply
        self._jobs: deque[_Job] = deque()
        self._busy = False
        self._draining = False

    def __len__(self) -> int:
        return len(self._jobs) + (1 if self._busy else 0)

    def submit_main(self, start: Callable[[Finished], None], finished: Finished) -> None:
        self._jobs.append(_Job("main", start, None, finished))
        self._drain()

    def submit_background(self, compute: Callable[[], Reply], finished: Finished) -> None:
        self._jobs.append(_Job("background", None, compute, finished))
        self._drain()

    def _drain(self) -> None:
        # A loop rather than recursion: main-thread jobs usually finish synchronously,
        # and a long queue of them must not grow the stack.
        if self._draining:
            return
        self._draining = True
        try:
            while not self._busy and self._jobs:
                job = self._jobs.popleft()
                self._busy = True
                self._begin(job)
        finally:
            self._draining = False

    def _begin(self, job: _Job) -> None:
        done_once = [False]

        def complete(reply: Reply) -> None:
            if done_once[0]:
                return
            done_once[0] = True
            self._busy = False
            try:
                job.finished(reply)
            finally:
                self._drain()

        if job.start is not None:
            try:
                job.start(complete)
            except Exception as exc:
                complete(self._error_reply(exc))
            return
        assert job.compute is not None
        compute = job.compute

        def on_done(value: Reply, error: BaseException | None) -> None:
            complete(self._error_reply(error) if error is not None else value)

        try:
            self._run_in_background(compute, on_done)
        except Exception as exc:
            complete(self._error_reply(exc))
