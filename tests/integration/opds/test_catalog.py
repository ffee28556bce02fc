"""OPDS 1.2 and 2.0 catalogs walked link by link as a client does, every feed checked against the specs'
required elements; HTTP Basic with a device password on feeds, covers and downloads."""

from __future__ import annotations

import json
import uuid
from collections import deque
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import httpx
import jsonschema_rs
import pytest
from lxml import etree

from bookreader.domain.books.tables import Book
from tests.support import Reader, sign_up

ATOM = "{http://www.w3.org/2005/Atom}"
SCHEMAS = Path(__file__).resolve().parents[2] / "data" / "opds_schemas"  # the specs' own JSON Schemas


def _validator(schema_id: str) -> jsonschema_rs.Validator:
    documents = {}
    for path in SCHEMAS.rglob("*.json"):
        document = json.loads(path.read_text())
        documents[document.get("$id", path.name)] = document
    return jsonschema_rs.validator_for(documents[schema_id], retriever=lambda uri: documents[uri])


FEED_SCHEMA = _validator("https://drafts.opds.io/schema/feed.schema.json")
AUTH_SCHEMA = _validator("https://drafts.opds.io/schema/authentication.schema.json")
OPDS_TYPES = ("application/atom+xml", "application/opds+json")
ACQ = "http://opds-spec.org/acquisition"


async def _device_client(client: httpx.AsyncClient, reader: Reader) -> httpx.AsyncClient:
    created = await reader.post("/api/v1/device-passwords", json={"name": "Thorium"})
    assert created.status_code == 201
    return httpx.AsyncClient(
        base_url=client.base_url, auth=(reader.email, created.json()["password"]), timeout=30
    )


def check_atom_feed(body: bytes) -> tuple[etree._Element, list[dict]]:
    """Required elements of Atom (RFC 4287) + OPDS 1.2; returns the feed and all its links."""
    feed = etree.fromstring(body)
    assert feed.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert (feed.findtext(f"{ATOM}{name}") or "").strip(), f"feed without {name}"
    links = [dict(link.attrib) for link in feed.findall(f"{ATOM}link")]
    assert any(link["rel"] == "self" for link in links)
    feed_has_author = feed.find(f"{ATOM}author/{ATOM}name") is not None
    kind = next(link["type"] for link in links if link["rel"] == "self")
    for entry in feed.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated"):
            assert (entry.findtext(f"{ATOM}{name}") or "").strip(), f"entry without {name}"
        entry_links = [dict(link.attrib) for link in entry.findall(f"{ATOM}link")]
        assert feed_has_author or entry.find(f"{ATOM}author") is not None
        if "kind=acquisition" in kind:
            assert any(link["rel"].startswith(ACQ) for link in entry_links), (
                "a book entry without acquisition"
            )
        else:
            assert entry.find(f"{ATOM}content") is not None
            assert any("profile=opds-catalog" in link.get("type", "") for link in entry_links)
        links += entry_links
    return feed, links


def check_opds2_feed(feed: dict) -> list[dict]:
    """The OPDS 2.0 feed schema (with Readium's link/metadata schemas), and what it cannot say; returns every
    link."""
    errors = [f"{error.instance_path}: {error.message}" for error in FEED_SCHEMA.iter_errors(feed)]
    assert not errors, errors
    assert feed["metadata"]["title"]
    assert any(link["rel"] == "self" for link in feed["links"])
    assert any(feed.get(key) for key in ("publications", "navigation", "groups"))
    links = list(feed["links"])
    for item in feed.get("navigation", []):
        assert item["title"] and item["href"]
        links.append(item)
    for publication in feed.get("publications", []):
        assert publication["metadata"]["title"]
        assert any(link["rel"].startswith(ACQ) for link in publication["links"])
        images = publication.get("images")
        if images is not None:
            assert images and any(
                image["type"] in ("image/jpeg", "image/png", "image/gif") for image in images
            )
            links += images
        links += publication["links"]
    for key in ("publications", "navigation"):
        if key in feed:
            assert feed[key], f"empty {key}"
    return links


async def _upload_all(reader: Reader, books: list[Path]) -> list[dict]:
    uploaded = []
    for path in books:
        created = await reader.upload(path)
        assert created.status_code in (200, 202), created.text
        uploaded.append(
            await reader.wait_for_book(created.json()["id"], statuses=("analyzing", "ready", "failed"))
        )
    return uploaded


async def test_anonymous_gets_a_clear_401(client: httpx.AsyncClient) -> None:
    async with httpx.AsyncClient(base_url=client.base_url) as anonymous:
        for url in ("/opds/v1.2/", "/opds/v1.2/recent", f"/opds/books/{uuid.uuid4()}/cover"):
            denied = await anonymous.get(url)
            assert denied.status_code == 401, denied.text
            assert denied.headers["www-authenticate"].startswith("Basic")
            assert denied.json()["code"] == "credentials_required"
        denied = await anonymous.get("/opds/v2/", auth=("nobody@example.com", "wrong-password"))
        assert denied.status_code == 401 and denied.headers["content-type"].startswith(
            "application/opds-authentication+json"
        )
        document = denied.json()
        assert not list(AUTH_SCHEMA.iter_errors(document))
        assert document["id"] and document["title"]
        assert document["authentication"][0]["type"] == "http://opds-spec.org/auth/basic"


async def test_walk_both_catalogs(client: httpx.AsyncClient, generated_books: dict[str, Path]) -> None:
    reader = await sign_up(client)
    paths = [generated_books["novel"], generated_books["tiny"], generated_books["russian"]]
    books = await _upload_all(reader, paths)
    originals = {book["id"]: path.read_bytes() for book, path in zip(books, paths, strict=True)}
    async with await _device_client(client, reader) as device:
        for root, check in (("/opds/v1.2/", "atom"), ("/opds/v2/", "json")):
            seen_feeds, downloads, images = await _walk(device, root, check)
            assert seen_feeds >= 8, (
                seen_feeds
            )  # root, recent, all, authors, series, languages and their targets
            assert set(downloads) == set(originals)
            for book_id, data in downloads.items():
                assert data == originals[book_id]  # byte-identical
            assert images >= 2 * sum(1 for book in books if book["cover_url"])  # cover + thumbnail each

        # OpenSearch: the description's template finds a book by a word of its author or title
        description = await device.get("/opds/v1.2/opensearch.xml")
        assert description.headers["content-type"].startswith("application/opensearchdescription+xml")
        template = (
            etree.fromstring(description.content)
            .find("{http://a9.com/-/spec/opensearch/1.1/}Url")
            .get("template")
        )
        assert "{searchTerms}" in template
        title_word = books[0]["title"].split()[-1]
        found = await device.get(template.replace("{searchTerms}", quote(title_word)))
        feed, _ = check_atom_feed(found.content)
        assert books[0]["title"] in [entry.findtext(f"{ATOM}title") for entry in feed.findall(f"{ATOM}entry")]
        found2 = (await device.get(f"/opds/v2/search?query={quote(title_word)}")).json()
        assert books[0]["title"] in [p["metadata"]["title"] for p in found2["publications"]]

        other = await sign_up(client)  # another account sees none of it
        async with await _device_client(client, other) as stranger:
            assert "<entry>" not in (await stranger.get("/opds/v1.2/recent")).text
            assert (await stranger.get(f"/opds/books/{books[0]['id']}/file")).status_code == 404


async def _walk(device: httpx.AsyncClient, root: str, check: str) -> tuple[int, dict[str, bytes], int]:
    queue, seen = deque([root]), {root}
    feeds, downloads, images = 0, {}, 0
    while queue:
        url = queue.popleft()
        response = await device.get(url)
        assert response.status_code == 200, (url, response.text)
        assert response.headers["content-type"].startswith(OPDS_TYPES), url
        feeds += 1
        if check == "atom":
            _, links = check_atom_feed(response.content)
        else:
            links = check_opds2_feed(response.json())
        for link in links:
            href, rel, kind = link["href"], link.get("rel", ""), link.get("type", "")
            if link.get("templated") or "opensearch" in kind:
                continue
            if kind.startswith(OPDS_TYPES) and href not in seen:
                seen.add(href)
                queue.append(href)
            elif rel.startswith(ACQ) and href not in downloads:
                got = await device.get(href)
                assert got.status_code == 200 and got.headers["content-type"] == kind, href
                downloads[href.split("/")[3]] = got.content
            elif "image" in rel or rel == "cover":
                got = await device.get(href)
                assert got.status_code == 200 and got.headers["content-type"].startswith("image/"), href
                images += 1
    return feeds, downloads, images


@pytest.mark.parametrize("version", ["v1.2", "v2"])
async def test_pagination_front_to_back(client: httpx.AsyncClient, db, version: str) -> None:
    reader = await sign_up(client)
    owner = (await reader.get("/api/v1/users/me")).json()["id"]
    start = datetime.now(UTC)
    rows = [
        Book(owner=uuid.UUID(owner), title=f"Book {i:03d}", authors=json.dumps([f"Author {i % 7}"]), format="epub",
             status="ready", content_hash=uuid.uuid4().hex, created_at=start - timedelta(minutes=i),
             metadata=json.dumps({"series": "Saga", "series_index": i}) if i % 2 else "{}")
        for i in range(120)
    ]  # fmt: skip
    await Book.insert(*rows)
    async with await _device_client(client, reader) as device:
        url, titles, pages = f"/opds/{version}/all", [], 0
        while url:
            response = await device.get(url)
            assert response.status_code == 200
            pages += 1
            if version == "v1.2":
                feed, links = check_atom_feed(response.content)
                titles += [entry.findtext(f"{ATOM}title") for entry in feed.findall(f"{ATOM}entry")]
                nxt = [link["href"] for link in links if link["rel"] == "next"]
                assert feed.findtext("{http://a9.com/-/spec/opensearch/1.1/}totalResults") == "120"
            else:
                body = response.json()
                check_opds2_feed(body)
                titles += [p["metadata"]["title"] for p in body["publications"]]
                nxt = [link["href"] for link in body["links"] if link["rel"] == "next"]
                assert body["metadata"]["numberOfItems"] == 120 and body["metadata"]["currentPage"] == pages
            url = nxt[0] if nxt else None
        assert pages == 3 and titles == [f"Book {i:03d}" for i in range(120)]
        prev_rel = "prev" if version == "v1.2" else "previous"
        last = await device.get(f"/opds/{version}/all?page=3")
        if version == "v1.2":
            _, links = check_atom_feed(last.content)
        else:
            links = last.json()["links"]
        assert [link["href"] for link in links if link["rel"] == prev_rel] == [f"/opds/{version}/all?page=2"]
        series = await device.get(f"/opds/{version}/in-series?name=Saga")
        count = series.text.count("<entry>") if version == "v1.2" else len(series.json()["publications"])
        assert count == 50  # first page of 60
