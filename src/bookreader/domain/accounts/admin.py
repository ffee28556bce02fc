"""Admin accounts from the command line."""

from __future__ import annotations

from bookreader.core import db
from bookreader.core.security import configure_password_hashing
from bookreader.domain.accounts import service
from bookreader.domain.accounts.tables import User
from bookreader.settings import Settings
from bookreader.tables import TABLES


async def create_or_promote_admin(settings: Settings, email: str, password: str) -> bool:
    """True when a new account was created, False when an existing one was promoted."""
    configure_password_hashing(settings.password_hash_memory_kib)
    await db.start_pool(settings, TABLES, max_size=2)
    try:
        existing = await User.objects().where(User.email == service.normalize_email(email)).first()
        if existing is not None:
            await User.update({User.role: "admin", User.plan: "admin", User.disabled: False}).where(
                User.id == existing.id
            )
            return False
        if len(password) < 8:
            raise SystemExit("the password must have at least 8 characters")
        await service.register(email, password, None, role="admin")
        return True
    finally:
        await db.close_pool()
