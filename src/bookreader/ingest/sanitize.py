"""The last line of defence: every chapter's HTML goes through this nh3 (ammonia) allowlist.

The walkers already emit only known tags, our own ids/classes and rewritten URLs; nh3 guarantees it
regardless: no scripts, event handlers, `javascript:` URLs, iframes, forms, objects or styles; links are
internal (relative) or http(s) with rel="noopener noreferrer"; images only carry our asset URLs.
"""

from __future__ import annotations

import nh3

BLOCK_TAGS = {
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "ul", "ol", "li", "dl", "dt", "dd",
    "table", "thead", "tbody", "tfoot", "tr", "td", "th", "caption", "figure", "figcaption", "section",
    "article", "aside", "header", "footer", "hr", "address",
}  # fmt: skip
INLINE_TAGS = {
    "a", "span", "em", "i", "strong", "b", "u", "s", "del", "ins", "sub", "sup", "small", "big", "code",
    "kbd", "samp", "var", "cite", "q", "abbr", "dfn", "mark", "time", "ruby", "rt", "rp", "rb", "bdi",
    "bdo", "br", "wbr", "img",
}  # fmt: skip

_CLEANER = nh3.Cleaner(
    tags=BLOCK_TAGS | INLINE_TAGS,
    clean_content_tags={"script", "style"},
    attributes={
        "*": {"id", "class", "lang", "dir", "title"},
        "a": {"href"},
        "img": {"src", "alt"},
        "td": {"colspan", "rowspan"},
        "th": {"colspan", "rowspan"},
        "ol": {"start", "reversed"},
        "li": {"value"},
    },
    url_schemes={"http", "https"},
    link_rel="noopener noreferrer",
    strip_comments=True,
)


def sanitize_html(html: str) -> str:
    return _CLEANER.clean(html)
