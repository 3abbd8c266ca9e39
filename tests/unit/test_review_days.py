"""Reviews per day by integer arithmetic give exactly SQLite's date(..., 'localtime')
grouping, in time zones with daylight saving, half-hour offsets and none."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
from anki.collection import Collection

from plugin.collection.review_days import ORIGINAL_QUERY, reviews_by_day

ZONES = [
    "America/New_York",
    "Asia/Kolkata",  # +05:30
    "Australia/Lord_Howe",  # a 30-minute daylight-saving shift
    "Pacific/Chatham",  # +12:45 / +13:45
]
HOUR_MS = 3_600_000


@pytest.fixture
def zone(request: pytest.FixtureRequest) -> Iterator[str]:
    before = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    try:
        yield request.param
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


def fill_revlog(col: Collection, rollover_hour: int) -> None:
    """Reviews every 151 minutes over two years (every daylight-saving change in
    them), and one a second either side of each day's start (local midnight plus the
    rollover hour), where a wrong offset would move a review to the next day."""
    start = 1_700_000_000  # 2023-11-14
    seconds = [start + step * 151 * 60 for step in range(7_000)]
    for day in range(730):
        local = time.localtime(start + day * 86_400)
        day_start = time.mktime(
            (local.tm_year, local.tm_mon, local.tm_mday, rollover_hour, 0, 0, 0, 0, -1)
        )
        seconds += [int(day_start) - 1, int(day_start)]
    ids = sorted({second * 1000 + index % 997 for index, second in enumerate(seconds)})
    rows = [[review_id, 1, 0, 3, 1, 0, 2500, 1000, 1] for review_id in ids]
    col.db.executemany("insert into revlog values (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


@pytest.mark.parametrize("zone", ZONES, indirect=True)
@pytest.mark.parametrize("rollover_hour", [0, 4])
def test_same_days_and_counts_as_sqlite(col: Collection, zone: str, rollover_hour: int) -> None:
    fill_revlog(col, rollover_hour)
    rollover = rollover_hour * 3600
    expected = [[str(day), int(count)] for day, count in col.db.all(ORIGINAL_QUERY, rollover)]
    assert len(expected) > 700
    assert reviews_by_day(col, rollover) == expected


def test_outside_1971_2037_the_original_query_runs(col: Collection) -> None:
    col.db.execute("insert into revlog values (?, 1, 0, 3, 1, 0, 2500, 1000, 1)", 5 * HOUR_MS)
    col.db.execute("insert into revlog values (?, 1, 0, 3, 1, 0, 2500, 1000, 1)", 2_200_000_000_000)
    expected = [[str(day), int(count)] for day, count in col.db.all(ORIGINAL_QUERY, 4 * 3600)]
    assert reviews_by_day(col, 4 * 3600) == expected


def test_no_reviews(col: Collection) -> None:
    assert reviews_by_day(col, 0) == []
