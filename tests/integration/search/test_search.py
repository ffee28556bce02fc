"""Full-text search through the HTTP API: Russian morphology, phrases, prefixes, ranking, snippets with the
(chapter, offset) of each hit, pagination, and never another user's books."""

from __future__ import annotations

import httpx

from tests.support import Reader
from tests.unit.ingest.builders import make_fb2

RU = (
    "<section><title><p>Глава первая</p></title>"
    "<p>Старый дом стоял в конце улицы, серые каменные стены были увиты плющом.</p>"
    "<p>Вечером он вернулся к дому и долго смотрел на тёмные окна.</p>"
    "<p>Мы говорили о погоде и о ценах на сукно.</p></section>"
    "<section><title><p>Глава вторая</p></title>"
    "<p>За рекой начинался лес, а за лесом стояли дома деревни.</p>"
    "<p>Она гордилась своим домом и садом.</p></section>"
)
EN = (
    "<section><title><p>One</p></title>"
    "<p>The lighthouse keeper climbed the narrow stairs every evening.</p>"
    "<p>A cold wind blew from the northern sea over the grey harbour.</p>"
    "<p>The harbour master said the sea was cold and grey that winter.</p></section>"
)


async def upload(reader: Reader, name: str, content: str) -> str:
    files = {"file": (name, content.encode(), "application/octet-stream")}
    response = await reader.post("/api/v1/books", files=files)
    assert response.status_code in (200, 202), response.text
    book = await reader.wait_for_book(response.json()["id"])
    assert book["status"] == "ready", book
    return book["id"]


async def test_search_in_one_book_and_across_the_library(reader: Reader, other_reader: Reader) -> None:
    ru = await upload(reader, "dom.fb2", make_fb2(RU, title="Дом у реки", lang="ru"))
    en = await upload(reader, "sea.fb2", make_fb2(EN, title="The Lighthouse", lang="en"))

    found = (await reader.get(f"/api/v1/books/{ru}/search", params={"q": "дом", "order": "position"})).json()
    words = [hit["terms"][0].lower() for hit in found["items"]]
    assert found["total"] == 4 and words == ["дом", "дому", "дома", "домом"]  # morphology
    for hit in found["items"]:  # (chapter, offset) point at the word in the chapter's text
        chapter = (await reader.get(f"/api/v1/books/{ru}/chapters/{hit['chapter']}")).json()
        assert chapter["text"][hit["offset"] : hit["offset"] + hit["length"]] == hit["terms"][0]
        assert "<mark>" in hit["snippet"]
    assert {hit["chapter"] for hit in found["items"]} == {1, 2}

    phrase = (await reader.get(f"/api/v1/books/{ru}/search", params={"q": '"каменные стены"'})).json()
    assert (
        phrase["total"] == 1 and "<mark>каменные</mark> <mark>стены</mark>" in phrase["items"][0]["snippet"]
    )
    apart = (await reader.get(f"/api/v1/books/{ru}/search", params={"q": '"старый стены"'})).json()
    assert apart["total"] == 0
    prefix = (await reader.get(f"/api/v1/books/{en}/search", params={"q": "light*"})).json()
    assert prefix["total"] == 1 and prefix["items"][0]["terms"] == ["lighthouse"]

    ranked = (await reader.get("/api/v1/search", params={"q": "cold grey sea"})).json()
    assert ranked["total"] == 2 and all(hit["book_id"] == en for hit in ranked["items"])
    assert ranked["items"][0]["rank"] >= ranked["items"][1]["rank"]
    library = (
        await reader.get("/api/v1/search", params={"q": "домом"})
    ).json()  # Russian config for a ru book
    assert library["total"] == 4 and {hit["book_id"] for hit in library["items"]} == {ru}
    by_title = (await reader.get("/api/v1/search", params={"q": "lighthouse"})).json()
    assert [b["id"] for b in by_title["books"]] == [en] and by_title["items"][0][
        "book_title"
    ] == "The Lighthouse"

    first = (await reader.get("/api/v1/search", params={"q": "дом", "limit": 2})).json()
    second = (await reader.get("/api/v1/search", params={"q": "дом", "limit": 2, "offset": 2})).json()
    assert first["total"] == second["total"] == 4
    pages = [(h["chapter"], h["offset"]) for h in first["items"] + second["items"]]
    assert len(set(pages)) == 4 and second["books"] == []

    theirs = (await other_reader.get("/api/v1/search", params={"q": "дом"})).json()
    assert theirs["total"] == 0 and theirs["items"] == [] and theirs["books"] == []
    assert (await other_reader.get(f"/api/v1/books/{ru}/search", params={"q": "дом"})).status_code == 404


async def test_bad_queries_are_4xx_with_a_code(reader: Reader, base_url: str) -> None:
    empty = await reader.get("/api/v1/search", params={"q": "***"})
    assert empty.status_code == 422 and empty.json()["code"] == "empty_query"
    missing = await reader.get("/api/v1/search")
    assert missing.status_code == 400
    hostile = await reader.get("/api/v1/search", params={"q": "a:* & | ! ( ) <-> '\\"})
    assert hostile.status_code == 200
    async with httpx.AsyncClient(base_url=base_url) as anonymous:  # no cookie from a sign-in
        assert (await anonymous.get("/api/v1/search", params={"q": "x"})).status_code == 401
