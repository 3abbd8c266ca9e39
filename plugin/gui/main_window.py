"""When Anki's main window shows the state a GUI action reports (deck list, overview, reviewer).

Anki changes ``mw.state`` at once, but the screens fill in later: the deck list and
the overview fetch their numbers in a QueryOp and render in its success callback;
the reviewer shows the next card only after the answer's CollectionOp finished
(``reviewer.state`` is ``"transition"`` until then). :class:`MainWindowWatch` is the
predicate :func:`plugin.gui.settle.settle` polls for those actions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aqt import gui_hooks

from .settle import live_webs

# Reviewer states in which a card is on screen; "transition" means an answer is
# being recorded and the next card is not shown yet.
SHOWING_CARD = ("question", "answer")


class MainWindowWatch:
    """Whether the main window shows its current screen completely.

    Create it *before* the action changes the screen, so that renders the action
    causes are counted. ``rerender`` says the action shows its screen anew (a deck
    screen action), so the screen must render again even if the state is unchanged.
    """

    def __init__(self, mw: Any, *, rerender: bool) -> None:
        self.mw = mw
        self.start_state = mw.state
        self.rerender = rerender
        self.renders = {"deckBrowser": 0, "overview": 0}
        gui_hooks.deck_browser_did_render.append(self._deck_browser_rendered)
        gui_hooks.overview_did_refresh.append(self._overview_rendered)

    def _deck_browser_rendered(self, _deck_browser: Any) -> None:
        self.renders["deckBrowser"] += 1

    def _overview_rendered(self, _overview: Any) -> None:
        self.renders["overview"] += 1

    def close(self) -> None:
        gui_hooks.deck_browser_did_render.remove(self._deck_browser_rendered)
        gui_hooks.overview_did_refresh.remove(self._overview_rendered)

    def ready(self) -> bool:
        state = self.mw.state
        if state == "review":
            reviewer = self.mw.reviewer
            return reviewer.card is not None and reviewer.state in SHOWING_CARD
        if state in self.renders and (self.rerender or state != self.start_state):
            return self.renders[state] > 0
        return True

    def refresh_screen(self) -> None:
        """Bring the current screen up to date after a collection change, as Anki does
        when the main window gets the focus (a window without focus only notes it)."""
        state = self.mw.state
        if state == "review":
            self.mw.reviewer.refresh_if_needed()  # synchronous: the next card is shown
            return
        screen = {"overview": self.mw.overview, "deckBrowser": self.mw.deckBrowser}.get(state)
        if screen is not None and screen._refresh_needed:
            # a QueryOp, rendered later; an unchanged screen is not drawn again (a
            # needless reload of the congratulations page is what can get it stuck)
            self.rerender = True
            screen.refresh_if_needed()

    def webs(self) -> list[Any]:
        return live_webs(getattr(self.mw, "web", None), getattr(self.mw, "bottomWeb", None))


def undo_then(mw: Any, done: Callable[[], None]) -> None:
    """Edit > Undo (Anki's own undo operation), then ``done()`` however it ended.

    Anki's ``aqt.operations.collection.undo`` cannot tell its caller when it is
    finished; this is the same operation with a completion callback. Nothing to undo
    is not an error; another failure is shown as Anki shows it.
    """
    from anki.errors import UndoEmpty
    from aqt.operations import CollectionOp
    from aqt.utils import showWarning, tooltip, tr

    def on_success(out: Any) -> None:
        try:
            gui_hooks.state_did_undo(out)
            tooltip(tr.undo_action_undone(action=out.operation), parent=mw)
        finally:
            done()

    def on_failure(exc: Exception) -> None:
        try:
            if not isinstance(exc, UndoEmpty):
                showWarning(str(exc), parent=mw)
        finally:
            done()

    CollectionOp(mw, lambda col: col.undo()).success(on_success).failure(
        on_failure
    ).run_in_background()
