"""What every ARQ job gets: its id in the logs, and counts and durations in the metrics."""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from typing import Any

from arq import Retry

from bookreader.core.observability import JOB_DURATION, JOBS, job_id_var, record_job_outcome

JobFunction = Callable[..., Awaitable[Any]]


def instrumented(fn: JobFunction) -> JobFunction:
    @functools.wraps(fn)
    async def wrapper(ctx: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
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
