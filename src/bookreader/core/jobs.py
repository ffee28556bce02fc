"""What every ARQ job gets: the worker's context (typed), its id in the logs, and counts and durations in the
metrics."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from typing import Any, NotRequired, TypedDict

import httpx
from arq import Retry
from arq.connections import ArqRedis

from bookreader.core.observability import JOB_DURATION, JOBS, job_id_var, record_job_outcome
from bookreader.core.storage import Storage
from bookreader.settings import Settings


class JobContext(TypedDict):
    """The `ctx` ARQ hands every job, cron and hook: ARQ's own keys, then the resources `worker.startup`
    builds once per worker (each job gets a shallow copy, so what hangs off them is shared)."""

    # ARQ's
    redis: ArqRedis
    job_id: str
    job_try: int
    enqueue_time: datetime
    score: int
    # ours (worker.py: create_worker, startup)
    settings: Settings
    shared_db: bool  # the API's embedded worker uses the API's database pool
    storage: Storage
    process_pool: ProcessPoolExecutor
    reset_process_pool: Callable[[], None]
    http: httpx.AsyncClient
    # the heartbeat (core/maintenance.py)
    worker_id: str
    running_jobs: set[str]
    heartbeat_task: NotRequired[asyncio.Task[None]]
    recovery_task: NotRequired[asyncio.Task[None]]


JobFunction = Callable[..., Awaitable[Any]]


def instrumented(fn: JobFunction) -> JobFunction:
    @functools.wraps(fn)
    async def wrapper(ctx: JobContext, *args: Any, **kwargs: Any) -> Any:
        token = job_id_var.set(ctx.get("job_id"))
        started = time.perf_counter()
        outcome = "error"
        try:
            result = await fn(ctx, *args, **kwargs)
            outcome = "ok"
            return result
        except Retry:
            outcome = "retry"
            raise
        finally:
            JOBS.labels(fn.__name__, outcome).inc()
            JOB_DURATION.labels(fn.__name__).observe(time.perf_counter() - started)
            if "redis" in ctx and "settings" in ctx:
                await record_job_outcome(ctx["redis"], ctx["settings"].queue_name, fn.__name__, outcome)
            job_id_var.reset(token)

    return wrapper


def is_transient(exc: BaseException) -> bool:
    """Errors worth retrying: the database or Redis went away for a moment."""
    import asyncpg
    import redis.exceptions

    return isinstance(
        exc,
        OSError
        | ConnectionError
        | TimeoutError
        | asyncpg.exceptions.PostgresConnectionError
        | asyncpg.exceptions.InterfaceError
        | asyncpg.exceptions.CannotConnectNowError
        | asyncpg.exceptions.TooManyConnectionsError
        | redis.exceptions.ConnectionError
        | redis.exceptions.TimeoutError,
    )
