"""Large uploads take the few-copies path and store exactly what the plain path stores."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import Any

import pytest
from anki import media_pb2
from anki.collection import Collection

from plugin.media.upload import LARGE_UPLOAD, prepare_large_upload


def b64(size: int) -> tuple[bytes, str]:
    raw = os.urandom(size)
    return raw, base64.b64encode(raw).decode()


@pytest.mark.parametrize("size", [LARGE_UPLOAD, LARGE_UPLOAD + 1, LARGE_UPLOAD + 2, 5_000_003])
def test_request_bytes_are_what_protobuf_would_send(size: int) -> None:
    raw, text = b64(size)
    captured: list[bytes] = []

    class Backend:
        def add_media_file_raw(self, message: bytes) -> bytes:
            captured.append(message)
            return b"\x0a\x05x.bin"  # a generic String holding "x.bin"

    class Media:
        col = type("Col", (), {"_backend": Backend()})()

    upload = prepare_large_upload("ファイル.bin", text)
    assert upload is not None
    assert upload.md5 == hashlib.md5(raw).hexdigest()
    assert upload.write(Media()) == "x.bin"
    expected = media_pb2.AddMediaFileRequest(desired_name="ファイル.bin", data=raw)
    assert captured == [expected.SerializeToString()]


@pytest.mark.parametrize(
    "text",
    [
        "QUJD" * 10,  # small: the plain path
        "QUJD" * LARGE_UPLOAD + "\n",  # whitespace: not strict
        "QUJ" + "D" * (4 * LARGE_UPLOAD),  # wrong length
        "QUJD" * LARGE_UPLOAD + "Q===",  # bad padding
        "QU=D" * LARGE_UPLOAD,  # padding in the middle
    ],
)
def test_anything_unusual_takes_the_plain_path(text: str) -> None:
    assert prepare_large_upload("a.bin", text) is None


def test_store_media_file_large_upload_matches_the_plain_path(api: Any, col: Collection) -> None:
    raw, text = b64(3 * LARGE_UPLOAD)
    assert api("storeMediaFile", filename="big.bin", data=text) == "big.bin"
    stored = Path(col.media.dir()) / "big.bin"
    assert stored.read_bytes() == raw
    # The same content again keeps the name; deleteExisting false with other content
    # gets Anki's unique name, exactly as for small files.
    assert api("storeMediaFile", filename="big.bin", data=text) == "big.bin"
    other_raw, other = b64(3 * LARGE_UPLOAD)
    renamed = api("storeMediaFile", filename="big.bin", data=other, deleteExisting=False)
    assert renamed == f"big-{hashlib.sha1(other_raw).hexdigest()}.bin"
    assert (Path(col.media.dir()) / renamed).read_bytes() == other_raw
    assert (
        api("storeMediaFile", filename="big.bin", data=text, skipHash=hashlib.md5(raw).hexdigest())
        is None
    )
