"""Exceptions whose text is part of the wire protocol.

Every action error reaches the client as ``str(exception)``; these classes exist so
code can raise the exact AnkiConnect texts from one place.
"""

from __future__ import annotations

import json

# Longest value shown in a wrong-type message; a 10 MiB string is cut, not echoed.
MAX_ERROR_VALUE_CHARS = 120


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


def param_type_error(action: str, where: str, expected: str, value: object) -> TypeError:
    """A wrong-typed param, worded as the dispatcher words every one.

    ``where`` is the param and the path inside it, e.g. ``note['fields']['Front']``:
    `AnkiConnect.addNote() parameter 'note['fields']['Front']' must be string, got 12345`.
    """
    shown = shown_value(value)
    return TypeError(f"AnkiConnect.{action}() parameter '{where}' must be {expected}, got {shown}")


def shown_value(value: object) -> str:
    """The value as JSON (Python's repr if it has none), cut after a few dozen characters."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) > MAX_ERROR_VALUE_CHARS:
        text = text[:MAX_ERROR_VALUE_CHARS] + "…"
    return text
