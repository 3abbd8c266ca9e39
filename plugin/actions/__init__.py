"""Importing this package registers every action in :data:`plugin.registry.REGISTRY`."""

from __future__ import annotations

from .. import dispatch  # noqa: F401  (registers `multi`)
from . import cards, decks, gui, media, misc, models, notes, stats  # noqa: F401
