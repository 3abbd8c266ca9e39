"""Cards actions (spec §B "Cards").

Reads use batched SQL (:mod:`.cards_lookup`) and cardsInfo its own builder
(:mod:`.cards_info`). Every change goes through Anki's scheduler (suspend,
forget, answer, set due date) or ``col.update_cards``, so mod/usn are set, the
revlog is written where Anki writes it, and each change can be undone from
Anki's Edit menu.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Literal, TypedDict, cast

from anki.consts import CARD_TYPE_RELEARNING, QUEUE_TYPE_LRN, QUEUE_TYPE_SUSPENDED
from anki.errors import NotFoundError

from ..api.context import ActionContext
from ..api.errors import ActionError, card_not_found
from ..api.registry import action
from ..api.reply_json import JsonArray
from ..collection.db import distinct_ids
from .cards_info import CardInfo, CardInfoBuilder
from .cards_lookup import (
    card_columns,
    card_ids,
    existing_ids,
    load_cards,
    note_ids_of,
    require_cards,
    revlog_rows,
    search_ids,
)

if TYPE_CHECKING:
    from anki.cards import Card, CardId
    from anki.collection import Collection

# The original's IndexError text where a card has no review history to read.
NO_HISTORY = "list index out of range"
# Keys setSpecificValueOfCard refuses (answers `false`) unless warning_check is set.
PROTECTED_KEYS = (
    "did",
    "id",
    "ivl",
    "lapses",
    "left",
    "mod",
    "nid",
    "odid",
    "odue",
    "ord",
    "queue",
    "reps",
    "type",
    "usn",
)
# The longest learning step (in seconds, as a negative revlog ivl) that areDue leaves
# to Anki's `is:due`; longer steps are due once that much time has passed.
LEARN_AHEAD_IVL = -1200
EASES = (1, 2, 3, 4)


class Answer(TypedDict):
    cardId: int
    ease: int


# --- ease factors and raw values -----------------------------------------------------


@action("cards")
def getEaseFactors(ctx: ActionContext, cards: list[int]) -> list[int | None]:
    """Ease factor of each card (2500 = 250%), aligned with the input; unknown ids give null."""
    ids = card_ids(cards)
    factors = card_columns(ctx.col, "factor", ids)
    return [factors.get(card_id) for card_id in ids]


@action("cards")
def setEaseFactors(ctx: ActionContext, cards: list[int], easeFactors: list[int]) -> list[bool]:
    """Set each card's ease factor from the same position of `easeFactors`.

    Answers true per card changed, false per unknown id. If `easeFactors` is
    shorter than the known cards need, the call fails with `list index out of
    range` and nothing is written (the original wrote the cards before that one)."""
    col = ctx.col
    ids = card_ids(cards)
    loaded = load_cards(col, ids)
    for index, card_id in enumerate(ids):
        if card_id in loaded and index >= len(easeFactors):
            raise ActionError(NO_HISTORY)
    for index, card_id in enumerate(ids):
        if card_id in loaded:
            loaded[card_id].factor = int(easeFactors[index])
    if loaded:
        col.update_cards(list(loaded.values()))
    return [card_id in loaded for card_id in ids]


@action("cards", loose=("card", "keys", "newValues", "warning_check"))
def setSpecificValueOfCard(
    ctx: ActionContext,
    card: int,
    keys: list[str],
    newValues: list[Any],
    warning_check: bool = False,
) -> bool | list[bool | list[Any]]:
    """Set raw card attributes (e.g. `flags`, `factor`, `due`) by name.

    Answers `[true]`, or `[[false, "<reason>"]]` when the card is unknown or Anki
    rejects a value (one element for the whole call, not one per key). Answers a
    plain `false`, changing nothing, if `card` is a list, `keys`/`newValues` are
    not lists of the same length, or a key is one of did, id, ivl, lapses, left,
    mod, nid, odid, odue, ord, queue, reps, type, usn and `warning_check` is not
    true. mod and usn are always set by Anki itself when the card is saved."""
    if isinstance(card, list):
        return False
    if not isinstance(keys, list) or not isinstance(newValues, list):
        return False
    if len(keys) != len(newValues):
        return False
    if not warning_check and any(key in PROTECTED_KEYS for key in keys):
        return False
    col = ctx.col
    try:
        found = _get_card(col, card)
        for key, value in zip(keys, newValues, strict=True):
            setattr(found, key, value)
        col.update_card(found)
    except Exception as error:
        return [[False, str(error)]]
    return [True]


# --- suspending -----------------------------------------------------------------------


@action("cards")
def suspend(ctx: ActionContext, cards: list[int], suspend: bool = True) -> bool:
    """Suspend the cards (or unsuspend them with the undocumented `suspend: false`).

    True if at least one card changed state, false if all were already in it; an
    unknown id fails the call with `Card was not found: <id>` before any change."""
    return _set_suspended(ctx.col, card_ids(cards), suspend)


def _set_suspended(col: Collection, ids: list[CardId], suspend: bool) -> bool:
    queues = require_cards(col, ids, "queue")
    targets = [
        card_id
        for card_id in dict.fromkeys(ids)
        if (queues[card_id] == QUEUE_TYPE_SUSPENDED) != suspend
    ]
    if not targets:
        return False
    if suspend:
        col.sched.suspend_cards(targets)
    else:
        col.sched.unsuspend_cards(targets)
    return True


@action("cards")
def unsuspend(ctx: ActionContext, cards: list[int]) -> None:
    """Unsuspend the cards; always answers null. An unknown id is an error.

    Buried cards in the list stay buried."""
    _set_suspended(ctx.col, card_ids(cards), False)


@action("cards")
def suspended(ctx: ActionContext, card: int) -> bool:
    """Whether the card is suspended; an unknown id is an error."""
    card_id = int(card)
    return bool(require_cards(ctx.col, [card_id], "queue")[card_id] == QUEUE_TYPE_SUSPENDED)


@action("cards")
def areSuspended(ctx: ActionContext, cards: list[int]) -> list[bool | None]:
    """Whether each card is suspended, aligned with the input; unknown ids give null."""
    ids = card_ids(cards)
    queues = card_columns(ctx.col, "queue", ids)
    return [
        queues[card_id] == QUEUE_TYPE_SUSPENDED if card_id in queues else None for card_id in ids
    ]


# --- due and intervals -----------------------------------------------------------------


@action("cards")
def areDue(ctx: ActionContext, cards: list[int]) -> list[bool]:
    """Whether each card is due now, aligned with the input.

    A new card is due. Otherwise the card's latest review decides: after a
    learning step of more than 20 minutes the card is due once that time has
    passed; else Anki's `is:due` search decides (which counts learning cards due
    within the learn-ahead limit). A known non-new card with no review history,
    or an unknown id, fails the call with `list index out of range`."""
    col = ctx.col
    ids = card_ids(cards)
    known = existing_ids(col, ids)
    new = search_ids(col, known, "is:new")
    history = revlog_rows(col, [card_id for card_id in ids if card_id not in new])
    last: dict[int, tuple[int, int]] = {}
    for card_id in ids:
        if card_id not in new:
            if card_id not in history:
                raise ActionError(NO_HISTORY)
            last[card_id] = history[card_id][-1]
    searched = search_ids(
        col,
        [
            card_id
            for card_id, (_, ivl) in last.items()
            if ivl >= LEARN_AHEAD_IVL and card_id in known
        ],
        "is:due",
    )
    now = time.time()
    due = []
    for card_id in ids:
        if card_id in new:
            due.append(True)
            continue
        reviewed_at, ivl = last[card_id]
        if ivl >= LEARN_AHEAD_IVL:
            due.append(card_id in searched)
        else:
            due.append(reviewed_at / 1000.0 - ivl <= now)
    return due


@action("cards")
def getIntervals(
    ctx: ActionContext, cards: list[int], complete: bool = False
) -> list[int | list[int]]:
    """Each card's latest interval from its review history, aligned with the input.

    Negative values are seconds (learning steps), positive values days; a new
    card gives 0. With `complete: true` each entry is the list of all intervals,
    oldest first ([] without history). Without `complete`, a known non-new card
    with no history, or an unknown id, fails the call with `list index out of range`."""
    col = ctx.col
    ids = card_ids(cards)
    new = search_ids(col, existing_ids(col, ids), "is:new")
    history = revlog_rows(col, [card_id for card_id in ids if card_id not in new])
    intervals: list[int | list[int]] = []
    for card_id in ids:
        if card_id in new:
            intervals.append(0)
        elif complete:
            intervals.append([ivl for _, ivl in history.get(card_id, [])])
        elif card_id in history:
            intervals.append(history[card_id][-1][1])
        else:
            raise ActionError(NO_HISTORY)
    return intervals


# --- finding and reading -----------------------------------------------------------------


@action("cards")
def findCards(ctx: ActionContext, query: str | None = None) -> list[int]:
    """Ids of the cards matching an Anki search; no query (or null) gives `[]`.

    `""` matches every card; bad search syntax answers Anki's search error text.
    The order is unspecified."""
    if query is None:
        return []
    return [int(card_id) for card_id in ctx.col.find_cards(query)]


@action("cards")
def cardsToNotes(ctx: ActionContext, cards: list[int]) -> list[int]:
    """Distinct note ids of the cards (unordered); unknown ids are ignored."""
    return note_ids_of(ctx.col, card_ids(cards))


@action("cards")
def cardsModTime(ctx: ActionContext, cards: list[int]) -> list[dict[str, int]]:
    """`{cardId, mod}` per card (mod in epoch seconds), aligned; unknown ids give `{}`."""
    ids = card_ids(cards)
    mods = card_columns(ctx.col, "mod", ids)
    return [{"cardId": card_id, "mod": mods[card_id]} if card_id in mods else {} for card_id in ids]


@action("cards")
def cardsInfo(ctx: ActionContext, cards: list[int]) -> JsonArray[CardInfo] | list[CardInfo]:
    """Everything about each card, aligned with the input; unknown ids give `{}`.

    Keys: cardId, fields ({name: {value, order}}), fieldOrder (the card's
    template ordinal), question and answer (rendered HTML starting with the
    note type's `<style>`), modelName, ord, deckName, css, factor, interval,
    note, type, queue, due, reps, lapses, left, mod, nextReviews (the labels of
    the Again/Hard/Good/Easy buttons) and flags."""
    builder = CardInfoBuilder(ctx.col)
    ids = card_ids(cards)
    return builder.encoded(ids) if ctx.reply_is_json else builder.infos(ids)


# --- scheduling ------------------------------------------------------------------------


@action("cards")
def forgetCards(ctx: ActionContext, cards: list[int]) -> None:
    """Reset the cards to new, as Anki's "Reset" does.

    The original position is restored, review and lapse counts are kept, and a
    revlog entry is written. Unknown ids are ignored."""
    ids = card_ids(cards)
    if ids:
        ctx.col.sched.schedule_cards_as_new(ids, restore_position=True, reset_counts=False)


@action("cards")
def relearnCards(ctx: ActionContext, cards: list[int]) -> None:
    """Put the cards into relearning, due now. Unknown ids are ignored.

    Like the original this sets type to relearning and queue to learning; the
    change is saved through Anki (mod/usn set, undoable) and `due` becomes the
    current time, the learning queue's meaning of due."""
    col = ctx.col
    loaded = load_cards(col, card_ids(cards))
    if not loaded:
        return
    now = int(time.time())
    for found in loaded.values():
        found.type = CARD_TYPE_RELEARNING
        found.queue = QUEUE_TYPE_LRN
        found.due = now
    col.update_cards(list(loaded.values()))


@action("cards")
def answerCards(ctx: ActionContext, answers: list[Answer]) -> list[bool]:
    """Answer each card with its ease (1 Again, 2 Hard, 3 Good, 4 Easy), in order.

    Answers true per card answered, false per unknown card. An ease outside 1–4
    for a known card fails the call with `invalid ease` before any card is
    answered. Each answer is recorded as Anki's reviewer records it (revlog,
    undo step)."""
    col = ctx.col
    ids = card_ids(answer["cardId"] for answer in answers)
    known = existing_ids(col, ids)
    for card_id, answer in zip(ids, answers, strict=True):
        if card_id in known and answer["ease"] not in EASES:
            raise ActionError("invalid ease")
    answered = []
    for card_id, answer in zip(ids, answers, strict=True):
        if card_id not in known:
            answered.append(False)
            continue
        found = _get_card(col, card_id)
        found.start_timer()
        col.sched.answerCard(found, cast(Literal[1, 2, 3, 4], int(answer["ease"])))
        answered.append(True)
    return answered


@action("cards")
def setDueDate(ctx: ActionContext, cards: list[int], days: str) -> bool:
    """Make the cards review cards due in `days` (Anki's set-due-date syntax).

    `"0"` is today, `"3-7"` a random day in that range, and a trailing `!` (`"1!"`)
    also sets the interval to that many days.

    Always true; invalid `days` text is Anki's error. Unknown ids are ignored."""
    ctx.col.sched.set_due_date(distinct_ids(cards), days, config_key=None)
    return True


def _get_card(col: Collection, card_id: Any) -> Card:
    try:
        return col.get_card(card_id)
    except NotFoundError:
        raise card_not_found(card_id) from None
