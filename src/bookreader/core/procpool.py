"""The worker's process pool for CPU-bound work (parsing, NLP): the event loop only waits for it."""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import os
import resource
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from bookreader.core import affinity, autogroup, cpugroup

T = TypeVar("T")
WARMED_MODULE = "bookreader.nlp.warmed"  # imported by the fork server: children start with warm pipelines


def _initialize(
    memory_limit: int = 0,
    nice: int = 0,
    idle: bool = False,
    own_session: bool = False,
    group: str = "",
    cpus: frozenset[int] = frozenset(),
) -> None:
    # children must not inherit the parent's signal handlers' intent: a Ctrl-C goes to the parent only
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if memory_limit:  # one hostile book fails alone (MemoryError in this child), not the whole worker
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    if cpus:  # off the API's core: its caches stay its own (core/affinity.py)
        affinity.pin_process(cpus)
    in_group = bool(group) and cpugroup.join(Path(group), "self")  # preempted at once by any reader's work
    if nice > 0:  # lower priority: the API process (and readers' requests) get the cores first
        os.nice(nice)
        # and so does the API's session, which the nice alone does not yield to (autogroup: the root cgroup's
        # only, so moot in the idle group)
        if own_session and not in_group:
            autogroup.leave_session(nice)
    if idle:
        _schedule_idle()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    try:
        from bookreader.nlp import warm_up
    except ImportError:
        return
    warm_up()


def _schedule_idle() -> None:
    """SCHED_IDLE for this process: a task of the normal policy waking on its core (the API's loop, a
    Postgres backend serving a reader) preempts it at once, and the weight it lends its session's group
    (Linux autogroup: nice counts only inside a session) is the least there is. It still gets every core
    nothing else wants, so books ingest at full speed on an idle machine."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):  # not Linux: nice alone
        pass


def create_process_pool(
    size: int,
    memory_limit: int = 0,
    nice: int = 0,
    idle: bool = False,
    own_session: bool = False,
    idle_group: bool = False,
    cpus: frozenset[int] = frozenset(),
) -> ProcessPoolExecutor:
    """`size` children; each limited to `memory_limit` bytes of address space (RLIMIT_AS) when non-zero,
    `nice` steps below the caller's priority, and under SCHED_IDLE when `idle`. With `own_session` (and
    `nice`), each child runs in a session of its own whose autogroup gets the same nice (Linux). With
    `idle_group`, each child runs in the idle cpu cgroup (core/cpugroup.py) where this process may make one;
    with `cpus`, on those CPUs only."""
    group = cpugroup.idle_group() if idle_group else None
    # forkserver: forking a process that runs an event loop and threads is unsafe. The fork server (one per
    # process, started with the first child) builds the NLP pipelines before it forks any child.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["__main__", WARMED_MODULE])
    return ProcessPoolExecutor(
        max_workers=size,
        mp_context=context,
        initializer=_initialize,
        initargs=(memory_limit, nice, idle, own_session, str(group or ""), cpus),
    )


async def run_in_pool(pool: ProcessPoolExecutor, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    # submit() in a thread: it may start a child, and the first child waits until the fork server has
    # built the pipelines (seconds), which must not stall the event loop (readers' requests)
    future = await asyncio.to_thread(pool.submit, functools.partial(fn, *args, **kwargs))
    return await asyncio.wrap_future(future)
