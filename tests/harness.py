"""Harness for tests and benchmarks: real PostgreSQL and Redis (embedded unless DATABASE_URL / REDIS_URL are
set), a fresh database per run, and the real service started as a subprocess on a free port."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

from bookreader.core.embedded import (
    EmbeddedPostgres,
    EmbeddedRedis,
    create_database,
    drop_database,
    free_port,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_BOOKS = REPO_ROOT.parent / "shared" / "books"
ARTIFACTS = REPO_ROOT / "test-artifacts"  # service logs that outlive the run's temporary folders


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def template_of(database_url: str) -> str:
    """The name of the migrated template beside a run's database (Infrastructure.migrate)."""
    return urlsplit(database_url).path.lstrip("/") + "_template"


@dataclass
class Infrastructure:
    """One PostgreSQL database and one Redis for a test or benchmark run."""

    work_dir: Path
    database_url: str = ""
    redis_url: str = ""
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    _postgres: EmbeddedPostgres | None = None
    _redis: EmbeddedRedis | None = None
    _admin_url: str = ""
    _database: str = ""

    def start(self) -> Infrastructure:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        external_db = os.environ.get("DATABASE_URL")
        if external_db:
            self._admin_url = external_db
        else:
            # the cluster is kept between runs (initdb is the slow part); each run gets its own database
            self._postgres = EmbeddedPostgres(REPO_ROOT / ".data" / "test-postgres")
            self._postgres.start()
            self._admin_url = self._postgres.url("postgres")
        self._database = f"bookreader_test_{self.run_id}"
        asyncio.run(create_database(self._admin_url, self._database))
        self.database_url = _with_database(self._admin_url, self._database)
        external_redis = os.environ.get("REDIS_URL")
        if external_redis:
            self.redis_url = external_redis
        else:
            self._redis = EmbeddedRedis(self.work_dir / "redis", persistent=True)
            self.redis_url = self._redis.start()
        return self

    @property
    def template(self) -> str:
        """The migrated copy that `clone_database` copies (`migrate(template=True)` makes it)."""
        return template_of(self.database_url)

    def migrate(self, *, template: bool = False) -> None:
        """Migrations on the run's database; with `template`, then a copy of it that extra databases are
        cloned from (CREATE DATABASE … TEMPLATE: a file copy, instead of running every migration again)."""
        from bookreader.core.db import migrate
        from bookreader.settings import load_settings

        asyncio.run(migrate(load_settings(self.environment())))
        if template:  # nobody is connected yet, as a template copy needs
            asyncio.run(create_database(self._admin_url, self.template, template=self._database))

    def stop(self) -> None:
        if self._redis is not None:
            self._redis.stop()
        if self._database:
            with contextlib.suppress(Exception):
                asyncio.run(drop_database(self._admin_url, self.template))
            with contextlib.suppress(Exception):
                asyncio.run(drop_database(self._admin_url, self._database))
        if self._postgres is not None:
            self._postgres.stop()

    def environment(self, **extra: str) -> dict[str, str]:
        env = {
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "BOOKREADER_ENV": "test",
            "BOOKREADER_DATA_DIR": str(self.work_dir / "data"),
            "BOOKREADER_SECRET_KEY": "test-secret-" + self.run_id * 3,
            "BOOKREADER_QUEUE_NAME": f"bookreader:test:{self.run_id}:queue",
            "BOOKREADER_EVENTS_PREFIX": f"bookreader:test:{self.run_id}:events",
            "BOOKREADER_LOG_JSON": "1",
            # the suite's own traffic comes from one IP; the strict login limit stays real
            "BOOKREADER_RATE_LIMIT_GENERAL": "100000",
            "BOOKREADER_MAX_ACTIVE_BOOKS_PER_USER": "1000",  # tests upload whole libraries at once
            "BOOKREADER_RATE_LIMIT_AUTH_IP": "100000",
            # portraits made ahead count against the plan: off where tests count pictures; their own tests
            # (tests/integration/illustrations/test_same_face.py) turn them on
            "BOOKREADER_PORTRAITS_AHEAD": "0",
        }
        env.update(extra)
        return env


@dataclass
class LiveService:
    """`bookreader <command>` as a real subprocess (Granian + embedded worker by default)."""

    env: dict[str, str]
    command: str = "serve"
    port: int = 0
    log_path: Path | None = None
    python: str = sys.executable  # another virtualenv's python runs an installed wheel instead of this tree
    cwd: Path | None = None
    process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> LiveService:
        self.port = self.port or free_port()
        env = {**os.environ, **self.env, "BOOKREADER_HOST": "127.0.0.1", "BOOKREADER_PORT": str(self.port)}
        log_file = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [self.python, "-m", "bookreader", self.command],
            env=env,
            cwd=self.cwd,
            stdout=log_file,
            stderr=log_file,
            start_new_session=True,  # kill() takes the server's worker and pool processes too
        )
        if self.command in ("serve", "api"):
            self.wait_healthy(timeout)
        return self

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"service exited with {self.process.returncode}; log: {self.log_path}")
            try:
                if httpx.get(f"{self.base_url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"service did not become healthy in {timeout} s; log: {self.log_path}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def kill(self) -> None:
        """kill -9 the whole process group: a crash, not a shutdown."""
        self.stop(signal.SIGKILL)


@contextlib.contextmanager
def serving(env: dict[str, str], log: str | Path, command: str = "serve") -> Iterator[LiveService]:
    """`bookreader <command>` with `env` for the length of the block, stopped however the block ends. `log`: a
    path, or a name for a file in test-artifacts/ (with this process's id: pytest-xdist workers write apart)."""
    if isinstance(log, str):
        ARTIFACTS.mkdir(exist_ok=True)
        log = ARTIFACTS / f"{log}-{os.getpid()}.log"
    service = LiveService(env, command=command, log_path=log).start()
    try:
        yield service
    finally:
        service.stop()


def create_admin(env: dict[str, str], email: str, password: str, timeout: float = 120) -> str:
    """The operator's way: `bookreader create-admin EMAIL` against `env`'s database (creates the account, or
    promotes an existing one and leaves its password); what it printed (stderr)."""
    done = subprocess.run(
        [sys.executable, "-m", "bookreader", "create-admin", email, "--password", password],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stderr


def random_email() -> str:
    return f"reader-{secrets.token_hex(5)}@example.com"


@contextlib.contextmanager
def running_service(
    prefix: str = "bookreader-", **env_extra: str
) -> Iterator[tuple[LiveService, dict[str, str]]]:
    """Fresh infrastructure, migrations applied, the real service started: for benchmarks and scripts."""
    import tempfile

    from bookreader.core.db import migrate
    from bookreader.settings import load_settings

    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        infra = Infrastructure(Path(tmp)).start()
        try:
            env = infra.environment(**env_extra)
            asyncio.run(migrate(load_settings(env)))
            with serving(env, Path(tmp) / "service.log") as service:
                yield service, env
        finally:
            infra.stop()
