"""Low-priority threads for CPU work that stays in this process: decoding, resizing and encoding pictures
(thumbnails, placeholder cards). A parsed book's files (its cover thumbnail too) are written by the parse
stage's pool process, not here.

Pillow releases the GIL in that work, so it does not stall the event loop, but it does take a core — on a
2-core machine the one readers' requests need. Here it runs one job at a time, `NICE` steps below the process
(Linux gives each thread its own nice value), so the API's requests get the cores first while books ingest.
"""

from __future__ import annotations

import asyncio
import functools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
NICE = 10
_executor: ThreadPoolExecutor | None = None


def _lower_priority() -> None:
    try:
        thread = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, thread, min(19, os.getpriority(os.PRIO_PROCESS, thread) + NICE))
    except OSError:  # not permitted here: the work still runs, at normal priority
        pass


def executor() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="cpu-low-priority", initializer=_lower_priority
        )
    return _executor


async def run_low_priority(fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` in the low-priority thread; the event loop only waits for it."""
    return await asyncio.get_running_loop().run_in_executor(executor(), functools.partial(fn, *args))
