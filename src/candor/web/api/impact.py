"""/api/v1/incidents/{key}/impact, …/findings, …/status-reports and /api/v1/findings/due."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, ConfigDict, Field

from candor.domain.errors import NotFound
from candor.domain.status_report import MAX_ITEMS
from candor.services import impact, status_reports
from candor.services.context import Context
from candor.web.deps import INT_MAX, Caller, Seq, api_auth, request_context

router = APIRouter(tags=["impact statement"])


class ImpactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sections: dict[str, Any] = Field(
        description="{section: text} or {section: {text, "
        "confidence}}; sections left out keep their text"
    )
    affected: dict[str, Any] = Field(default_factory=dict)
    reason: str = Field(min_length=1, max_length=500)
    based_on: int | None = Field(
        None, ge=1, description="The version you started from; null for the first."
    )
    findings: list[int] = Field(default_factory=list, max_length=200)


class FindingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    summary: str = Field(min_length=1, max_length=5000)
    source: str = Field(min_length=1, max_length=500)
    evidence_ref: str = Field("", max_length=2000)


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    changes_customer_impact: str = Field(pattern="^(yes|no|unknown)$")
    new_access_path: str = Field(pattern="^(yes|no|unknown)$")
    new_data: str = Field(pattern="^(yes|no|unknown)$")
    note: str = Field("", max_length=2000)


class DismissIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


class IntegrateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=1)


def _finding(number: int, finding: Any) -> dict[str, Any]:
    return {"number": number, **finding.as_dict()}


@router.get("/incidents/{key}/impact", summary="The current impact statement and its versions")
def get_impact(
    key: str, caller: Caller = Depends(api_auth), ctx: Context = Depends(request_context)
) -> dict[str, Any]:
    found = impact.statement(ctx, caller.actor, key)
    return {
        "incident": found.incident.key,
        "current": found.current.as_dict() if found.current else None,
        "versions": [
            {
                "number": v.number,
                "author": v.author,
                "created_at": v.created_at.isoformat(),
                "reason": v.reason,
                "changed": sorted(s.value for s in v.changed),
            }
            for v in found.versions
        ],
    }


@router.get("/incidents/{key}/impact/versions/{number}", summary="One version")
def get_version(
    key: str,
    number: Seq,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    found = impact.statement(ctx, caller.actor, key)
    version = next((v for v in found.versions if v.number == number), None)
    if version is None:
        raise NotFound(f"{found.incident.key} has no impact statement version {number}")
    return version.as_dict()


@router.post(
    "/incidents/{key}/impact", status_code=status.HTTP_201_CREATED, summary="Save a new version"
)
def save(
    key: str,
    body: ImpactIn,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    version = impact.save_version(
        ctx,
        caller.actor,
        key,
        sections=body.sections,
        affected=body.affected,
        reason=body.reason,
        based_on=body.based_on,
        findings=body.findings,
    )
    return version.as_dict()


@router.get("/incidents/{key}/impact/diff", summary="Word-level diff between two versions")
def diff(
    key: str,
    a: int = Query(..., ge=1, le=INT_MAX),
    b: int = Query(..., ge=1, le=INT_MAX),
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    return impact.diff(ctx, caller.actor, key, a, b).as_dict()


@router.get("/incidents/{key}/findings", summary="Findings of an incident")
def list_findings(
    key: str, caller: Caller = Depends(api_auth), ctx: Context = Depends(request_context)
) -> dict[str, Any]:
    view = impact.findings(ctx, caller.actor, key)
    return {
        "review_every_minutes": int(view.status.every.total_seconds() // 60),
        "overdue": [str(d.finding.id) for d in view.status.overdue],
        "next_due_at": view.status.next_due_at.isoformat() if view.status.next_due_at else None,
        "findings": [_finding(n, f) for n, _, f in view.findings],
    }


@router.post(
    "/incidents/{key}/findings", status_code=status.HTTP_201_CREATED, summary="Add a finding"
)
def add_finding(
    key: str,
    body: FindingIn,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    number, finding = impact.add_finding(ctx, caller.actor, key, **body.model_dump())
    return _finding(number, finding)


@router.post("/incidents/{key}/findings/{number}/review", summary="Review a finding")
def review(
    key: str,
    number: Seq,
    body: ReviewIn,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    return _finding(
        number, impact.review_finding(ctx, caller.actor, key, number, **body.model_dump())
    )


@router.post("/incidents/{key}/findings/{number}/dismiss", summary="Dismiss a finding")
def dismiss(
    key: str,
    number: Seq,
    body: DismissIn,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    return _finding(
        number, impact.dismiss_finding(ctx, caller.actor, key, number, reason=body.reason)
    )


@router.post(
    "/incidents/{key}/findings/{number}/integrate",
    summary="Record that a named version took the finding in",
)
def integrate(
    key: str,
    number: Seq,
    body: IntegrateIn,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    return _finding(
        number, impact.integrate_finding(ctx, caller.actor, key, number, version=body.version)
    )


@router.get("/findings/due", summary="Open incidents with findings waiting past their cadence")
def due(
    caller: Caller = Depends(api_auth), ctx: Context = Depends(request_context)
) -> list[dict[str, Any]]:
    return [
        {
            "incident": o.incident.key,
            "title": o.incident.title,
            "overdue": [
                {
                    "finding": str(d.finding.id),
                    "summary": d.finding.summary,
                    "due_at": d.due_at.isoformat(),
                }
                for d in o.status.overdue
            ],
        }
        for o in impact.overdue_everywhere(ctx, caller.actor)
    ]


class StatusReportIn(BaseModel):
    """The report as the communications lead edited it."""

    model_config = ConfigDict(extra="forbid")
    conditions: list[str] = Field(min_length=1, max_length=MAX_ITEMS)
    actions: list[str] = Field(default_factory=list, max_length=MAX_ITEMS)
    needs: list[str] = Field(default_factory=list, max_length=MAX_ITEMS)
    impact_version: int | None = Field(
        description="The impact statement version of the draft you edited (its "
        "impact_version); null when there was none. A newer version is a conflict."
    )


@router.get(
    "/incidents/{key}/status-reports/draft",
    summary="The internal status report drafted now, and when the next one is due",
)
def draft_status(
    key: str, caller: Caller = Depends(api_auth), ctx: Context = Depends(request_context)
) -> dict[str, Any]:
    report = status_reports.draft(ctx, caller.actor, key)
    return {
        **report.as_dict(),
        "schedule": status_reports.schedule(ctx, caller.actor, key).as_dict(),
    }


@router.get(
    "/incidents/{key}/status-reports/schedule",
    summary="When the next internal status report is due, and whether it is overdue",
)
def status_schedule(
    key: str, caller: Caller = Depends(api_auth), ctx: Context = Depends(request_context)
) -> dict[str, Any]:
    return status_reports.schedule(ctx, caller.actor, key).as_dict()


@router.post(
    "/incidents/{key}/status-reports",
    status_code=status.HTTP_201_CREATED,
    summary="Post an internal status report: the draft as it is, or your edited version",
)
def post_status(
    key: str,
    body: StatusReportIn | None = None,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    edit = (
        status_reports.Edit(
            conditions=body.conditions,
            actions=body.actions,
            needs=body.needs,
            impact_version=body.impact_version,
        )
        if body is not None
        else None
    )
    return status_reports.post(ctx, caller.actor, key, edit=edit).as_dict()
