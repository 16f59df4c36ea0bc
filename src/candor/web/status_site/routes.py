"""Public status routes, served from an in-memory snapshot.

The snapshot holds every page and feed already rendered, with its ETag and Last-Modified. It is
rebuilt when the workspace changed (the audit log's length, ``services.audit.version``): checked
at once after a statement is published in this process (``STATEMENT_PUBLISHED``), and at most
once a second otherwise, so a publication made by another process shows within a second and a
busy status page costs one small query a second, not one per request.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from candor.bootstrap import Application
from candor.domain.errors import NotFound
from candor.domain.incidents import Incident
from candor.domain.statements import Audience, Statement
from candor.services import advisory_publication, statements
from candor.services.context import Context
from candor.services.ports import UnitOfWork
from candor.web.deps import application
from candor.web.security import BASE_HEADERS
from candor.web.status_site import site
from candor.web.templating import Templates

router = APIRouter(include_in_schema=False)

RECHECK_SECONDS = 1.0


class _Generation:
    """Bumped when a public statement is published in this process."""

    value = 0


def _published(
    ctx: Context, uow: UnitOfWork, incident: Incident, statement: Statement, now: datetime
) -> None:
    if statement.audience is Audience.PUBLIC:
        _Generation.value += 1


statements.STATEMENT_PUBLISHED.append(_published)


def content(app: Application) -> site.Content:
    return site.Content(
        incidents=statements.public_incidents(app.context),
        advisories=advisory_publication.public_advisories(app.context),
        organization=app.settings.organization.name,
        now=app.clock.now(),
    )


@dataclass
class Snapshot:
    files: dict[str, site.Served] = field(default_factory=dict)
    version: int = -1
    generation: int = -1
    checked: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def current(self, app: Application, templates: Templates) -> dict[str, site.Served]:
        now = time.monotonic()
        if self.generation == _Generation.value and now - self.checked < RECHECK_SECONDS:
            return self.files
        with self.lock:
            generation = _Generation.value
            version = app.workspace_version()
            if version != self.version or not self.files:
                links = site.server_links(app.settings.web.public_url)
                built = site.files(content(app), templates, links)
                self.files = {path: site.served(f) for path, f in built.items()}
                self.version = version
            self.generation = generation
            self.checked = time.monotonic()
            return self.files


def _snapshot(request: Request) -> dict[str, site.Served]:
    state = request.app.state
    snap: Snapshot | None = getattr(state, "status_snapshot", None)
    if snap is None:
        snap = state.status_snapshot = Snapshot()
    return snap.current(application(request), state.templates)


def _answer(request: Request, found: site.Served | None, what: str) -> Response:
    if found is None:
        raise NotFound(what)
    if _not_modified(request, found):
        return Response(status_code=304, headers=found.headers)
    return Response(found.body, media_type=found.media_type, headers=found.headers)


def _not_modified(request: Request, found: site.Served) -> bool:
    return _fresh(
        found, request.headers.get("if-none-match"), request.headers.get("if-modified-since")
    )


@router.get("/status")
async def index(request: Request) -> Response:
    return _answer(request, _snapshot(request).get("/status"), "no status page")


@router.get("/status/incidents/{slug}")
async def incident(request: Request, slug: str) -> Response:
    return _answer(
        request, _snapshot(request).get(f"/status/incidents/{slug}"), f"no public incident {slug}"
    )


@router.get("/status/feed.atom")
async def atom(request: Request) -> Response:
    return _answer(request, _snapshot(request).get("/status/feed.atom"), "no feed")


@router.get("/status/feed.json")
async def json_feed(request: Request) -> Response:
    return _answer(request, _snapshot(request).get("/status/feed.json"), "no feed")


class StatusFastPath:
    """Answer GET and HEAD for the status site's files straight from the snapshot, before
    routing and the other middleware: the public page is the one that takes the load when an
    incident is news. Anything not in the snapshot (an unknown incident) goes on to the routes,
    which answer 404 the usual way. The security headers every response carries are added here,
    since the response does not pass through ``SecurityHeaders``."""

    def __init__(
        self, app: ASGIApp, *, application: Application, templates: Templates, snapshot: Snapshot
    ) -> None:
        self.app = app
        self.application = application
        self.templates = templates
        self.snapshot = snapshot

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            path: str = scope["path"]
            if path == "/status" or path.startswith("/status/"):
                found = self.snapshot.current(self.application, self.templates).get(path)
                if found is not None:
                    await self._send(scope, send, found)
                    return
        await self.app(scope, receive, send)

    async def _send(self, scope: Scope, send: Send, found: site.Served) -> None:
        request_headers = dict(scope.get("headers", []))
        match = request_headers.get(b"if-none-match")
        since = request_headers.get(b"if-modified-since")
        fresh = _fresh(
            found,
            match.decode("latin-1") if match is not None else None,
            since.decode("latin-1") if since is not None else None,
        )
        headers = [*found.raw_headers, *BASE_HEADERS]
        body = b"" if fresh or scope["method"] == "HEAD" else found.body
        if not fresh:
            headers.append((b"content-type", found.media_type.encode()))
            headers.append((b"content-length", str(len(found.body)).encode()))
        await send(
            {"type": "http.response.start", "status": 304 if fresh else 200, "headers": headers}
        )
        await send({"type": "http.response.body", "body": body})


def _fresh(found: site.Served, match: str | None, since: str | None) -> bool:
    if match is not None:  # RFC 9110: If-None-Match wins over If-Modified-Since
        tags = {t.strip().removeprefix("W/") for t in match.split(",")}
        return "*" in tags or found.etag in tags
    if since:
        try:
            when = parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        return when.tzinfo is not None and found.modified <= when
    return False
