"""Tag actions of the Notes category (§B Notes, §E.4, §E.15)."""

# Errors come back as the conftest's ApiError; they are caught as Exception (str() = text).

from __future__ import annotations

from typing import Any

import pytest
from anki.collection import Collection

from tests.unit.conftest import Api


def add(api: Api, front: str, tags: list[str] | None = None) -> int:
    note = {
        "deckName": "Default",
        "modelName": "Basic",
        "fields": {"Front": front, "Back": ""},
        "tags": tags or [],
    }
    return int(api("addNote", note=note))


def error_of(api: Api, action: str, **params: Any) -> str:
    with pytest.raises(Exception) as raised:
        api(action, **params)
    return str(raised.value)


def tags_of(col: Collection, note_id: int) -> list[str]:
    return sorted(col.get_note(note_id).tags)


def test_update_note_tags_replaces_all(api: Api, col: Collection) -> None:
    note_id = add(api, "a", ["old", "keep"])
    assert api("updateNoteTags", note=note_id, tags=["keep", "new"]) is None
    assert tags_of(col, note_id) == ["keep", "new"]


def test_trap_e4_update_note_tags_string_is_one_tag_and_spaces_split(
    api: Api, col: Collection
) -> None:
    note_id = add(api, "a", ["old"])
    api("updateNoteTags", note=note_id, tags="single")
    assert tags_of(col, note_id) == ["single"]
    api("updateNoteTags", note=note_id, tags=["two words"])
    assert tags_of(col, note_id) == ["two", "words"]


@pytest.mark.parametrize("tags", [5, [1, "a"], {"a": 1}, None])
def test_update_note_tags_bad_tags(api: Api, tags: Any) -> None:
    note_id = add(api, "a")
    assert error_of(api, "updateNoteTags", note=note_id, tags=tags) == (
        "Must provide tags as a list of strings"
    )


def test_update_note_tags_unknown_note(api: Api) -> None:
    assert error_of(api, "updateNoteTags", note=7, tags=["x"]) == "Note was not found: 7"


def test_get_note_tags(api: Api) -> None:
    note_id = add(api, "a", ["b", "a"])
    assert sorted(api("getNoteTags", note=note_id)) == ["a", "b"]
    assert error_of(api, "getNoteTags", note=99) == "Note was not found: 99"


def test_trap_e4_add_tags_takes_one_space_separated_string(api: Api, col: Collection) -> None:
    first, second = add(api, "a"), add(api, "b", ["x"])
    assert api("addTags", notes=[first, second], tags="european-languages idioms") is None
    assert tags_of(col, first) == ["european-languages", "idioms"]
    assert tags_of(col, second) == ["european-languages", "idioms", "x"]


def test_add_tags_with_add_false_removes(api: Api, col: Collection) -> None:
    note_id = add(api, "a", ["x", "y"])
    api("addTags", notes=[note_id], tags="x", add=False)
    assert tags_of(col, note_id) == ["y"]


def test_add_tags_list_instead_of_string_is_an_error(api: Api) -> None:
    note_id = add(api, "a")
    assert "tags" in error_of(api, "addTags", notes=[note_id], tags=["x"])


def test_remove_tags(api: Api, col: Collection) -> None:
    note_id = add(api, "a", ["x", "y", "z"])
    assert api("removeTags", notes=[note_id, 12345], tags="x z") is None
    assert tags_of(col, note_id) == ["y"]


def test_get_tags_and_clear_unused_tags(api: Api) -> None:
    note_id = add(api, "a", ["used", "gone"])
    api("removeTags", notes=[note_id], tags="gone")
    assert "used" in api("getTags")
    assert api("clearUnusedTags") is None
    assert api("getTags") == ["used"]


def test_trap_e15_replace_tags_snake_case_and_unknown_notes_skipped(
    api: Api, col: Collection
) -> None:
    first, second = add(api, "a", ["european-languages", "x"]), add(api, "b", ["other"])
    result = api(
        "replaceTags",
        notes=[first, second, 424242],
        tag_to_replace="European-Languages",
        replace_with_tag="french-languages",
    )
    assert result is None
    assert tags_of(col, first) == ["french-languages", "x"]
    assert tags_of(col, second) == ["other"]
    assert "got an unexpected keyword argument 'tagToReplace'" in error_of(
        api, "replaceTags", notes=[first], tagToReplace="a", replace_with_tag="b"
    )


def test_replace_tags_matches_whole_tags_only(api: Api, col: Collection) -> None:
    note_id = add(api, "a", ["language", "languages"])
    api("replaceTags", notes=[note_id], tag_to_replace="language", replace_with_tag="lang")
    assert tags_of(col, note_id) == ["lang", "languages"]


def test_replace_tags_in_all_notes(api: Api, col: Collection) -> None:
    first, second, third = add(api, "a", ["old"]), add(api, "b", ["OLD", "y"]), add(api, "c", ["z"])
    assert api("replaceTagsInAllNotes", tag_to_replace="old", replace_with_tag="new") is None
    assert tags_of(col, first) == ["new"]
    assert tags_of(col, second) == ["new", "y"]
    assert tags_of(col, third) == ["z"]
