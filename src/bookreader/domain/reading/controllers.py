from __future__ import annotations

import uuid
from typing import Annotated, Literal

import msgspec
from arq.connections import ArqRedis
from litestar import Controller, Response, delete, get, patch, post, put
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT
from litestar.types import Scope

from bookreader.core.auth import Caller
from bookreader.core.hotpath import Answer, hot_route, json_headers
from bookreader.domain.accounts.tables import User
from bookreader.domain.reading import annotations, service, sessions, stats
from bookreader.domain.reading.export import export_highlights
from bookreader.domain.reading.schemas import (
    BookmarkCreate,
    BookmarkRead,
    BookmarkUpdate,
    GoalRead,
    GoalWrite,
    HighlightCreate,
    HighlightRead,
    HighlightUpdate,
    ProgressRead,
    ProgressWrite,
    SessionHeartbeat,
    SessionRead,
    SessionStart,
    StatsRead,
)
from bookreader.settings import Settings

PAGE_MAX = 1000
PageLimit = Annotated[int, Parameter(ge=1, le=PAGE_MAX)]
PageOffset = Annotated[int, Parameter(ge=0, le=1_000_000)]
Timezone = Annotated[str | None, Parameter(max_length=64, description="IANA timezone, e.g. Europe/Moscow")]


_encoder = msgspec.json.Encoder()


async def _hot_put_progress(scope: Scope, caller: Caller, body: bytes) -> Answer | None:
    """PUT progress below the handler machinery (`core.hotpath`). A body that does not decode strictly
    goes to the ordinary handler, which validates (and refuses) it as always."""
    try:
        data = msgspec.json.decode(body, type=ProgressWrite)
    except msgspec.DecodeError:  # (ValidationError is one)
        return None
    state = scope["app"].state
    written = await service.write_progress(
        caller.user_id, scope["path_params"]["book_id"], data, settings=state.settings, queue=state.queue
    )
    encoded = _encoder.encode(written)
    return HTTP_200_OK, json_headers(encoded), encoded


class BookReadingController(Controller):
    path = "/api/v1/books/{book_id:uuid}"
    tags = ["reading"]

    @get("/progress", operation_id="getProgress")
    async def get_progress(self, caller: Caller, book_id: uuid.UUID) -> ProgressRead:
        return await service.get_progress(caller.user_id, book_id)

    @put(
        "/progress",
        operation_id="putProgress",
        middleware=[hot_route(_hot_put_progress, reads_body=True)],
        status_code=HTTP_200_OK,
        description="Stores the position unless a newer one (by the client's `updated_at`) is stored already; "
        "the response is the current position, with `accepted: false` when this write was older. "
        "An offset past the chapter's end is clamped to it.",
    )
    async def put_progress(
        self, caller: Caller, book_id: uuid.UUID, data: ProgressWrite, settings: Settings, queue: ArqRedis
    ) -> ProgressRead:
        return await service.write_progress(caller.user_id, book_id, data, settings=settings, queue=queue)

    @get(
        "/bookmarks", operation_id="listBookmarks", description="In reading order; `limit`/`offset` page it."
    )
    async def list_bookmarks(
        self, user: User, book_id: uuid.UUID, limit: PageLimit = PAGE_MAX, offset: PageOffset = 0
    ) -> list[BookmarkRead]:
        return await annotations.list_bookmarks(user, book_id, limit=limit, offset=offset)

    @post("/bookmarks", operation_id="createBookmark", status_code=HTTP_201_CREATED)
    async def create_bookmark(
        self, user: User, book_id: uuid.UUID, data: BookmarkCreate, settings: Settings
    ) -> BookmarkRead:
        cap = settings.max_bookmarks_per_book
        return await annotations.create_bookmark(user, book_id, data, cap=cap)

    @get("/highlights", operation_id="listHighlights")
    async def list_highlights(
        self,
        user: User,
        book_id: uuid.UUID,
        chapter: Annotated[int | None, Parameter(ge=1, le=1_000_000)] = None,
        limit: PageLimit = PAGE_MAX,
        offset: PageOffset = 0,
    ) -> list[HighlightRead]:
        return await annotations.list_highlights(user, book_id, chapter, limit=limit, offset=offset)

    @post(
        "/highlights",
        operation_id="createHighlight",
        status_code=HTTP_201_CREATED,
        description="`text` is cut by the server from the chapter's plain text [start:end].",
    )
    async def create_highlight(
        self, user: User, book_id: uuid.UUID, data: HighlightCreate, settings: Settings
    ) -> HighlightRead:
        cap = settings.max_highlights_per_book
        return await annotations.create_highlight(user, book_id, data, cap=cap)

    @get("/highlights/export", operation_id="exportHighlights")
    async def export(
        self, user: User, book_id: uuid.UUID, format: Literal["markdown", "json"] = "markdown"
    ) -> Response[bytes]:
        exported = await export_highlights(user, book_id, format)
        return Response(
            exported.body,
            media_type=exported.media_type,
            headers={"Content-Disposition": exported.content_disposition()},
        )


class BookmarkController(Controller):
    path = "/api/v1/bookmarks"
    tags = ["reading"]

    @patch("/{bookmark_id:uuid}", operation_id="updateBookmark")
    async def update(self, user: User, bookmark_id: uuid.UUID, data: BookmarkUpdate) -> BookmarkRead:
        return await annotations.update_bookmark(user, bookmark_id, data)

    @delete("/{bookmark_id:uuid}", operation_id="deleteBookmark", status_code=HTTP_204_NO_CONTENT)
    async def remove(self, user: User, bookmark_id: uuid.UUID) -> None:
        await annotations.delete_bookmark(user, bookmark_id)


class HighlightController(Controller):
    path = "/api/v1/highlights"
    tags = ["reading"]

    @patch("/{highlight_id:uuid}", operation_id="updateHighlight")
    async def update(self, user: User, highlight_id: uuid.UUID, data: HighlightUpdate) -> HighlightRead:
        return await annotations.update_highlight(user, highlight_id, data)

    @delete("/{highlight_id:uuid}", operation_id="deleteHighlight", status_code=HTTP_204_NO_CONTENT)
    async def remove(self, user: User, highlight_id: uuid.UUID) -> None:
        await annotations.delete_highlight(user, highlight_id)


class ReadingSessionController(Controller):
    path = "/api/v1/reading-sessions"
    tags = ["reading"]

    @post("/", operation_id="startReadingSession", status_code=HTTP_201_CREATED)
    async def start(self, user: User, data: SessionStart) -> SessionRead:
        return await sessions.start_session(user, data.book_id)

    @get("/", operation_id="listReadingSessions")
    async def list_sessions(
        self,
        user: User,
        book_id: uuid.UUID | None = None,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
        offset: Annotated[int, Parameter(ge=0)] = 0,
    ) -> list[SessionRead]:
        return await sessions.list_sessions(user, book_id, limit=limit, offset=offset)

    @get("/{session_id:uuid}", operation_id="getReadingSession")
    async def read(self, user: User, session_id: uuid.UUID) -> SessionRead:
        return await sessions.get_session(user, session_id)

    @patch(
        "/{session_id:uuid}",
        operation_id="heartbeatReadingSession",
        description="A heartbeat with the current position; `ended: true` closes the session. "
        "409 `session_ended` once it has ended (or timed out after 2 h without heartbeats).",
    )
    async def beat(self, user: User, session_id: uuid.UUID, data: SessionHeartbeat) -> SessionRead:
        return await sessions.heartbeat(user, session_id, data)


class StatsController(Controller):
    path = "/api/v1/stats"
    tags = ["reading"]

    @get(
        "/",
        operation_id="getReadingStats",
        description="Totals, the last 30 days (`per_day`, in `tz`, default UTC; a session crossing midnight is "
        "split between the days in proportion), words per minute (sessions that reported positions), streaks (a streak day has at least one "
        "minute of reading; today not read yet does not break the current streak), books finished (position at "
        "98 % or in the last chapter) and today's progress toward the daily goal (`PUT /api/v1/stats/goal`).",
    )
    async def overview(self, user: User, tz: Timezone = None) -> StatsRead:
        return await stats.reading_stats(user, tz)

    @get("/goal", operation_id="getReadingGoal")
    async def goal(self, user: User, tz: Timezone = None) -> GoalRead:
        return await stats.get_goal(user, tz)

    @put("/goal", operation_id="setReadingGoal", status_code=HTTP_200_OK)
    async def set_goal(self, user: User, data: GoalWrite, tz: Timezone = None) -> GoalRead:
        return await stats.set_goal(user, data, tz)


ROUTES = [
    BookReadingController,
    BookmarkController,
    HighlightController,
    ReadingSessionController,
    StatsController,
]
