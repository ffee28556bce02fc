"""The ARQ worker: job functions, cron jobs, and the resources they share (created once, kept in `ctx`).

`bookreader worker` runs it alone; `bookreader serve` runs it inside the API's event loop.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from arq import cron
from arq.worker import Worker

from bookreader.core import db
from bookreader.core.jobs import instrumented
from bookreader.core.procpool import create_process_pool
from bookreader.core.queue import SERIALIZERS, redis_settings
from bookreader.core.storage import Storage
from bookreader.domain.books import jobs as book_jobs
from bookreader.domain.descriptions import jobs as description_jobs
from bookreader.domain.illustrations import jobs as illustration_jobs
from bookreader.settings import Settings, load_settings

log = logging.getLogger(__name__)

FUNCTIONS: list[Any] = [
    instrumented(fn)
    for fn in (*book_jobs.FUNCTIONS, *description_jobs.FUNCTIONS, *illustration_jobs.FUNCTIONS)
]
CRON_JOBS: list[Any] = [
    cron(
        instrumented(book_jobs.recover_stuck_books), second={7}, run_at_startup=True, unique=True, timeout=60
    ),
]


async def startup(ctx: dict[str, Any]) -> None:
    settings: Settings = ctx.get("settings") or load_settings()
    ctx["settings"] = settings
    if not ctx.get("shared_db"):
        await db.start_pool(settings, max_size=10)
    ctx["storage"] = Storage.from_settings(settings)
    ctx["process_pool"] = create_process_pool(settings.process_pool_size)

    def reset_process_pool() -> None:
        old = ctx["process_pool"]
        ctx["process_pool"] = create_process_pool(settings.process_pool_size)
        old.shutdown(wait=False, cancel_futures=True)

    ctx["reset_process_pool"] = reset_process_pool
    ctx["http"] = httpx.AsyncClient(timeout=httpx.Timeout(settings.image_timeout, connect=10))


async def shutdown(ctx: dict[str, Any]) -> None:
    if "http" in ctx:
        await ctx["http"].aclose()
    if "process_pool" in ctx:
        ctx["process_pool"].shutdown(wait=True, cancel_futures=True)
    if not ctx.get("shared_db"):
        await db.close_pool()


class WorkerSettings:
    """Plain ARQ settings; `redis_settings` and the queue name come from the environment at start."""

    functions = FUNCTIONS
    cron_jobs = CRON_JOBS
    on_startup = startup
    on_shutdown = shutdown
    job_serializer = SERIALIZERS["job_serializer"]
    job_deserializer = SERIALIZERS["job_deserializer"]
    keep_result = 60
    max_tries = 5


def create_worker(settings: Settings, *, embedded: bool = False, **overrides: Any) -> Worker:
    options: dict[str, Any] = {
        "functions": WorkerSettings.functions,
        "cron_jobs": WorkerSettings.cron_jobs,
        "on_startup": WorkerSettings.on_startup,
        "on_shutdown": WorkerSettings.on_shutdown,
        "job_serializer": WorkerSettings.job_serializer,
        "job_deserializer": WorkerSettings.job_deserializer,
        "keep_result": WorkerSettings.keep_result,
        "max_tries": WorkerSettings.max_tries,
        "redis_settings": redis_settings(settings),
        "queue_name": settings.queue_name,
        "max_jobs": settings.worker_max_jobs,
        "job_timeout": settings.job_timeout,
        "ctx": {"settings": settings, "shared_db": embedded},
        "handle_signals": not embedded,
        "poll_delay": 0.1,
    }
    options.update(overrides)
    return Worker(**options)


def run_worker(settings: Settings) -> None:
    create_worker(settings).run()
