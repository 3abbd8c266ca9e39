"""Deck options-group actions (spec §B "Decks"): read, save, assign, clone, remove.

An options group ("deck config", "preset") is Anki's legacy JSON dict: id, name,
new{}, rev{}, lapse{}, and so on. Group ids may arrive as ints or numeric strings.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Literal, cast

from ..api.context import ActionContext
from ..api.errors import ActionError
from ..api.registry import action

if TYPE_CHECKING:
    from anki.collection import Collection
    from anki.decks import DeckConfigId

DEFAULT_DECK_CONF_ID = 1
DEFAULT_CONF_UNDELETABLE = "can't delete default conf"  # Anki's own text


def _as_config_id(value: Any) -> int | None:
    """The group id as an int, or None when it is not a number at all."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _existing_group(col: Collection, config_id: int | None) -> dict[str, Any] | None:
    """The group with this id, or None. (Anki's get_config falls back to the default
    group for an unknown id, so it cannot tell whether a group exists.)"""
    if config_id is None:
        return None
    for group in col.decks.all_config():
        if int(group["id"]) == config_id:
            return group
    return None


@action("decks")
def getDeckConfig(ctx: ActionContext, deck: str) -> dict[str, Any] | Literal[False]:
    """The options group of a deck, as Anki's legacy dict; false if the deck is unknown.

    A filtered deck has no group: its own deck dict (with `dyn` set) is returned,
    as Anki does.
    """
    col = ctx.col
    deck_id = col.decks.id_for_name(deck)
    if deck_id is None:
        return False
    return col.decks.config_dict_for_deck_id(deck_id)


@action("decks")
def saveDeckConfig(ctx: ActionContext, config: dict[str, Any]) -> bool:
    """Save an options group given as a whole dict (as getDeckConfig returns it).

    Returns false if `config.id` (int or numeric string) is not an existing group or
    Anki refuses the dict; a dict without `id` fails with the error `'id'`. The
    group's mod time and usn are set, so the change syncs.
    """
    col = ctx.col
    config_id = config["id"]  # KeyError → "'id'", as the original
    known = {str(group["id"]) for group in col.decks.all_config()}
    if str(config_id) not in known:
        return False
    to_save = dict(config)
    to_save["mod"] = int(time.time())
    to_save["usn"] = col.usn()
    try:
        col.decks.update_config(to_save)
    except Exception:  # the original answers false for any failed save
        return False
    return True


@action("decks")
def setDeckConfigId(ctx: ActionContext, decks: list[str], configId: int | str) -> bool:
    """Assign an options group to decks; false (nothing changed) if any deck is unknown.

    Whether the group exists is not checked, as in the original; Anki then uses the
    default group for those decks.
    """
    col = ctx.col
    config_id = int(configId)  # a non-numeric string fails with Python's int() error
    deck_dicts = []
    for name in decks:
        deck = col.decks.by_name(name)
        if deck is None:
            return False
        deck_dicts.append(deck)
    for deck in deck_dicts:
        col.decks.set_config_id_for_deck_dict(deck, cast("DeckConfigId", config_id))
    return True


@action("decks")
def cloneDeckConfigId(
    ctx: ActionContext, name: str, cloneFrom: int | str = "1"
) -> int | Literal[False]:
    """Create an options group named `name` as a copy of group `cloneFrom`; return its id.

    `cloneFrom` defaults to the default group (1). False if that group does not exist.
    """
    col = ctx.col
    source = _existing_group(col, _as_config_id(cloneFrom))
    if source is None:
        return False
    return int(col.decks.add_config_returning_id(name, source))


@action("decks")
def removeDeckConfigId(ctx: ActionContext, configId: int | str) -> bool:
    """Delete an options group; decks using it fall back to the default group.

    False if the group does not exist; the default group (id 1) fails with Anki's
    error `can't delete default conf`. Removing a group is a schema change (the next
    sync is a full sync); no confirmation dialog is shown for a request.
    """
    col = ctx.col
    config_id = _as_config_id(configId)
    if _existing_group(col, config_id) is None:
        return False
    if config_id == DEFAULT_DECK_CONF_ID:
        raise ActionError(DEFAULT_CONF_UNDELETABLE)
    # Marking the schema modified ourselves (without `check`) means Anki's
    # remove_config finds it already changed and does not run the schema_will_change
    # hook, whose GUI handler would pop a modal question in the middle of a request.
    col.mod_schema(check=False)
    col.decks.remove_config(cast("DeckConfigId", config_id))
    return True
