"""Large base64 uploads written with as few copies as Anki allows.

``col.media.write_data(name, data)`` builds a protobuf message from the bytes and
serializes it: two more copies of a 50 MiB file, on top of the base64 text and the
decoded bytes. Here the base64 is decoded slice by slice straight into the
serialized request (the same wire format the protobuf library produces, with field
numbers read from Anki's own message descriptor) and handed to the same backend
method, so the request needs about 2.5x its size in memory instead of 4.6x, and
no single step holds the GIL for long.

Only strict base64 (no whitespace, padding only at the end) takes this path; any
other text is decoded the ordinary way, so results and error texts are unchanged.
"""

from __future__ import annotations

import binascii
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..api.json_body import RawText

LARGE_UPLOAD = 1024 * 1024  # base64 characters; smaller uploads take the plain path
SLICE = 4 * 1024 * 1024  # characters decoded per C call (a multiple of 4)


@dataclass
class LargeUpload:
    md5: str
    write: Callable[[Any], str]  # media manager -> stored name


def prepare_large_upload(filename: str, data: str | RawText) -> LargeUpload | None:
    """Decode ``data`` into a ready-to-send request, or None to use the plain path.

    A :class:`RawText` (the request's own bytes) is released once decoded.
    """
    source: str | memoryview = data.view if isinstance(data, RawText) else data
    if not isinstance(source, (str, memoryview)) or len(source) < LARGE_UPLOAD or len(source) % 4:
        return None
    request_class = _request_class()
    if request_class is None:
        return None
    tail = source[-3:]
    tail_bytes = tail.encode("ascii", "replace") if isinstance(tail, str) else bytes(tail)
    padding = len(tail_bytes) - len(tail_bytes.rstrip(b"="))
    if padding > 2:
        return None
    size = len(source) // 4 * 3 - padding
    fields = request_class.DESCRIPTOR.fields_by_name
    header = (
        _length_delimited(fields["desired_name"].number, filename.encode("utf-8"))
        + _key(fields["data"].number)
        + _varint(size)
    )
    buffer = bytearray(len(header) + size)
    buffer[: len(header)] = header
    digest = hashlib.md5()
    position = len(header)
    try:
        for start in range(0, len(source), SLICE):
            chunk = binascii.a2b_base64(source[start : start + SLICE], strict_mode=True)
            buffer[position : position + len(chunk)] = chunk
            digest.update(chunk)
            position += len(chunk)
    except (binascii.Error, ValueError, TypeError):
        return None
    if position != len(buffer):
        return None
    del source
    if isinstance(data, RawText):
        data.release()  # the base64 is decoded: let the request's bytes go
    held = [buffer]
    del buffer

    header_size = len(header)

    def write(media: Any) -> str:
        send_raw = getattr(media.col._backend, "add_media_file_raw", None)
        if send_raw is None:  # an Anki without the raw method: the ordinary way
            return str(media.write_data(filename, bytes(held.pop()[header_size:])))
        message = bytes(held.pop())  # the bytearray is freed before the backend copies
        return _send(send_raw, message)

    return LargeUpload(md5=digest.hexdigest(), write=write)


def _send(send_raw: Callable[[bytes], bytes], message: bytes) -> str:
    from anki import generic_pb2

    raw = send_raw(message)
    output = generic_pb2.String()
    output.ParseFromString(raw)
    return str(output.val)


def _request_class() -> Any:
    try:
        from anki import media_pb2
    except ImportError:
        return None
    request = getattr(media_pb2, "AddMediaFileRequest", None)
    if request is None or not {"desired_name", "data"} <= set(request.DESCRIPTOR.fields_by_name):
        return None
    return request


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(field_number: int) -> bytes:
    return _varint(field_number << 3 | 2)  # wire type 2: length-delimited


def _length_delimited(field_number: int, payload: bytes) -> bytes:
    return _key(field_number) + _varint(len(payload)) + payload
