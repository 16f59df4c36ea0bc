"""/api/v1/reports: anyone may submit a report (rate-limited); responders read and handle them.

The public POST reads its own body: FastAPI's parser answers bytes that are not UTF-8 with a
vague "error parsing the body", and a reporter's program deserves to be told what is wrong.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, status
from starlette.exceptions import HTTPException

from candor.domain import reports as model
from candor.domain.errors import InvalidInput, Problem
from candor.domain.reports import Channel, ReportStatus
from candor.services import reports, views, views_intake
from candor.services.context import Context
from candor.services.ports_intake import ReportFilter
from candor.web.api.schemas_intake import (
    DeclineIn,
    DecryptIn,
    DecryptionOut,
    PromotedOut,
    PromoteIn,
    ReceivedOut,
    ReportIn,
    ReportList,
    ReportOut,
    VersionIn,
)
from candor.web.deps import Caller, api_auth, application, client_address, request_context
from candor.web.pages.intake import request_body, require_intake

router = APIRouter(prefix="/reports", tags=["reports"])


def json_object(request: Request, body: bytes) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise HTTPException(415, "send the report as application/json")
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise HTTPException(400, "the body is not valid UTF-8 text; nothing was stored") from None
    except json.JSONDecodeError as exc:
        raise HTTPException(400, f"the body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidInput(Problem("must be a JSON object of field: text", field="body"))
    return data


@router.post(
    "",
    response_model=ReceivedOut,
    status_code=status.HTTP_201_CREATED,
    summary="Report a security issue (no sign-in; rate-limited per client)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ReportIn.model_json_schema()}},
        }
    },
)
def submit(request: Request, body: bytes = Depends(request_body)) -> dict[str, Any]:
    app = application(request)
    require_intake(app)
    data = json_object(request, body)
    address = client_address(request)
    made = reports.receive(
        app.context,
        data,
        channel=Channel.API,
        client_address=address,
        client_id=model.client_digest(address, key=app.client_key),
        rate=app.report_rate,
        strict=True,
    )
    return {
        "key": made.key,
        "received_at": views.instant(made.received_at),
        "status": made.status,
    }


@router.get("", response_model=ReportList, summary="The reports queue")
def list_reports(
    status_: list[ReportStatus] | None = Query(
        None, alias="status", description="Default: received and acknowledged."
    ),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=1_000_000),
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    where = ReportFilter(status=tuple(status_ or reports.OPEN), limit=limit, offset=offset)
    found = reports.page(ctx, caller.actor, where)
    return {
        "items": [views_intake.report_summary(r) for r in found.items],
        "total": found.total,
        "limit": limit,
        "offset": offset,
    }


@router.get("/{key}", response_model=ReportOut, summary="One report, with its decryption records")
def get_report(
    key: str, caller: Caller = Depends(api_auth), ctx: Context = Depends(request_context)
) -> dict[str, Any]:
    view = reports.get(ctx, caller.actor, key)
    return views_intake.report(view.report, view.decryptions)


@router.post("/{key}/acknowledge", response_model=ReportOut, summary="Acknowledge a report")
def acknowledge(
    key: str,
    body: VersionIn,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    made = reports.acknowledge(ctx, caller.actor, key, expected_version=body.expected_version)
    return views_intake.report(made)


@router.post("/{key}/decline", response_model=ReportOut, summary="Decline a report, with a reason")
def decline(
    key: str,
    body: DeclineIn,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    made = reports.decline(
        ctx, caller.actor, key, reason=body.reason, expected_version=body.expected_version
    )
    return views_intake.report(made)


@router.post(
    "/{key}/promote",
    response_model=PromotedOut,
    status_code=status.HTTP_201_CREATED,
    summary="Promote a report to an incident",
)
def promote(
    key: str,
    body: PromoteIn,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    made, incident = reports.promote(
        ctx,
        caller.actor,
        key,
        title=body.title,
        kind=body.kind,
        severity=body.severity,
        restricted=body.restricted,
        expected_version=body.expected_version,
    )
    return {"report": views_intake.report_summary(made), "incident_key": incident.key}


@router.post(
    "/{key}/decrypt",
    response_model=DecryptionOut,
    summary="Decrypt a report's PGP message with the organisation's key",
)
def decrypt(
    key: str,
    body: DecryptIn,
    request: Request,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    opened = reports.decrypt(
        ctx,
        caller.actor,
        key,
        organisation_key=application(request).organisation_key(),
        keep=body.keep,
    )
    return views_intake.decryption(opened)
