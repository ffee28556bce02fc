"""The same face in every picture (issue 14), end to end: the real service against an AUTOMATIC1111 stand-in
on 127.0.0.1. Portraits of the main cast are made ahead (once, within the plan); a scene with a portrayed
character is drawn by img2img from that portrait with the character's seed; pictures and portraits can be
regenerated (counted as new pictures) and a version pinned — the reader, the cast and the export show it."""

from __future__ import annotations

import asyncio
import base64
import io
import zipfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from arq.constants import result_key_prefix
from arq.jobs import Job
from tests.books import cast_epub
from tests.harness import LiveService, serving
from tests.integration.illustrations.helpers import wait_image
from tests.stub_server import StubApiServer, tiny_png
from tests.support import Reader, sign_up

from bookreader.core.queue import create_queue, deserialize
from bookreader.domain.illustrations.tables import Image
from bookreader.imaging.prompts import stable_seed
from bookreader.settings import load_settings

MONTHLY = 8
AHEAD = 2
PORTRAIT_PNG = tiny_png((200, 40, 40), (48, 48))
SCENE_PNG = tiny_png((40, 40, 200), (64, 48))
OTHER_PNG = tiny_png((40, 200, 40), (64, 48))


@pytest.fixture(scope="module")
def stub() -> Iterator[StubApiServer]:
    with StubApiServer(png=PORTRAIT_PNG) as server:
        yield server


@pytest.fixture(scope="module")
def face_env(migrated: dict[str, str], stub: StubApiServer, tmp_path_factory) -> dict[str, str]:
    work = tmp_path_factory.mktemp("same-face")
    return {
        **migrated,
        "BOOKREADER_QUEUE_NAME": migrated["BOOKREADER_QUEUE_NAME"] + ":face",
        "BOOKREADER_EVENTS_PREFIX": migrated["BOOKREADER_EVENTS_PREFIX"] + ":face",
        "BOOKREADER_DATA_DIR": str(work / "data"),
        "BOOKREADER_IMAGE_PROVIDER": "automatic1111",
        "BOOKREADER_IMAGE_BASE_URL": stub.base_url,
        "BOOKREADER_IMAGE_TIMEOUT": "5",
        "BOOKREADER_IMAGE_RETRIES": "1",
        "BOOKREADER_IMAGE_BACKOFF_BASE": "0.05",
        "BOOKREADER_IMAGE_DENOISING_STRENGTH": "0.4",
        "BOOKREADER_PLAN_FREE_IMAGES_PER_MONTH": str(MONTHLY),
        "BOOKREADER_PORTRAITS_AHEAD": str(AHEAD),
    }


@pytest.fixture(scope="module")
def face_service(face_env: dict[str, str]) -> Iterator[LiveService]:
    with serving(face_env, "same-face") as service:
        yield service


@pytest.fixture
async def http(face_service: LiveService) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=face_service.base_url, timeout=30) as client:
        yield client


async def cast_book(reader: Reader, generated_books: dict[str, Path]) -> dict:
    created = await reader.upload(generated_books["cast"])
    assert created.status_code in (200, 202), created.text
    book = await reader.wait_for_book(created.json()["id"], timeout=240)
    assert book["status"] == "ready", book
    return book


async def portraits(reader: Reader, book_id: str, count: int, timeout: float = 60) -> dict[str, dict]:
    """name → character, once `count` of them have a settled portrait (reveal all: wherever it was drawn from)."""
    async with asyncio.timeout(timeout):
        while True:
            cast = (await reader.get(f"/api/v1/books/{book_id}/characters", params={"reveal": "all"})).json()
            done = [c for c in cast if c["portrait"] and c["portrait"]["status"] in ("ready", "failed")]
            if len(done) >= count:
                return {c["name"]: c for c in cast}
            await asyncio.sleep(0.2)


def sd_hits(stub: StubApiServer) -> list:
    return [hit for hit in stub.hits if hit.path.startswith("/sdapi/")]


async def scene_of_grete(reader, book: dict, grete: dict) -> dict:
    """A passage naming Grete alone that is not the one her portrait was drawn from."""
    return next(
        d
        for d in (await reader.get(f"/api/v1/books/{book['id']}/descriptions")).json()
        if d["id"] != grete["portrait"]["description_id"]
        and "Grete" in d["text"]
        and "Gregor" not in d["text"]
    )


async def test_portraits_ahead_then_scenes_drawn_from_them_with_the_characters_seed(
    http, stub, db, face_env, generated_books
) -> None:
    stub.reset()
    stub.png = PORTRAIT_PNG
    reader = await sign_up(http)
    book = await cast_book(reader, generated_books)
    cast = await portraits(reader, book["id"], AHEAD)
    portrayed = [c for c in cast.values() if c["portrait"]]
    assert len(portrayed) == AHEAD
    assert all(c["portrait"]["status"] == "ready" for c in portrayed), portrayed
    # the most-mentioned characters that a passage describes
    assert {c["name"] for c in portrayed} <= {"Grete", "Gregor", "Lorrimer"}
    seeds = {stable_seed(book["id"], c["id"], "watercolor") for c in portrayed}
    portrait_hits = sd_hits(stub)
    assert [hit.path for hit in portrait_hits] == ["/sdapi/v1/txt2img"] * AHEAD, "a portrait is from text"
    assert {hit.json()["seed"] for hit in portrait_hits} == seeds, "each with its character's seed"
    usage = (await reader.get("/api/v1/users/me")).json()["usage"]
    assert usage["images_this_month"] == AHEAD, "portraits made ahead count against the plan"

    # the job again (a new content id, so arq runs it): nothing is added
    queue = await create_queue(load_settings(face_env))
    try:
        job = await queue.enqueue_job(
            "portraits_ahead", {"book_id": book["id"], "content": "again"}, _job_id=f"again:{book['id']}"
        )
        assert job is not None
        assert (await job.result(timeout=30)) == "made 0"
    finally:
        await queue.aclose()
    rows = await Image.count().where(Image.book == book["id"], Image.character.is_not_null())
    assert rows == AHEAD, "run twice, no duplicate portraits"

    # a scene naming a portrayed character: img2img from that portrait, with the character's seed
    grete = cast["Grete"]
    assert grete["portrait"], "Grete is described in chapter 1, so she is portrayed"
    portrait_bytes = (await reader.get(grete["portrait"]["url"])).content
    assert portrait_bytes == PORTRAIT_PNG
    scene = await scene_of_grete(reader, book, grete)
    stub.reset()
    stub.png = SCENE_PNG
    asked = await reader.post(f"/api/v1/descriptions/{scene['id']}/image")
    assert asked.status_code == 202, asked.text
    image = await wait_image(reader, asked.json()["id"])
    assert image["status"] == "ready", image
    [hit] = sd_hits(stub)
    assert hit.path == "/sdapi/v1/img2img"
    body = hit.json()
    assert base64.b64decode(body["init_images"][0]) == portrait_bytes, "the request carried the portrait"
    assert body["seed"] == stable_seed(book["id"], grete["id"], "watercolor") == image["seed"]
    assert body["denoising_strength"] == 0.4
    assert image["reference_url"] == grete["portrait"]["url"], "recorded with the picture"
    assert (await reader.get(image["url"])).content == SCENE_PNG


async def latest_sd_seed(stub: StubApiServer) -> int:
    return sd_hits(stub)[-1].json()["seed"]


async def export_pictures(reader: Reader, book_id: str) -> set[bytes]:
    async with asyncio.timeout(120):
        while True:
            got = await reader.get(f"/api/v1/books/{book_id}/export.epub")
            if got.status_code == 200:
                break
            assert got.status_code == 202, got.text
            await asyncio.sleep(0.3)
    with zipfile.ZipFile(io.BytesIO(got.content)) as epub:
        return {epub.read(n) for n in epub.namelist() if "/pictures/" in n}


async def test_regenerate_and_pin_a_picture(http, stub, generated_books) -> None:
    reader = await sign_up(http)
    book = await cast_book(reader, generated_books)
    await portraits(reader, book["id"], AHEAD)
    target = next(
        d
        for d in (await reader.get(f"/api/v1/books/{book['id']}/descriptions")).json()
        if d["type"] in ("location", "atmosphere")
    )
    stub.png = SCENE_PNG
    first = await wait_image(
        reader, (await reader.post(f"/api/v1/descriptions/{target['id']}/image")).json()["id"]
    )
    assert first["status"] == "ready" and first["version"] == 1 and not first["pinned"]

    stub.reset()
    stub.png = OTHER_PNG
    again = await reader.post(f"/api/v1/images/{first['id']}/regenerate")
    assert again.status_code == 202, again.text
    second = await wait_image(reader, again.json()["id"])
    assert second["status"] == "ready" and second["version"] == 2 and second["id"] != first["id"]
    assert second["seed"] is not None and await latest_sd_seed(stub) == second["seed"] != first["seed"]
    assert (await reader.get(second["url"])).content == OTHER_PNG
    versions = (await reader.get(f"/api/v1/images/{first['id']}/versions")).json()
    assert [v["id"] for v in versions] == [second["id"], first["id"]], "earlier versions are kept"

    async def shown() -> str:
        chapter = (await reader.get(f"/api/v1/books/{book['id']}/chapters/{target['chapter']}")).json()
        in_chapter = [i["id"] for i in chapter["images"] if i["description_id"] == target["id"]]
        listed = [
            i["id"] for i in (await reader.get(f"/api/v1/books/{book['id']}/images")).json()
            if i["description_id"] == target["id"]
        ]  # fmt: skip
        assert len(in_chapter) == len(listed) == 1, "one version of a picture is shown"
        assert in_chapter == listed
        return in_chapter[0]

    assert await shown() == second["id"], "the newest, while nothing is pinned"
    pinned = await reader.post(f"/api/v1/images/{first['id']}/pin")
    assert pinned.status_code == 200 and pinned.json()["pinned"], pinned.text
    assert await shown() == first["id"]
    assert SCENE_PNG in await export_pictures(reader, book["id"]), "the export shows the pinned version"
    assert OTHER_PNG not in await export_pictures(reader, book["id"])

    unpinned = await reader.delete(f"/api/v1/images/{first['id']}/pin")
    assert unpinned.status_code == 200 and unpinned.json()["id"] == second["id"], unpinned.text
    assert await shown() == second["id"], "unpinning returns to the newest"

    other = await sign_up(http)
    for method, path in [("post", "regenerate"), ("post", "pin"), ("delete", "pin"), ("get", "versions")]:
        refused = await getattr(other, method)(f"/api/v1/images/{first['id']}/{path}")
        assert refused.status_code == 404, refused.text


async def test_regenerate_and_pin_a_portrait(http, stub, generated_books) -> None:
    reader = await sign_up(http)
    book = await cast_book(reader, generated_books)
    base = f"/api/v1/books/{book['id']}/characters"
    cast = await portraits(reader, book["id"], AHEAD)
    grete = cast["Grete"]
    first = grete["portrait"]
    stub.reset()
    stub.png = OTHER_PNG
    asked = await reader.post(f"{base}/{grete['id']}/portrait/regenerate", params={"reveal": "all"})
    assert asked.status_code == 202, asked.text
    second = await wait_image(reader, asked.json()["id"])
    assert second["status"] == "ready" and second["version"] == 2 and second["character_id"] == grete["id"]
    assert (
        await latest_sd_seed(stub) == stable_seed(book["id"], grete["id"], "watercolor", 1) == second["seed"]
    )
    assert sd_hits(stub)[-1].path == "/sdapi/v1/txt2img", "a portrait is never drawn from itself"

    async def portrait() -> dict:
        return (await portraits(reader, book["id"], AHEAD))["Grete"]["portrait"]

    assert (await portrait())["image_id"] == second["id"]
    listed = (await reader.get(f"{base}/{grete['id']}/portrait/versions", params={"reveal": "all"})).json()
    assert [v["id"] for v in listed] == [second["id"], first["image_id"]]
    pin = await reader.post(f"{base}/{grete['id']}/portrait/pin", json={"image_id": first["image_id"]})
    assert pin.status_code == 200, pin.text
    shown = await portrait()
    assert (shown["image_id"], shown["pinned"], shown["version"]) == (first["image_id"], True, 1)
    unpin = await reader.delete(f"{base}/{grete['id']}/portrait/pin", params={"reveal": "all"})
    assert unpin.status_code == 200 and unpin.json()["id"] == second["id"], unpin.text
    assert (await portrait())["image_id"] == second["id"]

    unportrayed = next(c for c in cast.values() if not c["portrait"])
    refused = await reader.post(f"{base}/{unportrayed['id']}/portrait/regenerate", params={"reveal": "all"})
    assert refused.status_code == 409 and refused.json()["code"] == "no_portrait", refused.text
    wrong = await reader.post(
        f"{base}/{unportrayed['id']}/portrait/pin", json={"image_id": first["image_id"]}
    )
    assert wrong.status_code == 404, wrong.text


async def test_regenerating_counts_against_the_plan_like_a_new_picture(
    http, stub, db, face_env, generated_books
) -> None:
    reader = await sign_up(http)
    book = await cast_book(reader, generated_books)
    await portraits(reader, book["id"], AHEAD)
    target = (await reader.get(f"/api/v1/books/{book['id']}/descriptions")).json()[0]
    image = await wait_image(
        reader, (await reader.post(f"/api/v1/descriptions/{target['id']}/image")).json()["id"]
    )
    used = AHEAD + 1
    while used < MONTHLY:
        again = await reader.post(f"/api/v1/images/{image['id']}/regenerate")
        assert again.status_code == 202, again.text
        await wait_image(reader, again.json()["id"])
        used += 1
        assert (await reader.get("/api/v1/users/me")).json()["usage"]["images_this_month"] == used
    refused = await reader.post(f"/api/v1/images/{image['id']}/regenerate")
    assert refused.status_code == 402, refused.text
    assert refused.json()["code"] == "quota_exceeded"
    grete = (await portraits(reader, book["id"], AHEAD))["Grete"]
    refused = await reader.post(
        f"/api/v1/books/{book['id']}/characters/{grete['id']}/portrait/regenerate", params={"reveal": "all"}
    )
    assert refused.status_code == 402 and refused.json()["code"] == "quota_exceeded", refused.text
    versions = (await reader.get(f"/api/v1/images/{image['id']}/versions")).json()
    assert len(versions) == MONTHLY - AHEAD, "nothing was made past the plan"

    # portraits made ahead stop at the plan too: another book of the same cast gets none
    files = {"file": ("stranger-11.epub", cast_epub(chapters=11), "application/epub+zip")}
    created = await reader.post("/api/v1/books", files=files)
    assert created.status_code == 202, created.text
    second = await reader.wait_for_book(created.json()["id"], timeout=240)
    assert second["status"] == "ready", second
    queue = await create_queue(load_settings(face_env))
    try:
        pattern = f"{result_key_prefix}portraits_ahead:{second['id']}:*"
        async with asyncio.timeout(30):
            while True:  # the job the analysis queued, once it has run
                keys = [key async for key in queue.scan_iter(pattern)]
                if keys:
                    break
                await asyncio.sleep(0.2)
        job = Job(keys[0].decode().removeprefix(result_key_prefix), queue, _deserializer=deserialize)
        assert (await job.result(timeout=10)) == "made 0; the plan's monthly pictures are used up"
    finally:
        await queue.aclose()
    assert not await Image.count().where(Image.book == second["id"], Image.character.is_not_null())


@pytest.fixture(scope="module")
def openai_service(face_env: dict[str, str], stub: StubApiServer) -> Iterator[LiveService]:
    env = {
        **face_env,
        "BOOKREADER_QUEUE_NAME": face_env["BOOKREADER_QUEUE_NAME"] + ":openai",
        "BOOKREADER_EVENTS_PREFIX": face_env["BOOKREADER_EVENTS_PREFIX"] + ":openai",
        "BOOKREADER_DATA_DIR": face_env["BOOKREADER_DATA_DIR"] + "-openai",
        "BOOKREADER_IMAGE_PROVIDER": "openai",
        "BOOKREADER_IMAGE_BASE_URL": f"{stub.base_url}/v1",
        "BOOKREADER_IMAGE_API_KEY": "sk-test",
        "BOOKREADER_IMAGE_MODEL": "gpt-image-1",
        "BOOKREADER_IMAGE_SEND_SEED": "1",
    }
    with serving(env, "same-face-openai") as service:
        yield service


async def test_openai_compatible_edits_draw_a_scene_from_the_portrait(
    openai_service: LiveService, stub, generated_books
) -> None:
    stub.reset()
    stub.png = PORTRAIT_PNG
    async with httpx.AsyncClient(base_url=openai_service.base_url, timeout=30) as http:
        reader = await sign_up(http)
        book = await cast_book(reader, generated_books)
        grete = (await portraits(reader, book["id"], AHEAD))["Grete"]
        seed = stable_seed(book["id"], grete["id"], "watercolor")
        made = [
            hit for hit in stub.hits if hit.path == "/v1/images/generations" and hit.json()["seed"] == seed
        ]
        assert len(made) == 1, "Grete's portrait: from text, with her seed"
        scene = await scene_of_grete(reader, book, grete)
        stub.reset()
        stub.png = SCENE_PNG
        image = await wait_image(
            reader, (await reader.post(f"/api/v1/descriptions/{scene['id']}/image")).json()["id"]
        )
        assert image["status"] == "ready", image
    [hit] = stub.hits
    assert hit.path == "/v1/images/edits" and hit.headers["content-type"].startswith("multipart/form-data")
    form = hit.form()
    assert form["image"] == PORTRAIT_PNG, "the request carried the portrait's bytes"
    assert (form["seed"], form["model"]) == (str(seed).encode(), b"gpt-image-1")
    assert image["seed"] == seed and image["reference_url"] == grete["portrait"]["url"]


async def test_the_new_routes_are_in_the_openapi_document(http) -> None:
    paths = (await http.get("/schema/openapi.json")).json()["paths"]
    images, portrait = (
        "/api/v1/images/{image_id}",
        "/api/v1/books/{book_id}/characters/{character_id}/portrait",
    )
    expected = {
        (f"{images}/regenerate", "post"): "regenerateImage",
        (f"{images}/pin", "post"): "pinImage",
        (f"{images}/pin", "delete"): "unpinImage",
        (f"{images}/versions", "get"): "listImageVersions",
        (portrait, "post"): "requestPortrait",
        (f"{portrait}/regenerate", "post"): "regeneratePortrait",
        (f"{portrait}/pin", "post"): "pinPortrait",
        (f"{portrait}/pin", "delete"): "unpinPortrait",
        (f"{portrait}/versions", "get"): "listPortraitVersions",
    }
    found = {
        (path, method): paths.get(path, {}).get(method, {}).get("operationId") for path, method in expected
    }
    assert found == expected
    spec = (await http.get("/schema/openapi.json")).json()
    ref = spec["paths"][images]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    fields = spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]["properties"]
    assert {"version", "pinned", "seed", "character_id", "reference_url"} <= set(fields)
    # the reader's bound is one controller dependency: its query parameters still show on every route using it
    for path, method in [(f"{portrait}/versions", "get"), (f"{portrait}/pin", "delete"), (portrait, "post")]:
        names = {p["name"] for p in spec["paths"][path][method].get("parameters", []) if p["in"] == "query"}
        assert {"until", "reveal"} <= names, (path, method, names)
