from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

import msgspec

Role = Literal["user", "admin"]
Plan = Literal["free", "premium", "admin"]


class AdminUser(msgspec.Struct):
    id: uuid.UUID
    email: str
    display_name: str
    role: str
    plan: str
    disabled: bool
    created_at: datetime
    book_count: int = 0


class AdminUserPage(msgspec.Struct):
    items: list[AdminUser]
    total: int
    limit: int
    offset: int


class AdminUserUpdate(msgspec.Struct, forbid_unknown_fields=True):
    role: Role | None = None
    plan: Plan | None = None
    disabled: bool | None = None


class SystemStatus(msgspec.Struct):
    """Figures from Postgres, Redis and the data folder, so every replica reports the same numbers."""

    users: dict[str, int]
    books: dict[str, int]  # by status, plus "total"
    images: dict[str, int]  # by status, plus "total"
    storage_bytes: int  # books and images (<data>/files)
    data_dir_bytes: int  # everything under the data folder (embedded servers and logs included)
    queue_depth: int
    jobs: dict[str, dict[str, int]]  # function → outcome → count since the counters began
    job_failures: int
    workers: int  # live workers (heartbeats in Redis)
    redis: str  # "ok" or "down: …"
