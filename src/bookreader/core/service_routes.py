"""Health, readiness, metrics and the bundled UI."""

from __future__ import annotations

import asyncio
import hmac
from typing import Any

from litestar import Request, Response, get
from litestar.enums import ScopeType
from litestar.response import File
from litestar.types import ASGIApp, Receive, Scope, Send
from litestar.types.asgi_types import HTTPResponseBodyEvent, HTTPResponseStartEvent
from redis.asyncio import Redis

from bookreader.core import db
from bookreader.core.errors import NotFound
from bookreader.core.observability import QUEUE_DEPTH, metrics_payload
from bookreader.core.resources import static_dir
from bookreader.settings import Settings

STATIC_DIR = static_dir()


HEALTH_BODY = b'{"status":"ok"}'
_HEALTH_HEADERS = (
    (b"content-type", b"application/json"),
    (b"content-length", str(len(HEALTH_BODY)).encode()),
)


@get("/health", operation_id="health", tags=["service"])
async def health() -> dict[str, str]:
    return {"status": "ok"}  # documented here; answered by `health_fast_path` before routing


def health_fast_path(app: ASGIApp) -> ASGIApp:
    """GET /health (liveness) answered before Litestar's routing, dependencies and response machinery: a
    probe needs none of them, and polled often it should cost next to nothing. The outer middlewares still
    add security headers, the request id and the metrics."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == ScopeType.HTTP
            and scope["path"] == "/health"
            and scope["method"] in ("GET", "HEAD")
        ):
            start: HTTPResponseStartEvent = {
                "type": "http.response.start",
                "status": 200,
                "headers": list(_HEALTH_HEADERS),
            }
            await send(start)
            body: HTTPResponseBodyEvent = {
                "type": "http.response.body",
                "body": b"" if scope["method"] == "HEAD" else HEALTH_BODY,
                "more_body": False,
            }
            await send(body)
            return
        await app(scope, receive, send)

    return middleware


@get("/ready", operation_id="ready", tags=["service"])
async def ready(redis: Redis) -> Response[dict[str, Any]]:
    checks: dict[str, str] = {}
    try:
        await db.ping(timeout=2)
        checks["postgres"] = "ok"
    except Exception as exc:
        checks["postgres"] = f"down: {type(exc).__name__}"
    try:
        await asyncio.wait_for(redis.ping(), 2)
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"down: {type(exc).__name__}"
    down = [name for name, value in checks.items() if value != "ok"]
    if down:
        body = {"status": "unavailable", "failed": down, "checks": checks, "code": "dependency_down"}
        return Response(body, status_code=503)
    return Response({"status": "ready", "checks": checks}, status_code=200)


def metrics_allowed(request: Request[Any, Any, Any], settings: Settings) -> bool:
    """With BOOKREADER_METRICS_TOKEN set, /metrics wants `Authorization: Bearer <it>`; without it, /metrics
    is open in development and closed in production (it must not be public through an ingress)."""
    if not settings.metrics_token:
        return bool(settings.env != "production")
    header = request.headers.get("authorization", "")
    given = header[7:].strip() if header.lower().startswith("bearer ") else ""
    return hmac.compare_digest(given.encode(), settings.metrics_token.encode())


@get("/metrics", operation_id="metrics", tags=["service"], include_in_schema=False)
async def metrics(request: Request[Any, Any, Any], settings: Settings, redis: Redis) -> Response[bytes]:
    if not metrics_allowed(request, settings):
        raise NotFound("Not found.")
    try:
        QUEUE_DEPTH.set(await asyncio.wait_for(redis.zcard(settings.queue_name), 1))
    except Exception:
        pass
    payload, content_type = metrics_payload()
    return Response(payload, media_type=content_type)


@get(["/", "/index.html"], operation_id="webUi", include_in_schema=False)
async def index() -> File:
    return File(path=STATIC_DIR / "index.html", media_type="text/html", content_disposition_type="inline")
