"""E2E fixtures: real headless Anki processes with this repository's add-on installed.

- ``anki``: one instance for the whole session (booting costs ~1 s and ~300-700 MB, so
  tests share it). Its collection starts with the demo content of
  ``harness.seed_demo_collection``; tests that change the collection should clean up or
  use their own instance.
- ``anki_factory(config=None, *, start=True, **kwargs)``: a fresh instance per call for
  tests needing their own config or process (kill -9, restarts); all are stopped at the
  end of the test. kwargs go to ``AnkiInstance`` (addon, collection_setup, api_key, ...).

Every test under tests/e2e is marked ``e2e`` (``pytest -m "not e2e"`` skips them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .harness import AnkiInstance, stop_all

E2E_DIR = Path(__file__).resolve().parent

AnkiFactory = Callable[..., AnkiInstance]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def anki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnkiInstance]:
    """The shared Anki: repo add-on, demo collection, test hooks on, free port."""
    instance = AnkiInstance(tmp_path_factory.mktemp("anki-session") / "base")
    instance.start()
    try:
        yield instance
    finally:
        instance.stop()


@pytest.fixture
def anki_factory(tmp_path: Path) -> Iterator[AnkiFactory]:
    """Build (and by default start) private instances; each gets its own base folder."""
    instances: list[AnkiInstance] = []

    def make(
        config: dict[str, Any] | None = None, *, start: bool = True, **kwargs: Any
    ) -> AnkiInstance:
        base = tmp_path / f"anki-{len(instances)}"
        instance = AnkiInstance(base, config=config, **kwargs)
        instances.append(instance)
        if start:
            instance.start()
        return instance

    try:
        yield make
    finally:
        stop_all(instances)
