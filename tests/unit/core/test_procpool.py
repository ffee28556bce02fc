"""Pool children have an address-space limit (security review #4): a book that needs too much memory fails
alone with MemoryError instead of growing the worker to gigabytes."""

from __future__ import annotations

import os
import resource

import pytest

from bookreader.core.procpool import create_process_pool

MiB = 1024 * 1024


def _limit() -> int:
    return resource.getrlimit(resource.RLIMIT_AS)[0]


def _allocate(size: int) -> int:
    block = bytearray(size)
    return len(block)


def test_children_get_the_memory_limit_and_fail_alone() -> None:
    pool = create_process_pool(1, memory_limit=512 * MiB)
    try:
        assert pool.submit(_limit).result(timeout=60) == 512 * MiB
        with pytest.raises(MemoryError):
            pool.submit(_allocate, 1024 * MiB).result(timeout=60)
        assert pool.submit(_allocate, 8 * MiB).result(timeout=60) == 8 * MiB  # the child lives on
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def test_no_limit_when_zero() -> None:
    pool = create_process_pool(1, memory_limit=0)
    try:
        assert pool.submit(_limit).result(timeout=60) == _limit()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def test_children_run_niced_and_under_sched_idle_when_asked() -> None:
    pool = create_process_pool(1, nice=3, idle=True)
    plain = create_process_pool(1)
    try:
        assert pool.submit(os.sched_getscheduler, 0).result(timeout=60) == os.SCHED_IDLE
        assert pool.submit(os.getpriority, os.PRIO_PROCESS, 0).result(timeout=60) >= 3
        assert plain.submit(os.sched_getscheduler, 0).result(timeout=60) == os.SCHED_OTHER
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        plain.shutdown(wait=True, cancel_futures=True)
