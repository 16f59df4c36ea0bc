"""/api/v1/advisories: create, read, change, publish, export and import advisories."""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status

from candor.adapters.export import cvss, formats, validate
from candor.bootstrap import Application
from candor.domain.advisories import Advisory, AdvisoryStatus
from candor.domain.advisory_parse import parse_advisory
from candor.domain.advisory_store import UNNUMBERED
from candor.domain.errors import InvalidInput
from candor.services import advisories, advisory_views
from candor.services.ports_advisories import AdvisoryFilter
from candor.web.api.advisory_schemas import (
    AdvisoryIn,
    AdvisoryList,
    AdvisoryOut,
    AdvisoryUpdateIn,
    ImportIn,
    ImportOut,
    PublishIn,
    RevisionOut,
)
from candor.web.api.incidents import _version
from candor.web.deps import Caller, Seq, api_auth, application

router = APIRouter(prefix="/advisories", tags=["advisories"])

Fmt = Literal["cve", "csaf", "osv"]


def _parse(record: dict[str, Any], *, default_id: str) -> Advisory:
    return parse_advisory({"id": default_id, **record}, scorer=cvss.score)


def _full(view: advisories.AdvisoryView, response: Response | None = None) -> dict[str, Any]:
    if response is not None:
        response.headers["ETag"] = f'"{view.stored.version}"'
    return advisory_views.full(view)


@router.get("", response_model=AdvisoryList, summary="List advisories")
def list_advisories(
    request: Request,
    status_: AdvisoryStatus | None = Query(None, alias="status"),
    cve: str | None = Query(None, max_length=30),
    incident: str | None = Query(None, max_length=32),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=1_000_000),
    caller: Caller = Depends(api_auth),
) -> dict[str, Any]:
    where = AdvisoryFilter(
        status=status_,
        cve=cve.strip().upper() if cve and cve.strip() else None,
        incident=incident.strip().upper() if incident and incident.strip() else None,
        limit=limit,
        offset=offset,
    )
    page = advisories.page(application(request).context, caller.actor, where)
    return {
        "items": [advisory_views.summary(s) for s in page.items],
        "total": page.total,
        "limit": limit,
        "offset": offset,
    }


@router.post(
    "",
    response_model=AdvisoryOut,
    status_code=status.HTTP_201_CREATED,
    summary="Create a draft advisory",
)
def create(
    body: AdvisoryIn, request: Request, response: Response, caller: Caller = Depends(api_auth)
) -> dict[str, Any]:
    app: Application = application(request)
    made = advisories.create(
        app.context, caller.actor, app.advisories, _parse(body.record, default_id=UNNUMBERED)
    )
    response.headers["Location"] = f"/api/v1/advisories/{made.key}"
    return _full(advisories.get(app.context, caller.actor, made.key), response)


@router.post(
    "/import",
    response_model=ImportOut,
    status_code=status.HTTP_201_CREATED,
    summary="Store a CVE record, CSAF document or OSV record as an advisory",
)
def import_document(
    body: ImportIn, request: Request, response: Response, caller: Caller = Depends(api_auth)
) -> dict[str, Any]:
    app: Application = application(request)
    fmt = validate.detect(body.document) if body.format == "auto" else body.format
    # the importers read documents of their format; anything else is refused before they do
    failures = validate.schema_failures(body.document, fmt)
    if failures:
        raise InvalidInput([f.as_problem() for f in failures[:50]])
    imported = formats.import_document(body.document, fmt)
    stored, rendered = advisories.store_imported(
        app.context, caller.actor, app.advisories, imported, source=f"API ({fmt})"
    )
    response.headers["Location"] = f"/api/v1/advisories/{stored.key}"
    return {
        "advisory": _full(advisories.get(app.context, caller.actor, stored.key), response),
        "not_made": [str(p) for p in rendered.problems] if rendered else [],
    }


@router.get("/{advisory_id}", response_model=AdvisoryOut, summary="One advisory")
def get_advisory(
    advisory_id: str, request: Request, response: Response, caller: Caller = Depends(api_auth)
) -> dict[str, Any]:
    return _full(advisories.get(application(request).context, caller.actor, advisory_id), response)


@router.put("/{advisory_id}", response_model=AdvisoryOut, summary="Replace the working copy")
def update(
    advisory_id: str,
    body: AdvisoryUpdateIn,
    request: Request,
    response: Response,
    if_match: str | None = Header(None),
    caller: Caller = Depends(api_auth),
) -> dict[str, Any]:
    ctx = application(request).context
    advisories.update(
        ctx,
        caller.actor,
        advisory_id,
        _parse(body.record, default_id=UNNUMBERED),
        expected_version=_version(body.expected_version, if_match),
        reason=body.reason,
    )
    return _full(advisories.get(ctx, caller.actor, advisory_id), response)


@router.delete(
    "/{advisory_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a draft that was never published",
)
def discard(advisory_id: str, request: Request, caller: Caller = Depends(api_auth)) -> Response:
    advisories.discard(application(request).context, caller.actor, advisory_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{advisory_id}/publish",
    response_model=RevisionOut,
    status_code=status.HTTP_201_CREATED,
    summary="Publish the working copy as the next revision",
)
def publish(
    advisory_id: str,
    body: PublishIn,
    request: Request,
    if_match: str | None = Header(None),
    caller: Caller = Depends(api_auth),
) -> dict[str, Any]:
    app: Application = application(request)
    saved, revision = advisories.publish(
        app.context,
        caller.actor,
        app.advisories,
        advisory_id,
        summary=body.summary,
        expected_version=_version(body.expected_version, if_match),
    )
    return advisory_views.revision(saved.key, revision)


@router.get(
    "/{advisory_id}/revisions",
    response_model=list[RevisionOut],
    summary="Published revisions, oldest first",
)
def revisions(
    advisory_id: str, request: Request, caller: Caller = Depends(api_auth)
) -> list[dict[str, Any]]:
    view = advisories.get(application(request).context, caller.actor, advisory_id)
    return [advisory_views.revision(view.stored.key, r) for r in view.revisions]


@router.get(
    "/{advisory_id}/revisions/{ordinal}/documents/{name}",
    summary="A document exactly as a revision published it",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}}},
)
def revision_document(
    advisory_id: str,
    ordinal: Seq,
    name: str,
    request: Request,
    caller: Caller = Depends(api_auth),
) -> Response:
    _, document = advisories.revision_document(
        application(request).context, caller.actor, advisory_id, ordinal, name
    )
    return Response(document.data, media_type="application/json")


@router.get(
    "/{advisory_id}/export/{fmt}",
    summary="The working copy as a CVE record, CSAF document or OSV record",
    response_model=dict[str, Any],
)
def export(
    advisory_id: str,
    fmt: Fmt,
    request: Request,
    vulnerability: int | None = Query(
        None, ge=0, le=10_000, description="For CVE and OSV: which vulnerability, from 0."
    ),
    caller: Caller = Depends(api_auth),
) -> Response:
    app: Application = application(request)
    document = advisories.export(
        app.context, caller.actor, app.advisories, advisory_id, fmt, index=vulnerability
    )
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return Response(text.encode(), media_type="application/json")
