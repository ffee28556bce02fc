"""Rate-limit maths (against the real Redis) and the client address behind proxies."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bookreader.core.ratelimit import BodyRejected, check_auth_request, client_ip, hit
from bookreader.settings import load_settings

ROOT = Path(__file__).resolve().parents[3]


def scope(peer: str, forwarded: str | None = None, **headers: str) -> dict:
    raw = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    raw += [(name.replace("_", "-").encode(), value.encode()) for name, value in headers.items()]
    return {"client": (peer, 5000), "headers": raw}


def test_forwarded_for_is_ignored_unless_trusted() -> None:
    assert client_ip(scope("10.0.0.5", "1.2.3.4"), trust_forwarded=False) == "10.0.0.5"


def test_forwarded_for_is_off_by_default_and_not_switched_on_by_the_image(tmp_path) -> None:
    # review #9: the Containerfile used to set it, so every deployment trusted whatever the client wrote
    assert load_settings({"BOOKREADER_DATA_DIR": str(tmp_path)}).rate_limit_trust_forwarded is False
    assert "TRUST_FORWARDED" not in (ROOT / "Containerfile").read_text()


def test_the_rightmost_untrusted_hop_is_the_client() -> None:
    # the client wrote "6.6.6.6" itself; our proxy appended the address it really saw
    forged = scope("10.0.0.5", "6.6.6.6, 203.0.113.9")
    assert client_ip(forged, trust_forwarded=True) == "203.0.113.9"
    # two proxies of ours: skip them from the right
    chained = scope("10.0.0.5", "6.6.6.6, 203.0.113.9, 10.0.0.7")
    assert client_ip(chained, True, frozenset({"10.0.0.7"})) == "203.0.113.9"
    assert client_ip(scope("10.0.0.5"), trust_forwarded=True) == "10.0.0.5"


def test_auth_requests_must_be_small_json() -> None:
    check_auth_request(scope("1.1.1.1", content_type="application/json; charset=utf-8", content_length="80"))
    with pytest.raises(BodyRejected) as too_big:
        check_auth_request(scope("1.1.1.1", content_type="application/json", content_length="5000000"))
    assert too_big.value.status == 413
    with pytest.raises(BodyRejected) as plain:
        check_auth_request(scope("1.1.1.1", content_type="text/plain"))
    assert plain.value.status == 415


async def test_sliding_window_weights_the_previous_window(infra) -> None:
    redis = Redis.from_url(infra.redis_url)
    key = f"window-test-{uuid.uuid4().hex}"
    try:
        for _ in range(10):  # a full window at its very end
            assert await hit(redis, key, 10, 60, now=119.0) == 0
        # just after the boundary the previous window still counts almost fully: no double burst
        assert await hit(redis, key, 10, 60, now=121.0) > 0
        # near the end of the next window it has faded out
        assert await hit(redis, key, 10, 60, now=179.0) == 0
    finally:
        await redis.aclose()
