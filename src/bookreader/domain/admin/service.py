"""What the admin API reads and changes: users, and the figures of the whole system."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

from bookreader.core.errors import InvalidInput, NotFound
from bookreader.core.maintenance import live_workers
from bookreader.core.observability import job_counts
from bookreader.domain.accounts.tables import RefreshToken, User
from bookreader.domain.admin.schemas import AdminUser, AdminUserUpdate, SystemStatus
from bookreader.domain.books.tables import Book
from bookreader.settings import Settings


def _admin_user(row: dict) -> AdminUser:
    return AdminUser(
        id=row["id"],
        email=row["email"],
        display_name=row["display_name"],
        role=row["role"],
        plan=row["plan"],
        disabled=row["disabled"],
        created_at=row["created_at"],
        book_count=row.get("book_count") or 0,
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def list_users(*, limit: int, offset: int, q: str | None) -> tuple[list[AdminUser], int]:
    where, args = "", []
    if q and q.strip():
        where = "WHERE u.email ILIKE {} OR u.display_name ILIKE {}"
        pattern = f"%{_escape_like(q.strip())}%"
        args = [pattern, pattern]
    total_rows = await User.raw(f"SELECT count(*) AS n FROM users u {where}", *args)
    rows = await User.raw(
        f"""SELECT u.id, u.email, u.display_name, u.role, u.plan, u.disabled, u.created_at,
                   (SELECT count(*) FROM books b WHERE b.owner = u.id) AS book_count
            FROM users u {where} ORDER BY u.created_at DESC, u.id LIMIT {{}} OFFSET {{}}""",
        *args,
        limit,
        offset,
    )
    return [_admin_user(r) for r in rows], total_rows[0]["n"]


async def get_user(user_id: uuid.UUID) -> AdminUser:
    rows = await User.raw(
        """SELECT u.id, u.email, u.display_name, u.role, u.plan, u.disabled, u.created_at,
                  (SELECT count(*) FROM books b WHERE b.owner = u.id) AS book_count
           FROM users u WHERE u.id = {}""",
        user_id,
    )
    if not rows:
        raise NotFound("No such user.")
    return _admin_user(rows[0])


async def update_user(actor: User, user_id: uuid.UUID, change: AdminUserUpdate) -> AdminUser:
    target = await get_user(user_id)
    if target.id == actor.id and (change.disabled or (change.role and change.role != "admin")):
        # the last admin locking themselves out has no way back but the CLI
        raise InvalidInput("Admins cannot disable or demote themselves.", code="self_lockout")
    values: dict = {}
    if change.role is not None:
        values[User.role] = change.role
    if change.plan is not None:
        values[User.plan] = change.plan
    if change.disabled is not None:
        values[User.disabled] = change.disabled
    if values:
        await User.update(values).where(User.id == user_id)
    if change.disabled:
        await RefreshToken.update({RefreshToken.revoked_at: datetime.now(UTC)}).where(
            RefreshToken.user == user_id, RefreshToken.revoked_at.is_null()
        )
    return await get_user(user_id)


def directory_bytes(root: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass  # removed while we walked
    return total


async def _counts_by_status(table: str) -> dict[str, int]:
    exists = await User.raw("SELECT to_regclass({}) IS NOT NULL AS present", f"public.{table}")
    if not exists[0]["present"]:
        return {"total": 0}
    rows = await User.raw(f"SELECT status, count(*) AS n FROM {table} GROUP BY status")
    counts = {row["status"]: row["n"] for row in rows}
    counts["total"] = sum(counts.values())
    return counts


async def system_status(settings: Settings, redis) -> SystemStatus:
    users = await User.raw(
        "SELECT count(*) AS total, count(*) FILTER (WHERE disabled) AS disabled, "
        "count(*) FILTER (WHERE role = 'admin') AS admins FROM users"
    )
    books = {status: 0 for status in ("queued", "parsing", "analyzing", "ready", "failed")}
    books.update(await _counts_by_status(Book._meta.tablename))
    images = await _counts_by_status("images")
    storage_bytes = await asyncio.to_thread(directory_bytes, settings.data_path / "files")
    data_dir_bytes = await asyncio.to_thread(directory_bytes, settings.data_path)
    queue_depth, jobs, workers, redis_state = 0, {}, 0, "ok"
    try:
        queue_depth = await asyncio.wait_for(redis.zcard(settings.queue_name), 2)
        jobs = await asyncio.wait_for(job_counts(redis, settings.queue_name), 2)
        workers = len(await asyncio.wait_for(live_workers(redis, settings.queue_name), 2))
    except Exception as exc:
        redis_state = f"down: {type(exc).__name__}"
    failures = sum(outcomes.get("error", 0) for outcomes in jobs.values())
    return SystemStatus(
        users=dict(users[0]),
        books=books,
        images=images,
        storage_bytes=storage_bytes,
        data_dir_bytes=data_dir_bytes,
        queue_depth=queue_depth,
        jobs=jobs,
        job_failures=failures,
        workers=workers,
        redis=redis_state,
    )
