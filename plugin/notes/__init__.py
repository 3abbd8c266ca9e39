"""Shared note helpers: building and checking new notes, duplicate checks, media attached to notes."""
