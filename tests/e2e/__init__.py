"""End-to-end tests: a real headless Anki with the add-on, over HTTP."""
