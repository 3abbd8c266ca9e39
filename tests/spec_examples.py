"""Texts of the spec that more than one test level checks (unit and end to end)."""

from __future__ import annotations

# The two bodies of spec §A.3 and the original's complete jsonschema text for them,
# measured on the original (25.11.9.0, Anki 26.9.3).
SPEC_SCHEMA_ERRORS = [
    (
        b"1.2",
        "1.2 is not of type 'object'\n\nFailed validating 'type' in schema:\n"
        "    {'type': 'object',\n"
        "     'properties': {'action': {'type': 'string', 'minLength': 1},\n"
        "                    'version': {'type': 'integer'},\n"
        "                    'params': {'type': 'object'}},\n"
        "     'required': ['action']}\n\nOn instance:\n    1.2",
    ),
    (
        b'{"action": "version", "version": "6"}',
        "'6' is not of type 'integer'\n\nFailed validating 'type' in "
        "schema['properties']['version']:\n    {'type': 'integer'}\n\n"
        "On instance['version']:\n    '6'",
    ),
]
