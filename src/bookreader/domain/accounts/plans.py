"""Plans and their allowances (numbers from settings; 0 means unlimited)."""

from __future__ import annotations

import msgspec

from bookreader.settings import Settings


class PlanLimits(msgspec.Struct, frozen=True):
    books: int | None
    images_per_month: int | None


def limits_for(plan: str, settings: Settings) -> PlanLimits:
    def cap(value: int) -> int | None:
        return value or None

    if plan == "admin":
        return PlanLimits(books=None, images_per_month=None)
    if plan == "premium":
        return PlanLimits(cap(settings.plan_premium_books), cap(settings.plan_premium_images_per_month))
    return PlanLimits(cap(settings.plan_free_books), cap(settings.plan_free_images_per_month))
