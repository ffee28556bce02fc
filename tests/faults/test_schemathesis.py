"""Schemathesis over the live OpenAPI document, signed in as an admin (so the admin routes are exercised
too): no request may produce a server error."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.harness import LiveService, create_admin, random_email

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
OPTIONS = [
    "--checks", "not_a_server_error",
    "--exclude-path-regex", "/auth/logout$",  # would end the session mid-run
    "--phases", "examples,coverage,fuzzing",
    "--max-examples", "12",
    "--workers", "1",  # hypothesis parses lambda sources with ast: CPython 3.11 crashes on that from threads
    "--request-timeout", "30",
    "--request-retries", "2",  # a connection hiccup on a loaded machine is not a server error
    "--generation-database", "none",
    "--seed", "20261123",
    "--no-color",
]  # fmt: skip


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_no_server_errors_on_generated_requests(fault_env, tmp_path) -> None:
    service = LiveService(fault_env, log_path=tmp_path / "service.log").start()
    try:
        email, password = random_email(), "fuzzing admin 1"
        create_admin(fault_env, email, password, timeout=60)
        login = httpx.post(
            f"{service.base_url}/api/v1/auth/login", json={"email": email, "password": password}
        )
        token = login.json()["access_token"]
        run = subprocess.run(
            [
                str(SCHEMATHESIS),
                "run",
                f"{service.base_url}/schema/openapi.json",
                *OPTIONS,
                "--header",
                f"Authorization: Bearer {token}",
            ],
            capture_output=True,
            text=True,
            timeout=360,
            cwd=tmp_path,
        )
    finally:
        service.stop()
    output = run.stdout + run.stderr
    print(output[-3000:])
    assert run.returncode == 0, output[-6000:]
    tested = re.search(r"Tested: (\d+)", output)
    assert tested and int(tested.group(1)) >= 40, output[-3000:]  # the whole API was exercised, not a corner
