"""The web application: JSON API under /api/v1, server-rendered pages, static files.

Feature modules add their routers in ``ROUTERS``; public routes (no sign-in) must also be listed
in ``PUBLIC_ROUTES``, which the route-table test checks.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator, Sequence

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from candor import __version__
from candor.adapters.db.version_reader import AsyncVersionReader
from candor.bootstrap import Application
from candor.domain import reports
from candor.web import advisories_public, errors, status_site
from candor.web.api import router as api_router
from candor.web.cache import ResponseCache
from candor.web.deps import KnownCallers
from candor.web.pages import router as pages_router
from candor.web.security import SecurityHeaders
from candor.web.status_site import routes as status_routes
from candor.web.templating import STATIC, Templates

# (method, path) pairs reachable without signing in; everything else requires it
PUBLIC_ROUTES: set[tuple[str, str]] = {
    ("GET", "/signin"),
    ("POST", "/signin"),
    ("GET", "/healthz"),
    ("GET", "/api/v1/openapi.json"),  # the API's own description; no data in it
    ("GET", "/static"),  # the stylesheet and script (mounted directory)
    # published TLP:CLEAR advisories and the CSAF provider directory (web.advisories_public)
    ("GET", "/advisories/public"),
    ("GET", "/advisories/public/{advisory_id}"),
    ("GET", "/advisories/public/{advisory_id}/{name}"),
    ("GET", "/.well-known/csaf/provider-metadata.json"),
    ("GET", "/.well-known/csaf/"),
    ("GET", "/.well-known/csaf/white/"),
    ("GET", "/.well-known/csaf/white/index.txt"),
    ("GET", "/.well-known/csaf/white/changes.csv"),
    ("GET", "/.well-known/csaf/white/{year}/"),
    ("GET", "/.well-known/csaf/white/{year}/{filename}"),
    # intake: anyone may report a security issue, and find where to (RFC 9116)
    ("GET", "/report"),
    ("POST", "/report"),
    ("POST", "/api/v1/reports"),
    ("GET", "/.well-known/security.txt"),
    # the public status site: public statements of real incidents, and feeds (web.status_site)
    ("GET", "/status"),
    ("GET", "/status/incidents/{slug}"),
    ("GET", "/status/feed.atom"),
    ("GET", "/status/feed.json"),
    # status updates by email: subscribe (double opt-in), confirm, one-click unsubscribe
    ("GET", "/subscriptions"),
    ("POST", "/subscriptions"),
    ("GET", "/subscriptions/confirm/{token}"),
    ("POST", "/subscriptions/confirm/{token}"),
    ("GET", "/subscriptions/unsubscribe/{subscriber}/{token}"),
    ("POST", "/subscriptions/unsubscribe/{subscriber}/{token}"),
}

MAX_BODY = 2 * 1024 * 1024
# tighter limits where anyone may post
PATH_LIMITS = {
    "/report": reports.BODY_MAX,
    "/api/v1/reports": reports.BODY_MAX,
    "/subscriptions": 4096,
}
# attachment uploads (page and API) take files up to attachments.max_size_mb, plus room for the
# multipart envelope and the note; the service refuses a file over the exact limit, naming it
UPLOADS = re.compile(r"^(?:/api/v1)?/incidents/[^/]+/attachments$")
MULTIPART_ROOM = 1024 * 1024


class BodyLimit:
    """Refuse request bodies over a limit before reading them (413), whatever the route."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        per_path: dict[str, int] | None = None,
        per_pattern: Sequence[tuple[re.Pattern[str], int]] = (),
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.per_path = per_path or {}
        self.per_pattern = per_pattern

    def limit(self, path: str) -> int:
        if path in self.per_path:
            return self.per_path[path]
        return next((n for pattern, n in self.per_pattern if pattern.match(path)), self.max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope.get("path", ""))
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _BodyTooLarge:
            await _too_large(send, limit)


class _BodyTooLarge(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    body = (
        b'{"type":"https://candor.dev/problems/request-too-large","title":"Request too '
        b'large","status":413,"detail":"the request body is larger than '
        + str(limit).encode()
        + b' bytes"}'
    )
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Per worker, on its event loop: the asyncio reader of the workspace version (PostgreSQL),
    closed with the loop. Without a lifespan (a test client outside ``with``) the version is
    read from a worker thread instead."""
    application: Application = app.state.candor
    reader = AsyncVersionReader.for_engine(application.engine)
    app.state.version_reader = reader
    try:
        yield
    finally:
        app.state.version_reader = None
        if reader is not None:
            await reader.close()


def create_app(application: Application) -> FastAPI:
    logging.getLogger("candor").setLevel(logging.INFO)
    app = FastAPI(
        lifespan=_lifespan,
        title="Candor API",
        version=__version__,
        description="Handle security incidents from routine to breach. Authenticate with a "
        "session cookie (pages) or `Authorization: Bearer <token>` (`candor token create`).",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # the interactive docs load scripts from a CDN; nothing may
        redoc_url=None,
    )
    app.state.candor = application
    app.state.version_reader = None  # set by the lifespan, on the serving loop
    app.state.templates = Templates(
        organization=application.settings.organization.name,
        timezone=application.settings.organization.timezone,
        clock=application.clock,
    )
    app.state.response_cache = ResponseCache()
    app.state.known_callers = KnownCallers()
    errors.install(app)
    app.include_router(api_router)
    # before the pages: /advisories/public must not be read as the advisory "public"
    app.include_router(advisories_public.router)
    app.include_router(status_site.router)
    app.include_router(pages_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(SecurityHeaders, hsts=application.settings.web.secure_cookies)
    if application.settings.web.trusted_proxies:
        # uvicorn's own middleware: the client is the right-most address no trusted proxy added
        app.add_middleware(
            ProxyHeadersMiddleware, trusted_hosts=list(application.settings.web.trusted_proxies)
        )
    app.add_middleware(
        BodyLimit,
        max_bytes=MAX_BODY,
        per_path=PATH_LIMITS,
        per_pattern=[(UPLOADS, application.context.max_attachment_bytes + MULTIPART_ROOM)],
    )
    # outermost: the public status page is answered from its snapshot before anything else
    app.state.status_snapshot = status_routes.Snapshot()
    app.add_middleware(
        status_routes.StatusFastPath,
        application=application,
        templates=app.state.templates,
        snapshot=app.state.status_snapshot,
    )
    return app


def route_table(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) the application answers, included routers flattened.

    FastAPI ≥ 0.160 keeps included routers as branches resolved on demand; their
    ``effective_route_contexts()`` lists the routes with their full paths.
    """
    found: list[tuple[str, str]] = []
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        pairs = (
            [(c.original_route, c.path) for c in contexts()]
            if contexts is not None
            else [(route, getattr(route, "path", ""))]
        )
        for original, path in pairs:
            methods = getattr(original, "methods", None) or {"GET"}
            found.extend((m, path) for m in sorted(methods) if m != "HEAD")
    return found
