"""Every reading route × {owner, another user, no token}: others get 404 (or only their own data), no token 401."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from tests.integration.reading.conftest import book_with_chapters
from tests.support import Reader, sign_up


@dataclass
class World:
    owner: Reader
    other: Reader
    ids: dict[str, str]


@dataclass
class Route:
    method: str
    path: str  # formatted with World.ids (+ a fresh bookmark/highlight for deletes)
    body: dict | None
    owner_status: int
    user_scoped: bool = False  # no id in it: another user gets 200 with their own data


ROUTES = [
    Route("GET", "/api/v1/books/{book}/progress", None, 200),
    Route("PUT", "/api/v1/books/{book}/progress", {"chapter": 1, "offset": 1, "percentage": 1}, 200),
    Route("GET", "/api/v1/books/{book}/bookmarks", None, 200),
    Route("POST", "/api/v1/books/{book}/bookmarks", {"chapter": 1, "offset": 0}, 201),
    Route("PATCH", "/api/v1/bookmarks/{bookmark}", {"title": "renamed"}, 200),
    Route("DELETE", "/api/v1/bookmarks/{fresh_bookmark}", None, 204),
    Route("GET", "/api/v1/books/{book}/highlights", None, 200),
    Route("POST", "/api/v1/books/{book}/highlights", {"chapter": 1, "start": 0, "end": 5}, 201),
    Route("PATCH", "/api/v1/highlights/{highlight}", {"color": "blue"}, 200),
    Route("DELETE", "/api/v1/highlights/{fresh_highlight}", None, 204),
    Route("GET", "/api/v1/books/{book}/highlights/export?format=markdown", None, 200),
    Route("GET", "/api/v1/books/{book}/highlights/export?format=json", None, 200),
    Route("POST", "/api/v1/reading-sessions", {"book_id": "{book}"}, 201),
    Route("GET", "/api/v1/reading-sessions/{session}", None, 200),
    Route("GET", "/api/v1/reading-sessions?book_id={book}", None, 200),
    Route("PATCH", "/api/v1/reading-sessions/{session}", {"chapter": 1, "offset": 2}, 200),
    Route("GET", "/api/v1/stats", None, 200, user_scoped=True),
    Route("GET", "/api/v1/stats/goal", None, 200, user_scoped=True),
    Route("PUT", "/api/v1/stats/goal", {"minutes_per_day": 20}, 200, user_scoped=True),
]


@pytest.fixture(scope="module")
async def world(session_client: httpx.AsyncClient, small_book) -> World:
    owner, other = await sign_up(session_client), await sign_up(session_client)
    book = await book_with_chapters(owner, small_book)
    await book_with_chapters(other, small_book)  # the same file: its own copy, other ids
    ids = {"book": book["id"]}
    await owner.put(f"/api/v1/books/{book['id']}/progress", json={"chapter": 1, "offset": 0, "percentage": 0})
    ids["bookmark"] = (await owner.post(f"/api/v1/books/{book['id']}/bookmarks", json={"chapter": 1})).json()[
        "id"
    ]
    highlight = {"chapter": 1, "start": 0, "end": 5, "note": "owner's secret"}
    ids["highlight"] = (await owner.post(f"/api/v1/books/{book['id']}/highlights", json=highlight)).json()[
        "id"
    ]
    ids["session"] = (await owner.post("/api/v1/reading-sessions", json={"book_id": book["id"]})).json()["id"]
    return World(owner, other, ids)


async def fresh_ids(world: World) -> dict[str, str]:
    book = world.ids["book"]
    mark = await world.owner.post(f"/api/v1/books/{book}/bookmarks", json={"chapter": 1})
    quote = await world.owner.post(
        f"/api/v1/books/{book}/highlights", json={"chapter": 1, "start": 0, "end": 3}
    )
    return world.ids | {"fresh_bookmark": mark.json()["id"], "fresh_highlight": quote.json()["id"]}


@pytest.mark.parametrize("who", ["owner", "other", "anonymous"])
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
async def test_route_access(
    world: World, session_client: httpx.AsyncClient, base_url: str, route: Route, who: str
) -> None:
    ids = await fresh_ids(world) if route.method == "DELETE" else world.ids
    url = route.path.format(**ids)
    body = {k: v.format(**ids) if isinstance(v, str) else v for k, v in (route.body or {}).items()} or None
    if who == "anonymous":  # a client of its own: the shared one holds the UI cookie of the last sign-in
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as bare:
            response = await bare.request(route.method, url, json=body)
    else:
        headers = world.owner.headers if who == "owner" else world.other.headers
        response = await session_client.request(route.method, url, json=body, headers=headers)
    if who == "anonymous":
        assert response.status_code == 401, response.text
    elif who == "owner" or route.user_scoped:
        assert response.status_code == route.owner_status, response.text
    else:
        assert response.status_code == 404, response.text
        assert "owner's secret" not in response.text
    if who == "other" and route.user_scoped and route.method == "GET":
        assert "owner's secret" not in response.text
        if route.path == "/api/v1/stats":  # another user's statistics are their own
            assert response.json()["totals"]["sessions"] == 0 and response.json()["books_finished"] == 0


async def test_others_lists_stay_empty(world: World) -> None:
    """The other user's own copy of the same book shows none of the owner's annotations."""
    books = (await world.other.get("/api/v1/books")).json()["items"]
    [copy] = [b for b in books if b["id"] != world.ids["book"]]
    assert (await world.other.get(f"/api/v1/books/{copy['id']}/bookmarks")).json() == []
    assert (await world.other.get(f"/api/v1/books/{copy['id']}/highlights")).json() == []
    assert (await world.other.get(f"/api/v1/books/{copy['id']}/progress")).status_code == 404
