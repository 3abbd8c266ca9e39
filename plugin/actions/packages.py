"""Package actions (spec §B "Miscellaneous"): export a deck to `.apkg`, import one.

Both work with paths on the machine running Anki. A relative path is taken
relative to the collection's media folder, as the original's README documents
(modern Anki no longer changes its working directory there, so the original
resolves relative paths against wherever Anki happened to be started).

The options are those of Anki's legacy package exporter/importer, which the
original uses: export in the legacy (`collection.anki21`) format with media, and
deck presets only together with scheduling; import merging note types and keeping
the package's scheduling and deck presets.
"""

from __future__ import annotations

import os

from anki.collection import (
    Collection,
    DeckIdLimit,
    ExportAnkiPackageOptions,
    ImportAnkiPackageOptions,
    ImportAnkiPackageRequest,
)

from ..api.context import ActionContext
from ..api.errors import ActionError
from ..api.registry import action
from ..api.security import file_path_refusal


def check_path_caller(ctx: ActionContext, action_name: str) -> None:
    """Refuse a file path from a web origin unless allowFilePathsFromWeb says otherwise."""
    refusal = file_path_refusal(ctx.settings, ctx.caller, f"{action_name} with a path")
    if refusal is not None:
        raise ActionError(refusal)


def resolve_package_path(col: Collection, path: str) -> str:
    """Absolute form of `path`; relative paths start at the media folder."""
    if not path:
        raise ActionError("path must not be empty")
    if os.path.isabs(path):
        return os.path.normpath(path)
    return os.path.normpath(os.path.join(col.media.dir(), path))


def _check_writable_target(target: str) -> None:
    if os.path.isdir(target):
        raise ActionError(f"export path is a directory: {target}")
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise ActionError(f"export directory does not exist: {folder}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ActionError(f"export directory is not writable: {folder}")
    if os.path.exists(target) and not os.access(target, os.W_OK):
        raise ActionError(f"export file is not writable: {target}")


@action("misc")
def exportPackage(ctx: ActionContext, deck: str, path: str, includeSched: bool = False) -> bool:
    """Export a deck (with its subdecks and media) to an `.apkg` file; false if the deck is unknown.

    `includeSched` true also exports the cards' scheduling, review history and the
    decks' option presets; otherwise cards are exported as new. An existing file is
    overwritten. A relative `path` is relative to the collection's media folder; a
    missing or unwritable directory is an error. From a caller that sends an Origin
    (a web page, an extension) it is refused unless allowFilePathsFromWeb is true.
    """
    check_path_caller(ctx, "exportPackage")
    col = ctx.col
    deck_id = col.decks.id_for_name(deck)
    if deck_id is None:
        return False
    target = resolve_package_path(col, path)
    _check_writable_target(target)
    col.export_anki_package(
        out_path=target,
        options=ExportAnkiPackageOptions(
            with_scheduling=includeSched,
            with_deck_configs=includeSched,
            with_media=True,
            legacy=True,
        ),
        limit=DeckIdLimit(deck_id=deck_id),
    )
    return True


@action("misc")
def importPackage(ctx: ActionContext, path: str) -> bool:
    """Import an `.apkg` file into the collection; answers true (failures are errors).

    A relative `path` is relative to the collection's media folder. Note types are
    merged, and the package's scheduling and deck presets are kept. From a caller
    that sends an Origin it is refused unless allowFilePathsFromWeb is true.
    """
    check_path_caller(ctx, "importPackage")
    col = ctx.col
    source = resolve_package_path(col, path)
    if not os.path.exists(source):
        raise ActionError(f"package file does not exist: {source}")
    if not os.path.isfile(source):
        raise ActionError(f"package path is not a file: {source}")
    col.import_anki_package(
        ImportAnkiPackageRequest(
            package_path=source,
            options=ImportAnkiPackageOptions(
                merge_notetypes=True,
                with_scheduling=True,
                with_deck_configs=True,
            ),
        )
    )
    return True
