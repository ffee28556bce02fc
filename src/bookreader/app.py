"""`create_app()`: the Litestar application — routes, lifespan resources, error mapping, OpenAPI, UI."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator

from litestar import Litestar
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.static_files import create_static_files_router

from bookreader import __version__
from bookreader.core import db, looplag
from bookreader.core.auth import provide_caller
from bookreader.core.deps import DEPENDENCIES
from bookreader.core.embedded import claim_embedded_worker
from bookreader.core.errors import EXCEPTION_HANDLERS
from bookreader.core.headers import security_headers_middleware
from bookreader.core.observability import configure_logging, metrics_middleware
from bookreader.core.queue import create_queue
from bookreader.core.ratelimit import close_limiter_wire, limiter_wire, rate_limit_middleware
from bookreader.core.security import configure_password_hashing
from bookreader.core.service_routes import STATIC_DIR, health, health_fast_path, index, metrics, ready
from bookreader.core.storage import Storage
from bookreader.domain.accounts.controllers import AuthController, UserController
from bookreader.domain.accounts.deps import provide_user
from bookreader.domain.admin.controllers import AdminController
from bookreader.domain.books.controllers import BookController
from bookreader.domain.descriptions.controllers import DescriptionController
from bookreader.domain.devices.controllers import DevicePasswordController
from bookreader.domain.exports.controllers import ExportController
from bookreader.domain.illustrations.controllers import ROUTES as ILLUSTRATION_ROUTES
from bookreader.domain.kosync.controllers import kosync_router
from bookreader.domain.live.controllers import events_socket
from bookreader.domain.opds.controllers import ROUTES as OPDS_ROUTES
from bookreader.domain.reading.controllers import ROUTES as READING_ROUTES
from bookreader.domain.search.controllers import ROUTES as SEARCH_ROUTES
from bookreader.domain.shelves.controllers import ShelfController
from bookreader.domain.webhooks.controllers import WebhookController
from bookreader.settings import Settings, load_settings
from bookreader.tables import TABLES

log = logging.getLogger(__name__)

ROUTE_HANDLERS: list = [
    health,
    ready,
    metrics,
    index,
    AuthController,
    UserController,
    BookController,
    DescriptionController,
    AdminController,
    events_socket,
    *ILLUSTRATION_ROUTES,
    ExportController,
    *READING_ROUTES,
    DevicePasswordController,
    WebhookController,
    *SEARCH_ROUTES,
    kosync_router,
    ShelfController,
    *OPDS_ROUTES,
]


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or load_settings()
    configure_logging(settings.log_level, settings.log_json, settings.log_file)
    configure_password_hashing(settings.password_hash_memory_kib)

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await db.start_pool(settings, TABLES)
        queue = await create_queue(settings, retries=5)
        app.state.queue = queue
        app.state.redis = queue  # ArqRedis is a redis.asyncio.Redis: one pool for queue, pub/sub, counters
        app.state.redis_wire = wire = limiter_wire(settings)
        lag_probe = asyncio.create_task(looplag.watch(), name="loop-lag")  # stalls readers wait behind
        worker_task = None
        worker = None
        # with several Granian workers, the first to take the lock runs the embedded ARQ worker
        worker_lock = settings.embedded_worker and claim_embedded_worker(settings.embedded_worker_lock)
        if worker_lock:
            from bookreader.worker import create_worker  # here: `bookreader api` never loads the job code

            worker = create_worker(settings, embedded=True)
            worker_task = asyncio.create_task(worker.async_run(), name="arq-worker")
        # what startup made (modules, routes, the signature models) lives as long as the process: out of the
        # collector's way, so a full collection mid-request walks only what requests allocate (p99 spikes)
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            lag_probe.cancel()
            if worker is not None and worker_task is not None:
                await worker.close()
                worker_task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await worker_task
            if app.state.get("live_hub") is not None:
                await app.state.live_hub.stop()
            await close_limiter_wire(wire)
            await queue.aclose()
            await db.close_pool()
            if not isinstance(worker_lock, bool):
                worker_lock.close()

    static_router = create_static_files_router(
        path="/static",
        directories=[STATIC_DIR],
        name="static",
        include_in_schema=False,
        send_as_attachment=False,
    )
    app = Litestar(
        route_handlers=[*ROUTE_HANDLERS, static_router],
        lifespan=[lifespan],
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[rate_limit_middleware],
        dependencies={  # what handlers name as parameters; `caller`: the hot routes, no account row loaded
            **DEPENDENCIES,
            "user": Provide(provide_user),
            "caller": Provide(provide_caller),
        },
        cors_config=CORSConfig(allow_origins=settings.cors_origins, allow_credentials=True)
        if settings.cors_origins
        else None,
        openapi_config=_openapi_config(),
        state=_initial_state(settings),
        request_max_body_size=settings.max_upload_bytes + 1024 * 1024,
        debug=False,
        logging_config=None,  # ours (JSON, with request/job ids) is set up by configure_logging
    )
    # outside routing, so 404/405 and CORS preflights get headers, request ids and metrics too
    app.asgi_handler = metrics_middleware(
        security_headers_middleware(health_fast_path(app.asgi_handler)),
        access_log_sample=settings.access_log_sample,
    )
    return app


def _openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="BookReader API",
        version=__version__,
        path="/schema",
        render_plugins=[
            SwaggerRenderPlugin(
                path="/",
                js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
                css_url="/static/vendor/swagger-ui/swagger-ui.css",
                standalone_preset_js_url="/static/vendor/swagger-ui/swagger-ui-standalone-preset.js",
            )
        ],
    )


def _initial_state(settings: Settings) -> State:
    return State({"settings": settings, "storage": Storage.from_settings(settings)})
