"""Accounts cron jobs (registered in `bookreader.worker.CRON_JOBS`)."""

from __future__ import annotations

import logging
from datetime import timedelta

from bookreader.core.jobs import JobContext
from bookreader.domain.accounts.service import purge_expired_refresh_tokens

log = logging.getLogger(__name__)


async def purge_refresh_tokens(ctx: JobContext) -> int:
    """Refresh tokens expired for more than a day are of no use to anyone (reuse detection included)."""
    deleted = await purge_expired_refresh_tokens(timedelta(days=1))
    if deleted:
        log.info("purged %d expired refresh tokens", deleted)
    return deleted
