from __future__ import annotations

import asyncio

import httpx
from tests.harness import Infrastructure, LiveService

from bookreader.core.embedded import EmbeddedRedis


async def test_health_ready_metrics_openapi_ui(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = await client.get("/ready")
    assert ready.status_code == 200 and ready.json()["checks"] == {"postgres": "ok", "redis": "ok"}
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200 and "bookreader_http_requests_total" in metrics.text
    spec = (await client.get("/schema/openapi.json")).json()
    assert spec["openapi"].startswith("3.1")
    operations = [op for path in spec["paths"].values() for op in path.values() if isinstance(op, dict)]
    assert operations and all(op.get("operationId") for op in operations)
    assert "/api/v1/books" in spec["paths"]
    ui = await client.get("/")
    assert ui.status_code == 200 and "text/html" in ui.headers["content-type"]
    assert ui.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in ui.headers["content-security-policy"]


async def test_unknown_route_is_problem_json(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"


async def test_ready_turns_503_when_redis_stops_and_recovers(
    migrated, infra: Infrastructure, tmp_path
) -> None:
    redis = EmbeddedRedis(tmp_path / "redis", persistent=False)
    redis.start()
    env = {**migrated, "REDIS_URL": redis.url, "BOOKREADER_EMBEDDED_WORKER": "0"}
    service = LiveService(env, command="api", log_path=tmp_path / "api.log").start()
    try:
        async with httpx.AsyncClient(base_url=service.base_url, timeout=10) as http:
            assert (await http.get("/ready")).status_code == 200
            port = redis.port
            redis.stop()
            down = await http.get("/ready")
            assert down.status_code == 503
            assert down.json()["failed"] == ["redis"]
            assert (await http.get("/health")).status_code == 200  # alive, whatever the dependencies

            restarted = EmbeddedRedis(tmp_path / "redis", persistent=False, port=port)
            restarted.start()
            try:
                for _ in range(50):
                    if (await http.get("/ready")).status_code == 200:
                        break
                    await asyncio.sleep(0.2)
                assert (await http.get("/ready")).status_code == 200
            finally:
                restarted.stop()
    finally:
        service.stop()
