"""Pool children have an address-space limit (security review #4): a book that needs too much memory fails
alone with MemoryError instead of growing the worker to gigabytes. They run niced, and (issue 17) in a
session of their own whose Linux autogroup is niced too, yet die with the service."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bookreader.core import autogroup, cpugroup
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


def _cpu_group() -> str:
    return str(cpugroup.current())


def test_children_run_in_the_idle_cpu_cgroup_when_asked() -> None:
    group = cpugroup.idle_group()
    if group is None:
        pytest.skip("no idle cpu cgroup can be made here (cgroupfs read-only, or a kernel without cpu.idle)")
    pool = create_process_pool(1, nice=4, own_session=True, idle_group=True)
    plain = create_process_pool(1, nice=4)
    try:
        assert pool.submit(_cpu_group).result(timeout=60) == str(group)
        assert cpugroup.is_idle(group), "the kernel preempts its processes at once for anybody else's"
        assert plain.submit(_cpu_group).result(timeout=60) == str(cpugroup.current()), "without it: ours"
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        plain.shutdown(wait=True, cancel_futures=True)


def _session() -> tuple[int, int, int, int | None]:
    return os.getpid(), os.getsid(0), os.getpriority(os.PRIO_PROCESS, 0), autogroup.nice_of()


def _autogroup_writable() -> str:
    """Why a child could not get an autogroup nice of its own here ('' when it can)."""
    if not autogroup.enabled():
        return "Linux autogroup is off (or not Linux): /proc/sys/kernel/sched_autogroup_enabled"
    if not os.access("/proc/self/autogroup", os.W_OK):
        return "/proc/self/autogroup is not writable here"
    return ""


def test_niced_children_run_in_a_session_of_their_own_whose_group_has_that_nice() -> None:
    if reason := _autogroup_writable():
        pytest.skip(reason)
    pool = create_process_pool(1, nice=6, own_session=True)
    same = create_process_pool(1, nice=6)
    try:
        pid, sid, nice, group_nice = pool.submit(_session).result(timeout=60)
        assert sid == pid != os.getsid(0), "a session of its own: an autogroup of its own"
        assert nice >= 6 and group_nice is not None and group_nice >= 6
        pid, sid, _, group_nice = same.submit(_session).result(timeout=60)
        assert sid == os.getsid(0) and group_nice == autogroup.nice_of(), "without it: the caller's session"
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        same.shutdown(wait=True, cancel_futures=True)


SERVICE = """
import os, sys, time
from bookreader.core.procpool import create_process_pool
if __name__ == "__main__":
    pool = create_process_pool(1, nice=5, own_session=True)
    child = pool.submit(os.getpid).result(timeout=60)
    pool.submit(time.sleep, 600)  # busy: only the kernel's parent-death signal ends it early
    print(child, flush=True)
    time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_busy_child_in_its_own_session_dies_with_the_killed_process_group(tmp_path: Path) -> None:
    """The harness and operators stop a service by killing its process group, which a child that left the
    session is no longer in: it must go with its fork server all the same, even mid-task."""
    if reason := _autogroup_writable():
        pytest.skip(reason)
    script = tmp_path / "service.py"
    script.write_text(SERVICE)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    service = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env, start_new_session=True
    )
    try:
        assert service.stdout is not None
        child = int(service.stdout.readline())
        assert _alive(child) and os.getsid(child) == child
        os.killpg(service.pid, signal.SIGKILL)
        service.wait(30)
        deadline = time.monotonic() + 30
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(child), "the pool child outlived its killed service"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(service.pid, signal.SIGKILL)
        service.wait(30)
        with contextlib.suppress(ProcessLookupError, NameError):
            os.kill(child, signal.SIGKILL)  # a failed run leaves no sleeper behind
