"""How many pictures a reader may ask for: the plan's monthly allowance and a per-minute rate."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

from arq.connections import ArqRedis

from bookreader.core.errors import QuotaExceeded, RateLimited
from bookreader.domain.accounts.plans import limits_for
from bookreader.domain.accounts.tables import User
from bookreader.domain.illustrations.tables import Image
from bookreader.settings import Settings


def _month_start(now: datetime) -> datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


async def images_this_month(user_id: uuid.UUID) -> int:
    """Pictures that count against the plan: asked for (or illustrated ahead) this month, not failed."""
    return await Image.count().where(
        Image.owner == user_id,
        Image.created_at >= _month_start(datetime.now(UTC)),
        Image.origin != "pregen",
        Image.status != "failed",
    )


async def check_monthly_quota(user: User, settings: Settings, wanted: int = 1) -> int | None:
    """Raise 402 when `wanted` more would pass the plan's monthly allowance; return what is left."""
    limit = limits_for(user.plan, settings).images_per_month
    if limit is None:
        return None
    left = limit - await images_this_month(user.id)
    if left < wanted:
        raise QuotaExceeded(
            f"Your plan allows {limit} images a month; they are used up.", code="quota_exceeded"
        )
    return left


async def check_rate(user: User, settings: Settings, redis: ArqRedis) -> None:
    """At most `image_rate_per_minute` requests per user per calendar minute (admins unlimited)."""
    limit = settings.image_rate_per_minute
    if not limit or user.plan == "admin" or user.role == "admin":
        return
    minute = int(time.time() // 60)
    key = f"{settings.events_prefix}:image-rate:{user.id}:{minute}"
    count = await redis.incr(key)
    if count == 1:
        await redis.expire(key, 120)
    if count > limit:
        retry_after = str(60 - int(time.time()) % 60)
        raise RateLimited(
            f"At most {limit} image requests a minute; try again shortly.",
            code="quota_exceeded",
            headers={"Retry-After": retry_after},
        )
