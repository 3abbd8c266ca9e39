"""Statistics actions (spec §B "Statistics"): review counts, review log, stats report.

Review-log rows are read with parameterised SQL (Anki has no batch API for the
revlog); `insertReviews` lives in :mod:`.stats_insert`.

cardReviews and getLatestReviewID create a deck they are given an unknown name
for; that is the original's behaviour (spec §E.12) and is kept on purpose.
"""

from __future__ import annotations

from typing import TypedDict

from anki.utils import ids2str

from ..api.context import ActionContext
from ..api.registry import action
from ..api.reply_json import JsonArray
from ..collection.db import chunks, database
from ..collection.deck_reviews import deck_reviews, deck_reviews_json
from ..collection.review_days import reviews_by_day
from . import stats_insert  # noqa: F401  (registers insertReviews)
from .decks import deck_id_creating

SECONDS_PER_DAY = 86_400
DEFAULT_ROLLOVER_HOUR = 4
REVIEWS_CHUNK = 5000


class Review(TypedDict):
    id: int
    usn: int
    ease: int
    ivl: int
    lastIvl: int
    factor: int
    time: int
    type: int


@action("stats")
def getNumCardsReviewedToday(ctx: ActionContext) -> int:
    """Number of reviews (review-log entries) made since the start of today.

    "Today" starts at the collection's next-day-starts-at hour.
    """
    col = ctx.col
    day_start_ms = (col.sched.day_cutoff - SECONDS_PER_DAY) * 1000
    return int(database(col).scalar("select count() from revlog where id > ?", day_start_ms))


@action("stats")
def getNumCardsReviewedByDay(ctx: ActionContext) -> list[list[str | int]]:
    """Number of reviews per day, as `["YYYY-MM-DD", count]` pairs, newest day first.

    Days are local dates that start at the collection's next-day-starts-at hour, so
    a review at 2 am with the default rollover of 4 counts for the previous day.
    """
    return reviews_by_day(ctx.col, _rollover_hour(ctx) * 3600)


def _rollover_hour(ctx: ActionContext) -> int:
    hour = ctx.col.get_config("rollover", DEFAULT_ROLLOVER_HOUR)
    return int(hour) if isinstance(hour, int | float) else DEFAULT_ROLLOVER_HOUR


@action("stats")
def getCollectionStatsHTML(ctx: ActionContext, wholeCollection: bool = True) -> str:
    """Anki's legacy statistics report as an HTML string.

    `wholeCollection` false limits it to the current deck (and its subdecks).
    """
    report = ctx.col.stats()
    report.wholeCollection = wholeCollection
    return report.report()


@action("stats")
def cardReviews(
    ctx: ActionContext, deck: str, startID: int
) -> JsonArray[list[int]] | list[list[int]]:
    """Reviews of the cards in a deck made after review id `startID`, oldest first.

    Each review is `[id, cardId, usn, ease, ivl, lastIvl, factor, time, type]`;
    ids are millisecond timestamps. Only cards whose current deck is exactly this
    one count (subdecks excluded). An unknown deck is created.
    """
    col = ctx.col
    deck_id = deck_id_creating(col, deck)
    if ctx.reply_is_json:  # the reply is the only reader: the rows as JSON text
        encoded = deck_reviews_json(col, deck_id, startID)
        if encoded is not None:
            return encoded
    return deck_reviews(col, deck_id, startID)


@action("stats")
def getLatestReviewID(ctx: ActionContext, deck: str) -> int:
    """Id (millisecond timestamp) of the newest review of a card in the deck; 0 if none.

    Subdecks are excluded. An unknown deck is created.
    """
    col = ctx.col
    deck_id = deck_id_creating(col, deck)
    latest = database(col).scalar(
        "select max(id) from revlog where cid in (select id from cards where did = ?)",
        deck_id,
    )
    return int(latest or 0)


@action("stats")
def getReviewsOfCards(ctx: ActionContext, cards: list[int | str]) -> dict[str, list[Review]]:
    """Review history of each card, keyed by card id (a string key in JSON).

    Every requested id is a key, with `[]` for a card without reviews or an unknown
    card. Ids must be numbers: a string id never matches and answers `[]`.
    """
    col = ctx.col
    history: dict[str, list[Review]] = {str(card_id): [] for card_id in cards}
    # type(), not isinstance: the dispatcher refuses bools, and True must never stand
    # for card 1 (its reviews would go to a key "True" that is not there)
    numeric = [card_id for card_id in dict.fromkeys(cards) if type(card_id) is int]
    # ids2str: ints only, so 5,000 ids a statement need no bound parameters
    for chunk in chunks(numeric, REVIEWS_CHUNK):
        rows = database(col).all(
            "select cid, id, usn, ease, ivl, lastIvl, factor, time, type from revlog"
            f" where cid in {ids2str(chunk)} order by id"
        )
        # a dict display per row: a third faster than a helper call for 20,000 rows
        for card_id, review_id, usn, ease, ivl, last_ivl, factor, taken, kind in rows:
            history[str(card_id)].append(
                {
                    "id": review_id,
                    "usn": usn,
                    "ease": ease,
                    "ivl": ivl,
                    "lastIvl": last_ivl,
                    "factor": factor,
                    "time": taken,
                    "type": kind,
                }
            )
    return history
