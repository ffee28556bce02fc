"""SVG covers become PNG covers, and a hostile SVG gets no script run, no file or URL read, no huge bitmap."""

from __future__ import annotations

import base64
import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from lxml import etree
from PIL import Image
from tests.unit.ingest.builders import make_epub, paragraphs, xhtml

from bookreader.ingest import parse_book
from bookreader.ingest.svg import MAX_SIDE, rasterize_svg, sanitize_svg

COVER = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="1400" height="2100" viewBox="0 0 1400 2100">'
    '<rect width="1400" height="2100" fill="#204060"/><circle cx="700" cy="900" r="300" fill="#e0c040"/></svg>'
)


def epub_with_cover(svg: str) -> bytes:
    manifest = '<item id="cover-svg" href="cover.svg" media-type="image/svg+xml" properties="cover-image"/>'
    documents = {"one.xhtml": xhtml("<h1>One</h1>" + paragraphs(5), title="One")}
    return make_epub(documents, toc=[("One", "one.xhtml")], extra_manifest=manifest,
                     extra_files={"OEBPS/cover.svg": svg.encode()})  # fmt: skip


class Recorder:
    """A real HTTP server on 127.0.0.1 that counts requests: an SVG that reaches out would show here."""

    def __enter__(self) -> Recorder:
        self.hits: list[str] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                recorder.hits.append(self.path)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()


def test_an_svg_cover_becomes_a_png() -> None:
    book = parse_book(epub_with_cover(COVER))
    assert book.cover is not None and book.cover.media_type == "image/png"
    image = Image.open(io.BytesIO(book.cover.data))
    assert image.size == (1067, 1600)  # bounded, aspect kept
    assert image.getpixel((533, 686))[:3] == (0xE0, 0xC0, 0x40)  # really rendered: the circle's colour


def test_a_hostile_svg_runs_nothing_reads_nothing_and_stays_small() -> None:
    red = io.BytesIO()
    Image.new("RGB", (4, 4), (255, 0, 0)).save(red, "PNG")
    inline = "data:image/png;base64," + base64.b64encode(red.getvalue()).decode()
    with Recorder() as server:
        hostile = (
            '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            'width="900000000" height="1200000000" onload="alert(1)">'
            "<script>alert(document.cookie)</script>"
            f'<style>@import url("{server.url}/style.css");</style>'
            f'<image href="{server.url}/tracker.png" width="10" height="10"/>'
            '<image xlink:href="file:///etc/passwd" width="10" height="10"/>'
            '<use href="other.svg#thing"/>'
            f'<rect width="100%" height="100%" fill="#102030" style="fill: url({server.url}/x)"/>'
            f'<image href="{inline}" x="0" y="0" width="50%" height="50%"/>'
            '<foreignObject><body xmlns="http://www.w3.org/1999/xhtml"><iframe src="https://example.org"/></body>'
            '</foreignObject><a href="javascript:alert(1)"><circle r="5" onclick="alert(2)"/></a></svg>'
        )
        cleaned = etree.tostring(sanitize_svg(hostile.encode()), encoding="unicode")
        png = rasterize_svg(hostile.encode())
        book = parse_book(epub_with_cover(hostile))
        assert server.hits == []
    for unwanted in ("script", "alert", "onload", "onclick", "@import", "tracker", "file:", "other.svg",
                     "foreignObject", "iframe", "javascript", server.url):  # fmt: skip
        assert unwanted not in cleaned
    assert inline in cleaned  # an inline raster image is harmless and kept
    image = Image.open(io.BytesIO(png))
    assert max(image.size) == MAX_SIDE and image.size == (1200, 1600)
    assert book.cover is not None and Image.open(io.BytesIO(book.cover.data)).size == (1200, 1600)


@pytest.mark.parametrize(
    "svg",
    [
        '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        '<svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>',
        '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="900000000"><rect/></svg>',
        "<html><body>not an svg</body></html>",
        "<svg",
    ],
    ids=["entity-bomb", "sliver", "not-svg", "truncated"],
)
def test_svg_that_cannot_be_a_cover_leaves_the_book_without_one(svg: str) -> None:
    assert rasterize_svg(svg.encode()) is None
    book = parse_book(epub_with_cover(svg))
    assert book.cover is None and book.chapters  # the book itself is fine
