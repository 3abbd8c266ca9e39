"""Importing this package registers every action in :data:`plugin.api.registry.REGISTRY`."""

from __future__ import annotations

# Anki's own modules must load in its order: anki.cards before anki.collection is a
# circular import.
import anki.collection  # noqa: F401

from ..api import dispatch  # noqa: F401  (registers `multi`)
from . import cards, decks, gui, media, misc, models, notes, stats, sync  # noqa: F401
