"""Graphical actions on the main window: deck list, overview and the reviewer (spec §B)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ..api.context import ActionContext
from ..api.deferred import Deferred
from ..api.errors import ActionError, ReviewerUnavailable
from ..api.registry import action
from .cards_info import without_isolation_marks

T = TypeVar("T")

NOT_REVIEWING = "Gui review is not currently active."


def _reviewer(ctx: ActionContext) -> Any:
    reviewer = getattr(ctx.mw, "reviewer", None)
    if reviewer is None:
        raise ReviewerUnavailable()
    return reviewer


def _reviewing(ctx: ActionContext) -> Any | None:
    """The reviewer if it shows a card in the main window's review state, else None.

    Anki redraws the reviewer after a collection change (an answer undone, a note
    added or edited over the API) only when the main window gets the focus; until
    then it shows a stale card, and answering that card fails in the backend. The
    API acts as if the user looked at the main window: pending refreshes run first.
    """
    reviewer = _reviewer(ctx)
    if ctx.mw.state != "review":
        return None
    reviewer.refresh_if_needed()
    if ctx.mw.state == "review" and reviewer.card is not None:
        return reviewer
    return None


def shown(
    ctx: ActionContext, value: T, what: str, change: Callable[[], None], *, rerender: bool = False
) -> Deferred[T]:
    """Run ``change`` on the main window; ``value`` once the window shows its result.

    ``rerender``: the change shows its screen anew (the deck screens), so that screen
    must have rendered again before the answer goes out."""
    from ..gui.main_window import MainWindowWatch
    from ..gui.settle import settle

    watch = MainWindowWatch(ctx.mw, rerender=rerender)
    try:
        change()
    except BaseException:
        watch.close()
        raise
    return settle(ctx, value, what=what, ready=watch.ready, webs=watch.webs, finish=watch.close)


def _answer_buttons(reviewer: Any) -> list[int]:
    return [int(ease) for ease, _label in reviewer._answerButtonList()]


def _next_review_labels(col: Any, reviewer: Any, buttons: list[int]) -> list[str]:
    """What each answer button would schedule, e.g. `["<1m", "<10m", "1d", "4d"]`."""
    states = reviewer.get_scheduling_states()
    labels = [without_isolation_marks(label) for label in col.sched.describe_next_states(states)]
    return [labels[ease - 1] if 0 < ease <= len(labels) else "" for ease in buttons]


@action("gui", runs="gui")
def guiReviewActive(ctx: ActionContext) -> bool:
    """Whether the main window is reviewing a card."""
    return _reviewing(ctx) is not None


@action("gui", runs="gui")
def guiCurrentCard(ctx: ActionContext) -> dict[str, Any]:
    """The card under review: fields, rendered sides, answer buttons and their intervals.

    Keys: cardId, fields ({name: {value, order}}), fieldOrder (the card's template
    ordinal), question, answer (rendered HTML with the note type's style), buttons
    (answer eases), nextReviews (one label per button), modelName, deckName, css,
    template (template name). Not reviewing is an error, not null (the README says
    null; AnkiConnect answers `Gui review is not currently active.`)."""
    reviewer = _reviewing(ctx)
    if reviewer is None:
        raise ActionError(NOT_REVIEWING)
    col = ctx.col
    card = reviewer.card
    note = card.note()
    notetype = note.note_type()
    buttons = _answer_buttons(reviewer)
    return {
        "cardId": int(card.id),
        "fields": {
            name: {"value": value, "order": order}
            for order, (name, value) in enumerate(note.items())
        },
        "fieldOrder": int(card.ord),
        "question": card.question(),
        "answer": card.answer(),
        "buttons": buttons,
        "nextReviews": _next_review_labels(col, reviewer, buttons),
        "modelName": notetype["name"],
        "deckName": col.decks.name(card.did),
        "css": notetype["css"],
        "template": card.template()["name"],
    }


@action("gui", runs="gui")
def guiStartCardTimer(ctx: ActionContext) -> bool:
    """Restart the answer timer of the card under review; false if not reviewing.

    Lets a client start timing when it actually displays the card, so the time
    recorded by guiAnswerCard is accurate."""
    reviewer = _reviewing(ctx)
    if reviewer is None:
        return False
    reviewer.card.start_timer()
    return True


@action("gui", runs="gui")
def guiShowQuestion(ctx: ActionContext) -> bool | Deferred[bool]:
    """Show the question side of the card under review; false if not reviewing.

    Answers once the reviewer shows it."""
    reviewer = _reviewing(ctx)
    if reviewer is None:
        return False
    return shown(ctx, True, "the question", reviewer._showQuestion)


@action("gui", runs="gui")
def guiShowAnswer(ctx: ActionContext) -> bool | Deferred[bool]:
    """Show the answer side of the card under review; false if not reviewing.

    Answers once the reviewer shows it."""
    reviewer = _reviewing(ctx)
    if reviewer is None:
        return False
    return shown(ctx, True, "the answer", reviewer._showAnswer)


@action("gui", runs="gui")
def guiAnswerCard(ctx: ActionContext, ease: int) -> bool | Deferred[bool]:
    """Answer the card under review with `ease` (1 = Again … 4 = Easy).

    False if not reviewing, if the answer side is not shown yet (guiShowAnswer first),
    or if `ease` is not one of the card's answer buttons. Answers once the answer is
    recorded and the reviewer shows the next card (or the deck's overview when none
    is left), so a guiCurrentCard sent right after sees the next card."""
    reviewer = _reviewing(ctx)
    if reviewer is None or reviewer.state != "answer":
        return False
    if ease not in _answer_buttons(reviewer):
        return False
    return shown(ctx, True, "the next card", lambda: reviewer._answerCard(ease))


@action("gui", runs="gui")
def guiPlayAudio(ctx: ActionContext) -> bool:
    """Replay the audio of the side shown of the card under review; false if not reviewing."""
    reviewer = _reviewing(ctx)
    if reviewer is None:
        return False
    reviewer.replayAudio()
    return True


def _select_deck(ctx: ActionContext, name: str) -> bool:
    col = ctx.col
    deck_id = col.decks.id_for_name(name)
    if deck_id is None:
        return False
    col.decks.select(deck_id)
    return True


@action("gui", runs="gui")
def guiDeckOverview(ctx: ActionContext, name: str) -> bool | Deferred[bool]:
    """Show the overview screen of deck `name`; false if there is no such deck.

    Answers once the overview shows the deck."""
    if not _select_deck(ctx, name):
        return False
    mw = ctx.mw
    return shown(ctx, True, "the deck overview", lambda: mw.moveToState("overview"), rerender=True)


@action("gui", runs="gui")
def guiDeckBrowser(ctx: ActionContext) -> Deferred[None]:
    """Show the deck list (Anki's main screen); answers once it is shown."""
    mw = ctx.mw
    return shown(ctx, None, "the deck list", lambda: mw.moveToState("deckBrowser"), rerender=True)


@action("gui", runs="gui")
def guiDeckReview(ctx: ActionContext, name: str) -> bool | Deferred[bool]:
    """Start reviewing deck `name`; false if there is no such deck.

    Answers once the first card is shown. With nothing due Anki shows the deck's
    overview instead (guiReviewActive then answers false)."""
    if not _select_deck(ctx, name):
        return False
    mw = ctx.mw
    return shown(ctx, True, "the first card", lambda: mw.moveToState("review"), rerender=True)
