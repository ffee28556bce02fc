"""Each HTTP provider against a real HTTP server on 127.0.0.1; retry counts are checked at the server."""

from __future__ import annotations

import base64
import time

import anyio
import msgspec
import pytest
from tests.stub_server import Reply, StubApiServer, json_reply, tiny_png

from bookreader.imaging import ImageRequest, ImagingConfig, ProviderError, build_provider

PROVIDERS = ["pollinations", "openai", "automatic1111"]
PATH_OF = {"pollinations": "/prompt/", "openai": "/images/generations", "automatic1111": "/sdapi/v1/txt2img"}


def config_for(stub: StubApiServer, provider: str, **overrides) -> ImagingConfig:
    base = f"{stub.base_url}/prompt" if provider == "pollinations" else f"{stub.base_url}/v1"
    if provider == "automatic1111":
        base = stub.base_url
    fields = dict(
        provider=provider, base_url=base, width=64, height=48, timeout=2.0, retries=3, backoff_base=0.01
    )
    fields.update(overrides)
    return ImagingConfig(**fields)


REQUEST = ImageRequest(prompt="A crimson sunset over a quiet harbour / with boats?", seed=42)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_returns_the_servers_png(stub, client, provider):
    image = await build_provider(config_for(stub, provider, api_key="k-123"), client).generate(REQUEST)

    assert image.data == stub.png
    assert (image.media_type, image.provider, image.width, image.height) == ("image/png", provider, 64, 48)
    assert stub.count(PATH_OF[provider]) == 1
    assert image.attempts == 1


async def test_pollinations_puts_the_prompt_in_the_path_and_options_in_the_query(stub, client):
    provider = build_provider(config_for(stub, "pollinations", model="flux"), client)
    await provider.generate(REQUEST)

    hit = stub.hits[0]
    assert hit.method == "GET"
    assert hit.path == "/prompt/A%20crimson%20sunset%20over%20a%20quiet%20harbour%20%2F%20with%20boats%3F"
    assert hit.query == {
        "width": ["64"],
        "height": ["48"],
        "seed": ["42"],
        "nologo": ["true"],
        "model": ["flux"],
    }


async def test_openai_sends_the_images_api_payload(stub, client):
    await build_provider(config_for(stub, "openai", model="dall-e-3"), client).generate(REQUEST)

    body = stub.hits[0].json()
    assert stub.hits[0].path == "/v1/images/generations"
    assert body == {
        "model": "dall-e-3",
        "prompt": REQUEST.prompt,
        "size": "64x48",
        "n": 1,
        "response_format": "b64_json",
    }


async def test_openai_url_answer_is_fetched(stub, client):
    other_png = tiny_png((200, 30, 30))
    stub.queue(
        json_reply({"data": [{"url": f"{stub.base_url}/files/result.png"}]}),
        Reply(200, other_png, {"Content-Type": "image/png"}),
    )
    image = await build_provider(config_for(stub, "openai"), client).generate(REQUEST)

    assert image.data == other_png
    assert [hit.path for hit in stub.hits] == ["/v1/images/generations", "/files/result.png"]


async def test_automatic1111_sends_txt2img_payload(stub, client):
    request = msgspec.structs.replace(REQUEST, negative_prompt="blurry")
    await build_provider(config_for(stub, "automatic1111", steps=12), client).generate(request)

    body = stub.hits[0].json()
    assert {k: body[k] for k in ("prompt", "negative_prompt", "width", "height", "seed", "steps")} == {
        "prompt": REQUEST.prompt,
        "negative_prompt": "blurry",
        "width": 64,
        "height": 48,
        "seed": 42,
        "steps": 12,
    }


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_500s_are_retried_until_success(stub, client, provider):
    stub.queue(json_reply({"error": "busy"}, 500), json_reply({"error": "busy"}, 503))
    image = await build_provider(config_for(stub, provider), client).generate(REQUEST)

    assert image.data == stub.png
    assert image.attempts == 3
    assert stub.count(PATH_OF[provider]) == 3


async def test_429_honours_retry_after(stub, client):
    stub.queue(Reply(429, b"slow down", {"Retry-After": "1"}))
    started = time.monotonic()
    image = await build_provider(config_for(stub, "pollinations"), client).generate(REQUEST)

    assert time.monotonic() - started >= 0.95
    assert image.attempts == 2
    assert stub.count() == 2


async def test_retries_run_out_with_the_providers_reason(stub, client):
    stub.queue(*[json_reply({"error": {"message": "model overloaded"}}, 503) for _ in range(3)])
    provider = build_provider(config_for(stub, "openai", retries=2), client)

    with pytest.raises(ProviderError) as caught:
        await provider.generate(REQUEST)

    assert caught.value.transient is True
    assert caught.value.code == "provider_unavailable"
    assert "model overloaded" in caught.value.message
    assert stub.count() == 3


@pytest.mark.parametrize("status", [400, 401, 404])
async def test_other_4xx_fail_at_once(stub, client, status):
    stub.queue(json_reply({"error": {"message": "content policy violation"}}, status))
    with pytest.raises(ProviderError) as caught:
        await build_provider(config_for(stub, "openai"), client).generate(REQUEST)

    assert caught.value.transient is False
    assert "content policy violation" in caught.value.message
    assert stub.count() == 1


async def test_slow_answers_time_out_and_are_retried(stub, client):
    stub.queue(Reply(200, stub.png, {}, delay=1.0), Reply(200, stub.png, {}, delay=1.0))
    image = await build_provider(config_for(stub, "pollinations", timeout=0.2), client).generate(REQUEST)

    assert image.attempts == 3
    assert stub.count() == 3


async def test_timeouts_run_out_as_a_transient_error(stub, client):
    stub.latency = 1.0
    provider = build_provider(config_for(stub, "automatic1111", timeout=0.2, retries=1), client)

    with pytest.raises(ProviderError) as caught:
        await provider.generate(REQUEST)

    assert (caught.value.code, caught.value.transient) == ("provider_timeout", True)
    assert stub.count() == 2


async def test_connection_refused_is_transient(client):
    config = ImagingConfig(
        provider="pollinations", base_url="http://127.0.0.1:9", retries=1, backoff_base=0.01
    )
    with pytest.raises(ProviderError) as caught:
        await build_provider(config, client).generate(REQUEST)

    assert (caught.value.code, caught.value.transient) == ("provider_unreachable", True)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_garbage_bytes_fail_without_retry(stub, client, provider):
    garbage = b"<html>not an image</html>"
    if provider == "pollinations":
        stub.queue(Reply(200, garbage, {"Content-Type": "image/png"}))
    elif provider == "openai":
        stub.queue(json_reply({"data": [{"b64_json": base64.b64encode(garbage).decode()}]}))
    else:
        stub.queue(json_reply({"images": [base64.b64encode(garbage).decode()]}))

    with pytest.raises(ProviderError) as caught:
        await build_provider(config_for(stub, provider), client).generate(REQUEST)

    assert (caught.value.code, caught.value.transient) == ("invalid_image", False)
    assert stub.count() == 1


async def test_concurrency_is_limited_per_provider(client):
    with StubApiServer(
        latency=0.15
    ) as own:  # its own server: earlier timed-out requests may still be sleeping
        provider = build_provider(config_for(own, "pollinations", concurrency=2), client)
        async with anyio.create_task_group() as tg:
            for _ in range(6):
                tg.start_soon(provider.generate, REQUEST)

    assert own.count() == 6
    assert own.max_in_flight == 2


def test_unknown_provider_is_refused(client):
    with pytest.raises(ValueError):
        build_provider(ImagingConfig(provider="midjourney"), client)  # type: ignore[arg-type]
