"""insertReviews against a real Collection: parameterised, validated, all or nothing."""

from __future__ import annotations

import pytest
from anki.collection import Collection

# Errors come back as the conftest's ApiError, whose str() is the error text.

SAMPLE = [
    [1594194095746, 1485369733217, -1, 3, 4, -60, 2500, 6157, 0],
    [1594201393292, 1485369902086, -1, 1, -60, -60, 0, 4846, 0],
]


def all_revlog(col: Collection) -> list[list[int]]:
    return [
        list(row)
        for row in col.db.all(
            "select id, cid, usn, ease, ivl, lastIvl, factor, time, type from revlog order by id"
        )
    ]


def error_of(api, **params) -> str:
    with pytest.raises(Exception) as raised:
        api("insertReviews", **params)
    return str(raised.value)


def test_insert_reviews_readme_sample(api, col):
    before = col.mod
    assert api("insertReviews", reviews=SAMPLE) is None
    assert all_revlog(col) == SAMPLE
    assert col.mod > before  # the collection is marked modified


def test_inserted_reviews_are_read_back_by_the_stats_actions(api, col):
    note = col.new_note(col.models.by_name("Basic"))
    note["Front"] = "q"
    col.add_note(note, col.decks.id("Lang"))
    card = note.cards()[0].id
    rows = [[1600000000000, card, -1, 3, 1, 0, 2500, 3000, 0]]
    api("insertReviews", reviews=rows)
    assert api("cardReviews", deck="Lang", startID=0) == rows
    assert api("getLatestReviewID", deck="Lang") == 1600000000000
    assert api("getReviewsOfCards", cards=[card])[str(card)][0]["time"] == 3000


def test_insert_reviews_empty_is_a_no_op(api, col):
    assert api("insertReviews", reviews=[]) is None
    assert all_revlog(col) == []


def test_values_are_bound_not_spliced(api, col):
    hostile = "0); delete from revlog; --"
    api("insertReviews", reviews=SAMPLE[:1])
    text = error_of(api, reviews=[[1, 2, 3, 4, 5, 6, 7, 8, hostile]])
    assert "parameter 'reviews[0][8]' must be integer" in text
    assert all_revlog(col) == SAMPLE[:1]


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        (
            [1, 2, 3],
            "review 1 must have 9 values (id, cid, usn, ease, ivl, lastIvl, factor, time, type), got 3",
        ),
        (
            [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
            "review 1 must have 9 values (id, cid, usn, ease, ivl, lastIvl, factor, time, type), got 10",
        ),
        ([2**63, 2, 3, 4, 5, 6, 7, 8, 0], f"review 1: id is out of range: {2**63}"),
        (
            [5, 2, 3, 4, 5, 6, -(2**63) - 1, 8, 0],
            f"review 1: factor is out of range: {-(2**63) - 1}",
        ),
    ],
)
def test_bad_row_writes_nothing(api, col, bad_row, message):
    good = [1000, 2, -1, 3, 1, 0, 2500, 100, 0]
    assert error_of(api, reviews=[good, bad_row, [2000, 2, -1, 3, 1, 0, 2500, 100, 0]]) == message
    assert all_revlog(col) == []


@pytest.mark.parametrize(
    "bad_value", ["7", 1.5, None, True, [1]], ids=["str", "float", "null", "bool", "list"]
)
def test_non_integer_value_writes_nothing(api, col, bad_value):
    good = [1000, 2, -1, 3, 1, 0, 2500, 100, 0]
    bad = [1001, 2, -1, 3, 1, 0, bad_value, 100, 0]
    assert "parameter 'reviews[1][6]' must be integer" in error_of(api, reviews=[good, bad])
    assert all_revlog(col) == []


def test_rows_must_be_lists(api, col):
    assert "parameter 'reviews[0]' must be array" in error_of(api, reviews=[{"id": 1}])
    assert "parameter 'reviews' must be array" in error_of(api, reviews="[]")


def test_repeated_id_in_batch_writes_nothing(api, col):
    rows = [[7, 2, -1, 3, 1, 0, 2500, 100, 0], [8, 2, -1, 3, 1, 0, 2500, 100, 0]]
    rows.append([7, 3, -1, 3, 1, 0, 2500, 100, 0])
    assert error_of(api, reviews=rows) == "review 2: id 7 is repeated (also review 0)"
    assert all_revlog(col) == []


def test_existing_id_writes_nothing(api, col):
    api("insertReviews", reviews=SAMPLE[1:])
    rows = [[5, 2, -1, 3, 1, 0, 2500, 100, 0], SAMPLE[1]]
    assert error_of(api, reviews=rows) == (
        f"review 1: a review with id {SAMPLE[1][0]} already exists"
    )
    assert all_revlog(col) == SAMPLE[1:]


def test_many_rows_in_one_call(api, col):
    rows = [[10_000 + n, 42, -1, 3, n, 0, 2500, 100, 1] for n in range(2000)]
    api("insertReviews", reviews=rows)
    assert all_revlog(col) == rows
