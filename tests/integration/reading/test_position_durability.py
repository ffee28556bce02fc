"""The position write's statement (issue 17). Its commit durability: `synchronous_commit` is off for that
statement alone by default (BOOKREADER_PROGRESS_SYNC_COMMIT turns it on), and it ends with the statement's
transaction — the connection, and so every other write through the pool, keeps the server's setting. And a
write refused because a newer one committed after it started answers that newer position."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import asyncpg
from tests.support import Reader

from bookreader.core import db as core_db
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


async def test_a_write_that_loses_a_race_answers_the_winner(
    reader: Reader, alice: dict, migrated: dict[str, str], db
) -> None:
    """The winner commits after the loser's statement began (the loser waits on the row's lock): the loser's
    snapshot still holds the old position, its answer must be the winner's."""
    user_id = uuid.UUID((await reader.get("/api/v1/users/me")).json()["id"])
    book_id, url = uuid.UUID(alice["id"]), f"/api/v1/books/{alice['id']}/progress"
    first = {
        "chapter": 1,
        "offset": 1,
        "percentage": 1.0,
        "device": "old",
        "updated_at": "2026-01-01T00:00:00Z",
    }
    assert (await reader.put(url, json=first)).json()["accepted"] is True
    winner = await asyncpg.connect(migrated["DATABASE_URL"])
    try:
        transaction = winner.transaction()
        await transaction.start()
        newer = datetime(2026, 1, 3, tzinfo=UTC)
        row = await winner.fetchrow(
            service.WRITE_POSITION, user_id, book_id, 1, 9, 9.0, "winner", newer, "on"
        )
        assert row["accepted"] is True
        older = {**first, "offset": 5, "device": "loser", "updated_at": "2026-01-02T00:00:00Z"}
        loser = asyncio.create_task(reader.put(url, json=older))
        waiting = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        for _ in range(200):
            if await db_count(waiting) or loser.done():
                break
            await asyncio.sleep(0.05)
        assert not loser.done(), (await loser).text  # it waits for the winner's row lock
        await transaction.commit()
        answer = (await loser).json()
    finally:
        await winner.close()
    assert answer["accepted"] is False
    assert (answer["offset"], answer["percentage"], answer["device"]) == (9, 9.0, "winner")
    assert datetime.fromisoformat(answer["updated_at"]) == newer
    current = (await reader.get(url)).json()
    assert (current["offset"], current["device"]) == (9, "winner")
    writes = (
        await PositionWrite.select(PositionWrite.device, PositionWrite.accepted)
        .where(PositionWrite.owner == user_id, PositionWrite.book == book_id)
        .order_by(PositionWrite.id)
    )
    assert [(w["device"], w["accepted"]) for w in writes] == [
        ("old", True),
        ("winner", True),
        ("loser", False),
    ]


async def db_count(sql: str) -> int:
    return int(await core_db.fetchval(sql))
