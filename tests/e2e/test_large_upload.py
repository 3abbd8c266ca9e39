"""Large media uploads over HTTP take the few-copies path and store exact bytes."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os

from .harness import AnkiInstance


def test_large_upload_is_stored_byte_for_byte(anki: AnkiInstance) -> None:
    raw = os.urandom(3 * 1024 * 1024 + 1)
    body = json.dumps(
        {
            "action": "storeMediaFile",
            "version": 6,
            "params": {"filename": "large-upload.bin", "data": base64.b64encode(raw).decode()},
        }
    ).encode()
    status, _headers, reply = anki.post_raw(body)
    assert status == 200
    assert json.loads(reply) == {"result": "large-upload.bin", "error": None}
    stored = anki.invoke("retrieveMediaFile", filename="large-upload.bin")
    assert hashlib.sha256(base64.b64decode(stored)).digest() == hashlib.sha256(raw).digest()
    # skipHash is checked against the decoded content on this path too.
    skipped = anki.invoke(
        "storeMediaFile",
        filename="large-upload.bin",
        data=base64.b64encode(raw).decode(),
        skipHash=hashlib.md5(raw).hexdigest(),
    )
    assert skipped is None
    # Invalid base64 of the same size still answers binascii's own text.
    broken = "A" * (3 * 1024 * 1024 + 1)
    reply_broken = anki.call("storeMediaFile", filename="broken.bin", data=broken)
    try:
        base64.b64decode(broken)
    except binascii.Error as exc:
        expected = str(exc)
    assert reply_broken == {"result": None, "error": expected}
    anki.invoke("deleteMediaFile", filename="large-upload.bin")
