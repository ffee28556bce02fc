"""Security headers on every response."""

from __future__ import annotations

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "connect-src 'self' ws: wss:; font-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "frame-ancestors 'none'; form-action 'self'"
)
# the interactive API docs page loads its renderer from the static folder and runs a small inline bootstrap
DOCS_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")

BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


_BASE = [(name.lower().encode(), value.encode()) for name, value in BASE_HEADERS.items()]
_CSP = (b"content-security-policy", CSP.encode())
_DOCS_CSP = (b"content-security-policy", DOCS_CSP.encode())


def security_headers_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        csp = _DOCS_CSP if scope.get("path", "").startswith("/schema") else _CSP

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                # raw header pairs, names compared lowercased: a response's own value wins (setdefault)
                headers = list(message.get("headers", ()))
                present = {bytes(name).lower() for name, _ in headers}
                headers.extend(pair for pair in (*_BASE, csp) if pair[0] not in present)
                message["headers"] = headers
            await send(message)

        await app(scope, receive, send_wrapper)

    return middleware
