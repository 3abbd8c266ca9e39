"""AnkiConnect reimplementation: entry point (filled in by the foundation work)."""
