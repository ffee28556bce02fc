from __future__ import annotations

import os
import threading

from bookreader.core import cputhreads


def _where() -> tuple[int, int]:
    thread = threading.get_native_id()
    return thread, os.getpriority(os.PRIO_PROCESS, thread)


async def test_work_runs_in_one_thread_below_the_process_priority() -> None:
    process_nice = os.getpriority(os.PRIO_PROCESS, 0)
    first, second = await cputhreads.run_low_priority(_where), await cputhreads.run_low_priority(_where)
    assert first[0] == second[0] != threading.get_native_id()  # one thread, not the event loop's
    assert first[1] == min(19, process_nice + cputhreads.NICE)
    assert (
        os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == process_nice
    )  # the loop keeps its own
    assert await cputhreads.run_low_priority(sum, [1, 2, 3]) == 6
