"""Importing this package registers every action in :data:`plugin.registry.REGISTRY`."""

from __future__ import annotations

from . import cards, decks, gui, media, misc, models, notes, stats  # noqa: F401
from .. import dispatch  # noqa: F401  (registers `multi`)
