"""Granian workers (issue 17): `serve` with BOOKREADER_WORKERS=2 runs two API processes and the embedded ARQ
worker in exactly one of them; /health, answered before routing, keeps its headers and request id."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from tests.harness import LiveService
from tests.integration.admin.isolation import isolated_environment
from tests.support import sign_up


async def test_serve_with_two_workers_runs_one_embedded_arq_worker(
    migrated, tmp_path, generated_books
) -> None:
    with isolated_environment(migrated, tmp_path) as env:
        service = LiveService({**env, "BOOKREADER_WORKERS": "2"}, log_path=tmp_path / "serve.log").start()
        try:
            pid = service.process.pid
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            async with httpx.AsyncClient(base_url=service.base_url, timeout=30) as http:
                reader = await sign_up(http)
                book = (await reader.upload(generated_books["tiny"])).json()
                assert (await reader.wait_for_book(book["id"], timeout=120))["status"] == "ready"
                health = await http.get("/health", headers={"X-Request-ID": "probe-1"})
        finally:
            service.stop()
    assert len(children) >= 2, children  # two Granian worker processes (plus any helper of the server)
    lines = [
        json.loads(line) for line in (tmp_path / "serve.log").read_text().splitlines() if line.startswith("{")
    ]
    started = [r for r in lines if r["message"].startswith("Starting worker for")]
    assert len(started) == 1, started  # the embedded ARQ worker: one process only
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert health.headers["x-request-id"] == "probe-1"
    assert health.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in health.headers["content-security-policy"]
