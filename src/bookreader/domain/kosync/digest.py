"""KOReader document ids (pure): the partial MD5 of a file, and the md5 of a file name.

KOReader's `util.partialMD5` hashes 1024-byte reads at offsets `1024 << (2*i)` for i = -1..10. LuaJIT's
`bit.lshift` masks the shift count to 5 bits, so i = -1 shifts by 30 and overflows 32 bits to offset 0; the
offsets are 0, 1 K, 4 K, 16 K, 64 K, 256 K, 1 M, 4 M, 16 M, 64 M, 256 M, 1 G. Reading stops at the first
read that returns nothing (an offset at or past the end); a read near the end may be short.
"""

from __future__ import annotations

import hashlib
import posixpath
from pathlib import Path

STEP = 1024
SIZE = 1024
OFFSETS = tuple(0 if i < 0 else STEP << (2 * i) for i in range(-1, 11))


def partial_md5(data: bytes | memoryview) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    for offset in OFFSETS:
        sample = data[offset : offset + SIZE]
        if not sample:
            break
        digest.update(sample)
    return digest.hexdigest()


def partial_md5_file(path: Path) -> str:
    """The same, reading only the sampled 12 KiB of a file on disk."""
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as fh:
        for offset in OFFSETS:
            fh.seek(offset)
            sample = fh.read(SIZE)
            if not sample:
                break
            digest.update(sample)
    return digest.hexdigest()


def filename_md5(name: str) -> str:
    """KOReader's "filename" checksum mode: md5 of the file's base name as it is stored on the device."""
    base = posixpath.basename(name.replace("\\", "/"))
    return hashlib.md5(base.encode("utf-8"), usedforsecurity=False).hexdigest()


def key_of(password: str) -> str:
    """What KOReader sends as `x-auth-key` for a password: its md5 hex."""
    return hashlib.md5(password.encode("utf-8"), usedforsecurity=False).hexdigest()
