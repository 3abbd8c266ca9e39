"""Dialogs: the only Qt widgets of the add-on."""
