"""The cast and places never run ahead of the reader (issue 14): every field of GET /characters and
GET /places is computed from text at or before the bound — walked chapter by chapter through a real book."""

from __future__ import annotations

import asyncio
import itertools
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.support import Reader

from bookreader.domain.descriptions.cast import END

CHARACTER_FIELDS = {
    "id", "name", "aliases", "mention_count", "first_chapter", "appearance", "kind", "first_seen",
    "appearance_text", "relations",
}  # fmt: skip


async def ready_book(reader: Reader, path: Path) -> dict:
    created = await reader.upload(path)
    assert created.status_code in (200, 202), created.text
    book = await reader.wait_for_book(created.json()["id"], timeout=240)
    assert book["status"] == "ready", book
    return book


async def chapter_texts(reader: Reader, book_id: str) -> dict[int, str]:
    chapters = (await reader.get(f"/api/v1/books/{book_id}/chapters")).json()
    texts = {}
    for chapter in chapters:
        body = (await reader.get(f"/api/v1/books/{book_id}/chapters/{chapter['number']}")).json()
        texts[chapter["number"]] = body["text"]
    return texts


class FirstUse:
    """Where a word is first written in the book (chapter, end offset), looked up once per word."""

    def __init__(self, texts: dict[int, str]) -> None:
        self.texts, self.cache = texts, {}

    def __call__(self, word: str) -> tuple[int, int]:
        if word not in self.cache:
            pattern = re.compile(rf"(?<!\w){re.escape(word)}")
            found = ((n, m.end()) for n, t in self.texts.items() for m in [pattern.search(t)] if m)
            self.cache[word] = next(found, (10**9, 0))
        return self.cache[word]


def _words(name: str) -> list[str]:
    return [w.strip(".") for w in name.split() if w.strip(".")]


def assert_nothing_past(
    items: list[dict], texts: dict[int, str], chapter: int, offset: int, kind: str, first_use: FirstUse
) -> None:
    """Every field of every item only shows what the text up to (chapter, offset) shows."""
    ids = {c["id"] for c in items}
    names = {c["id"]: c["name"] for c in items}
    for c in items:
        assert set(c) >= CHARACTER_FIELDS and c["kind"] == kind
        for name in (c["name"], *c["aliases"]):
            for word in _words(name):
                assert first_use(word) <= (chapter, offset), f"{name!r} is not in the text before the bound"
        seen = (c["first_seen"]["chapter"], c["first_seen"]["offset"])
        assert seen <= (chapter, offset) and c["first_chapter"] == seen[0]
        named_there = texts[seen[0]][seen[1] :]
        assert any(named_there.startswith(w) for n in (c["name"], *c["aliases"]) for w in _words(n)[:1])
        assert c["mention_count"] >= 1
        quote_texts = []
        for q in c["appearance"]:
            assert (q["chapter"], q["end"]) <= (chapter, offset), "a quote past the bound"
            assert texts[q["chapter"]][q["start"] : q["end"]] == q["text"]
            quote_texts.append(q["text"].strip())
        if c["appearance_text"]:
            joined = " ".join(dict.fromkeys(quote_texts))
            assert joined.startswith(c["appearance_text"].rstrip("…").rstrip(" ;,")), (
                "appearance text from quotes"
            )
        else:
            assert not quote_texts
        for relation in c["relations"]:
            assert relation["id"] in ids and relation["name"] == names[relation["id"]], (
                "a relation past the bound"
            )
            assert relation["count"] >= 1


async def walk(
    reader: Reader, book_id: str, texts: dict[int, str], kind: str, points=(0, 0.5, 1)
) -> list[list[dict]]:
    route = "characters" if kind == "character" else "places"
    casts, first_use = [], FirstUse(texts)
    for number, text in texts.items():
        for offset in (int(len(text) * point) for point in points):
            response = await reader.get(
                f"/api/v1/books/{book_id}/{route}", params={"until": f"{number}:{offset}"}
            )
            assert response.status_code == 200, response.text
            assert response.headers["x-cast-until"] == f"{number}:{offset}"
            items = response.json()
            assert_nothing_past(items, texts, number, offset, kind, first_use)
            casts.append(items)
    for earlier, later in itertools.pairwise(casts):
        counts = {c["id"]: c["mention_count"] for c in later}
        assert all(c["id"] in counts and counts[c["id"]] >= c["mention_count"] for c in earlier), "only grows"
    return casts


async def test_a_character_first_named_in_chapter_9_is_absent_before_it(
    reader: Reader, generated_books: dict[str, Path]
) -> None:
    book = await ready_book(reader, generated_books["cast"])
    texts = await chapter_texts(reader, book["id"])
    casts = await walk(reader, book["id"], texts, "character")
    places = await walk(reader, book["id"], texts, "place")
    at = {
        (n, o): i
        for i, (n, o) in enumerate((n, o) for n, t in texts.items() for o in (0, len(t) // 2, len(t)))
    }
    chapter3 = casts[at[(3, len(texts[3]))]]
    assert {"Gregor", "Grete"} <= {c["name"] for c in chapter3}
    assert "Lorrimer" not in {c["name"] for c in chapter3}
    assert all("red beard" not in q["text"] for c in chapter3 for q in c["appearance"])
    assert "Hollowmere" not in {p["name"] for p in places[at[(3, len(texts[3]))]]}
    assert "Kestrelby" in {p["name"] for p in places[at[(3, len(texts[3]))]]}
    chapter9 = {c["name"]: c for c in casts[at[(9, len(texts[9]))]]}
    assert chapter9["Lorrimer"]["first_seen"]["chapter"] == 9
    assert "red beard" in chapter9["Lorrimer"]["appearance_text"]
    assert "Hollowmere" in {p["name"] for p in places[at[(9, len(texts[9]))]]}
    grete = next(c for c in chapter3 if c["name"] == "Grete")
    assert "Gregor" in {r["name"] for r in grete["relations"]}


async def test_default_bound_is_the_furthest_position_not_the_current_one(
    reader: Reader, other_reader: Reader, generated_books: dict[str, Path]
) -> None:
    book = await ready_book(reader, generated_books["cast"])
    url = f"/api/v1/books/{book['id']}/characters"
    assert (await reader.get(url)).json() == [], "a book not opened yet has no cast yet"
    now = datetime.now(UTC)
    for chapter, age in ((3, 30), (10, 20), (2, 10)):  # read to chapter 10, then jumped back to chapter 2
        moved = await reader.put(
            f"/api/v1/books/{book['id']}/progress",
            json={"chapter": chapter, "offset": 5, "percentage": chapter * 8, "updated_at": (now - timedelta(seconds=age)).isoformat()},
        )  # fmt: skip
        assert moved.status_code == 200, moved.text
    assert (await reader.get(f"/api/v1/books/{book['id']}/progress")).json()["chapter"] == 2
    response = await reader.get(url)
    assert response.headers["x-cast-until"] == "10:5"
    assert "Lorrimer" in {c["name"] for c in response.json()}
    early = await reader.get(url, params={"until": "3:0"})
    assert "Lorrimer" not in {c["name"] for c in early.json()}
    everything = await reader.get(url, params={"reveal": "all"})
    assert everything.headers["x-cast-until"] == "all"
    full = {c["name"]: c["mention_count"] for c in everything.json()}
    assert (
        full["Lorrimer"] == 12
        and full["Grete"] > {c["name"]: c["mention_count"] for c in response.json()}["Grete"]
    )
    whole_chapter = await reader.get(url, params={"until": "9"})
    assert whole_chapter.headers["x-cast-until"] == f"9:{END}"
    for bad in ("nine", "3:-1", "3:4:5", ""):
        refused = await reader.get(url, params={"until": bad})
        assert refused.status_code == 422 and refused.json()["code"] == "invalid_bound", (bad, refused.text)
    assert (await other_reader.get(url, params={"reveal": "all"})).status_code == 404


@pytest.mark.parametrize(
    "relative",
    [
        # the scale case: 144 chapters, 432 bounded cast requests each checked field by field (the longest
        # test of the edit loop by far) — `just test` walks it, test-fast walks Kafka's book the same way
        pytest.param("epub3/idpf-moby-dick.epub", marks=pytest.mark.slow),
        "epub2/gutenberg-kafka-metamorphosis.epub",
    ],
)
async def test_walking_a_real_book_leaks_nothing(reader: Reader, shared_books: Path, relative: str) -> None:
    book = await ready_book(reader, shared_books / relative)
    texts = await chapter_texts(reader, book["id"])
    casts = await walk(reader, book["id"], texts, "character", points=(0.5, 1))
    await walk(reader, book["id"], texts, "place", points=(1,))
    everyone = (await reader.get(f"/api/v1/books/{book['id']}/characters", params={"reveal": "all"})).json()
    assert casts[-1] == everyone, "at the very end the cast is the whole cast"
    assert len(casts[0]) < len(everyone)


async def test_portrait_is_the_picture_of_the_first_passage_read_that_describes_them(
    reader: Reader, other_reader: Reader, generated_books: dict[str, Path]
) -> None:
    book = await ready_book(reader, generated_books["cast"])
    base = f"/api/v1/books/{book['id']}"
    moved = await reader.put(f"{base}/progress", json={"chapter": 3, "offset": 400, "percentage": 20})
    assert moved.status_code == 200, moved.text
    everyone = {
        c["name"]: c for c in (await reader.get(f"{base}/characters", params={"reveal": "all"})).json()
    }
    grete, lorrimer = everyone["Grete"], everyone["Lorrimer"]

    asked = await reader.post(f"{base}/characters/{grete['id']}/portrait")
    assert asked.status_code in (200, 202), asked.text
    image = asked.json()
    for _ in range(300):
        if image["status"] in ("ready", "failed"):
            break
        await asyncio.sleep(0.2)
        image = (await reader.get(f"/api/v1/images/{image['id']}")).json()
    assert image["status"] == "ready", image
    described = next(
        d for d in (await reader.get(f"{base}/descriptions")).json() if d["id"] == image["description_id"]
    )
    assert described["type"] == "character" and "Grete" in described["entities"]
    assert (described["chapter"], described["end"]) <= (3, 400), "made from a passage already read"
    assert "Grete" in image["prompt"] and "golden hair" in image["prompt"], "the canonical appearance text"

    cast = {c["name"]: c for c in (await reader.get(f"{base}/characters")).json()}
    assert cast["Grete"]["portrait"]["url"] == image["url"]
    assert cast["Grete"]["portrait"]["image_id"] == image["id"]
    early = {c["name"]: c for c in (await reader.get(f"{base}/characters", params={"until": "1:0"})).json()}
    assert "Grete" not in early or early["Grete"]["portrait"] is None, "no portrait from a passage not read"

    refused = await reader.post(
        f"{base}/characters/{lorrimer['id']}/portrait"
    )  # first described in chapter 9
    assert refused.status_code == 409 and refused.json()["code"] == "no_appearance", refused.text
    assert (await other_reader.post(f"{base}/characters/{grete['id']}/portrait")).status_code == 404
