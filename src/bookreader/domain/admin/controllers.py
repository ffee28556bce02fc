"""Admin API: users (list, role/plan/disable) and system figures. Admins only: 401 without a token, 403 for
everyone else."""

from __future__ import annotations

import uuid
from typing import Annotated

from arq.connections import ArqRedis
from litestar import Controller, get, patch, post
from litestar.params import Parameter
from redis.asyncio import Redis

from bookreader.domain.accounts import service as accounts
from bookreader.domain.accounts.guards import admins_only
from bookreader.domain.accounts.schemas import PasswordResetIssued
from bookreader.domain.accounts.tables import User
from bookreader.domain.admin import service
from bookreader.domain.admin.schemas import AdminUser, AdminUserPage, AdminUserUpdate, SystemStatus
from bookreader.domain.descriptions import service as descriptions
from bookreader.domain.descriptions.schemas import ReanalysisQueued
from bookreader.settings import Settings


class AdminController(Controller):
    path = "/api/v1/admin"
    tags = ["admin"]
    guards = [admins_only]

    @get("/users", operation_id="adminListUsers")
    async def list_users(
        self,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
        offset: Annotated[int, Parameter(ge=0, le=1_000_000_000)] = 0,
        q: Annotated[str | None, Parameter(max_length=200)] = None,
    ) -> AdminUserPage:
        items, total = await service.list_users(limit=limit, offset=offset, q=q)
        return AdminUserPage(items=items, total=total, limit=limit, offset=offset)

    @patch("/users/{user_id:uuid}", operation_id="adminUpdateUser")
    async def update_user(self, user: User, user_id: uuid.UUID, data: AdminUserUpdate) -> AdminUser:
        return await service.update_user(user, user_id, data)

    @post("/users/{user_id:uuid}/password-reset", operation_id="adminIssuePasswordReset", status_code=201)
    async def issue_password_reset(
        self, user: User, user_id: uuid.UUID, settings: Settings
    ) -> PasswordResetIssued:
        """A one-time reset link for a user who forgot their password; the admin hands it over."""
        return await accounts.issue_password_reset(settings, user_id, user.id)

    @post("/books/{book_id:uuid}/reanalyze", operation_id="adminReanalyzeBook", status_code=202)
    async def reanalyze_book(self, book_id: uuid.UUID, queue: ArqRedis) -> ReanalysisQueued:
        """Analyse a ready book again with the shipped model; pictures of surviving passages stay."""
        return await descriptions.reanalyze_book(queue, book_id)

    @post("/reanalyze", operation_id="adminReanalyzeStale", status_code=202)
    async def reanalyze_stale(
        self,
        queue: ArqRedis,
        older_than: Annotated[str | None, Parameter(max_length=64, pattern=r"^[a-z0-9-]+$")] = None,
    ) -> ReanalysisQueued:
        """Every ready book analysed by another model than the shipped one (or an older generation)."""
        return await descriptions.reanalyze_stale(queue, older_than)

    @get("/system", operation_id="adminSystem")
    async def system(self, settings: Settings, redis: Redis) -> SystemStatus:
        return await service.system_status(settings, redis)
