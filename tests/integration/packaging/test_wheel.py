"""The wheel is the application: built from the repository, installed into a fresh virtualenv with no source
tree beside it, it migrates an empty database and serves the web UI (static/ and migrations/ ship inside it)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from bookreader.core.embedded import create_database, drop_database
from tests.harness import REPO_ROOT, LiveService, _with_database

UV = Path(sys.executable).with_name("uv")
# building the wheel and installing ~120 locked packages into a new virtualenv takes most of a minute:
# `just test` runs it, the edit loop (`just test-fast`) does not
pytestmark = pytest.mark.slow


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300) -> str:
    done = subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv holding the locked runtime dependencies and the wheel built from this tree."""
    work = tmp_path_factory.mktemp("wheel")
    run(UV, "build", "--wheel", "--out-dir", work / "dist", REPO_ROOT, cwd=work)
    (wheel,) = (work / "dist").glob("bookreader-*.whl")
    requirements = work / "requirements.txt"
    run(
        UV,
        "export",
        "--locked",
        "--no-emit-project",
        "--no-hashes",
        "--output-file",
        requirements,
        cwd=REPO_ROOT,
    )
    venv = work / "venv"
    run(UV, "venv", "--python", sys.executable, venv, cwd=work)
    python = venv / "bin" / "python"
    run(UV, "pip", "install", "--python", python, "--requirement", requirements, cwd=work)
    run(UV, "pip", "install", "--python", python, "--no-deps", wheel, cwd=work)
    return python


@pytest.fixture
def fresh_database(migrated: dict[str, str]) -> Iterator[str]:
    admin_url = _with_database(migrated["DATABASE_URL"], "postgres")
    name = f"bookreader_wheel_{uuid.uuid4().hex[:10]}"
    asyncio.run(create_database(admin_url, name))
    try:
        yield _with_database(migrated["DATABASE_URL"], name)
    finally:
        asyncio.run(drop_database(admin_url, name))


def clean_environment(env: dict[str, str]) -> dict[str, str]:
    """The service's environment with nothing that could point Python at this checkout."""
    inherited = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    # PYTHONSAFEPATH: the working directory is not put on sys.path either
    return {**inherited, **env, "PYTHONPATH": "", "PYTHONSAFEPATH": "1"}


def test_wheel_migrates_and_serves_the_ui(
    installed: Path, fresh_database: str, migrated: dict[str, str], tmp_path: Path
) -> None:
    env = clean_environment(
        {**migrated, "DATABASE_URL": fresh_database, "BOOKREADER_DATA_DIR": str(tmp_path / "data")}
    )
    env.pop("BOOKREADER_MIGRATIONS_DIR", None)
    where = run(
        installed,
        "-c",
        "import bookreader, sys; print(bookreader.__file__); print(sys.path)",
        cwd=tmp_path,
        env=env,
    )
    package_file, search_path = where.splitlines()
    assert Path(package_file).is_relative_to(installed.parents[1]), package_file
    assert str(REPO_ROOT) not in search_path

    run(installed, "-m", "bookreader", "migrate", cwd=tmp_path, env=env)
    tables = asyncio.run(public_tables(fresh_database))
    assert {"users", "books", "chapters", "descriptions", "images", "reading_positions"} <= tables

    service = LiveService(
        env, command="api", log_path=tmp_path / "service.log", python=str(installed), cwd=tmp_path
    )
    service.start()
    try:
        index = httpx.get(f"{service.base_url}/", timeout=10)
        assert index.status_code == 200
        assert "text/html" in index.headers["content-type"]
        assert "/static/js/main.js" in index.text
        script = httpx.get(f"{service.base_url}/static/js/main.js", timeout=10)
        assert script.status_code == 200
        assert "javascript" in script.headers["content-type"]
        assert script.text == (REPO_ROOT / "static" / "js" / "main.js").read_text()
    finally:
        service.stop()


async def public_tables(url: str) -> set[str]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
    finally:
        await connection.close()
    return {row["table_name"] for row in rows}
