"""Logs are JSON lines under Granian (with request ids, also in the rotated log file); a standalone worker
serves its own /metrics."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx
from tests.harness import LiveService
from tests.support import sign_up

from bookreader.core.embedded import free_port


def json_lines(path: Path) -> list[dict]:
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    assert lines, f"{path} is empty"
    records = []
    for line in lines:
        record = json.loads(line)  # every line, including Granian's own, is a JSON object
        assert {"ts", "level", "logger", "message"} <= record.keys(), line
        records.append(record)
    return records


async def test_serve_logs_json_with_request_ids_to_stderr_and_file(
    own_env, tmp_path, generated_books
) -> None:
    data = Path(own_env["BOOKREADER_DATA_DIR"])
    env = {**own_env, "BOOKREADER_LOG_JSON": "1"}
    service = LiveService(env, log_path=tmp_path / "serve.log").start()
    try:
        async with httpx.AsyncClient(base_url=service.base_url) as http:
            response = await http.get("/api/v1/books", headers={"X-Request-ID": "trace-me-123"})
            assert response.headers["x-request-id"] == "trace-me-123"
            # run a job deliberately: the job-id assertion below must not depend on cron timing
            reader = await sign_up(http)
            book = (await reader.upload(generated_books["tiny"])).json()
            assert (await reader.wait_for_book(book["id"]))["status"] == "ready"
            await asyncio.sleep(0.3)
    finally:
        service.stop()
    records = json_lines(tmp_path / "serve.log")
    assert any(r["logger"] == "arq.worker" and r.get("job_id") for r in records)  # job lines carry the job id
    assert any(r["logger"].startswith("_granian") for r in records)  # Granian's lines went through ours
    assert any(r.get("request_id") == "trace-me-123" and r["logger"] == "bookreader.access" for r in records)
    file_records = json_lines(data / "logs" / "bookreader.log")
    assert any(r.get("request_id") == "trace-me-123" for r in file_records)


async def test_standalone_worker_serves_metrics(own_env, tmp_path) -> None:
    port = free_port()
    env = {**own_env, "BOOKREADER_WORKER_METRICS_PORT": str(port), "BOOKREADER_LOG_JSON": "1"}
    worker = LiveService(env, command="worker", log_path=tmp_path / "worker.log").start()
    try:
        text = ""
        async with httpx.AsyncClient() as http:
            deadline = time.monotonic() + 90  # a cold worker imports spaCy first: slow on a loaded machine
            while time.monotonic() < deadline:
                try:
                    text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
                    if "bookreader_queue_depth" in text:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        assert "bookreader_queue_depth" in text and "bookreader_jobs_total" in text
    finally:
        worker.stop()
    records = json_lines(tmp_path / "worker.log")
    assert any(r["logger"].startswith("arq") for r in records)
