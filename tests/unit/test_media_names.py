"""Our copy of Anki's media-name normalization, checked against the real backend."""

from __future__ import annotations

import os
import random

import pytest
from anki.collection import Collection

from plugin.api.errors import ActionError
from plugin.media.names import (
    anki_lowercases_new_names,
    anki_new_file_name,
    anki_normalized_name,
    collision_candidates,
    existing_media_name,
    is_plain_name,
)

AWKWARD = [
    "Foo.TXT",
    "../x.txt",
    "/etc/abs.txt",
    "a/b.txt",
    "a\\b.txt",
    "nul\x00x.txt",
    "..",
    ".",
    "...",
    ".hidden",
    "con.txt",
    "CON",
    "lpt9.tar.gz",
    "com0",
    "trail. ",
    "trail.",
    "a\u00a0b.txt",
    "e\u0301.txt",
    "A\\\u0301.txt",
    "e<\u0301",
    '[x]<y>:z"?*^|.txt',
    "ctrl\x01\x1f\x7f\x85.txt",
    "Ünïcödé.MP3",
    "İstanbul.png",
    "ΟΔΟΣ.txt",
    "x" * 200,
    "x" * 119 + ".",
    "x" * 118 + ".",
    "é" * 70 + ".TXT",
    "日" * 50 + "." + "本" * 10,
    "a" * 100 + ".verylongextension" + "b" * 30,
    "." + "x" * 130,
    "a" * 114 + " " + ".mp3" * 3,
    "İ" * 60 + ".txt",
]

_ALPHABET = [*'aAbZ.. -_[]<>:"/?*^\\|\x00\x01\x7f\x85\u00a0éÉe\u0301ÜßẞİΣ日😀']
_ALPHABET += ["con", "CON.", "lpt1", "nul.txt"]


def _random_names(count: int) -> list[str]:
    rng = random.Random(20260509)
    names = []
    for _ in range(count):
        name = "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(1, 10)))
        if rng.random() < 0.3:
            name *= rng.randint(10, 30)
        names.append(name)
    return names


@pytest.mark.parametrize("name", AWKWARD)
def test_normalized_name_is_what_anki_keeps_for_an_existing_file(
    col: Collection, name: str
) -> None:
    expected = anki_normalized_name(name)
    with open(os.path.join(col.media.dir(), expected), "wb") as file:
        file.write(b"same")
    # Anki answers with the existing name when the content is identical.
    assert col.media.write_data(name, b"same") == expected


@pytest.mark.parametrize("name", AWKWARD)
def test_new_file_name_is_what_anki_creates(col: Collection, name: str) -> None:
    assert col.media.write_data(name, b"new") == anki_new_file_name(name)


def test_new_file_names_match_anki_on_random_awkward_names(col: Collection) -> None:
    media_dir = col.media.dir()
    mismatches = []
    for index, name in enumerate(_random_names(400)):
        if not anki_normalized_name(name):
            continue
        stored = col.media.write_data(name, str(index).encode())
        os.remove(os.path.join(media_dir, stored))
        if stored != anki_new_file_name(name):
            mismatches.append((name, stored, anki_new_file_name(name)))
    assert mismatches == []


def test_names_that_normalize_to_nothing() -> None:
    assert anki_normalized_name("") == ""
    assert anki_normalized_name("///") == ""
    assert anki_normalized_name("\x00") == ""


@pytest.mark.skipif(
    not anki_lowercases_new_names(), reason="this Anki keeps the case of new media names"
)
def test_collision_candidates_are_plain_names_only() -> None:
    assert collision_candidates("Foo.TXT") == ["Foo.TXT", "foo.txt"]
    assert collision_candidates("foo.txt") == ["foo.txt"]
    assert collision_candidates("../X.txt") == ["..X.txt", "..x.txt"]
    assert collision_candidates("a:b.txt") == ["a:b.txt", "ab.txt"]
    assert collision_candidates("") == []
    assert collision_candidates("..") == [".._"]


@pytest.mark.parametrize(
    ("name", "plain"),
    [
        ("a.txt", True),
        ("..x", True),
        ("", False),
        (".", False),
        ("..", False),
        ("a/b", False),
        ("a\\b", False),
        ("a\x00b", False),
    ],
)
def test_is_plain_name(name: str, plain: bool) -> None:
    assert is_plain_name(name) is plain


@pytest.mark.parametrize(
    ("requested", "reduced"),
    [
        ("a.txt", "a.txt"),
        ("../../etc/passwd", "passwd"),
        ("/abs/dir/file.mp3", "file.mp3"),
        ("a\\b.txt", "ab.txt"),  # basename keeps it on POSIX, stripping removes "\"
        ("nul\x00x", "nulx"),
        ("e\u0301.txt", "\u00e9.txt"),
        ("Foo.TXT", "Foo.TXT"),  # no lower-casing: old mixed-case files stay reachable
        ("a:b?.txt", "ab.txt"),
    ],
)
def test_existing_media_name_reduces_like_ankiconnect(requested: str, reduced: str) -> None:
    assert existing_media_name(requested) == reduced


@pytest.mark.parametrize("requested", ["", ".", "..", "../", "a/..", "/", "?", "x/.", "\\"])
def test_existing_media_name_refuses_names_that_are_no_file(requested: str) -> None:
    with pytest.raises(ActionError) as raised:
        existing_media_name(requested)
    assert str(raised.value) == f"invalid media file name: {requested!r}"
