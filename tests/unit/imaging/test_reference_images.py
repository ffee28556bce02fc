"""A character's portrait as the reference picture: AUTOMATIC1111 img2img and OpenAI-compatible image edits
carry its bytes (checked at a real HTTP server on 127.0.0.1); the others get the text only; seeds go out."""

from __future__ import annotations

import base64

import msgspec
from tests.stub_server import tiny_png
from tests.unit.imaging.test_http_providers import config_for

from bookreader.imaging import ImageRequest, build_provider
from bookreader.imaging.providers import REFERENCE_PROVIDERS

PORTRAIT = tiny_png((10, 200, 30), (40, 40))
REQUEST = ImageRequest(prompt="Grete at the window", seed=1234, reference=PORTRAIT)


def test_only_providers_that_draw_from_a_picture_take_one():
    assert REFERENCE_PROVIDERS == {"automatic1111", "openai"}


async def test_automatic1111_sends_the_portrait_to_img2img_with_the_seed(stub, client):
    config = config_for(stub, "automatic1111", denoising_strength=0.45)
    image = await build_provider(config, client).generate(REQUEST)

    assert [hit.path for hit in stub.hits] == ["/sdapi/v1/img2img"]
    body = stub.hits[0].json()
    assert base64.b64decode(body["init_images"][0]) == PORTRAIT
    assert (body["seed"], body["denoising_strength"], body["prompt"]) == (1234, 0.45, REQUEST.prompt)
    assert image.seed == 1234 and image.data == stub.png


async def test_automatic1111_without_a_reference_stays_txt2img(stub, client):
    await build_provider(config_for(stub, "automatic1111"), client).generate(
        msgspec.structs.replace(REQUEST, reference=None)
    )
    assert [hit.path for hit in stub.hits] == ["/sdapi/v1/txt2img"]
    assert "init_images" not in stub.hits[0].json()


async def test_openai_sends_the_portrait_as_a_multipart_image_edit(stub, client):
    config = config_for(stub, "openai", model="gpt-image-1", send_seed=True, api_key="k-1")
    image = await build_provider(config, client).generate(REQUEST)

    hit = stub.hits[0]
    assert (hit.method, hit.path) == ("POST", "/v1/images/edits")
    assert hit.headers["content-type"].startswith("multipart/form-data")
    assert hit.headers["authorization"] == "Bearer k-1"
    form = hit.form()
    assert form["image"] == PORTRAIT
    assert form["prompt"].decode() == REQUEST.prompt
    assert (form["model"], form["seed"], form["size"]) == (b"gpt-image-1", b"1234", b"64x48")
    assert image.seed == 1234


async def test_openai_sends_no_seed_unless_the_server_takes_one(stub, client):
    request = msgspec.structs.replace(REQUEST, reference=None)
    await build_provider(config_for(stub, "openai"), client).generate(request)
    assert "seed" not in stub.hits[0].json()
    stub.reset()
    await build_provider(config_for(stub, "openai", send_seed=True), client).generate(request)
    assert stub.hits[0].json()["seed"] == 1234


async def test_pollinations_gets_the_text_and_the_seed_only(stub, client):
    await build_provider(config_for(stub, "pollinations"), client).generate(REQUEST)
    hit = stub.hits[0]
    assert hit.method == "GET" and hit.query["seed"] == ["1234"]
    assert not hit.body
