"""The sliding-window counter itself, against the session's real Redis."""

from __future__ import annotations

import uuid

from redis.asyncio import Redis

from bookreader.core.ratelimit import hit


async def test_window_limit_and_boundary(migrated) -> None:
    redis = Redis.from_url(migrated["REDIS_URL"])
    key = f"test:{uuid.uuid4().hex}"
    try:
        start = 6000.0  # a window boundary for window=60
        assert [await hit(redis, key, 3, 60, now=start + 50) for _ in range(3)] == [0, 0, 0]
        assert await hit(redis, key, 3, 60, now=start + 50) == 10  # seconds to the window's end
        # just after the boundary the previous window still weighs in: no fresh burst of 3
        assert await hit(redis, key, 3, 60, now=start + 61) > 0
        # a whole window later the old counts no longer matter
        assert await hit(redis, key, 3, 60, now=start + 180) == 0
    finally:
        await redis.aclose()
