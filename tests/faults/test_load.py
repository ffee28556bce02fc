"""200 concurrent simulated readers for 60 s (chapter reads, progress writes and reads): no errors, and every
reader's last acknowledged position is the stored one. Figures: `just bench-load`."""

from __future__ import annotations

import pytest
from bench.bench_load import BOOK, run_load

from tests.harness import LiveService


@pytest.mark.slow
@pytest.mark.timeout(400)
async def test_200_readers_for_60_seconds(fault_env, tmp_path, generated_books) -> None:
    book = BOOK if BOOK.is_file() else generated_books["novel"]
    env = {**fault_env, "BOOKREADER_LOG_LEVEL": "WARNING"}
    service = LiveService(env, log_path=tmp_path / "service.log").start()
    try:
        result = await run_load(
            service.base_url,
            env["DATABASE_URL"],
            env["BOOKREADER_SECRET_KEY"],
            readers=200,
            duration=60,
            book=book,
        )
    finally:
        service.stop()
    print(result.summary())
    assert result.errors == []
    assert result.writes > 200 and result.lost_writes == 0
    assert result.requests > 1000  # every reader kept reading for the whole minute
