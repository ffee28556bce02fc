"""The CPU split of `serve` (issue 17): the API on one core, the pool on the others, threads and all."""

from __future__ import annotations

import os
import threading

import pytest

from bookreader.core import affinity
from bookreader.core.procpool import create_process_pool

TWO = frozenset({0, 1})
FOUR = frozenset({0, 1, 2, 3})


def test_cpu_lists_read_as_taskset_writes_them() -> None:
    assert affinity.parse("1-3,5") == {1, 2, 3, 5}
    assert affinity.parse(" 0 , 2 ") == {0, 2}
    for wrong in ("", "x", "3-1", "-1", "1,,a"):
        with pytest.raises(affinity.CpuSpecError):
            affinity.parse(wrong)


def test_auto_gives_the_api_the_first_cpu_and_the_pool_the_rest() -> None:
    assert affinity.split("auto", TWO) == ({0}, {1})
    assert affinity.split("auto", frozenset({2, 5, 7})) == ({2}, {5, 7})
    assert affinity.split("auto", frozenset({0})) is None, "one CPU: nothing to split"
    assert affinity.split("all", FOUR) is None


def test_a_list_names_the_pool_cpus_of_those_available() -> None:
    assert affinity.split("2-3", FOUR) == ({0, 1}, {2, 3})
    assert affinity.split("1,9", FOUR) == ({0, 2, 3}, {1}), "CPUs not available are left out"
    assert affinity.split("0-3", FOUR) is None, "the API needs a CPU of its own"
    assert affinity.split("8", FOUR) is None, "and so does the pool"


def _pinned_threads(cpus: frozenset[int]) -> tuple[set[frozenset[int]], frozenset[int]]:
    """In a pool child: pin this process (a thread already running, one started after), then report the
    affinity of every thread and of a thread started after."""
    started = threading.Event()
    stop = threading.Event()
    before = threading.Thread(target=lambda: (started.set(), stop.wait(30)))
    before.start()
    started.wait(30)
    assert affinity.pin_process(cpus)
    seen: dict[str, frozenset[int]] = {}
    after = threading.Thread(target=lambda: seen.update(after=frozenset(os.sched_getaffinity(0))))
    after.start()
    after.join(30)
    everyone = {frozenset(os.sched_getaffinity(int(t))) for t in os.listdir("/proc/self/task")}
    stop.set()
    before.join(30)
    return everyone, seen["after"]


def test_pinning_moves_every_thread_and_the_threads_started_after(cpus: frozenset[int]) -> None:
    last = frozenset({max(cpus)})
    pool = create_process_pool(1)  # a child: pinning the test process itself would outlive the test
    try:
        everyone, after = pool.submit(_pinned_threads, last).result(timeout=60)
    finally:
        pool.shutdown(wait=True)
    assert everyone == {last} and after == last


def test_pool_children_run_on_the_cpus_they_are_given(cpus: frozenset[int]) -> None:
    last = frozenset({max(cpus)})
    pool = create_process_pool(1, nice=2, cpus=last)
    try:
        assert pool.submit(affinity.available).result(timeout=60) == last
    finally:
        pool.shutdown(wait=True)
