"""Exceptions whose text is part of the wire protocol.

Every action error reaches the client as ``str(exception)``; these classes exist so
code can raise the exact AnkiConnect texts from one place.
"""

from __future__ import annotations


class ActionError(Exception):
    """An error whose message is sent to the client verbatim."""


class CollectionUnavailable(ActionError):
    def __init__(self) -> None:
        super().__init__("collection is not available")


class ReviewerUnavailable(ActionError):
    def __init__(self) -> None:
        super().__init__("reviewer is not available")


class MainWindowUnavailable(ActionError):
    def __init__(self) -> None:
        super().__init__("Anki main window is not available")


def card_not_found(card_id: object) -> ActionError:
    return ActionError(f"Card was not found: {card_id}")


def note_not_found(note_id: object) -> ActionError:
    return ActionError(f"Note was not found: {note_id}")


def model_not_found(name_or_id: object) -> ActionError:
    return ActionError(f"model was not found: {name_or_id}")


def deck_not_found(name: object) -> ActionError:
    return ActionError(f"deck was not found: {name}")


def field_not_found(model_name: str, field: object) -> ActionError:
    return ActionError(f"field was not found in {model_name}: {field}")


def template_not_found(model_name: str, template: object) -> ActionError:
    return ActionError(f"template was not found in {model_name}: {template}")
