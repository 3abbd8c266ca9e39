"""What each action does, marked once: the policy, the docs and OpenAPI read it here.

- ``reads``: looks at the collection, the media folder or Anki's state; changes nothing.
- ``writes``: changes the collection, the media folder or the settings.
- ``gui``: opens or switches Anki's windows and screens without changing the collection.
- ``files``: reads or writes files outside the collection, at a path the caller names.

An action with several effects is marked with the strongest the caller can reach:
``guiAnswerCard`` is a GUI action that writes a review, so it is ``writes``. A table
rather than a decorator argument so every write is visible in one screen; the
registry refuses an action that is missing here, so none can be forgotten.
"""

from __future__ import annotations

from typing import Literal

Effect = Literal["reads", "writes", "gui", "files"]
EFFECTS: tuple[Effect, ...] = ("reads", "writes", "gui", "files")

_BY_EFFECT: dict[Effect, str] = {
    "reads": """
        apiReflect version requestPermission multi
        areDue areSuspended cardsInfo cardsModTime cardsToNotes findCards getEaseFactors
        getIntervals suspended
        deckNameFromId deckNames deckNamesAndIds getDeckConfig getDecks
        guiCurrentCard guiReviewActive guiSelectedNotes
        getMediaDirPath getMediaFilesNames retrieveMediaFile
        getActiveProfile getProfiles
        findModelsById findModelsByName modelFieldDescriptions modelFieldFonts
        modelFieldNames modelFieldsOnTemplates modelNameFromId modelNames
        modelNamesAndIds modelStyling modelTemplates
        canAddNote canAddNoteWithErrorDetail canAddNotes canAddNotesWithErrorDetail
        findNotes getNoteTags getTags notesInfo notesModTime
        getCollectionStatsHTML getNumCardsReviewedByDay getNumCardsReviewedToday
        getReviewsOfCards
    """,
    # getDeckStats, cardReviews and getLatestReviewID create a deck they are given an
    # unknown name for (a quirk of the original we keep), so they write; guiAddCards
    # and guiAddNoteSetData store the note's media files at once.
    "writes": """
        answerCards forgetCards relearnCards setDueDate setEaseFactors
        setSpecificValueOfCard suspend unsuspend
        changeDeck cloneDeckConfigId createDeck deleteDecks getDeckStats
        removeDeckConfigId saveDeckConfig setDeckConfigId
        guiAnswerCard guiCheckDatabase guiUndo
        guiAddCards guiAddNoteSetData
        deleteMediaFile storeMediaFile
        sync
        createModel findAndReplaceInModels modelFieldAdd modelFieldRemove
        modelFieldRename modelFieldReposition modelFieldSetDescription
        modelFieldSetFont modelFieldSetFontSize modelTemplateAdd modelTemplateRemove
        modelTemplateRename modelTemplateReposition updateModelStyling
        updateModelTemplates
        addNote addNotes addTags clearUnusedTags deleteNotes removeEmptyNotes
        removeTags replaceTags replaceTagsInAllNotes updateNote updateNoteFields
        updateNoteModel updateNoteTags
        cardReviews getLatestReviewID insertReviews
    """,
    "gui": """
        guiBrowse guiDeckBrowser guiDeckOverview guiDeckReview guiEditNote
        guiExitAnki guiPlayAudio guiSelectCard guiSelectNote guiShowAnswer
        guiShowQuestion guiStartCardTimer
        loadProfile reloadCollection
    """,
    "files": """
        exportPackage importPackage guiImportFile
    """,
}

ACTION_EFFECTS: dict[str, Effect] = {
    name: effect for effect, names in _BY_EFFECT.items() for name in names.split()
}


def effect_of(name: str) -> Effect:
    """The effect of a registered action; a KeyError names an action missing here."""
    try:
        return ACTION_EFFECTS[name]
    except KeyError:
        raise KeyError(
            f"action {name!r} has no effect in plugin/api/effects.py: add it there"
        ) from None
