"""Every domain's Piccolo tables, referenced tables first. `core/` knows no domain: the app, the worker and
the command line hand this list to `core.db.start_pool` / `configure_engine`, which bind it to the engine."""

from __future__ import annotations

from piccolo.table import Table

from bookreader.domain.accounts.tables import PasswordReset, RefreshToken, User
from bookreader.domain.books.tables import Book, Chapter
from bookreader.domain.descriptions.tables import Character, CharacterMention, Description, NlpRun
from bookreader.domain.devices.tables import DevicePassword
from bookreader.domain.exports.tables import BookExport
from bookreader.domain.illustrations.tables import Image, ImageFile, ImageStyle
from bookreader.domain.imports.tables import ImportedFile
from bookreader.domain.kosync.tables import BookDigest, KosyncPosition
from bookreader.domain.reading.tables import (
    Bookmark,
    Highlight,
    PositionWrite,
    ReadingGoal,
    ReadingPosition,
    ReadingSession,
)
from bookreader.domain.search.tables import SearchPassage
from bookreader.domain.shelves.tables import Shelf, ShelfBook
from bookreader.domain.webhooks.tables import Webhook, WebhookDelivery

TABLES: list[type[Table]] = [
    User,
    RefreshToken,
    PasswordReset,
    Book,
    Chapter,
    Description,
    Character,
    CharacterMention,
    NlpRun,
    ImageFile,
    Image,
    ImageStyle,
]
TABLES += [ReadingPosition, PositionWrite, Bookmark, Highlight, ReadingSession, ReadingGoal]
TABLES += [DevicePassword, BookDigest, KosyncPosition]
TABLES += [BookExport, ImportedFile, SearchPassage, Shelf, ShelfBook, Webhook, WebhookDelivery]
