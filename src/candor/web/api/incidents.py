"""/api/v1/incidents: incidents, roles, clocks, tasks and the timeline."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status

from candor.domain.errors import InvalidInput, Problem
from candor.domain.lifecycle import Phase
from candor.domain.vocabulary import Role, Severity
from candor.services import incidents, tasks, timeline, views
from candor.services.context import Context
from candor.services.ports import IncidentFilter
from candor.web.api.schemas import (
    ClockIn,
    DeclareIn,
    EntryIn,
    EntryOut,
    IncidentList,
    IncidentOut,
    ParticipantsIn,
    RoleIn,
    TaskIn,
    TaskOut,
    TaskStatusIn,
    TransitionIn,
    UpdateIn,
    VerificationOut,
)
from candor.web.cache import cached_on_loop, remembered
from candor.web.deps import INT_MAX, Caller, Seq, api_auth, request_context

router = APIRouter(prefix="/incidents", tags=["incidents"])


def _version(body_version: int | None, if_match: str | None) -> int | None:
    """The expected version from the body or an If-Match header ("3" or W/"3")."""
    if body_version is not None:
        return body_version
    if not if_match:
        return None
    text = if_match.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise InvalidInput(
            Problem("If-Match must be the incident's version number", field="If-Match")
        )
    return int(text)


def _incident(ctx: Context, item: Any, response: Response | None = None) -> dict[str, Any]:
    data = views.incident(item, now=ctx.clock.now())
    if response is not None:
        response.headers["ETag"] = f'"{item.version}"'
    return data


@router.get("", response_model=IncidentList, summary="List incidents")
async def list_incidents(
    request: Request,
    open_only: bool = Query(True, description="Only incidents that are not closed or declined."),
    phase: Phase | None = None,
    severity: Severity | None = None,
    exercise: bool | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=1_000_000),
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> Response:
    where = IncidentFilter(
        open_only=open_only,
        phase=phase,
        severity=severity,
        exercise=exercise,
        limit=limit,
        offset=offset,
    )

    def build() -> Response:
        # the page of incidents is kept per workspace version; only the ages change each second
        page = remembered(request, caller, lambda: incidents.page(ctx, caller.actor, where))
        now = ctx.clock.now()
        body = IncidentList.model_validate(
            {
                "items": [views.incident_summary(i, now=now) for i in page.items],
                "total": page.total,
                "limit": limit,
                "offset": offset,
            }
        )
        return Response(body.model_dump_json(), media_type="application/json")

    return await cached_on_loop(request, caller, build, fresh_for=1)


@router.post(
    "",
    response_model=IncidentOut,
    status_code=status.HTTP_201_CREATED,
    summary="Declare an incident",
)
def declare(
    body: DeclareIn,
    response: Response,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    made = incidents.declare(ctx, caller.actor, **body.model_dump())
    response.headers["Location"] = f"/api/v1/incidents/{made.key}"
    return _incident(ctx, made, response)


@router.get("/{key}", response_model=IncidentOut, summary="One incident")
def get_incident(
    key: str,
    response: Response,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    return _incident(ctx, incidents.get(ctx, caller.actor, key), response)


@router.patch(
    "/{key}",
    response_model=IncidentOut,
    summary="Change title, summary, kind, severity or confidentiality",
)
def update_incident(
    key: str,
    body: UpdateIn,
    response: Response,
    if_match: str | None = Header(None),
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True, exclude={"expected_version", "reason"})
    changes = {k: v for k, v in changes.items() if v is not None}
    if not changes:
        raise InvalidInput(Problem("give at least one field to change", field="body"))
    made = incidents.update(
        ctx,
        caller.actor,
        key,
        changes,
        reason=body.reason,
        expected_version=_version(body.expected_version, if_match),
    )
    return _incident(ctx, made, response)


@router.post("/{key}/transitions", response_model=IncidentOut, summary="Move to another phase")
def transition(
    key: str,
    body: TransitionIn,
    response: Response,
    if_match: str | None = Header(None),
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    made = incidents.transition(
        ctx,
        caller.actor,
        key,
        body.phase,
        reason=body.reason,
        expected_version=_version(body.expected_version, if_match),
    )
    return _incident(ctx, made, response)


@router.put("/{key}/roles/{role}", response_model=IncidentOut, summary="Assign or clear a role")
def assign_role(
    key: str,
    role: Role,
    body: RoleIn,
    response: Response,
    if_match: str | None = Header(None),
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    made = incidents.assign_role(
        ctx,
        caller.actor,
        key,
        role,
        body.person,
        expected_version=_version(body.expected_version, if_match),
    )
    return _incident(ctx, made, response)


@router.post(
    "/{key}/participants",
    response_model=IncidentOut,
    summary="Add or remove participants (members of a restricted incident)",
)
def participants(
    key: str,
    body: ParticipantsIn,
    response: Response,
    if_match: str | None = Header(None),
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    made = incidents.set_participants(
        ctx,
        caller.actor,
        key,
        add=tuple(body.add),
        remove=tuple(body.remove),
        expected_version=_version(body.expected_version, if_match),
    )
    return _incident(ctx, made, response)


@router.put(
    "/{key}/clocks/{clock}",
    response_model=IncidentOut,
    summary="Record a legal-clock time (aware_at, breach_determined_at …)",
)
def set_clock(
    key: str,
    clock: str,
    body: ClockIn,
    response: Response,
    if_match: str | None = Header(None),
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    made = incidents.set_clock(
        ctx,
        caller.actor,
        key,
        clock,
        body.value,
        reason=body.reason,
        expected_version=_version(body.expected_version, if_match),
    )
    return _incident(ctx, made, response)


@router.get("/{key}/tasks", response_model=list[TaskOut], summary="Tasks of an incident")
def list_tasks(
    key: str,
    open_only: bool = False,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> list[dict[str, Any]]:
    return [views.task(t) for t in tasks.list_tasks(ctx, caller.actor, key, open_only=open_only)]


@router.post(
    "/{key}/tasks",
    response_model=TaskOut,
    status_code=status.HTTP_201_CREATED,
    summary="Add a task",
)
def add_task(
    key: str,
    body: TaskIn,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    return views.task(tasks.add(ctx, caller.actor, key, **body.model_dump()))


@router.patch("/{key}/tasks/{seq}", response_model=TaskOut, summary="Change a task's status")
def task_status(
    key: str,
    seq: Seq,
    body: TaskStatusIn,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    return views.task(tasks.set_status(ctx, caller.actor, key, seq, body.status))


@router.get("/{key}/timeline", response_model=list[EntryOut], summary="The timeline")
def get_timeline(
    key: str,
    after: int = Query(0, ge=0, le=INT_MAX),
    limit: int = Query(200, ge=1, le=5000),
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> list[dict[str, Any]]:
    entries = timeline.page(ctx, caller.actor, key, after=after, limit=limit)
    return [views.entry(e) for e in entries]


@router.post(
    "/{key}/timeline",
    response_model=EntryOut,
    status_code=status.HTTP_201_CREATED,
    summary="Append an entry (corrections reference the corrected entry)",
)
def add_entry(
    key: str,
    body: EntryIn,
    caller: Caller = Depends(api_auth),
    ctx: Context = Depends(request_context),
) -> dict[str, Any]:
    entry = timeline.add(
        ctx,
        caller.actor,
        key,
        kind=body.kind,
        body=body.body,
        occurred_at=body.occurred_at,
        corrects=body.corrects,
    )
    return views.entry(entry)


@router.get(
    "/{key}/timeline/verify",
    response_model=VerificationOut,
    summary="Verify the timeline's hash chain",
)
def verify_timeline(
    key: str, caller: Caller = Depends(api_auth), ctx: Context = Depends(request_context)
) -> dict[str, Any]:
    return views.verification(timeline.verify(ctx, caller.actor, key))
