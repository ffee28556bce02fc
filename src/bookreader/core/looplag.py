"""How late the event loop runs a timer: the stalls readers' requests wait behind (a callback that computes
too long, or another thread of this process holding the GIL — unpickling a pool result, say).

`watch()` runs for the process' life beside the API: every `INTERVAL` it sleeps and records how much later
than asked it woke, in `bookreader_event_loop_lag_seconds` (/metrics; bench-http reads its buckets to tell
stalls of the loop from requests queueing for a busy machine's cores).
"""

from __future__ import annotations

import asyncio

from prometheus_client import Counter, Histogram

INTERVAL = 0.005  # seconds between probes: 200 wake-ups a second cost well under 1 % of a core
LOOP_LAG = Histogram(
    "bookreader_event_loop_lag_seconds",
    "How much later than asked a timer on the API's event loop ran",
    buckets=(0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25, 1),
)
LOOP_STALLED = Counter(
    "bookreader_event_loop_stalled_seconds_total", "Time the event loop ran late by more than 2 ms, summed"
)
STALL = 0.002


def record(lag: float) -> None:
    LOOP_LAG.observe(lag)
    if lag > STALL:
        LOOP_STALLED.inc(lag)


async def watch(interval: float = INTERVAL) -> None:
    loop = asyncio.get_running_loop()
    while True:
        asked = loop.time() + interval
        await asyncio.sleep(interval)
        record(max(0.0, loop.time() - asked))
