"""A result that arrives later: the permission dialog, work done off the main thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")

Callback = Callable[[Any, BaseException | None], None]


class Deferred(Generic[T]):
    """Resolved once with a value or an exception; callbacks run on resolution."""

    def __init__(self) -> None:
        self._callbacks: list[Callback] = []
        self._outcome: tuple[Any, BaseException | None] | None = None

    @property
    def done(self) -> bool:
        return self._outcome is not None

    @property
    def outcome(self) -> tuple[Any, BaseException | None] | None:
        return self._outcome

    def resolve(self, value: T) -> None:
        self._settle(value, None)

    def reject(self, error: BaseException) -> None:
        self._settle(None, error)

    def add_callback(self, callback: Callback) -> None:
        if self._outcome is not None:
            callback(*self._outcome)
        else:
            self._callbacks.append(callback)

    def _settle(self, value: Any, error: BaseException | None) -> None:
        if self._outcome is not None:
            return
        self._outcome = (value, error)
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback(value, error)
