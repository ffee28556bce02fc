"""Bookmarks and highlights are capped per book and their lists are paged (security review #15)."""

from __future__ import annotations

import httpx
from tests.harness import serving
from tests.integration.reading.conftest import book_with_chapters
from tests.support import Reader, sign_up


async def test_lists_are_paged(reader: Reader, alice: dict) -> None:
    book_id = alice["id"]
    for offset in range(5):
        created = await reader.post(
            f"/api/v1/books/{book_id}/bookmarks", json={"chapter": 1, "offset": offset}
        )
        assert created.status_code == 201
        created = await reader.post(
            f"/api/v1/books/{book_id}/highlights", json={"chapter": 1, "start": offset, "end": offset + 3}
        )
        assert created.status_code == 201
    for kind in ("bookmarks", "highlights"):
        everything = (await reader.get(f"/api/v1/books/{book_id}/{kind}")).json()
        assert len(everything) == 5
        first = (await reader.get(f"/api/v1/books/{book_id}/{kind}", params={"limit": 2})).json()
        rest = (await reader.get(f"/api/v1/books/{book_id}/{kind}", params={"limit": 10, "offset": 2})).json()
        assert [item["id"] for item in first + rest] == [item["id"] for item in everything]
        too_many = await reader.get(f"/api/v1/books/{book_id}/{kind}", params={"limit": 100_000})
        assert too_many.status_code == 400 and too_many.json()["code"]


async def test_counts_per_book_are_capped(live_service, migrated, generated_books, tmp_path) -> None:
    # an API with the caps; the session's service (the same database and queue) parses the book
    env = {**migrated, "BOOKREADER_EMBEDDED_WORKER": "0",
           "BOOKREADER_MAX_BOOKMARKS_PER_BOOK": "3", "BOOKREADER_MAX_HIGHLIGHTS_PER_BOOK": "2"}  # fmt: skip
    with serving(env, tmp_path / "api.log", command="api") as service:
        async with httpx.AsyncClient(base_url=service.base_url, timeout=30) as http:
            reader = await sign_up(http)
            book = await book_with_chapters(reader, generated_books["tiny"])
            url = f"/api/v1/books/{book['id']}"
            marks = [
                await reader.post(f"{url}/bookmarks", json={"chapter": 1, "offset": i}) for i in range(4)
            ]
            assert [m.status_code for m in marks] == [201, 201, 201, 409]
            assert marks[-1].json()["code"] == "too_many_bookmarks"
            spans = [{"chapter": 1, "start": i, "end": i + 2} for i in range(3)]
            lights = [await reader.post(f"{url}/highlights", json=span) for span in spans]
            assert [h.status_code for h in lights] == [201, 201, 409]
            assert lights[-1].json()["code"] == "too_many_highlights"
            # deleting one frees a place
            assert (await reader.delete(f"/api/v1/bookmarks/{marks[0].json()['id']}")).status_code == 204
            again = await reader.post(f"{url}/bookmarks", json={"chapter": 1, "offset": 9})
            assert again.status_code == 201
