"""Shelves appear as navigation entries of both OPDS catalogs and list their books (manual order, smart filter)."""

from __future__ import annotations

import httpx
from lxml import etree

from tests.integration.opds.test_catalog import ATOM, _device_client, check_atom_feed, check_opds2_feed
from tests.support import Reader, sign_up
from tests.unit.ingest.builders import make_fb2


async def _book(reader: Reader, title: str, lang: str) -> str:
    body = make_fb2(f"<section><p>{title} by the sea.</p></section>", title=title, lang=lang).encode()
    created = await reader.post("/api/v1/books", files={"file": (f"{title}.fb2", body, "x/y")})
    assert created.status_code == 202, created.text
    return (await reader.wait_for_book(created.json()["id"]))["id"]


async def test_shelves_in_both_catalogs(client: httpx.AsyncClient) -> None:
    reader = await sign_up(client)
    first, second = await _book(reader, "Shelved One", "en"), await _book(reader, "Книга", "ru")
    manual = (await reader.post("/api/v1/shelves", json={"name": "To read"})).json()
    await reader.put(f"/api/v1/shelves/{manual['id']}/books/{second}")
    await reader.put(f"/api/v1/shelves/{manual['id']}/books/{first}")
    smart = (await reader.post("/api/v1/shelves", json={"name": "English", "kind": "smart",
                                                        "filter": {"language": "en"}})).json()  # fmt: skip
    async with await _device_client(client, reader) as device:
        root = await device.get("/opds/v1.2/")
        _, links = check_atom_feed(root.content)
        shelf_links = {link["title"]: link["href"] for link in links if "/shelf?id=" in link.get("href", "")}
        assert set(shelf_links) == {"To read", "English"}
        feed = await device.get(shelf_links["To read"])
        assert feed.status_code == 200 and "kind=acquisition" in feed.headers["content-type"]
        tree, _ = check_atom_feed(feed.content)
        assert [e.findtext(f"{ATOM}title") for e in tree.findall(f"{ATOM}entry")] == ["Книга", "Shelved One"]

        root2 = (await device.get("/opds/v2/")).json()
        check_opds2_feed(root2)
        hrefs = {item["title"]: item["href"] for item in root2["navigation"]}
        smart_feed = (await device.get(hrefs["English"])).json()
        check_opds2_feed(smart_feed)
        assert [p["metadata"]["title"] for p in smart_feed["publications"]] == ["Shelved One"]

    stranger = await sign_up(client)
    async with await _device_client(client, stranger) as device:
        root = etree.fromstring((await device.get("/opds/v1.2/")).content)
        assert "To read" not in etree.tostring(root).decode()
        assert (await device.get(f"/opds/v1.2/shelf?id={manual['id']}")).status_code == 404
        assert (await device.get(f"/opds/v2/shelf?id={smart['id']}")).status_code == 404
