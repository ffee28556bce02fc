"""What other domains add to a chapter response (descriptions, images). Kept in one place so the books
domain does not import every other domain: the SQL that aggregates them into the chapter's own statement,
and the decoding of the images into the illustrations domain's `ImageRead`."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from bookreader.domain.illustrations.schemas import ImageRead
from bookreader.domain.illustrations.service import image_read

# $2 = the reader, $3 = the chapter number; `b` is the book. Descriptions go out as stored (JSON built by
# Postgres); images are decoded to build their URLs — one version of each scene picture, the one shown
# (pinned, else the newest that has not failed: illustrations/service.shown_key).
DESCRIPTIONS_SQL = """(SELECT coalesce(json_agg(json_build_object(
        'id', d.id, 'chapter', d.chapter, 'type', d.type, 'text', d.text, 'start', d.start, 'end', d."end",
        'confidence', d.confidence, 'priority', d.priority, 'entities', d.entities) ORDER BY d.start), '[]')
    FROM descriptions d WHERE d.book = b.id AND d.chapter = $3)::text"""
IMAGES_SQL = """(SELECT coalesce(json_agg(json_build_object(
        'id', i.id, 'description', i.description, 'book', i.book, 'chapter', i.chapter, 'status', i.status,
        'prompt', i.prompt, 'provider', i.provider, 'style', i.style, 'error_code', i.error_code,
        'error_message', i.error_message, 'created_at', i.created_at, 'updated_at', i.updated_at,
        'content_hash', f.content_hash, 'media_type', f.media_type, 'file_width', f.width,
        'file_height', f.height, 'variant', i.variant, 'pinned', i.pinned, 'seed', i.seed,
        'reference_hash', i.reference_hash) ORDER BY i.created_at), '[]')
    FROM (SELECT DISTINCT ON (x.description) x.* FROM images x
          WHERE x.owner = $2 AND x.book = b.id AND x.chapter = $3 AND x.character IS NULL
          ORDER BY x.description, x.pinned DESC, x.status = 'failed', x.variant DESC) i
    LEFT JOIN image_files f ON f.id = i.file)::text"""


class ImageRow(msgspec.Struct):
    id: uuid.UUID
    description: uuid.UUID
    book: uuid.UUID
    chapter: int
    status: str
    prompt: str
    provider: str
    style: str
    error_code: str | None
    error_message: str | None
    created_at: datetime
    updated_at: datetime
    content_hash: str | None
    media_type: str | None
    file_width: int | None
    file_height: int | None
    variant: int = 0
    pinned: bool = False
    seed: int | None = None
    reference_hash: str | None = None


_images = msgspec.json.Decoder(list[ImageRow])


def decode_images(text: str) -> list[ImageRead]:
    if text == "[]":
        return []
    return [image_read(msgspec.structs.asdict(row)) for row in _images.decode(text)]
