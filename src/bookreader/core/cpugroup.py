"""An idle cpu cgroup for work that must never delay a reader (issue 17).

Nice, even at 19 and on the session's autogroup, only weighs the cores: a pool process parsing a book still
runs out its time slice when the API's loop or a reader's Postgres backend wakes on its core, and on two cores
each request waits for a few of those. The kernel preempts at once only an entity it knows to be idle: a task
under SCHED_IDLE against another task of the same group, or — whatever the groups — a cgroup marked
`cpu.idle` (Linux ≥ 5.15, cgroup v1 `cpu` or v2). A process in such a group gets every core nothing else
wants, so a book still ingests at full speed on an idle machine. Creating the group needs write access to the
cpu hierarchy (root, or a delegated subtree); everywhere else the functions here return None / False and the
nice is what there is.
"""

from __future__ import annotations

import os
from pathlib import Path

NAME = "bookreader-idle"  # shared by every BookReader process of the machine: it is idle for all of them
MOUNTINFO = Path("/proc/self/mountinfo")


def _hierarchy(pid: int | str = "self") -> tuple[Path, bool] | None:
    """(the directory of `pid`'s cgroup in the hierarchy that holds the cpu controller, whether it is v2)."""
    try:
        lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
        mounts = MOUNTINFO.read_text().splitlines()
    except OSError:
        return None
    for line in mounts:
        head, _, tail = line.partition(" - ")
        fields, (fstype, _source, options, *_) = head.split(), tail.split()
        root, mount = fields[3], fields[4]
        if fstype == "cgroup" and "cpu" in options.split(","):
            v2 = False
        elif fstype == "cgroup2" and "cpu" in _read(Path(mount) / "cgroup.controllers").split():
            v2 = True
        else:
            continue
        for entry in lines:  # "hierarchy-id:controllers:path", v2's with no controllers
            _id, controllers, path = entry.split(":", 2)
            ours = controllers == "" if v2 else "cpu" in controllers.split(",")
            if ours and path.startswith(root):
                return Path(mount) / path[len(root) :].lstrip("/"), v2
    return None


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def is_idle(group: Path) -> bool:
    return _read(group / "cpu.idle").strip() == "1"


def idle_group() -> Path | None:
    """The idle cgroup beside this process' own (created and marked idle if need be), None where this process
    may not make one. (cgroup v2 lets a child group have the cpu controller only when its parent holds no
    processes: a service in the root group, or under a delegated subtree of its own.)"""
    found = _hierarchy()
    if found is None:
        return None
    ours, v2 = found
    group = ours / NAME
    try:
        if v2 and "cpu" not in _read(ours / "cgroup.subtree_control").split():
            (ours / "cgroup.subtree_control").write_text("+cpu")
        group.mkdir(exist_ok=True)
        if not is_idle(group):
            (group / "cpu.idle").write_text("1")
    except OSError:  # read-only cgroupfs, not ours to write, or a kernel without cpu.idle
        return None
    return group if is_idle(group) else None


def join(group: Path, pid: int | str) -> bool:
    """Move process `pid` (all its threads) into `group`; True when it is there."""
    try:
        (group / "cgroup.procs").write_text(str(os.getpid() if pid == "self" else pid))
    except OSError:
        return False
    return current(pid) == group


def current(pid: int | str = "self") -> Path | None:
    """The cpu cgroup `pid` is in (None where there is no cpu hierarchy to read)."""
    found = _hierarchy(pid)
    return None if found is None else found[0]


def own_idle_group() -> Path | None:
    """This process' cpu cgroup when it is an idle one (a pool child's): where its helpers should go too."""
    group = current()
    return group if group is not None and is_idle(group) else None
