"""The kosync protocol's bodies (koreader-sync-server): field names and codes exactly as the plugin expects."""

from __future__ import annotations

import msgspec

# koreader-sync-server's error codes (config/errors.lua) and their HTTP statuses
UNKNOWN = 2000
UNAUTHORIZED = 2001
USER_EXISTS = 2002
INVALID_FIELDS = 2003
DOCUMENT_MISSING = 2004
REGISTRATION_DISABLED = 2005
ERRORS = {
    UNKNOWN: (502, "Unknown server error."),
    UNAUTHORIZED: (401, "Unauthorized"),
    USER_EXISTS: (402, "Username is already registered."),
    INVALID_FIELDS: (403, "Invalid request"),
    DOCUMENT_MISSING: (403, "Field 'document' not provided."),
    REGISTRATION_DISABLED: (402, "User registration is disabled."),
}


class KosyncError(Exception):
    def __init__(self, code: int, message: str | None = None, status: int | None = None) -> None:
        default_status, default_message = ERRORS.get(code, (400, "Bad request"))
        super().__init__(message or default_message)
        self.code, self.message, self.status = code, message or default_message, status or default_status


class RegisterRequest(msgspec.Struct):
    username: object = None
    password: object = None


class ProgressPush(msgspec.Struct):
    """`PUT /syncs/progress`; loosely typed on purpose: bad values answer 2003, not a validation problem."""

    document: object = None
    progress: object = None
    percentage: object = None
    device: object = None
    device_id: object = None
    metadata: object = None


class ProgressState(msgspec.Struct, omit_defaults=True):
    """`GET /syncs/progress/{document}`; empty (`{}`) when nothing is known."""

    document: str | None = None
    progress: str | None = None
    percentage: float | None = None
    device: str | None = None
    device_id: str | None = None
    timestamp: int | None = None
