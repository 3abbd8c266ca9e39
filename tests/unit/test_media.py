"""Media actions on a real collection: results, errors, and the media-folder boundary."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
from anki.collection import Collection

from plugin.api import dispatch
from plugin.api.context import ActionContext, Caller
from plugin.api.errors import ActionError
from plugin.media.names import anki_lowercases_new_names
from plugin.media.store import load_media_bytes, store_media

NO_SOURCE = 'You must provide a "data", "path", or "url" field.'

# Anki 26.05+ lower-cases the names of new media files; older versions keep the case.
LOWER_CASING = pytest.mark.skipif(
    not anki_lowercases_new_names(), reason="this Anki keeps the case of new media names"
)


def b64(content: bytes) -> str:
    return base64.b64encode(content).decode("ascii")


def call(ctx: ActionContext, action: str, **params: Any) -> Any:
    """Run through the dispatcher; the result, or ActionError carrying the error text."""
    reply = dispatch.run_sync({"action": action, "version": 6, "params": params}, ctx)
    if reply["error"] is not None:
        raise ActionError(reply["error"])
    return reply["result"]


def error_of(ctx: ActionContext, action: str, **params: Any) -> str:
    with pytest.raises(ActionError) as raised:
        call(ctx, action, **params)
    return str(raised.value)


def with_changes(
    ctx: ActionContext, caller: Caller | None = None, **settings: Any
) -> ActionContext:
    return dataclasses.replace(
        ctx,
        settings=dataclasses.replace(ctx.settings, **settings),
        caller=caller or ctx.caller,
    )


def media_files(col: Collection) -> list[str]:
    return sorted(os.listdir(col.media.dir()))


def trash_files(col: Collection) -> list[str]:
    trash = Path(col.media.dir()).parent / "media.trash"
    return sorted(os.listdir(trash)) if trash.exists() else []


def read_media(col: Collection, name: str) -> bytes:
    return Path(col.media.dir(), name).read_bytes()


def profile_snapshot(col: Collection) -> dict[str, bytes]:
    """Every file next to the media folder but Anki's own, to prove none was touched."""
    profile = Path(col.media.dir()).parent
    return {
        p.name: p.read_bytes()
        for p in profile.iterdir()
        if p.is_file() and not p.name.startswith("collection.")
    }


# --- storeMediaFile: sources --------------------------------------------------------


def test_store_data_returns_the_stored_name_and_writes_the_bytes(
    ctx: ActionContext, col: Collection
) -> None:
    assert call(ctx, "storeMediaFile", filename="hello.txt", data=b64(b"Hello")) == "hello.txt"
    assert read_media(col, "hello.txt") == b"Hello"


def test_store_data_takes_precedence_over_path_and_url(ctx: ActionContext, col: Collection) -> None:
    name = call(
        ctx,
        "storeMediaFile",
        filename="p.txt",
        data=b64(b"from data"),
        path="/nonexistent/never/read",
        url="ftp://never.example/used",
    )
    assert read_media(col, name) == b"from data"


def test_store_path_takes_precedence_over_url(
    ctx: ActionContext, col: Collection, tmp_path: Path
) -> None:
    source = tmp_path / "source.bin"
    source.write_bytes(b"from path")
    name = call(ctx, "storeMediaFile", filename="q.bin", path=str(source), url="ftp://x/y")
    assert read_media(col, name) == b"from path"


@pytest.mark.parametrize(
    "sources",
    [{}, {"data": ""}, {"data": "", "path": "", "url": ""}, {"data": None, "url": None}],
)
def test_store_without_a_source_fails(ctx: ActionContext, sources: dict[str, Any]) -> None:
    assert error_of(ctx, "storeMediaFile", filename="x.txt", **sources) == NO_SOURCE


def test_store_empty_data_falls_through_to_path(
    ctx: ActionContext, col: Collection, tmp_path: Path
) -> None:
    source = tmp_path / "s.txt"
    source.write_bytes(b"path wins")
    name = call(ctx, "storeMediaFile", filename="s.txt", data="", path=str(source))
    assert read_media(col, name) == b"path wins"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ("abc", "Incorrect padding"),
        (
            "abcde",
            "Invalid base64-encoded string: number of data characters (5) cannot be 1 more"
            " than a multiple of 4",
        ),
    ],
)
def test_store_bad_base64_gives_the_binascii_text(
    ctx: ActionContext, col: Collection, data: str, error: str
) -> None:
    assert error_of(ctx, "storeMediaFile", filename="bad.txt", data=data) == error
    assert media_files(col) == []


def test_store_base64_skips_characters_outside_the_alphabet(
    ctx: ActionContext, col: Collection
) -> None:
    # base64.b64decode without validation, as the original: line breaks are fine.
    encoded = b64(b"line broken content")
    wrapped = encoded[:8] + "\n" + encoded[8:]
    name = call(ctx, "storeMediaFile", filename="w.txt", data=wrapped)
    assert read_media(col, name) == b"line broken content"


def test_store_required_filename_and_unknown_params(ctx: ActionContext) -> None:
    assert error_of(ctx, "storeMediaFile", data=b64(b"x")) == (
        "AnkiConnect.storeMediaFile() missing 1 required positional argument: 'filename'"
    )
    assert error_of(ctx, "storeMediaFile", filename="a", data="", foo=1) == (
        "AnkiConnect.storeMediaFile() got an unexpected keyword argument 'foo'"
    )


# --- storeMediaFile: skipHash, deleteExisting, naming -------------------------------------


def test_store_skip_hash_match_stores_nothing_and_returns_null(
    ctx: ActionContext, col: Collection
) -> None:
    content = b"known content"
    digest = hashlib.md5(content).hexdigest()
    assert call(ctx, "storeMediaFile", filename="k.txt", data=b64(content), skipHash=digest) is None
    assert media_files(col) == []


def test_store_skip_hash_mismatch_stores(ctx: ActionContext, col: Collection) -> None:
    content = b"known content"
    other = hashlib.md5(b"other").hexdigest()
    assert (
        call(ctx, "storeMediaFile", filename="k.txt", data=b64(content), skipHash=other) == "k.txt"
    )
    # The comparison is exact, as in the original: upper-case hex does not match.
    upper = hashlib.md5(content).hexdigest().upper()
    assert (
        call(ctx, "storeMediaFile", filename="u.txt", data=b64(content), skipHash=upper) == "u.txt"
    )


def test_store_delete_existing_default_replaces_and_trashes_the_old_file(
    ctx: ActionContext, col: Collection
) -> None:
    assert call(ctx, "storeMediaFile", filename="r.txt", data=b64(b"old")) == "r.txt"
    assert call(ctx, "storeMediaFile", filename="r.txt", data=b64(b"new")) == "r.txt"
    assert read_media(col, "r.txt") == b"new"
    assert media_files(col) == ["r.txt"]
    assert trash_files(col) == ["r.txt"]


@LOWER_CASING
def test_store_delete_existing_replaces_mixed_case_names(
    ctx: ActionContext, col: Collection
) -> None:
    # Anki >= 26.05 stores "Foo.TXT" as "foo.txt": a second store must replace that
    # file, not add "foo-<sha1>.txt" (what trashing only the exact name would give).
    assert call(ctx, "storeMediaFile", filename="Foo.TXT", data=b64(b"one")) == "foo.txt"
    assert call(ctx, "storeMediaFile", filename="Foo.TXT", data=b64(b"two")) == "foo.txt"
    assert media_files(col) == ["foo.txt"]
    assert read_media(col, "foo.txt") == b"two"


@LOWER_CASING
def test_store_delete_existing_trashes_an_old_mixed_case_file_of_that_exact_name(
    ctx: ActionContext, col: Collection
) -> None:
    Path(col.media.dir(), "Old.PNG").write_bytes(b"from an older Anki")
    assert call(ctx, "storeMediaFile", filename="Old.PNG", data=b64(b"fresh")) == "old.png"
    assert media_files(col) == ["old.png"]
    assert trash_files(col) == ["Old.PNG"]


@pytest.mark.parametrize("keep", [False, None])
def test_store_keep_existing_uses_anki_unique_naming(
    ctx: ActionContext, col: Collection, keep: bool | None
) -> None:
    assert call(ctx, "storeMediaFile", filename="k.txt", data=b64(b"one")) == "k.txt"
    same = call(ctx, "storeMediaFile", filename="k.txt", data=b64(b"one"), deleteExisting=keep)
    assert same == "k.txt"
    other = call(ctx, "storeMediaFile", filename="k.txt", data=b64(b"two"), deleteExisting=keep)
    assert other == f"k-{hashlib.sha1(b'two').hexdigest()}.txt"
    assert read_media(col, "k.txt") == b"one"
    assert read_media(col, other) == b"two"
    assert trash_files(col) == []


@pytest.mark.parametrize(
    ("requested", "stored"),
    [
        ("a:b?.txt", "ab.txt"),
        pytest.param("Ünï.MP3", "ünï.mp3", marks=LOWER_CASING),
        ("e\u0301.txt", "\u00e9.txt"),
        ("nb\u00a0sp.txt", "nb sp.txt"),
        ("con.txt", "con_.txt"),
        ("..", ".._"),
        ("x" * 200 + ".mp3", "x" * 115 + ".mp3"),
    ],
)
def test_store_applies_anki_name_normalization(
    ctx: ActionContext, col: Collection, requested: str, stored: str
) -> None:
    assert call(ctx, "storeMediaFile", filename=requested, data=b64(b"n")) == stored
    assert media_files(col) == [stored]


@pytest.mark.parametrize(
    ("requested", "stored"),
    [
        # a folder part is dropped (the base name is stored), as in the original
        ("../escape.txt", "escape.txt"),
        ("../../escape.txt", "escape.txt"),
        ("/etc/absolute.txt", "absolute.txt"),
        ("sub/dir.txt", "dir.txt"),
        ("..\\back.txt", "..back.txt"),
        ("nul\x00byte.txt", "nulbyte.txt"),
    ],
)
@pytest.mark.parametrize("delete_existing", [True, False])
def test_store_never_writes_or_trashes_outside_the_media_folder(
    ctx: ActionContext,
    col: Collection,
    tmp_path: Path,
    requested: str,
    stored: str,
    delete_existing: bool,
) -> None:
    # A file the path would reach if the name were used as is.
    victim = tmp_path / "escape.txt"
    victim.write_bytes(b"victim")
    before = profile_snapshot(col)
    name = call(
        ctx,
        "storeMediaFile",
        filename=requested,
        data=b64(b"payload"),
        deleteExisting=delete_existing,
    )
    assert name == stored
    assert media_files(col) == [stored]
    assert victim.read_bytes() == b"victim"
    assert not Path("/etc/absolute.txt").exists()
    assert profile_snapshot(col) == before


@pytest.mark.parametrize("name", ["sub/dir.txt", "a/b/dir.txt", "/abs/dir.txt"])
def test_store_retrieve_delete_agree_on_a_name_with_a_folder(
    ctx: ActionContext, col: Collection, name: str
) -> None:
    assert call(ctx, "storeMediaFile", filename=name, data=b64(b"in a folder")) == "dir.txt"
    assert media_files(col) == ["dir.txt"]
    assert call(ctx, "retrieveMediaFile", filename=name) == b64(b"in a folder")
    assert call(ctx, "deleteMediaFile", filename=name) is None
    assert media_files(col) == []
    assert call(ctx, "retrieveMediaFile", filename=name) is False


def test_note_media_with_a_folder_in_its_name_is_stored_under_the_base_name(
    ctx: ActionContext, col: Collection
) -> None:
    note = {
        "deckName": "Default",
        "modelName": "Basic",
        "fields": {"Front": "with media"},
        "picture": {"filename": "pics/cat.png", "data": b64(b"png"), "fields": ["Back"]},
    }
    note_id = call(ctx, "addNote", note=note)
    assert col.get_note(note_id)["Back"] == '<img src="cat.png">'
    assert media_files(col) == ["cat.png"]


@pytest.mark.parametrize("requested", ["", "/", "///", "sub/", "\x00", "?*"])
def test_store_refuses_a_name_that_normalizes_to_nothing(
    ctx: ActionContext, col: Collection, requested: str
) -> None:
    Path(col.media.dir(), "keep.txt").write_bytes(b"keep")
    error = error_of(ctx, "storeMediaFile", filename=requested, data=b64(b"x"))
    assert error == f"invalid media file name: {requested!r}"
    # The original trashed "" first: the whole media folder.
    assert media_files(col) == ["keep.txt"]
    assert trash_files(col) == []


def test_store_source_error_comes_before_the_name_check(ctx: ActionContext) -> None:
    assert error_of(ctx, "storeMediaFile", filename="") == NO_SOURCE


# --- storeMediaFile: the `path` source and its setting ----------------------------------


@pytest.fixture
def source_file(tmp_path: Path) -> Path:
    source = tmp_path / "on-host.bin"
    source.write_bytes(b"host file")
    return source


LOCAL_CALLERS = [
    Caller(in_process=True),
    Caller(remote="127.0.0.1"),
    Caller(remote="::1"),
    Caller(remote="::ffff:127.0.0.1"),
]
WEB_CALLERS = [
    Caller(origin="http://127.0.0.1:3000", remote="127.0.0.1"),
    Caller(origin="chrome-extension://abc", remote="127.0.0.1"),
    Caller(remote="192.168.1.20"),
    Caller(origin="https://example.com", remote="10.0.0.2"),
]


@pytest.mark.parametrize("caller", LOCAL_CALLERS)
def test_path_is_read_for_local_tools_by_default(
    ctx: ActionContext, col: Collection, source_file: Path, caller: Caller
) -> None:
    local = with_changes(ctx, caller=caller)
    assert call(local, "storeMediaFile", filename="h.bin", path=str(source_file)) == "h.bin"
    assert read_media(col, "h.bin") == b"host file"


@pytest.mark.parametrize("caller", WEB_CALLERS)
def test_path_is_refused_for_web_pages_and_remote_hosts_by_default(
    ctx: ActionContext, col: Collection, source_file: Path, caller: Caller
) -> None:
    remote = with_changes(ctx, caller=caller)
    error = error_of(remote, "storeMediaFile", filename="h.bin", path=str(source_file))
    assert "mediaAllowPath" in error
    assert '"local"' in error
    assert media_files(col) == []


@pytest.mark.parametrize("caller", WEB_CALLERS)
def test_path_always_allows_every_caller(
    ctx: ActionContext, source_file: Path, caller: Caller
) -> None:
    anyone = with_changes(ctx, caller=caller, mediaAllowPath="always")
    assert call(anyone, "storeMediaFile", filename="h.bin", path=str(source_file)) == "h.bin"


@pytest.mark.parametrize("caller", LOCAL_CALLERS)
def test_path_never_refuses_every_caller(
    ctx: ActionContext, source_file: Path, caller: Caller
) -> None:
    nobody = with_changes(ctx, caller=caller, mediaAllowPath="never")
    error = error_of(nobody, "storeMediaFile", filename="h.bin", path=str(source_file))
    assert "mediaAllowPath" in error
    assert '"never"' in error


def test_path_setting_does_not_matter_when_data_is_given(ctx: ActionContext) -> None:
    nobody = with_changes(ctx, mediaAllowPath="never")
    assert call(nobody, "storeMediaFile", filename="d.txt", data=b64(b"d"), path="/x") == "d.txt"


def test_path_missing_file_gives_python_text(ctx: ActionContext, tmp_path: Path) -> None:
    missing = tmp_path / "missing.bin"
    assert error_of(ctx, "storeMediaFile", filename="m.bin", path=str(missing)) == (
        f"[Errno 2] No such file or directory: '{missing}'"
    )


def test_path_refuses_a_fifo_instead_of_blocking(ctx: ActionContext, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert error_of(ctx, "storeMediaFile", filename="f.bin", path=str(fifo)) == (
        f"{fifo} is not a regular file"
    )


# --- plugin.media.store functions used by the notes code ----------------------------------------


def test_load_media_bytes_precedence_and_errors(ctx: ActionContext, source_file: Path) -> None:
    assert load_media_bytes(ctx, data=b64(b"d"), path=str(source_file), url=None) == b"d"
    assert load_media_bytes(ctx, data="", path=str(source_file), url="") == b"host file"
    with pytest.raises(ActionError, match="^You must provide"):
        load_media_bytes(ctx, data=None, path="", url=None)


def test_store_media_keeps_existing_when_delete_existing_is_none(
    ctx: ActionContext, col: Collection
) -> None:
    assert store_media(ctx, "n.txt", data=b64(b"one")) == "n.txt"
    renamed = store_media(ctx, "n.txt", data=b64(b"two"), delete_existing=None)
    assert renamed == f"n-{hashlib.sha1(b'two').hexdigest()}.txt"
    assert store_media(ctx, "n.txt", data=b64(b"three")) == "n.txt"
    assert read_media(col, "n.txt") == b"three"
    digest = hashlib.md5(b"three").hexdigest()
    assert store_media(ctx, "n.txt", data=b64(b"three"), skip_hash=digest) is None


# --- retrieveMediaFile --------------------------------------------------------------------


def test_retrieve_returns_base64_or_false(ctx: ActionContext, col: Collection) -> None:
    call(ctx, "storeMediaFile", filename="r.txt", data=b64(b"content"))
    assert call(ctx, "retrieveMediaFile", filename="r.txt") == b64(b"content")
    assert call(ctx, "retrieveMediaFile", filename="absent.txt") is False


def test_retrieve_reduces_the_name_like_the_original(ctx: ActionContext, col: Collection) -> None:
    Path(col.media.dir(), "ab.txt").write_bytes(b"ab")
    Path(col.media.dir(), "\u00e9.txt").write_bytes(b"e")
    assert call(ctx, "retrieveMediaFile", filename="a:b.txt") == b64(b"ab")
    assert call(ctx, "retrieveMediaFile", filename="some/dir/ab.txt") == b64(b"ab")
    assert call(ctx, "retrieveMediaFile", filename="e\u0301.txt") == b64(b"e")


def test_retrieve_never_reads_outside_the_media_folder(
    ctx: ActionContext, col: Collection, tmp_path: Path
) -> None:
    (tmp_path / "secret.txt").write_bytes(b"secret")
    for name in ("../secret.txt", str(tmp_path / "secret.txt"), "../collection.anki2"):
        assert call(ctx, "retrieveMediaFile", filename=name) is False
    # The same names inside the media folder are what is read.
    Path(col.media.dir(), "secret.txt").write_bytes(b"media copy")
    assert call(ctx, "retrieveMediaFile", filename="../secret.txt") == b64(b"media copy")


@pytest.mark.parametrize("name", ["", ".", "..", "../", "?"])
def test_retrieve_refuses_names_that_designate_no_file(ctx: ActionContext, name: str) -> None:
    assert error_of(ctx, "retrieveMediaFile", filename=name) == f"invalid media file name: {name!r}"


def test_retrieve_a_subfolder_is_false(ctx: ActionContext, col: Collection) -> None:
    Path(col.media.dir(), "sub").mkdir()
    assert call(ctx, "retrieveMediaFile", filename="sub") is False


# --- getMediaFilesNames -------------------------------------------------------------------


@pytest.fixture
def some_media(col: Collection) -> list[str]:
    names = ["a.mp3", "b.mp3", "c.jpg", ".hidden"]
    for name in names:
        Path(col.media.dir(), name).write_bytes(name.encode())
    Path(col.media.dir(), "sub").mkdir()
    Path(col.media.dir(), "sub", "inner.mp3").write_bytes(b"i")
    return names


def test_names_default_pattern_lists_the_folder(ctx: ActionContext, some_media: list[str]) -> None:
    # glob semantics: "*" skips dot files and includes folders, as the original.
    assert sorted(call(ctx, "getMediaFilesNames")) == ["a.mp3", "b.mp3", "c.jpg", "sub"]


def test_names_pattern_filters(ctx: ActionContext, some_media: list[str]) -> None:
    assert sorted(call(ctx, "getMediaFilesNames", pattern="*.mp3")) == ["a.mp3", "b.mp3"]
    assert call(ctx, "getMediaFilesNames", pattern="[c]*") == ["c.jpg"]
    assert call(ctx, "getMediaFilesNames", pattern=".h*") == [".hidden"]
    assert call(ctx, "getMediaFilesNames", pattern="nothing*") == []


@pytest.mark.parametrize(
    "pattern", ["../*", "../*.anki2", "/*", "/etc/*", "*/*", "sub/*", "..", ".", "", "\x00*"]
)
def test_names_never_list_outside_the_media_folder(
    ctx: ActionContext, some_media: list[str], pattern: str
) -> None:
    assert call(ctx, "getMediaFilesNames", pattern=pattern) == []


def test_names_paths_that_come_back_into_the_folder_still_match(
    ctx: ActionContext, col: Collection, some_media: list[str]
) -> None:
    folder = os.path.basename(col.media.dir())
    assert sorted(call(ctx, "getMediaFilesNames", pattern=f"../{folder}/*.mp3")) == [
        "a.mp3",
        "b.mp3",
    ]


# --- deleteMediaFile ----------------------------------------------------------------------


def test_delete_moves_the_file_to_the_media_trash(ctx: ActionContext, col: Collection) -> None:
    call(ctx, "storeMediaFile", filename="gone.txt", data=b64(b"bye"))
    assert call(ctx, "deleteMediaFile", filename="gone.txt") is None
    assert media_files(col) == []
    assert trash_files(col) == ["gone.txt"]
    assert call(ctx, "retrieveMediaFile", filename="gone.txt") is False


def test_delete_missing_file_is_no_error(ctx: ActionContext, col: Collection) -> None:
    assert call(ctx, "deleteMediaFile", filename="never-there.txt") is None


def test_delete_never_touches_anything_outside_the_media_folder(
    ctx: ActionContext, col: Collection, tmp_path: Path
) -> None:
    (tmp_path / "outside.txt").write_bytes(b"outside")
    Path(col.media.dir(), "keep.txt").write_bytes(b"keep")
    before = profile_snapshot(col)
    for name in ("../outside.txt", str(tmp_path / "outside.txt"), "../collection.anki2"):
        assert call(ctx, "deleteMediaFile", filename=name) is None
    assert (tmp_path / "outside.txt").read_bytes() == b"outside"
    assert profile_snapshot(col) == before
    assert media_files(col) == ["keep.txt"]


def test_delete_reduces_to_the_media_file_of_that_base_name(
    ctx: ActionContext, col: Collection
) -> None:
    Path(col.media.dir(), "outside.txt").write_bytes(b"media")
    assert call(ctx, "deleteMediaFile", filename="../outside.txt") is None
    assert media_files(col) == []


@pytest.mark.parametrize("name", ["", ".", "..", "/", "a/.."])
def test_delete_refuses_names_that_designate_no_file(
    ctx: ActionContext, col: Collection, name: str
) -> None:
    Path(col.media.dir(), "keep.txt").write_bytes(b"keep")
    assert error_of(ctx, "deleteMediaFile", filename=name) == f"invalid media file name: {name!r}"
    # Anki's trash call with "" would move the whole media folder away.
    assert media_files(col) == ["keep.txt"]


# --- getMediaDirPath ----------------------------------------------------------------------


def test_media_dir_path_is_the_absolute_media_folder(ctx: ActionContext, col: Collection) -> None:
    path = call(ctx, "getMediaDirPath")
    assert os.path.isabs(path)
    assert os.path.samefile(path, col.media.dir())
    assert path.endswith(".media")


def test_actions_need_an_open_collection(ctx: ActionContext) -> None:
    closed = dataclasses.replace(ctx, get_collection=lambda: None)
    for action, params in [
        ("getMediaDirPath", {}),
        ("getMediaFilesNames", {}),
        ("retrieveMediaFile", {"filename": "a"}),
        ("deleteMediaFile", {"filename": "a"}),
        ("storeMediaFile", {"filename": "a", "data": b64(b"x")}),
    ]:
        assert error_of(closed, action, **params) == "collection is not available"
