"""One user cannot fill the pipeline for everybody (security review #4): at most N books per user in it."""

from __future__ import annotations

import httpx
from tests.books import novel_epub
from tests.harness import LiveService
from tests.support import sign_up


async def test_active_books_per_user_are_capped(limits_api: LiveService, tmp_path) -> None:
    # no worker on its queue: uploaded books stay queued, i.e. active
    assert limits_api.env["BOOKREADER_MAX_ACTIVE_BOOKS_PER_USER"] == "2"
    async with httpx.AsyncClient(base_url=limits_api.base_url, timeout=30) as http:
        reader, other = await sign_up(http), await sign_up(http)
        for number in range(2):
            path = tmp_path / f"b{number}.epub"
            path.write_bytes(novel_epub(title=f"Book {number}"))
            assert (await reader.upload(path)).status_code == 202
        path = tmp_path / "third.epub"
        path.write_bytes(novel_epub(title="The third"))
        third = await reader.upload(path)
        assert third.status_code == 429, third.text
        assert third.json()["code"] == "too_many_active_books" and third.headers["retry-after"]
        assert (await reader.upload(tmp_path / "b0.epub")).status_code == 200  # a duplicate is no new work
        assert (await other.upload(path)).status_code == 202  # another user is not affected
