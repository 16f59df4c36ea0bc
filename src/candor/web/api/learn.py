"""/api/v1: retros and action items, metrics, reports, indicators, STIX and VERIS."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Body, Depends, Query, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from candor.adapters.export import learn as exports
from candor.services import learn_metrics, retros, sharing, views_learn
from candor.services.context import Context
from candor.web.deps import Caller, Seq, api_auth, application, request_context

router = APIRouter(tags=["retros, metrics and sharing"])


class RetroEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    changes: dict[str, Any] = Field(
        default_factory=dict,
        description="Any of summary, impact, went_well, went_poorly, lucky, chains, "
        "contributing_factors, action_items, timeline; every problem is reported at once",
    )
    timeline_entries: list[int] | None = Field(
        None, max_length=10_000, description="Rebuild the timeline from these entry numbers"
    )
    version: int | None = Field(None, ge=1, description="The retro version you edited")


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str = Field(max_length=20)


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(max_length=300)
    kind: str = Field(max_length=20)
    owner: str | None = Field(None, max_length=100)
    due_on: date | None = None
    tracker_url: str | None = Field(None, max_length=2000)


class IndicatorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: str = Field(max_length=32)
    value: str = Field(max_length=2048)
    tlp: str = Field(max_length=20)
    description: str = Field("", max_length=2000)
    first_seen: str | None = Field(None, max_length=40)
    last_seen: str | None = Field(None, max_length=40)


@router.get("/incidents/{key}/retro", summary="The retro, with nudges and blameless hints")
def get_retro(
    request: Request,
    key: str,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    policy = application(request).blameless_policy
    return views_learn.retro_view(retros.get(ctx, caller.actor, key, policy=policy))


@router.post("/incidents/{key}/retro", status_code=status.HTTP_201_CREATED, summary="Start")
def start_retro(
    request: Request,
    key: str,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    retros.start(ctx, caller.actor, key)
    return get_retro(request, key, caller, ctx)


@router.patch("/incidents/{key}/retro", summary="Edit the retro")
def edit_retro(
    request: Request,
    key: str,
    body: RetroEdit,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    retros.revise(
        ctx,
        caller.actor,
        key,
        body.changes,
        timeline_entries=body.timeline_entries,
        expected_version=body.version,
    )
    return get_retro(request, key, caller, ctx)


@router.post("/incidents/{key}/retro/status", summary="draft → in_review → published")
def retro_status(
    request: Request,
    key: str,
    body: StatusIn,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    retros.set_status(ctx, caller.actor, key, body.status)
    return get_retro(request, key, caller, ctx)


@router.post(
    "/incidents/{key}/retro/action-items",
    status_code=status.HTTP_201_CREATED,
    summary="Add an action item",
)
def add_action(
    key: str,
    body: ActionIn,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    item = retros.add_action_item(
        ctx,
        caller.actor,
        key,
        title=body.title,
        kind=body.kind,
        owner=body.owner,
        due_on=body.due_on,
        tracker_url=body.tracker_url,
    )
    return views_learn.action_item(item)


@router.post("/incidents/{key}/retro/action-items/{seq}/status", summary="Update its status")
def action_status(
    key: str,
    seq: Seq,
    body: StatusIn,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    return views_learn.action_item(
        retros.set_action_status(ctx, caller.actor, key, seq, body.status)
    )


@router.get("/action-items", summary="Action items across incidents, overdue first")
def list_actions(
    open_only: bool = Query(False, alias="open"),
    owner: str | None = Query(None, max_length=100),
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> list[dict[str, Any]]:
    rows = retros.action_items(ctx, caller.actor, open_only=open_only, owner=owner)
    return [views_learn.action_row(r) for r in rows]


@router.get("/metrics", summary="Metrics across the incidents you may see")
def metrics(
    exercises: bool = Query(False),
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    return views_learn.overview(
        learn_metrics.overview(ctx, caller.actor, include_exercises=exercises)
    )


@router.get("/incidents/{key}/metrics", summary="Response times and obligation margins")
def incident_metrics(
    key: str, caller: Caller = Depends(api_auth), ctx: Context = Depends(request_context)
) -> dict[str, Any]:
    facts = learn_metrics.incident_facts(ctx, caller.actor, key)
    return views_learn.metrics(facts.metrics(now=ctx.clock.now()))


@router.get(
    "/incidents/{key}/reports/{kind}",
    summary="incident, retro, counsel or writeup as md, docx or pdf",
    response_class=Response,
)
def report(
    request: Request,
    key: str,
    kind: str,
    format: str = Query("md", max_length=10),
    privileged: bool = Query(False),
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> Response:
    app = application(request)
    made = exports.download(
        ctx,
        caller.actor,
        key,
        kind,
        format,
        privileged=privileged,
        policy=app.blameless_policy,
        internal_domains=app.settings.learn.internal_domains,
    )
    headers = {"Content-Disposition": f'attachment; filename="{made.filename}"'}
    if made.replaced is not None:
        # what the write-up's scrubber replaced, e.g. "[person]=2; [token]=1"
        headers["X-Candor-Replaced"] = "; ".join(
            f"{k}={v}" for k, v in sorted(made.replaced.items()) if v
        )
    return Response(made.content, media_type=made.media_type, headers=headers)


@router.get("/incidents/{key}/indicators", summary="Indicators to share")
def list_indicators(
    key: str, caller: Caller = Depends(api_auth), ctx: Context = Depends(request_context)
) -> list[dict[str, Any]]:
    return [views_learn.indicator(s) for s in sharing.get(ctx, caller.actor, key).indicators]


@router.post("/incidents/{key}/indicators", status_code=status.HTTP_201_CREATED, summary="Add one")
def add_indicator(
    key: str,
    body: IndicatorIn,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    seq = sharing.add_indicator(ctx, caller.actor, key, **body.model_dump())
    found = sharing.get(ctx, caller.actor, key)
    return views_learn.indicator(next(s for s in found.indicators if s.seq == seq))


@router.post(
    "/incidents/{key}/indicators/scoping",
    status_code=status.HTTP_201_CREATED,
    summary="Import what a scoping run saw (the JSON of `candor scope run --json`)",
)
def import_scoping(
    key: str,
    result: dict[str, Any] = Body(...),
    tlp: str = Query(..., max_length=20),
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    return {"added": sharing.import_scoping(ctx, caller.actor, key, result, tlp=tlp)}


@router.delete(
    "/incidents/{key}/indicators/{seq}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove"
)
def remove_indicator(
    key: str, seq: Seq, caller: Caller = Depends(api_auth), ctx: Context = Depends(request_context)
) -> Response:
    sharing.remove_indicator(ctx, caller.actor, key, seq)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/incidents/{key}/stix", summary="The indicators as a STIX 2.1 bundle (no TLP:RED)")
def stix_bundle(
    key: str,
    ceiling: str = Query("amber+strict", max_length=20),
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    return exports.stix_bundle(ctx, caller.actor, key, ceiling=ceiling)


@router.get("/incidents/{key}/veris", summary="The incident as a VERIS 1.4 record")
def veris_record(
    key: str, caller: Caller = Depends(api_auth), ctx: Context = Depends(request_context)
) -> dict[str, Any]:
    return exports.veris_record(ctx, caller.actor, key)


@router.put("/incidents/{key}/veris/classification", summary="Set the VERIS classification")
def classify(
    key: str,
    classification: dict[str, Any] = Body(...),
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    exports.classify(ctx, caller.actor, key, classification)
    return exports.veris_record(ctx, caller.actor, key)


@router.post(
    "/veris/import",
    status_code=status.HTTP_201_CREATED,
    summary="Declare an incident from a VERIS record",
)
def veris_import(
    record: dict[str, Any] = Body(...),
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    return {"incident": exports.veris_import(ctx, caller.actor, record)}
