"""Reading cron jobs (registered in `bookreader.worker.CRON_JOBS`)."""

from __future__ import annotations

import logging

from bookreader.core.jobs import JobContext
from bookreader.domain.reading.sessions import close_idle_sessions

log = logging.getLogger(__name__)


async def close_idle_reading_sessions(ctx: JobContext) -> int:
    """Sessions idle for two hours close themselves (ending at their last heartbeat)."""
    closed = await close_idle_sessions()
    if closed:
        log.info("closed %d idle reading sessions", closed)
    return closed
