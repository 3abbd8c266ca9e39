"""Unit-test fixtures: a real Anki Collection in tmp_path, and the dispatcher over it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from anki.collection import Collection

import plugin.actions  # noqa: F401  (fills the registry)
from plugin.api import dispatch
from plugin.api.context import ActionContext, Caller
from plugin.config import Settings


class ApiError(Exception):
    """The action answered with an error envelope; str() is the error text."""


class Api:
    """Calls actions through the real dispatcher, as an HTTP request would."""

    def __init__(self, ctx: ActionContext) -> None:
        self.ctx = ctx

    def reply(self, envelope: dict[str, Any]) -> Any:
        return dispatch.run_sync(envelope, self.ctx)

    def __call__(self, action: str, **params: Any) -> Any:
        reply = self.reply({"action": action, "version": 6, "params": params})
        if reply["error"] is not None:
            raise ApiError(reply["error"])
        return reply["result"]


@pytest.fixture
def col(tmp_path: Path) -> Iterator[Collection]:
    collection = Collection(str(tmp_path / "collection.anki2"))
    yield collection
    collection.close()


@pytest.fixture
def settings() -> Settings:
    return Settings()


@pytest.fixture
def ctx(col: Collection, settings: Settings) -> ActionContext:
    return ActionContext(
        get_collection=lambda: col,
        settings=settings,
        caller=Caller(in_process=True),
    )


@pytest.fixture
def lazy_ctx(tmp_path: Path, settings: Settings) -> Iterator[ActionContext]:
    """Like `ctx`, but the collection is only opened if an action asks for it
    (opening one per test is the slow part of protocol-level tests)."""
    opened: list[Collection] = []

    def get_collection() -> Collection:
        if not opened:
            opened.append(Collection(str(tmp_path / "collection.anki2")))
        return opened[0]

    yield ActionContext(
        get_collection=get_collection, settings=settings, caller=Caller(in_process=True)
    )
    for collection in opened:
        collection.close()


@pytest.fixture
def api(ctx: ActionContext) -> Api:
    return Api(ctx)
