"""/api/v1/incidents/{key}/obligations: the facts, the obligations with their tracking, filing,
not-required determinations and counsel's decision, the counsel packet; /api/v1/obligations/due
across incidents."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from candor.services import obligation_tracking, obligation_views, obligations
from candor.services.context import Context
from candor.web.api.obligation_schemas import (
    ChangesOut,
    DueList,
    FactsHistoryOut,
    FactsIn,
    FactsRecordedOut,
    FileIn,
    ObligationOut,
    ObligationsOut,
    ProposeIn,
    RejectIn,
)
from candor.web.deps import Caller, Seq, api_auth, request_context
from candor.web.pages.obligations import MEDIA, packet_response

router = APIRouter(tags=["obligations"])
BASE = "/incidents/{key}/obligations"


def _one(ctx: Context, caller: Caller, key: str, seq: int) -> dict[str, Any]:
    view = obligations.overview(ctx, caller.actor, key)
    ob = next(o for o in view.obligations if o.seq == seq)
    return obligation_views.obligation(ob, now=ctx.clock.now(), org_zone=view.profile.timezone)


@router.get(BASE, response_model=ObligationsOut, summary="An incident's obligations and facts")
def get_obligations(
    key: str, caller: Caller = Depends(api_auth), ctx: Context = Depends(request_context)
) -> dict[str, Any]:
    view = obligations.overview(ctx, caller.actor, key)
    return obligation_views.overview(view, now=ctx.clock.now())


@router.get(f"{BASE}/facts", response_model=FactsHistoryOut, summary="Every version of the facts")
def facts_history(
    key: str, caller: Caller = Depends(api_auth), ctx: Context = Depends(request_context)
) -> dict[str, Any]:
    history = obligations.facts_history(ctx, caller.actor, key)
    return {"items": [obligation_views.facts_version(v) for v in history]}


@router.patch(
    f"{BASE}/facts",
    response_model=FactsRecordedOut,
    summary="Change facts (a new version) and recompute the obligations",
)
def record_facts(
    key: str,
    body: FactsIn,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    done = obligations.record_facts(
        ctx,
        caller.actor,
        key,
        body.changes,
        source=body.source,
        reason=body.reason,
        expected_version=body.expected_version,
    )
    return {
        "changed": done.changed,
        "facts": obligation_views.facts_version(done.facts) if done.facts else None,
        "obligation_changes": [c.as_dict() for c in done.obligation_changes],
    }


@router.post(
    f"{BASE}/recompute",
    response_model=ChangesOut,
    summary="Recompute after the rules or the organisation's settings changed",
)
def recompute(
    key: str, caller: Caller = Depends(api_auth), ctx: Context = Depends(request_context)
) -> dict[str, Any]:
    made = obligations.recompute(ctx, caller.actor, key)
    return {"obligation_changes": [c.as_dict() for c in made]}


@router.post(f"{BASE}/{{seq}}/file", response_model=ObligationOut, summary="Record it filed")
def file(
    key: str,
    seq: Seq,
    body: FileIn,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    obligation_tracking.file(
        ctx,
        caller.actor,
        key,
        str(seq),
        filed_at=body.filed_at,
        reference=body.reference,
        attachment=body.attachment,
    )
    return _one(ctx, caller, key, seq)


@router.post(
    f"{BASE}/{{seq}}/not-required",
    response_model=ObligationOut,
    summary="Propose in writing that it is not required (counsel decides)",
)
def propose(
    key: str,
    seq: Seq,
    body: ProposeIn,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    obligation_tracking.propose_not_required(ctx, caller.actor, key, str(seq), text=body.text)
    return _one(ctx, caller, key, seq)


@router.post(
    f"{BASE}/{{seq}}/approve",
    response_model=ObligationOut,
    summary="Counsel approves the not-required determination",
)
def approve(
    key: str, seq: Seq, caller: Caller = Depends(api_auth), ctx: Context = Depends(request_context)
) -> dict[str, Any]:
    obligation_tracking.approve_not_required(ctx, caller.actor, key, str(seq))
    return _one(ctx, caller, key, seq)


@router.post(
    f"{BASE}/{{seq}}/reject",
    response_model=ObligationOut,
    summary="Counsel rejects the not-required determination",
)
def reject(
    key: str,
    seq: Seq,
    body: RejectIn,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    obligation_tracking.reject_not_required(ctx, caller.actor, key, str(seq), reason=body.reason)
    return _one(ctx, caller, key, seq)


@router.get(
    f"{BASE}/packet",
    response_class=Response,
    summary="The counsel packet (Markdown, DOCX or PDF)",
    responses={200: {"content": {media: {} for media in MEDIA.values()}}},
)
def packet(
    request: Request,
    key: str,
    format: Literal["md", "docx", "pdf"] = Query("md"),
    privileged: bool = Query(False, description="Mark every page privileged & confidential."),
    caller: Caller = Depends(api_auth),
) -> Response:
    return packet_response(request, caller, key, format, privileged)


@router.get(
    "/obligations/due",
    response_model=DueList,
    summary="Open obligations of open incidents, earliest deadline first",
)
def due(
    limit: int = Query(50, ge=1, le=500),
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    zone = ctx.obligations.profile().timezone if ctx.obligations else "UTC"
    now = ctx.clock.now()
    items = obligations.upcoming(ctx, caller.actor, limit=limit)
    return {"items": [obligation_views.upcoming(u, now=now, org_zone=zone) for u in items]}
