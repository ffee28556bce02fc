"""Files under the data folder. Writes are atomic (temp file + rename) so a crash leaves no half file."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import BinaryIO

from bookreader.settings import Settings


class Storage:
    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def from_settings(cls, settings: Settings) -> Storage:
        return cls(settings.data_path / "files")

    def book_dir(self, book_id: uuid.UUID | str) -> Path:
        return self.root / "books" / str(book_id)

    def original_path(self, book_id: uuid.UUID | str) -> Path:
        return self.book_dir(book_id) / "original"

    def write(self, path: Path, data: bytes) -> None:
        write_atomically(path, data)

    def write_stream(self, path: Path, source: BinaryIO) -> None:
        """`write` for a file object (an upload spooled to disk): copied in chunks, never held whole."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            source.seek(0)
            with os.fdopen(fd, "wb") as fh:
                shutil.copyfileobj(source, fh, 1024 * 1024)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def remove_book(self, book_id: uuid.UUID | str) -> None:
        shutil.rmtree(self.book_dir(book_id), ignore_errors=True)

    def safe_child(self, base: Path, name: str) -> Path | None:
        """`base/name` if it stays inside `base` (names come from URLs)."""
        candidate = (base / name).resolve()
        if base.resolve() in candidate.parents:
            return candidate
        return None


def write_atomically(path: Path, data: bytes) -> None:
    """Temp file in the same folder + rename: a reader never sees half a file (also from pool processes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
