"""ARQ on Redis with msgspec (msgpack) instead of pickle, on pool and worker alike.

Job payloads are msgspec Structs. They travel as msgpack maps and each job converts its argument back with
`JobPayload.load`, so a payload's shape is checked where it is used.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

import msgspec
from arq.connections import ArqRedis, RedisSettings, create_pool

from bookreader.settings import Settings


def _fallback(value: Any) -> Any:
    # arq stores a failed job's exception as its result: keep its text
    if isinstance(value, BaseException):
        return f"{type(value).__name__}: {value}"
    raise NotImplementedError(f"cannot serialize {type(value).__name__}")


_encoder = msgspec.msgpack.Encoder(enc_hook=_fallback)
_decoder = msgspec.msgpack.Decoder()


def serialize(value: Any) -> bytes:
    return _encoder.encode(value)


def deserialize(data: bytes) -> Any:
    return _decoder.decode(data)


SERIALIZERS = {"job_serializer": serialize, "job_deserializer": deserialize}


def redis_settings(settings: Settings) -> RedisSettings:
    if not settings.redis_url:
        raise RuntimeError("REDIS_URL is not set (the CLI starts an embedded server when it is unset)")
    rs = RedisSettings.from_dsn(settings.redis_url)
    rs.conn_timeout = 2
    rs.conn_retries = 1
    rs.conn_retry_delay = 0
    return rs


async def create_queue(settings: Settings, *, retries: int | None = None) -> ArqRedis:
    rs = redis_settings(settings)
    if retries is not None:
        rs.conn_retries = retries
    return await create_pool(
        rs, default_queue_name=settings.queue_name, job_serializer=serialize, job_deserializer=deserialize
    )


class JobPayload(msgspec.Struct, frozen=True):
    """A job's argument. Subclasses name their ARQ function and what makes two enqueues the same job."""

    function: ClassVar[str]

    def job_id(self) -> str | None:
        return None

    @classmethod
    def load(cls, raw: Any) -> Self:
        return msgspec.convert(raw, cls)


async def enqueue(queue: ArqRedis, payload: JobPayload, *, defer_by: float | None = None) -> bool:
    """Enqueue `payload`; False when a job with the same id is already queued or running."""
    job = await queue.enqueue_job(
        payload.function,
        msgspec.to_builtins(payload),
        _job_id=payload.job_id(),
        _defer_by=defer_by,
    )
    return job is not None
