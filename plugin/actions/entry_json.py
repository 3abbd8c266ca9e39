"""The JSON text of what cardsInfo and notesInfo entries share, spelt as
``json.dumps`` spells it (default separators, ASCII escapes).

Those two actions write their replies as text (``reply_json.JsonArray``) rather than
objects; the pieces here are the ones both need.
"""

from __future__ import annotations

from json.encoder import encode_basestring_ascii  # the escaping json.dumps does


def json_str(text: str) -> str:
    """``json.dumps(text)`` for a str."""
    return str(encode_basestring_ascii(text))


class FieldsJson:
    """``json.dumps({name: {"value": value, "order": order}, …})`` for the fields of
    one note type, filled in from a note's values by one ``%`` operation."""

    def __init__(self, fields: list[tuple[str, int]]) -> None:
        self.count = len(fields)
        self._format = (
            "{"
            + ", ".join(
                f'{json_str(name).replace("%", "%%")}: {{"value": %s, "order": {order}}}'
                for name, order in fields
            )
            + "}"
        )
        self._orders = [order for _name, order in fields]
        self._in_order = self._orders == list(range(len(fields)))

    def text(self, values: list[str]) -> str:
        """The object for the note's field values (``values[order]`` for each field;
        the caller checks that the note has :attr:`count` values)."""
        escaped = tuple(map(encode_basestring_ascii, values))
        if not self._in_order:
            escaped = tuple(escaped[order] for order in self._orders)
        return self._format % escaped
