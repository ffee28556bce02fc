from __future__ import annotations

import httpx
import pytest
from tests.stub_server import StubApiServer


@pytest.fixture(scope="module")
def stub_server():
    with StubApiServer() as server:
        yield server


@pytest.fixture
def stub(stub_server: StubApiServer) -> StubApiServer:
    stub_server.reset()
    stub_server.latency = 0.0
    return stub_server


@pytest.fixture
async def client():
    async with httpx.AsyncClient() as http:
        yield http
