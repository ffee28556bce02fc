"""Shelves (manual: add/remove/reorder; smart: a saved filter) and the library's server-side filter/sort/paging."""

from __future__ import annotations

import asyncio

from tests.support import Reader
from tests.unit.ingest.builders import make_fb2

SECTION = "<section><title><p>One</p></title>" + "<p>The grey sea broke on the rocks below the house.</p>" * 4
RU_SECTION = "<section><title><p>Глава</p></title>" + "<p>Старый дом стоял у самого моря.</p>" * 4


def book(title: str, lang: str = "en", author: str = "") -> bytes:
    body = make_fb2((RU_SECTION if lang == "ru" else SECTION) + "</section>", title=title, lang=lang)
    if author:
        body = body.replace("<first-name>Иван</first-name><last-name>Петров</last-name>",
                            f"<first-name>{author}</first-name><last-name>Writer</last-name>")  # fmt: skip
    return body.encode()


async def upload(reader: Reader, title: str, **kw) -> str:
    response = await reader.post("/api/v1/books", files={"file": (f"{title}.fb2", book(title, **kw), "x/y")})
    assert response.status_code == 202, response.text
    done = await reader.wait_for_book(response.json()["id"])
    assert done["status"] == "ready", done
    return done["id"]


def titles(page: dict) -> list[str]:
    return [b["title"] for b in page["items"]]


async def test_library_filters_sorts_and_pages_on_the_server(reader: Reader, other_reader: Reader) -> None:
    ids = {}
    for title, kw in [("Bravo", {}), ("Alpha", {"author": "Zed"}), ("Charlie", {"lang": "ru"})]:
        ids[title] = await upload(reader, title, **kw)
        await asyncio.sleep(0.05)  # distinct created_at
    await upload(other_reader, "Alpha Other")

    assert titles((await reader.get("/api/v1/books", params={"sort": "title"})).json()) == [
        "Alpha",
        "Bravo",
        "Charlie",
    ]
    desc = (await reader.get("/api/v1/books", params={"sort": "title", "order": "desc", "limit": 2})).json()
    assert titles(desc) == ["Charlie", "Bravo"] and desc["total"] == 3
    page2 = (await reader.get("/api/v1/books", params={"sort": "title", "limit": 2, "offset": 2})).json()
    assert titles(page2) == ["Charlie"] and page2["total"] == 3
    assert (
        titles((await reader.get("/api/v1/books", params={"sort": "recently_added"})).json())[0] == "Charlie"
    )
    assert titles((await reader.get("/api/v1/books", params={"language": "ru"})).json()) == ["Charlie"]
    assert titles((await reader.get("/api/v1/books", params={"author": "zed"})).json()) == ["Alpha"]
    assert (
        titles((await reader.get("/api/v1/books", params={"sort": "author"})).json())[0] == "Alpha"
    )  # Zed < Иван
    assert (await reader.get("/api/v1/books", params={"added_within_days": 1})).json()["total"] == 3
    assert (await reader.get("/api/v1/books", params={"has_pictures": "false", "q": "alp"})).json()[
        "total"
    ] == 1
    legacy = (await reader.get("/api/v1/books", params={"limit": 1, "offset": 1, "q": "a"})).json()
    assert legacy["total"] == 3 and len(legacy["items"]) == 1  # the old parameters still work alone

    progress = {"chapter": 1, "offset": 10, "percentage": 40.0}
    assert (await reader.put(f"/api/v1/books/{ids['Bravo']}/progress", json=progress)).status_code == 200
    done = {"chapter": 1, "offset": 10, "percentage": 100.0}
    assert (await reader.put(f"/api/v1/books/{ids['Charlie']}/progress", json=done)).status_code == 200
    assert titles((await reader.get("/api/v1/books", params={"read_status": "reading"})).json()) == ["Bravo"]
    assert titles((await reader.get("/api/v1/books", params={"read_status": "finished"})).json()) == [
        "Charlie"
    ]
    assert titles((await reader.get("/api/v1/books", params={"read_status": "unread"})).json()) == ["Alpha"]
    assert titles((await reader.get("/api/v1/books", params={"sort": "progress"})).json()) == [
        "Charlie",
        "Bravo",
        "Alpha",
    ]
    assert titles((await reader.get("/api/v1/books", params={"sort": "recently_read"})).json())[2] == "Alpha"
    bad = await reader.get("/api/v1/books", params={"sort": "colour"})
    assert bad.status_code == 400


async def test_manual_and_smart_shelves(reader: Reader, other_reader: Reader) -> None:
    a, b, c = [
        await upload(reader, t, lang=lang) for t, lang in (("Sea A", "en"), ("Sea B", "en"), ("Дом", "ru"))
    ]
    made = await reader.post("/api/v1/shelves", json={"name": "Favourites"})
    assert made.status_code == 201
    shelf = made.json()
    for book_id in (a, b, c):
        assert (await reader.put(f"/api/v1/shelves/{shelf['id']}/books/{book_id}")).status_code == 204
    on_shelf = (await reader.get(f"/api/v1/shelves/{shelf['id']}/books")).json()
    assert [x["id"] for x in on_shelf["items"]] == [a, b, c]
    assert (
        await reader.put(f"/api/v1/shelves/{shelf['id']}/order", json={"book_ids": [c, a]})
    ).status_code == 204
    on_shelf = (await reader.get(f"/api/v1/shelves/{shelf['id']}/books")).json()
    assert [x["id"] for x in on_shelf["items"]] == [c, a, b]
    assert (await reader.delete(f"/api/v1/shelves/{shelf['id']}/books/{a}")).status_code == 204
    assert (await reader.get(f"/api/v1/shelves/{shelf['id']}")).json()["book_count"] == 2

    smart = await reader.post("/api/v1/shelves", json={"name": "English", "kind": "smart",
                                                       "filter": {"language": "en", "added_within_days": 7}})  # fmt: skip
    assert smart.status_code == 201, smart.text
    english = (
        await reader.get(f"/api/v1/shelves/{smart.json()['id']}/books", params={"sort": "title"})
    ).json()
    assert [x["id"] for x in english["items"]] == [a, b]
    assert (await reader.put(f"/api/v1/shelves/{smart.json()['id']}/books/{c}")).status_code == 409
    no_filter = await reader.post("/api/v1/shelves", json={"name": "x", "kind": "smart"})
    assert no_filter.status_code == 422 and no_filter.json()["code"] == "filter_required"
    listed = (await reader.get("/api/v1/shelves")).json()
    assert [s["name"] for s in listed] == ["Favourites", "English"] and listed[1]["book_count"] == 2

    # isolation: another user sees no shelves, cannot read or fill this one, cannot shelve into it
    assert (await other_reader.get("/api/v1/shelves")).json() == []
    assert (await other_reader.get(f"/api/v1/shelves/{shelf['id']}/books")).status_code == 404
    theirs = (await other_reader.post("/api/v1/shelves", json={"name": "Mine"})).json()
    assert (await other_reader.put(f"/api/v1/shelves/{theirs['id']}/books/{a}")).status_code == 404
    assert (await reader.delete(f"/api/v1/shelves/{shelf['id']}")).status_code == 204
    assert (await reader.get(f"/api/v1/books/{b}")).status_code == 200  # books stay in the library
