"""The application's shared resources as Litestar dependencies, registered once in app.py.

A handler names what it needs as a parameter — `settings: Settings`, `storage: Storage`, `queue: ArqRedis`
and `redis` (the same pool, named for counters and pub/sub) — instead of reaching into `request.app.state`. The
providers only hand over what the lifespan built (sync, never in a thread), so asking costs nothing.
"""

from __future__ import annotations

from arq.connections import ArqRedis
from litestar.datastructures import State
from litestar.di import Provide

from bookreader.core.storage import Storage
from bookreader.settings import Settings


def provide_settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


def provide_storage(state: State) -> Storage:
    storage: Storage = state.storage
    return storage


def provide_queue(state: State) -> ArqRedis:
    queue: ArqRedis = state.queue
    return queue


def provide_redis(state: State) -> ArqRedis:
    redis: ArqRedis = state.redis  # the queue's pool, named for what the handler does (counters, pub/sub)
    return redis


DEPENDENCIES = {
    "settings": Provide(provide_settings, sync_to_thread=False),
    "storage": Provide(provide_storage, sync_to_thread=False),
    "queue": Provide(provide_queue, sync_to_thread=False),
    "redis": Provide(provide_redis, sync_to_thread=False),
}
