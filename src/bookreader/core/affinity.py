"""CPU affinity: the single box's cores split between the API and the work that must not slow it (issue 17).

An idle cgroup and nice decide who runs when both want a core; they cannot stop a pool process parsing a book
from running in every gap the API's loop leaves on its own core (a wait on Postgres, on the network), and each
such gap costs the API its core's caches: on two cores GET chapter's p99 while a book ingested was ~1.9× idle
with the pool anywhere, ~1.2× with the API on one core and the pool and its Postgres writers on the other
(bench-http --ingest-only, paired runs). `serve` (API + embedded worker) does so by default where there are
two or more CPUs; `worker` alone keeps every core for its pool.
"""

from __future__ import annotations

import os
from pathlib import Path

AUTO = "auto"
ALL = "all"


class CpuSpecError(ValueError):
    pass


def parse(spec: str) -> frozenset[int]:
    """ "1-3,5" → {1, 2, 3, 5} (the notation of taskset and cpuset.cpus)."""
    cpus: set[int] = set()
    for part in spec.replace(" ", "").split(","):
        if not part:
            continue
        first, _, last = part.partition("-")
        try:
            low, high = int(first), int(last or first)
        except ValueError:
            raise CpuSpecError(f"not a CPU list: {spec!r} (e.g. 1-3,5)") from None
        if low < 0 or high < low:
            raise CpuSpecError(f"not a CPU range: {part!r} in {spec!r}")
        cpus.update(range(low, high + 1))
    if not cpus:
        raise CpuSpecError(f"no CPUs in {spec!r}")
    return frozenset(cpus)


def check(spec: str) -> None:
    """Raise CpuSpecError unless `spec` is "auto", "all" or a CPU list."""
    if spec not in (AUTO, ALL):
        parse(spec)


def split(spec: str, available: frozenset[int]) -> tuple[frozenset[int], frozenset[int]] | None:
    """(the API's CPUs, the pool's) out of `available`, None for no split. "auto": the first CPU for the
    API and the rest for the pool, given two or more; "all": none; a list: those for the pool (of the ones
    available) and the rest for the API — none when that leaves either side without a CPU."""
    if spec == ALL or len(available) < 2:
        return None
    pool = available - {min(available)} if spec == AUTO else parse(spec) & available
    api = available - pool
    return (api, pool) if api and pool else None


def available() -> frozenset[int]:
    try:
        return frozenset(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return frozenset(range(os.cpu_count() or 1))


def pin_process(cpus: frozenset[int], pid: int | str = "self") -> bool:
    """Every thread of process `pid` (this one by default) onto `cpus`: threads it starts later inherit the
    affinity of the one that starts them. True when all of them could be moved."""
    try:
        threads = [int(t.name) for t in Path(f"/proc/{pid}/task").iterdir()]
    except OSError:
        threads = [0 if pid == "self" else int(pid)]
    moved = True
    for tid in threads:
        try:
            os.sched_setaffinity(tid, cpus)
        except ProcessLookupError:  # a thread that has just ended
            continue
        except (AttributeError, OSError):  # not Linux, or not ours to move
            moved = False
    return moved


def follow(pid: int) -> bool:
    """Process `pid` (a Postgres backend writing for this one) onto this process' CPUs, when they are not
    all of the machine's. True when it was moved."""
    ours = available()
    if ours == frozenset(range(os.cpu_count() or 1)):
        return False
    return pin_process(ours, pid)
