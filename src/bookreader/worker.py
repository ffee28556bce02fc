"""The ARQ worker: job functions, cron jobs, and the resources they share (created once, kept in `ctx`).

`bookreader worker` runs it alone; `bookreader serve` runs it inside the API's event loop.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from arq import cron
from arq.worker import Worker

from bookreader.core import affinity, db, maintenance
from bookreader.core.jobs import JobContext, instrumented
from bookreader.core.procpool import create_process_pool
from bookreader.core.queue import SERIALIZERS, redis_settings
from bookreader.core.storage import Storage
from bookreader.domain.accounts import jobs as account_jobs
from bookreader.domain.books import jobs as book_jobs
from bookreader.domain.descriptions import jobs as description_jobs
from bookreader.domain.exports import jobs as export_jobs
from bookreader.domain.illustrations import jobs as illustration_jobs
from bookreader.domain.illustrations import portraits
from bookreader.domain.imports.service import scan_import_dir
from bookreader.domain.reading import jobs as reading_jobs
from bookreader.domain.webhooks import jobs as webhook_jobs
from bookreader.settings import Settings, load_settings
from bookreader.tables import TABLES

log = logging.getLogger(__name__)

FUNCTIONS: list[Any] = [
    instrumented(fn)
    for fn in (
        *book_jobs.FUNCTIONS,
        *description_jobs.FUNCTIONS,
        *illustration_jobs.FUNCTIONS,
        *portraits.FUNCTIONS,
        *webhook_jobs.FUNCTIONS,
        *export_jobs.FUNCTIONS,
    )
]
CRON_JOBS: list[Any] = [
    cron(instrumented(book_jobs.recover_stuck_books), second={7}, unique=True, timeout=60),
    cron(instrumented(illustration_jobs.recover_stuck_images), second={37}, unique=True, timeout=60),
    cron(instrumented(account_jobs.purge_refresh_tokens), hour={3}, minute={17}, second={0}, unique=True),
    cron(instrumented(book_jobs.remove_orphaned_files), minute={23}, second={0}, unique=True, timeout=600),
    cron(instrumented(scan_import_dir), second=set(range(1, 60, 5)), unique=True, timeout=600),
    cron(instrumented(webhook_jobs.sweep_webhooks), second=set(range(3, 60, 5)), unique=True, timeout=60),
    cron(
        instrumented(reading_jobs.close_idle_reading_sessions),
        minute=set(range(2, 60, 5)),
        second={41},
        unique=True,
    ),
]


def _split_cpus(settings: Settings) -> frozenset[int]:
    """The embedded worker's pool CPUs, after moving the API it shares its process with onto the others
    (BOOKREADER_PROCESS_POOL_CPUS, core/affinity.py); empty where there is no split: all CPUs for all."""
    split = affinity.split(settings.process_pool_cpus, affinity.available())
    if split is None:
        return frozenset()
    api, pool = split
    if not affinity.pin_process(api):
        log.warning("could not move the API onto CPUs %s: the pool runs on all CPUs", sorted(api))
        return frozenset()
    log.info("CPUs split: the API on %s, the process pool on %s", sorted(api), sorted(pool))
    return pool


async def startup(ctx: JobContext) -> None:
    settings: Settings = ctx.get("settings") or load_settings()
    ctx["settings"] = settings
    if not ctx.get("shared_db"):
        await db.start_pool(settings, TABLES, max_size=10)
    ctx["storage"] = Storage.from_settings(settings)
    pool_cpus = _split_cpus(settings) if ctx.get("shared_db") else frozenset()

    def new_pool():
        return create_process_pool(
            settings.process_pool_size,
            settings.process_memory_limit_mb * 1024 * 1024,
            nice=settings.process_pool_nice,
            idle=settings.process_pool_sched_idle,
            own_session=settings.process_pool_own_session,
            idle_group=settings.process_pool_idle_cgroup,
            cpus=pool_cpus,
        )

    ctx["process_pool"] = new_pool()

    def reset_process_pool() -> None:
        old = ctx["process_pool"]
        ctx["process_pool"] = new_pool()
        old.shutdown(wait=False, cancel_futures=True)

    ctx["reset_process_pool"] = reset_process_pool
    ctx["http"] = httpx.AsyncClient(timeout=httpx.Timeout(settings.image_timeout, connect=10))
    await maintenance.start_heartbeat(ctx)
    await maintenance.recover_at_startup(
        ctx, [book_jobs.recover_unfinished_books]
    )  # a crash's leftovers run again now, not in ~10 minutes


async def shutdown(ctx: JobContext) -> None:
    if "worker_id" in ctx:
        await maintenance.stop_heartbeat(ctx)
    if "http" in ctx:
        await ctx["http"].aclose()
    if "process_pool" in ctx:
        ctx["process_pool"].shutdown(wait=True, cancel_futures=True)
    if not ctx.get("shared_db"):
        await db.close_pool()


# The one definition of the worker: every ARQ option that does not come from the settings.
WORKER_OPTIONS: dict[str, Any] = {
    "functions": FUNCTIONS,
    "cron_jobs": CRON_JOBS,
    "on_startup": startup,
    "on_shutdown": shutdown,
    "on_job_start": maintenance.on_job_start,
    "on_job_end": maintenance.on_job_end,
    **SERIALIZERS,
    "keep_result": 60,
    "max_tries": 5,
}


def create_worker(settings: Settings, *, embedded: bool = False, **overrides: Any) -> Worker:
    """`embedded`: inside the API's event loop (`serve`), sharing its database pool and leaving the signals
    to the server."""
    ctx = {"settings": settings, "shared_db": embedded}  # startup() completes it to a JobContext
    options: dict[str, Any] = {
        **WORKER_OPTIONS,
        "redis_settings": redis_settings(settings),
        "queue_name": settings.queue_name,
        "max_jobs": min(settings.worker_max_jobs, settings.embedded_worker_max_jobs)
        if embedded
        else settings.worker_max_jobs,
        "job_timeout": settings.job_timeout,
        "ctx": ctx,
        "handle_signals": not embedded,
        "poll_delay": 0.1,
        **overrides,
    }
    return maintenance.ResilientWorker(**options)


def run_worker(settings: Settings) -> None:
    from bookreader.core.observability import configure_logging

    configure_logging(settings.log_level, settings.log_json, settings.log_file)
    if settings.worker_metrics_port:  # a standalone worker has no API to serve /metrics for it
        from prometheus_client import start_http_server

        start_http_server(settings.worker_metrics_port, addr=settings.host)
        log.info("worker metrics on http://%s:%d/metrics", settings.host, settings.worker_metrics_port)
    create_worker(settings).run()
