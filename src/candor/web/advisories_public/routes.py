"""Public advisory routes: stable pages and documents, and the CSAF provider directory.

Responses are cacheable: a strong ETag (from the bytes), Last-Modified (the publication time),
``Cache-Control: public`` and conditional requests answered with 304. Documents may be fetched
from other origins (aggregators, browser-based CSAF viewers), so they allow it.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from candor.adapters.export import csaf_provider
from candor.adapters.export.csaf_provider import PublicFile
from candor.bootstrap import Application
from candor.domain.errors import NotFound
from candor.services import advisory_publication
from candor.web.advisories_public import site
from candor.web.deps import application
from candor.web.templating import Templates

router = APIRouter(include_in_schema=False)

MAX_AGE = 300  # seconds: a correction reaches readers within five minutes


def cached(request: Request, file: PublicFile) -> Response:
    etag = '"' + hashlib.sha256(file.content).hexdigest()[:40] + '"'
    modified = file.last_modified.astimezone(UTC).replace(microsecond=0)
    headers = {
        "ETag": etag,
        "Last-Modified": format_datetime(modified, usegmt=True),
        "Cache-Control": f"public, max-age={MAX_AGE}",
        "Access-Control-Allow-Origin": "*",
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if _not_modified(request, etag, modified):
        return Response(status_code=304, headers=headers)
    return Response(file.content, media_type=file.media_type, headers=headers)


def _not_modified(request: Request, etag: str, modified: datetime) -> bool:
    match = request.headers.get("if-none-match")
    if match is not None:  # RFC 9110: If-None-Match wins over If-Modified-Since
        tags = {t.strip().removeprefix("W/") for t in match.split(",")}
        return "*" in tags or etag in tags
    since = request.headers.get("if-modified-since")
    if since:
        try:
            when = parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        return when.tzinfo is not None and modified <= when
    return False


def _templates(request: Request) -> Templates:
    found: Templates = request.app.state.templates
    return found


def _now(app: Application) -> datetime:
    return app.clock.now()


# ---- pages and documents by advisory id --------------------------------------------------------


@router.get("/advisories/public")
def public_index(request: Request) -> Response:
    app = application(request)
    published = advisory_publication.public_advisories(app.context)
    newest = max((p.revision.date for p in published), default=_now(app))
    html = site.index_html(_templates(request), published)
    return cached(request, PublicFile(html.encode(), site.HTML, newest))


@router.get("/advisories/public/{advisory_id}")
def public_page(request: Request, advisory_id: str) -> Response:
    app = application(request)
    public = advisory_publication.public_advisory(app.context, advisory_id)
    csaf = public.revision.csaf
    entry = csaf_provider.entry(csaf.data, public.revision.date) if csaf else None
    html = site.page_html(_templates(request), public, entry)
    return cached(request, PublicFile(html.encode(), site.HTML, public.revision.date))


@router.get("/advisories/public/{advisory_id}/{name}")
def public_document(request: Request, advisory_id: str, name: str) -> Response:
    """``csaf.json``, ``cve.json``, ``osv.json`` (``cve-2.json`` … with several
    vulnerabilities): the bytes published with the latest revision."""
    app = application(request)
    public, document = advisory_publication.public_document(app.context, advisory_id, name)
    return cached(request, PublicFile(document.data, "application/json", public.revision.date))


# ---- the CSAF provider directory ---------------------------------------------------------------


def _provider_file(request: Request, path: str) -> Response:
    app = application(request)
    files = site.build(app, now=_now(app)).provider
    found = files.get(path)
    if found is None:
        raise NotFound(f"there is nothing at /{path}")
    return cached(request, found)


@router.get("/.well-known/csaf/provider-metadata.json")
def provider_metadata(request: Request) -> Response:
    return _provider_file(request, csaf_provider.METADATA)


@router.get("/.well-known/csaf/")
def csaf_root(request: Request) -> Response:
    return _provider_file(request, f"{csaf_provider.ROOT}/")


@router.get("/.well-known/csaf/white/")
def white_folder(request: Request) -> Response:
    return _provider_file(request, f"{csaf_provider.DIRECTORY}/")


@router.get("/.well-known/csaf/white/index.txt")
def index_txt(request: Request) -> Response:
    return _provider_file(request, f"{csaf_provider.DIRECTORY}/index.txt")


@router.get("/.well-known/csaf/white/changes.csv")
def changes_csv(request: Request) -> Response:
    return _provider_file(request, f"{csaf_provider.DIRECTORY}/changes.csv")


@router.get("/.well-known/csaf/white/{year}/")
def year_folder(request: Request, year: str) -> Response:
    return _provider_file(request, f"{csaf_provider.DIRECTORY}/{year}/")


@router.get("/.well-known/csaf/white/{year}/{filename}")
def csaf_document(request: Request, year: str, filename: str) -> Response:
    """A CSAF document (``acme-sa-2026-001.json``) or its hash (``….json.sha256``)."""
    return _provider_file(request, f"{csaf_provider.DIRECTORY}/{year}/{filename}")
