"""Safety limits for untrusted uploads, and a zip reader that enforces them.

Nothing is ever extracted to disk: entries are read into memory through a streaming counter, so a lying
zip header (declared size 1 KiB, real size 1 GiB) is cut off at the cap instead of being trusted. Entry
names that are absolute or contain `..` segments are simply never read (there is no filesystem to escape
from), so path traversal cannot do harm and does not fail the book.
"""

from __future__ import annotations

import posixpath
import zipfile
import zlib
from io import BytesIO

import msgspec

from bookreader.ingest.model import IngestError

MiB = 1024 * 1024


class IngestLimits(msgspec.Struct, frozen=True):
    max_upload_bytes: int = 50 * MiB
    max_uncompressed_bytes: int = 300 * MiB  # sum over every entry actually read
    max_entry_bytes: int = 64 * MiB  # one chapter file / image
    max_compression_ratio: float = 200.0  # per archive: uncompressed total / upload size
    max_entries: int = 10_000
    max_chapter_chars: int = 100_000  # a longer chapter is split at a heading or paragraph
    min_chapter_chars: int = 200  # a shorter untitled sliver is merged into a neighbour
    max_xml_bytes: int = 64 * MiB  # a single FB2 document
    # per book: a long novel is < 5 M characters, < 1 M words, a few hundred chapters (0 = no cap)
    max_book_chars: int = 10_000_000
    max_book_words: int = 2_000_000
    max_book_chapters: int = 3_000
    min_entry_budget: int = 1 * MiB  # an entry may always inflate to this, whatever its ratio


def book_too_large(what: str, limit: int) -> IngestError:
    return IngestError(
        "book_too_large", f"The book has more than {limit:,} {what}; that is beyond the limit."
    )


def check_upload_size(data: bytes, limits: IngestLimits) -> None:
    if not data:
        raise IngestError("empty_file", "The file is empty.")
    if len(data) > limits.max_upload_bytes:
        raise IngestError(
            "file_too_large",
            f"The file is {len(data)} bytes, the limit is {limits.max_upload_bytes}.",
        )


def safe_name(name: str) -> str | None:
    """The normalised entry name, or None when it is absolute or escapes the archive root."""
    name = name.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    normal = posixpath.normpath(name)
    if normal == ".." or normal.startswith("../") or "/../" in normal:
        return None
    return normal


class SafeZip:
    """Read-only view of an uploaded zip that counts every byte it inflates."""

    def __init__(self, data: bytes, limits: IngestLimits) -> None:
        self.limits = limits
        self._budget = min(
            limits.max_uncompressed_bytes, int(max(len(data), 64 * 1024) * limits.max_compression_ratio)
        )
        self._read_total = 0
        try:
            self._zip = zipfile.ZipFile(BytesIO(data))
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError) as exc:
            raise IngestError("corrupt_archive", f"The archive cannot be opened: {exc}") from exc
        if len(infos) > limits.max_entries:
            raise IngestError("zip_bomb", f"The archive has {len(infos)} entries.")
        declared = sum(info.file_size for info in infos)
        if declared > self._budget:
            raise IngestError("zip_bomb", f"The archive would inflate to {declared} bytes.")
        self._infos: dict[str, zipfile.ZipInfo] = {}
        self._folded: dict[str, str] = {}
        self.unsafe_names: list[str] = []
        for info in infos:
            if info.is_dir():
                continue
            normal = safe_name(info.filename)
            if normal is None:
                self.unsafe_names.append(info.filename)
                continue
            self._infos.setdefault(normal, info)
            self._folded.setdefault(normal.casefold(), normal)

    def names(self) -> list[str]:
        return list(self._infos)

    def resolve(self, name: str) -> str | None:
        """The stored name for `name`, tolerating case differences (common in hand-made EPUBs)."""
        normal = safe_name(name)
        if normal is None:
            return None
        if normal in self._infos:
            return normal
        return self._folded.get(normal.casefold())

    def __contains__(self, name: str) -> bool:
        return self.resolve(name) is not None

    def read(self, name: str) -> bytes:
        """Entry bytes, inflated in chunks against the per-entry and per-archive budgets."""
        stored = self.resolve(name)
        if stored is None:
            raise KeyError(name)
        info = self._infos[stored]
        if info.flag_bits & 0x1:
            raise IngestError("drm_protected", f"The entry {stored} is encrypted.")
        # the ratio per entry: incompressible padding elsewhere in the archive must not buy this one budget
        ratio_cap = int(
            max(info.compress_size * self.limits.max_compression_ratio, self.limits.min_entry_budget)
        )
        cap = min(self.limits.max_entry_bytes, ratio_cap)
        chunks: list[bytes] = []
        size = 0
        try:
            with self._zip.open(info) as stream:
                while chunk := stream.read(256 * 1024):
                    size += len(chunk)
                    self._read_total += len(chunk)
                    if size > cap:
                        raise IngestError(
                            "zip_bomb", f"The entry {stored} inflates beyond {cap} bytes (ratio or size cap)."
                        )
                    if self._read_total > self._budget:
                        raise IngestError("zip_bomb", "The archive inflates beyond the allowed ratio.")
                    chunks.append(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
            raise IngestError("corrupt_archive", f"The entry {stored} cannot be read: {exc}") from exc
        return b"".join(chunks)

    def try_read(self, name: str) -> bytes | None:
        """Like `read`, but a missing or unreadable entry is None (a lenient reader loses one file, not the book)."""
        try:
            return self.read(name)
        except KeyError:
            return None
        except IngestError as exc:
            if exc.code == "corrupt_archive":
                return None
            raise
