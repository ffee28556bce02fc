"""Linux autogroup: the scheduler shares the cores between sessions first and only then between the
processes of one session, so a process' own nice counts only against its session's other processes (issue
17). Whatever must yield the cores to other sessions' work — a pool process parsing a book, the Postgres
backend writing it (every backend is a session leader of its own) — has to lower its session's weight too:
`/proc/<pid>/autogroup` takes a nice value for the whole session."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import time
from pathlib import Path

ENABLED = Path("/proc/sys/kernel/sched_autogroup_enabled")
PR_SET_PDEATHSIG = 1
RETRIES = 20


def enabled() -> bool:
    try:
        return ENABLED.read_text().strip() == "1"
    except OSError:  # not Linux, or a kernel without autogroup: nice alone is what there is
        return False


def nice_of(pid: int | str = "self") -> int | None:
    """The nice value of `pid`'s autogroup (`/autogroup-105 nice 10`), None where there is none to read."""
    try:
        return int(Path(f"/proc/{pid}/autogroup").read_text().split()[-1])
    except (OSError, ValueError, IndexError):
        return None


def set_nice(pid: int | str, nice: int) -> bool:
    """Lower `pid`'s session group to `nice` (never raise it: a group already below stays so). True when the
    group reads back at least that nice; False where autogroup is off or the file is not ours to write."""
    if not enabled():
        return False
    for _ in range(RETRIES):
        current = nice_of(pid)
        if current is None:
            return False
        if current >= nice:
            return True
        try:
            Path(f"/proc/{pid}/autogroup").write_text(str(nice))
        except BlockingIOError:  # EAGAIN: the kernel takes one such write per 100 ms from a non-root writer
            time.sleep(0.05)
        except OSError:  # another user's process, or gone: left as it is
            return False
    after = nice_of(pid)
    return after is not None and after >= nice


def leave_session(nice: int) -> bool:
    """This process (a pool child) into a session of its own at `nice`: its CPU-bound work then weighs as
    little against the API's session as its nice says, instead of as much as the whole API. It leaves the
    process group too, so first it asks the kernel to kill it when its parent (the fork server, which dies
    with the service) dies: a kill of the service's process group still takes it. It stays where it is
    unless all of that is possible: a session of its own at nice 0 would weigh more, not less. True when
    the new session's group has the nice."""
    if not enabled() or nice <= 0 or not os.access("/proc/self/autogroup", os.W_OK):
        return False
    if not _die_with_parent():
        return False
    try:
        os.setsid()
    except OSError:  # already a session or group leader: stays where it is
        return False
    return set_nice("self", nice)


def _die_with_parent() -> bool:
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    parent = os.getppid()
    if ctypes.CDLL(libc_name, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
        return False
    if os.getppid() != parent:  # the parent died before the request took: go as it would have made us
        os._exit(1)
    return True
