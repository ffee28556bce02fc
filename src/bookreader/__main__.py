"""Command line: `bookreader serve | api | worker | migrate | import | create-admin | backup | restore`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import sys

from bookreader.settings import Settings, SettingsError, load_settings


def _with_servers(settings: Settings):
    """Start embedded PostgreSQL/Redis for whichever of DATABASE_URL / REDIS_URL is unset."""
    from bookreader.core.embedded import EmbeddedServers

    servers = EmbeddedServers(settings.data_path)
    urls = servers.start(need_postgres=not settings.database_url, need_redis=not settings.redis_url)
    os.environ.update(urls)  # the server's worker processes read the same environment
    return servers, load_settings()


def _logged_migrate(settings: Settings) -> None:
    """Migrations, with Piccolo's printed progress turned into log records (the logs stay JSON lines)."""
    import contextlib
    import io

    from bookreader.core.db import migrate

    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            asyncio.run(migrate(settings))
    finally:
        for line in printed.getvalue().splitlines():
            if line.strip():
                logging.getLogger("bookreader.migrations").info(line.strip())


def _workers(settings: Settings, *, embedded_worker: bool) -> int:
    """Granian worker processes. `api`: one per core unless BOOKREADER_WORKERS says otherwise. `serve`: one
    by default — the single-box mode, whose embedded worker's process pool already takes the cores for
    parsing and NLP, and whose per-process limits (WebSockets per user) are then the whole server's; with
    BOOKREADER_WORKERS > 1 the embedded ARQ worker still runs in one of them only (app.py, a file lock)."""
    if settings.workers:
        return settings.workers
    return 1 if embedded_worker else (os.cpu_count() or 1)


def _serve(settings: Settings, *, embedded_worker: bool) -> None:
    from granian.constants import Interfaces
    from granian.server import Server

    from bookreader.core.observability import GRANIAN_LOG_CONFIG, configure_logging

    configure_logging(settings.log_level, settings.log_json)  # this process: stderr only, JSON like the app
    servers, settings = _with_servers(settings)
    lock = settings.data_path / "run" / f"embedded-worker-{os.getpid()}.lock"
    try:
        _logged_migrate(settings)
        os.environ["BOOKREADER_EMBEDDED_WORKER"] = "1" if embedded_worker else "0"
        # the app process also logs to a rotated file (`just logs`) unless told otherwise
        os.environ.setdefault("BOOKREADER_LOG_FILE", str(settings.data_path / "logs" / "bookreader.log"))
        logger = logging.getLogger("bookreader")
        if settings.secret_key_file:
            logger.warning(
                "BOOKREADER_SECRET_KEY is not set: tokens are signed with this install's generated key in %s "
                "(set BOOKREADER_SECRET_KEY in production)",
                settings.secret_key_file,
            )
        workers = _workers(settings, embedded_worker=embedded_worker)
        if embedded_worker and workers > 1:  # one of the worker processes runs the ARQ worker (app.py)
            os.environ["BOOKREADER_EMBEDDED_WORKER_LOCK"] = str(lock)
        logger.info(
            "BookReader listening on http://%s:%d (%d worker%s)",
            settings.host, settings.port, workers, "" if workers == 1 else "s",
        )  # fmt: skip
        Server(
            "bookreader.app:create_app",
            factory=True,
            address=settings.host,
            port=settings.port,
            interface=Interfaces.ASGI,
            workers=workers,
            log_access=False,
            log_dictconfig=GRANIAN_LOG_CONFIG,
        ).serve()
    finally:
        lock.unlink(missing_ok=True)
        servers.stop()


def _worker(settings: Settings) -> None:
    from bookreader.worker import run_worker

    servers, settings = _with_servers(settings)
    try:
        run_worker(settings)
    finally:
        servers.stop()


def _migrate(settings: Settings) -> None:
    from bookreader.core.db import migrate

    servers, settings = _with_servers(settings)
    try:
        asyncio.run(migrate(settings))
        print("migrations applied", file=sys.stderr)
    finally:
        servers.stop()


def _create_admin(settings: Settings, email: str, password: str | None) -> None:
    from bookreader.domain.accounts.admin import create_or_promote_admin

    password = password or os.environ.get("BOOKREADER_ADMIN_PASSWORD") or getpass.getpass("Password: ")
    servers, settings = _with_servers(settings)
    try:
        created = asyncio.run(create_or_promote_admin(settings, email, password))
        print(f"admin {'created' if created else 'promoted'}: {email}", file=sys.stderr)
    finally:
        servers.stop()


def _backup(settings: Settings, archive: str | None) -> None:
    from pathlib import Path

    from bookreader.core.backup import backup, default_archive_path

    servers, settings = _with_servers(settings)
    try:
        written = backup(settings, Path(archive) if archive else default_archive_path())
        print(f"backup written: {written}", file=sys.stderr)
    finally:
        servers.stop()


def _restore(settings: Settings, archive: str, force: bool = False) -> None:
    from pathlib import Path

    from bookreader.core.backup import restore

    servers, settings = _with_servers(settings)
    try:
        manifest = restore(settings, Path(archive), force=force)
        print(f"restored backup of {manifest['created_at']} ({manifest['files']} files)", file=sys.stderr)
    finally:
        servers.stop()


def _import(settings: Settings, args: argparse.Namespace) -> None:
    from bookreader.domain.imports.cli import run_import

    servers, settings = _with_servers(settings)
    try:
        code = asyncio.run(run_import(settings, args.paths, args.user, args.recursive, not args.no_wait))
    finally:
        servers.stop()
    raise SystemExit(code)


def _reanalyze(settings: Settings, book: str | None, older_than: str | None) -> None:
    from bookreader.core.errors import DomainError
    from bookreader.domain.descriptions.cli import queue_reanalysis

    servers, settings = _with_servers(settings)
    try:
        try:
            done = asyncio.run(queue_reanalysis(settings, book, older_than))
        except (DomainError, ValueError) as exc:  # no such book, not ready, not a book id
            print(f"bookreader reanalyze: {exc}", file=sys.stderr)
            raise SystemExit(1) from None
        print(
            f"re-analysis: {done.books} books selected, {done.queued} queued "
            f"(model {done.model_version or 'unchanged'}); the worker does the rest",
            file=sys.stderr,
        )
    finally:
        servers.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bookreader", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="API + embedded ARQ worker in one process (default)")
    sub.add_parser("api", help="the API alone")
    sub.add_parser("worker", help="the ARQ worker alone")
    sub.add_parser("migrate", help="apply database migrations")
    admin = sub.add_parser("create-admin", help="create an admin account (or promote an existing one)")
    admin.add_argument("email")
    admin.add_argument("--password", help="default: $BOOKREADER_ADMIN_PASSWORD or a prompt")
    backup = sub.add_parser("backup", help="database dump + data files into one .tar.gz")
    backup.add_argument("archive", nargs="?", help="default: backups/bookreader-<UTC time>.tar.gz")
    restore = sub.add_parser("restore", help="restore an archive made by `backup` (stop the service first)")
    restore.add_argument("archive")
    restore.add_argument("--force", action="store_true", help="even while other sessions use the database")
    importer = sub.add_parser("import", help="import EPUB/FB2/.fb2.zip files with a progress bar")
    importer.add_argument("paths", nargs="+", metavar="PATH")
    importer.add_argument(
        "--user", metavar="EMAIL", help="default: BOOKREADER_IMPORT_USER or the first admin"
    )
    importer.add_argument("--recursive", "-r", action="store_true", help="descend into folders")
    importer.add_argument("--no-wait", action="store_true", help="queue the books, do not wait for them")
    reanalyze = sub.add_parser("reanalyze", help="queue books analysed by an older NLP model for re-analysis")
    reanalyze.add_argument("--book", metavar="ID", help="this book only (any model version)")
    reanalyze.add_argument("--older-than", metavar="VERSION", help="a version (en-3-…) or generation (3)")
    args = parser.parse_args(argv)

    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"bookreader: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None

    command = args.command or "serve"
    if command == "serve":
        _serve(settings, embedded_worker=True)
    elif command == "api":
        _serve(settings, embedded_worker=False)
    elif command == "worker":
        _worker(settings)
    elif command == "migrate":
        _migrate(settings)
    elif command == "import":
        _import(settings, args)
    elif command == "reanalyze":
        _reanalyze(settings, args.book, args.older_than)
    elif command == "create-admin":
        _create_admin(settings, args.email, args.password)
    elif command in ("backup", "restore"):
        from bookreader.core.backup import BackupError

        try:
            _backup(settings, args.archive) if command == "backup" else _restore(
                settings, args.archive, args.force
            )
        except (BackupError, OSError) as exc:
            print(f"bookreader {command}: {exc}", file=sys.stderr)
            raise SystemExit(1) from None


if __name__ == "__main__":
    main()
