"""A CI-sized run of the benchmark: fails only on gross regressions (about 10x the
targets of docs/performance.md), never on ordinary noise."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from .harness import REPO_ROOT


def test_quick_benchmark_has_no_gross_regression(anki_factory: Any, tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO_ROOT))
    from bench.run import FORCE_SELECT_ENV, SELECT_PREFIX, Bench, logged_in

    anki = anki_factory(start=False)
    with logged_in(anki, tmp_path / "sync-server"):
        bench = Bench(anki, quick=True, repeat=1, syncs=True)
        bench.run()
    # The same transport figures with Windows' select() selector forced.
    forced = Bench(
        anki_factory(extra_env=FORCE_SELECT_ENV),
        quick=True,
        repeat=1,
        transport_only=True,
        prefix=SELECT_PREFIX,
        figures=bench.figures,
    )
    forced.run()
    bench.report()
    bench.check_gross_regressions()
    forced.check_gross_regressions()
    assert bench.failures == [] and forced.failures == []
    # Every client of a burst is answered; none is refused.
    assert bench.figures["64 clients refused"] == [0]
    assert len(bench.figures["sync 1000 notes s"]) == 1
    assert bench.figures[SELECT_PREFIX + "64 clients refused"] == [0]
    assert bench.figures[SELECT_PREFIX + "version new connection p50 ms"]
