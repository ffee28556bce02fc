"""Which requests get an access line (issue 17): cheap at thousands of requests per second."""

from __future__ import annotations

import pytest

from bookreader.core.observability import _wants_access_line


@pytest.mark.parametrize("path", ["/health", "/ready", "/metrics", "/static/app.js"])
def test_probes_and_static_files_log_only_server_errors(path: str) -> None:
    assert not _wants_access_line(path, 200, 0.001, False, 1.0)
    assert not _wants_access_line(path, 404, 0.001, False, 1.0)
    assert _wants_access_line(path, 503, 0.001, False, 0.0)


def test_failures_slow_and_traced_requests_are_always_logged() -> None:
    assert _wants_access_line("/api/v1/books", 401, 0.001, False, 0.0)
    assert _wants_access_line("/api/v1/books", 500, 0.001, False, 0.0)
    assert _wants_access_line("/api/v1/books", 200, 2.0, False, 0.0)
    assert _wants_access_line("/api/v1/books", 200, 0.001, True, 0.0)


def test_successes_are_sampled() -> None:
    assert _wants_access_line("/api/v1/books", 200, 0.001, False, 1.0)
    assert not _wants_access_line("/api/v1/books", 200, 0.001, False, 0.0)
    logged = sum(_wants_access_line("/api/v1/books", 200, 0.001, False, 0.1) for _ in range(10_000))
    assert 700 < logged < 1300
