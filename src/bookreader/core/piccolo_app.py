"""The Piccolo app: every table of every domain, and the migrations folder."""

import os

from piccolo.conf.apps import AppConfig

from bookreader.core.resources import migrations_dir
from bookreader.domain.accounts.tables import PasswordReset, RefreshToken, User
from bookreader.domain.books.tables import Book, Chapter
from bookreader.domain.descriptions.tables import Character, Description, NlpRun
from bookreader.domain.devices.tables import DevicePassword
from bookreader.domain.exports.tables import BookExport
from bookreader.domain.illustrations.tables import Image, ImageFile, ImageStyle
from bookreader.domain.kosync.tables import BookDigest, KosyncPosition
from bookreader.domain.reading.tables import (
    Bookmark,
    Highlight,
    PositionWrite,
    ReadingGoal,
    ReadingPosition,
    ReadingSession,
)

# Domains add their tables here (order: referenced tables first).
TABLES = [
    User,
    RefreshToken,
    PasswordReset,
    Book,
    Chapter,
    Description,
    Character,
    NlpRun,
    ImageFile,
    Image,
    ImageStyle,
]
TABLES += [ReadingPosition, PositionWrite, Bookmark, Highlight, ReadingSession, ReadingGoal]
TABLES += [DevicePassword, BookDigest, KosyncPosition]
TABLES += [BookExport]

APP_CONFIG = AppConfig(
    app_name="bookreader",
    migrations_folder_path=os.environ.get("BOOKREADER_MIGRATIONS_DIR_RESOLVED", str(migrations_dir())),
    table_classes=TABLES,
)
