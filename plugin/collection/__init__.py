"""Shared helpers over Anki's collection: database reads in chunks, card rendering."""
