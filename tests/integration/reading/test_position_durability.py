"""A position write's commit durability (issue 17): `synchronous_commit` is off for that statement alone by
default (BOOKREADER_PROGRESS_SYNC_COMMIT turns it on), and it ends with the statement's transaction — the
connection, and so every other write through the pool, keeps the server's setting."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
from tests.support import Reader

from bookreader.domain.reading import service
from bookreader.domain.reading.tables import PositionWrite
from bookreader.settings import load_settings


async def test_the_position_write_sets_synchronous_commit_for_its_own_transaction(
    reader: Reader, alice: dict, migrated: dict[str, str], db
) -> None:
    user_id = uuid.UUID((await reader.get("/api/v1/users/me")).json()["id"])
    book_id = uuid.UUID(alice["id"])
    default, durable = load_settings(migrated), load_settings(migrated, progress_sync_commit=True)
    assert default.progress_sync_commit is False
    assert load_settings({**migrated, "BOOKREADER_PROGRESS_SYNC_COMMIT": "true"}).progress_sync_commit
    for minute, settings, expected in ((1, default, "off"), (2, durable, "on"), (3, default, "off")):
        values = (user_id, book_id, 1, minute, 1.0, "durability", datetime(2026, 1, 1, 0, minute, tzinfo=UTC))
        outcome = await service.store_position(values, settings=settings)
        assert (outcome.owned, outcome.accepted, outcome.sync_commit) == (True, True, expected)
    logged = await PositionWrite.count().where(PositionWrite.owner == user_id, PositionWrite.book == book_id)
    assert logged == 3
    position = (await reader.get(f"/api/v1/books/{book_id}/progress")).json()
    assert (position["offset"], position["device"]) == (3, "durability")

    connection = await asyncpg.connect(migrated["DATABASE_URL"])
    try:
        server = await connection.fetchval("SHOW synchronous_commit")
        assert server == "on"  # the server's default: what every other write commits with
        now = datetime.now(UTC)
        row = await connection.fetchrow(service.WRITE_POSITION, user_id, book_id, 1, 4, 1.0, "x", now, "off")
        assert row["sync_commit"] == "off"
        assert await connection.fetchval("SHOW synchronous_commit") == server  # ended with the statement
        async with connection.transaction():  # an explicit transaction: still local to it
            await connection.fetchrow(service.WRITE_POSITION, user_id, book_id, 1, 5, 1.0, "x", now, "off")
            assert await connection.fetchval("SHOW synchronous_commit") == "off"
        assert await connection.fetchval("SHOW synchronous_commit") == server
    finally:
        await connection.close()
