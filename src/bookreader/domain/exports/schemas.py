from __future__ import annotations

from typing import Literal

import msgspec


class ExportStatus(msgspec.Struct):
    """The 202 body of `GET /api/v1/books/{id}/export.epub` while the file is built."""

    status: Literal["building"]
    progress: float
