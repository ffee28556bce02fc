"""Worker upkeep: heartbeats and crash recovery at start (the domains' clean-up crons are in their jobs.py).

Crash recovery: ARQ marks a running job with `arq:in-progress:<id>` for the job timeout (+10 s). A worker
killed with -9 leaves that mark behind, and nobody would run the job again until it expires (~10 min).
Each worker therefore keeps a heartbeat key (TTL a few seconds) listing the jobs it runs; a starting worker
deletes in-progress marks of our queue's jobs that no live worker claims, so they run again at once, then
re-enqueues every book Postgres says is unfinished (idempotent: a queued job id is not added twice).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import msgspec
from arq.constants import in_progress_key_prefix
from arq.worker import Worker
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bookreader.core.jobs import JobContext
from bookreader.core.observability import QUEUE_DEPTH, job_id_var
from bookreader.settings import Settings

log = logging.getLogger(__name__)

Recovery = Callable[[JobContext], Awaitable[Any]]

HEARTBEAT_EVERY = 2.0  # seconds
HEARTBEAT_TTL = 6  # seconds: a worker silent this long is dead


def workers_prefix(queue_name: str) -> str:
    return f"{queue_name}:workers:"


async def write_heartbeat(ctx: JobContext) -> None:
    settings: Settings = ctx["settings"]
    key = workers_prefix(settings.queue_name) + ctx["worker_id"]
    running = msgspec.json.encode(sorted(ctx["running_jobs"]))
    await ctx["redis"].set(key, running, ex=HEARTBEAT_TTL)


RELEASE_EVERY = 15  # heartbeats: a worker that died for good (its node lost) is noticed by the others too


async def _heartbeat_loop(ctx: JobContext) -> None:
    settings: Settings = ctx["settings"]
    beats = 0
    while True:
        try:
            await write_heartbeat(ctx)
            QUEUE_DEPTH.set(await ctx["redis"].zcard(settings.queue_name))
            beats += 1
            if beats % RELEASE_EVERY == 0:
                await release_orphaned_jobs(ctx["redis"], settings.queue_name)
        except Exception as exc:  # Redis away: keep beating, the connection pool reconnects
            log.debug("heartbeat failed: %s", exc)
        await asyncio.sleep(HEARTBEAT_EVERY)


async def start_heartbeat(ctx: JobContext) -> None:
    ctx["worker_id"] = uuid.uuid4().hex
    ctx["running_jobs"] = set()
    ctx["heartbeat_task"] = asyncio.create_task(_heartbeat_loop(ctx), name="worker-heartbeat")


async def stop_heartbeat(ctx: JobContext) -> None:
    for task in (ctx.pop("heartbeat_task", None), ctx.pop("recovery_task", None)):
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    with contextlib.suppress(Exception):
        await ctx["redis"].delete(workers_prefix(ctx["settings"].queue_name) + ctx["worker_id"])


async def on_job_start(ctx: JobContext) -> None:
    # ARQ runs each job in its own task: set here, the id also tags ARQ's own "→ job" / "← job" log lines
    job_id_var.set(ctx["job_id"])
    ctx["running_jobs"].add(ctx["job_id"])
    with contextlib.suppress(Exception):
        await write_heartbeat(ctx)  # claim the job before another worker's recovery could see it as stale


async def on_job_end(ctx: JobContext) -> None:
    ctx["running_jobs"].discard(ctx["job_id"])


async def live_workers(redis: Redis, queue_name: str) -> dict[str, list[str]]:
    """Worker id → the job ids it runs, for every worker whose heartbeat has not expired."""
    prefix = workers_prefix(queue_name)
    workers: dict[str, list[str]] = {}
    async for key in redis.scan_iter(match=prefix + "*", count=200):
        raw = await redis.get(key)
        if raw is not None:
            name = key.decode() if isinstance(key, bytes) else key
            workers[name[len(prefix) :]] = msgspec.json.decode(raw, type=list[str])
    return workers


async def release_orphaned_jobs(redis: Redis, queue_name: str) -> list[str]:
    """Delete in-progress marks of our queue's jobs that no live worker claims; their jobs run again."""
    claimed: set[str] = set()
    for jobs in (await live_workers(redis, queue_name)).values():
        claimed.update(jobs)
    released = []
    async for key in redis.scan_iter(match=in_progress_key_prefix + "*", count=500):
        job_id = (key.decode() if isinstance(key, bytes) else key)[len(in_progress_key_prefix) :]
        if job_id in claimed or await redis.zscore(queue_name, job_id) is None:
            continue  # running elsewhere, or another queue's job
        await redis.delete(key)
        released.append(job_id)
    if released:
        log.warning("released %d jobs a dead worker left in progress: %s", len(released), released[:10])
    return released


async def recover_at_startup(ctx: JobContext, recoveries: Sequence[Recovery] = ()) -> None:
    """Run when a worker starts (before it takes jobs), and once more when the heartbeat of a worker that
    died just before we started has expired (a quick restart after kill -9 still sees it alive).
    `recoveries` are the domains' own (handed in by worker.py): e.g. re-enqueue every unfinished book."""
    settings: Settings = ctx["settings"]
    try:
        await release_orphaned_jobs(ctx["redis"], settings.queue_name)
        for recover in recoveries:
            await recover(ctx)
    except Exception:
        log.exception("crash recovery at startup failed; the stuck-job crons will retry")

    async def again() -> None:
        await asyncio.sleep(HEARTBEAT_TTL + 1)
        try:
            await release_orphaned_jobs(ctx["redis"], settings.queue_name)
        except Exception:
            log.exception("second crash-recovery pass failed")

    ctx["recovery_task"] = asyncio.create_task(again(), name="crash-recovery")


class ResilientWorker(Worker):
    """ARQ's poll loop lets a Redis error end the worker (in `serve` silently: the API lives on, jobs stop).
    This one logs, waits and polls again; redis-py reconnects by itself once Redis is back."""

    _redis_down_since: float | None = None

    async def _poll_iteration(self) -> None:
        try:
            await super()._poll_iteration()
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            if self._redis_down_since is None:
                self._redis_down_since = time.monotonic()
                log.warning("worker lost Redis (%s); polling again until it is back", type(exc).__name__)
            await asyncio.sleep(1.0)
            return
        if self._redis_down_since is not None:
            log.warning("worker reconnected to Redis after %.1f s", time.monotonic() - self._redis_down_since)
            self._redis_down_since = None
