"""Prometheus metrics (HTTP and jobs) and JSON logs carrying request and job ids."""

from __future__ import annotations

import contextvars
import logging
import os
import random
import sys
import time
from typing import Any

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from redis.asyncio import Redis

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
job_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("job_id", default=None)

HTTP_REQUESTS = Counter("bookreader_http_requests_total", "HTTP requests", ["method", "route", "status"])
HTTP_DURATION = Histogram(
    "bookreader_http_request_duration_seconds",
    "HTTP request duration",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
JOBS = Counter("bookreader_jobs_total", "ARQ jobs finished", ["function", "outcome"])
JOB_DURATION = Histogram(
    "bookreader_job_duration_seconds", "ARQ job duration", ["function"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)  # fmt: skip
QUEUE_DEPTH = Gauge("bookreader_queue_depth", "Jobs waiting in the ARQ queue")

access_log = logging.getLogger("bookreader.access")


def metrics_payload() -> tuple[bytes, str]:
    return generate_latest(), CONTENT_TYPE_LATEST


# probes and static files: no access line unless they fail (a kubelet polling /health is not traffic)
QUIET_PATHS = ("/health", "/ready", "/metrics", "/static/")
SLOW_REQUEST = 1.0  # seconds: always logged


def _wants_access_line(path: str, status: int, elapsed: float, traced: bool, sample: float) -> bool:
    """Which requests get an access line: failures, slow ones and ones the client traces (X-Request-ID)
    always; probes and static files otherwise never; other successes at the `sample` rate."""
    if status >= 400 or elapsed >= SLOW_REQUEST or traced:
        return status >= 500 or not path.startswith(QUIET_PATHS) or traced
    if path.startswith(QUIET_PATHS):
        return False
    return sample >= 1.0 or random.random() < sample


# the metric children of routes seen (prometheus' `labels()` takes a lock and builds its key on every call);
# only routed requests (a path template) and "unmatched" are kept: their number is bounded
_counters: dict[tuple[str, str, int], Any] = {}
_timers: dict[tuple[str, str], Any] = {}


def _count(method: str, route: str, status: int, elapsed: float, bounded: bool) -> None:
    counter = _counters.get((method, route, status))
    if counter is None:
        counter = HTTP_REQUESTS.labels(method, route, str(status))
        if bounded:
            _counters[(method, route, status)] = counter
    counter.inc()
    timer = _timers.get((method, route))
    if timer is None:
        timer = HTTP_DURATION.labels(method, route)
        if bounded:
            _timers[(method, route)] = timer
    timer.observe(elapsed)


def metrics_middleware(app: ASGIApp, *, access_log_sample: float = 1.0) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        given = next((v for k, v in scope.get("headers", ()) if k == b"x-request-id"), None)
        request_id = given.decode("latin-1")[:64] if given else os.urandom(16).hex()
        header = (b"x-request-id", request_id.encode("latin-1"))
        token = request_id_var.set(request_id)
        status = 500
        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await app(scope, receive, send_wrapper)
        finally:
            path = scope.get("path", "")
            template = scope.get("path_template")
            route = template or ("unmatched" if status == 404 else path)
            method = scope.get("method", "GET")
            elapsed = time.perf_counter() - started
            _count(method, route, status, elapsed, bool(template) or status == 404)
            if _wants_access_line(path, status, elapsed, given is not None, access_log_sample) and (
                access_log.isEnabledFor(logging.INFO)
            ):  # one JSON line, carrying the request_id
                access_log.info("%s %s %d %.1fms", method, path, status, elapsed * 1000)
            request_id_var.reset(token)

    return middleware


_json = msgspec.json.Encoder()


class JsonFormatter(logging.Formatter):
    _second = -1
    _stamp = ""

    def format(self, record: logging.LogRecord) -> str:
        second = int(record.created)
        if second != self._second:  # strftime once a second, not once a line
            self._second, self._stamp = second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        entry = {
            "ts": f"{self._stamp}.{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if (rid := request_id_var.get()) is not None:
            entry["request_id"] = rid
        if (jid := job_id_var.get()) is not None:
            entry["job_id"] = jid
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return _json.encode(entry).decode()


LOG_FILE_BYTES = 20 * 1024 * 1024
LOG_FILE_BACKUPS = 5

# Granian installs its own plain-text handlers on these loggers; this hands their records to ours instead.
GRANIAN_LOG_CONFIG = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {},
    "handlers": {},
    "loggers": {
        "_granian": {"handlers": [], "propagate": True},
        "granian.access": {"handlers": [], "propagate": True},
    },
}


def configure_logging(level: str = "INFO", json_logs: bool = True, log_file: str | None = None) -> None:
    formatter = (
        JsonFormatter() if json_logs else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        from logging.handlers import RotatingFileHandler
        from pathlib import Path

        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(
            RotatingFileHandler(
                log_file, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILE_BACKUPS, encoding="utf-8"
            )
        )
    for handler in handlers:
        handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in root.handlers:
        old.close()
    root.handlers[:] = handlers
    root.setLevel(level.upper())
    logging.captureWarnings(True)  # Python warnings as JSON records too, not raw stderr text
    for noisy in ("httpx", "httpcore", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    for name in ("_granian", "granian.access", "arq", "arq.worker"):  # whoever configured them before us
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True


# Job outcomes are also counted in Redis so any process (admin API on any replica) sees the whole fleet's.
def job_stats_key(queue_name: str) -> str:
    return f"{queue_name}:stats:jobs"


async def record_job_outcome(redis: Redis, queue_name: str, function: str, outcome: str) -> None:
    try:
        await redis.hincrby(job_stats_key(queue_name), f"{function}:{outcome}", 1)  # type: ignore[misc]
    except Exception:  # Redis down: the job itself already reported through the process's metrics
        logging.getLogger(__name__).debug("job outcome not counted in Redis", exc_info=True)


async def job_counts(redis: Redis, queue_name: str) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    stats: dict[bytes | str, bytes] = await redis.hgetall(job_stats_key(queue_name))  # type: ignore[misc]
    for field, value in stats.items():
        function, _, outcome = (field.decode() if isinstance(field, bytes) else field).rpartition(":")
        counts.setdefault(function, {})[outcome] = int(value)
    return counts
