"""Linux autogroup: the scheduler shares the cores between sessions first and only then between the
processes of one session, so a process' own nice counts only against its session's other processes (issue
17). Whatever must yield the cores to other sessions' work — a pool process parsing a book, the Postgres
backend writing it (every backend is a session leader of its own) — has to lower its session's weight too:
`/proc/<pid>/autogroup` takes a nice value for the whole session."""

from __future__ import annotations

import time
from pathlib import Path

ENABLED = Path("/proc/sys/kernel/sched_autogroup_enabled")
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
