"""Where exports live and what they are called (shared by the requests and the job)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from bookreader.core.storage import Storage

API = "/api/v1"


def export_url(book_id: uuid.UUID | str) -> str:
    return f"{API}/books/{book_id}/export.epub"


def exports_dir(storage: Storage, book_id: uuid.UUID | str) -> Path:
    """Inside the book's folder: deleting the book removes its exports with it."""
    return storage.book_dir(book_id) / "exports"


def file_name_for(variant: str, fingerprint: str) -> str:
    return f"{variant}-{fingerprint[:32]}.epub"


def download_name(title: str, variant: str) -> str:
    base = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", title or "").strip()[:150] or "book"
    return f"{base} (illustrated{', with cast' if variant == 'cast' else ''}).epub"
