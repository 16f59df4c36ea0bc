"""/api/v1/incidents/{key}/triage: assessments of an incident, applying the latest, confirming a
breach determination."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response, status

from candor.services import triage, views, views_intake
from candor.services.context import Context
from candor.web.api.schemas import IncidentOut
from candor.web.api.schemas_intake import (
    ApplyIn,
    AssessedOut,
    AssessIn,
    AssessmentList,
    ConfirmBreachIn,
)
from candor.web.deps import Caller, api_auth, application, request_context

router = APIRouter(prefix="/incidents/{key}/triage", tags=["triage"])


@router.get("", response_model=AssessmentList, summary="Triage assessments, oldest first")
def history(
    key: str, caller: Caller = Depends(api_auth), ctx: Context = Depends(request_context)
) -> dict[str, Any]:
    return {"items": [views_intake.assessment(a) for a in triage.history(ctx, caller.actor, key)]}


@router.post(
    "",
    response_model=AssessedOut,
    status_code=status.HTTP_201_CREATED,
    summary="Assess: answers in, kind, severity and rationale out (the incident is not changed)",
)
def assess(
    key: str,
    body: AssessIn,
    request: Request,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    stored, change = triage.assess(
        ctx,
        caller.actor,
        key,
        body.answers,
        policy=application(request).triage_policy,
        note=body.note,
    )
    return {"assessment": views_intake.assessment(stored), "change": views_intake.change(change)}


@router.post(
    "/apply",
    response_model=IncidentOut,
    summary="Set the incident's kind and severity from its latest assessment",
)
def apply(
    key: str,
    body: ApplyIn,
    response: Response,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    made = triage.apply(
        ctx, caller.actor, key, version=body.assessment, expected_version=body.expected_version
    )
    response.headers["ETag"] = f'"{made.version}"'
    return views.incident(made, now=ctx.clock.now())


@router.post(
    "/confirm-breach",
    response_model=IncidentOut,
    summary="Confirm the breach determination of the latest assessment (sets breach_determined_at)",
)
def confirm_breach(
    key: str,
    body: ConfirmBreachIn,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    made = triage.confirm_breach(ctx, caller.actor, key, version=body.assessment, at=body.at)
    return views.incident(made, now=ctx.clock.now())
