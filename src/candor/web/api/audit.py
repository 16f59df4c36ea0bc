"""/api/v1/audit: the audit log (admins)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query

from candor.domain.audit import AuditFilter
from candor.domain.vocabulary import require_aware
from candor.services import audit, views
from candor.services.context import Context
from candor.web.api.schemas import AuditOut, VerificationOut
from candor.web.deps import INT_MAX, Caller, api_auth, request_context

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", response_model=list[AuditOut], summary="Audit records, newest first")
def list_records(
    actor: str | None = Query(None, max_length=100),
    action: str | None = Query(None, max_length=64, description="Action prefix, e.g. user."),
    incident: str | None = Query(None, max_length=32),
    since: datetime | None = None,
    until: datetime | None = None,
    before_seq: int | None = Query(None, ge=1, le=INT_MAX),
    limit: int = Query(100, ge=1, le=1000),
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> list[dict[str, Any]]:
    for name, value in (("since", since), ("until", until)):
        if value is not None:
            require_aware(value, field=name)
    where = AuditFilter(
        actor=actor,
        action_prefix=action,
        incident_key=incident.upper() if incident else None,
        since=since,
        until=until,
        before_seq=before_seq,
        limit=limit,
    )
    return [views.audit_record(r) for r in audit.list_records(ctx, caller.actor, where)]


@router.get("/verify", response_model=VerificationOut, summary="Verify the audit chain")
def verify(
    caller: Caller = Depends(api_auth), ctx: Context = Depends(request_context)
) -> dict[str, Any]:
    return views.verification(audit.verify(ctx, caller.actor))
