"""Security headers on every response, and the CSRF checks for forms and cookie-based API calls
(and for the public forms, which have no session)."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)

BASE_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]


class SecurityHeaders:
    """A plain ASGI middleware (cheaper than BaseHTTPMiddleware on every request)."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.headers = list(BASE_HEADERS)
        if hsts:
            self.headers.append(
                (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                existing = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(n, v) for n, v in self.headers if n not in existing]
                path = scope.get("path", "")
                if not path.startswith("/static/") and b"cache-control" not in existing:
                    # pages carry breach details: never keep them in shared or browser caches
                    extra.append((b"cache-control", b"no-store"))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def same(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two tokens (False when either is missing)."""
    if not a or not b:
        return False
    return hmac.compare_digest(a.encode(), b.encode())


def new_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class PublicFormToken:
    """Double-submit protection for a form anyone may send, with no session to hold a CSRF token
    (the report form, the subscribe form): the page carries a fresh token in a hidden field and
    in a strict same-site cookie; a cross-site page cannot read the cookie, so it cannot make a
    visitor's browser submit the form. Spent (the cookie deleted) once the form is accepted."""

    cookie: str
    path: str
    field: str = "form_token"
    max_age: int = 4 * 3600

    def attach(self, response: Response, token: str, *, secure: bool) -> None:
        response.set_cookie(
            self.cookie,
            token,
            httponly=True,
            samesite="strict",
            secure=secure,
            max_age=self.max_age,
            path=self.path,
        )

    def matches(self, request: Request, fields: Mapping[str, str]) -> bool:
        return same(fields.get(self.field), request.cookies.get(self.cookie))

    def spend(self, response: Response) -> None:
        response.delete_cookie(self.cookie, path=self.path)
