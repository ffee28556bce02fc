"""Recognise a book by its bytes, never by its file name."""

from __future__ import annotations

import hashlib
import re
import zipfile
from io import BytesIO
from typing import BinaryIO, Literal

Format = Literal["epub", "fb2", "fb2zip"]

_FB2_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?FictionBook[\s>/]")
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


CHUNK = 1024 * 1024


def content_hash(data: bytes) -> str:
    """sha256 hex of the upload, the dedup key for "same file, same user"."""
    return hashlib.sha256(data).hexdigest()


def content_hash_file(source: BinaryIO) -> str:
    """The same hash over a file read in 1 MiB chunks (an upload is never held in memory whole)."""
    digest = hashlib.sha256()
    source.seek(0)
    while chunk := source.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def _looks_like_fb2(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16: decode the head before looking
        encoding = "utf-16"
        try:
            head = head.decode(encoding, errors="ignore").encode("utf-8")
        except UnicodeError:
            return False
    return _FB2_ROOT.search(head) is not None


def sniff_format(source: bytes | BinaryIO) -> Format | None:
    """ "epub", "fb2", "fb2zip" or None (not a book we read). `source` is the bytes or a seekable file."""
    archive: BinaryIO
    if isinstance(source, bytes | bytearray | memoryview):
        head, archive = bytes(source[:65536]), BytesIO(source)
    else:
        source.seek(0)
        head, archive = source.read(65536), source
    if head[:4] == b"PK\x03\x04" or head[:4] == b"PK\x05\x06":
        if head[30:58] == b"mimetypeapplication/epub+zip":
            return "epub"
        try:
            names = zipfile.ZipFile(archive).namelist()
        except (zipfile.BadZipFile, EOFError, ValueError, OSError):
            # A truncated EPUB still announces itself in its first local header.
            return "epub" if b"application/epub+zip" in head[:100] or b"META-INF/" in head[:4096] else None
        lowered = [name.lower() for name in names]
        if "meta-inf/container.xml" in lowered or "mimetype" in lowered:
            return "epub"
        if any(name.endswith(".fb2") for name in lowered):
            return "fb2zip"
        if any(name.endswith(".opf") for name in lowered):
            return "epub"
        return None
    # not a zip: an FB2 when its root element is in the first 64 KiB (a long leading comment may push it down)
    for bom in _BOMS:
        if head.startswith(bom) and bom == b"\xef\xbb\xbf":
            head = head[len(bom) :]
    if _looks_like_fb2(head):
        return "fb2"
    return None
