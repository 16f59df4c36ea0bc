"""The dashboard, the incident list, the declare form and the incident page with its forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from candor.domain import incidents as model
from candor.domain.errors import CandorError, InvalidInput, NotFound, Problem
from candor.domain.incidents import Clock
from candor.domain.lifecycle import Phase, allowed_targets
from candor.domain.tasks import TaskStatus
from candor.domain.timeline import MANUAL_KINDS
from candor.domain.vocabulary import Confidentiality, Kind, Role, Severity
from candor.services import accounts, incidents, tasks, timeline
from candor.services.ports import IncidentFilter
from candor.web.cache import cached_on_loop
from candor.web.deps import INT_MAX, Caller, Seq, checked_form, context, page_auth
from candor.web.pages.common import optional_int, optional_time, redirect, render

router = APIRouter()

TIMELINE_PAGE = 50


@router.get("/", response_class=HTMLResponse)
async def dashboard(request: Request, caller: Caller = Depends(page_auth)) -> Response:
    return await cached_on_loop(request, caller, lambda: _dashboard(request, caller))


def _dashboard(request: Request, caller: Caller) -> Response:
    ctx = context(request)
    open_page = incidents.page(ctx, caller.actor, IncidentFilter(open_only=True, limit=200))
    items = sorted(open_page.items, key=lambda i: (i.severity.rank, i.declared_at))
    return render(
        request,
        "dashboard.html",
        caller=caller,
        incidents=items,
        total_open=open_page.total,
        warnings={i.key: model.warnings(i) for i in items},
        extras=dashboard_panels(request, caller),
    )


# Feature modules add panels to the dashboard (overdue findings, deadlines …): each returns a
# dict with "title", "template" and its values, or None when it has nothing to show.
DASHBOARD_PANELS: list[Callable[[Request, Caller], dict[str, Any] | None]] = []


def dashboard_panels(request: Request, caller: Caller) -> list[dict[str, Any]]:
    return [panel for make in DASHBOARD_PANELS if (panel := make(request, caller)) is not None]


@router.get("/incidents", response_class=HTMLResponse)
def incident_list(
    request: Request,
    phase: str | None = Query(None),
    severity: str | None = Query(None),
    show: str = Query("open"),
    page: int = Query(1, ge=1, le=100_000),
    caller: Caller = Depends(page_auth),
) -> Response:
    ctx = context(request)
    per_page = 50
    where = IncidentFilter(
        open_only=show == "open",
        phase=Phase(phase) if phase in {p.value for p in Phase} else None,
        severity=Severity(severity) if severity in {s.value for s in Severity} else None,
        limit=per_page,
        offset=(page - 1) * per_page,
    )
    found = incidents.page(ctx, caller.actor, where)
    return render(
        request,
        "incidents.html",
        caller=caller,
        incidents=found.items,
        total=found.total,
        page=page,
        pages=max(1, -(-found.total // per_page)),
        phase=where.phase,
        severity=where.severity,
        show=show,
        phases=list(Phase),
        severities=list(Severity),
    )


def _declare_form(
    request: Request,
    caller: Caller,
    *,
    values: dict[str, str] | None = None,
    problems: list[Problem] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "declare.html",
        status_code=status_code,
        caller=caller,
        values=values or {},
        problems=problems or [],
        kinds=list(Kind),
        severities=list(Severity),
        hooks=declare_form_hooks(request),
    )


# Feature modules add fields to the declare form (e.g. a playbook choice): each returns a dict
# with "template" and its values.
DECLARE_HOOKS: list[Callable[[Request], dict[str, Any]]] = []
DECLARED_HOOKS: list[Callable[[Request, Caller, model.Incident, dict[str, str]], None]] = []


def declare_form_hooks(request: Request) -> list[dict[str, Any]]:
    return [hook(request) for hook in DECLARE_HOOKS]


@router.get("/incidents/new", response_class=HTMLResponse)
def declare_form(request: Request, caller: Caller = Depends(page_auth)) -> Response:
    return _declare_form(request, caller)


@router.post("/incidents/new")
def declare(
    request: Request,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    ctx = context(request)
    try:
        made = incidents.declare(
            ctx,
            caller.actor,
            title=form.get("title", ""),
            summary=form.get("summary", ""),
            kind=form.get("kind", Kind.SECURITY_INCIDENT.value),
            severity=form.get("severity", Severity.SEV3.value),
            confidentiality=Confidentiality.RESTRICTED
            if form.get("restricted")
            else Confidentiality.NORMAL,
            exercise=bool(form.get("exercise")),
            detected_at=optional_time(form, "detected_at"),
            aware_at=optional_time(form, "aware_at"),
        )
    except InvalidInput as exc:
        return _declare_form(request, caller, values=form, problems=exc.problems, status_code=422)
    for hook in DECLARED_HOOKS:
        hook(request, caller, made, form)
    return redirect(f"/incidents/{made.key}", notice="declared")


# Feature modules add sections to the incident page (impact statement, obligations, scoping …):
# each returns a dict with "id", "title", "template" and its values, or None.
INCIDENT_SECTIONS: list[Callable[[Request, Caller, model.Incident], dict[str, Any] | None]] = []


def incident_page(
    request: Request,
    caller: Caller,
    key: str,
    *,
    status_code: int = 200,
    problems: list[Problem] | None = None,
    error: str | None = None,
    failed_form: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    ctx = context(request)
    incident = incidents.get(ctx, caller.actor, key)
    entries = timeline.show(ctx, caller.actor, incident.key, newest_first=True, limit=TIMELINE_PAGE)
    total_entries = entries[0].seq if entries else 0
    corrected = {e.corrects for e in entries if e.corrects}
    sections = [s for make in INCIDENT_SECTIONS if (s := make(request, caller, incident))]
    return render(
        request,
        "incident.html",
        status_code=status_code,
        caller=caller,
        incident=incident,
        warnings=model.warnings(incident),
        targets=allowed_targets(incident.phase),
        roles=list(Role),
        clocks=list(Clock),
        users=accounts.list_users(ctx, caller.actor),
        tasks=tasks.list_tasks(ctx, caller.actor, incident.key),
        statuses=list(TaskStatus),
        entries=entries,
        total_entries=total_entries,
        corrected=corrected,
        manual_kinds=list(MANUAL_KINDS),
        kinds=list(Kind),
        severities=list(Severity),
        phases=list(Phase),
        can_write=caller.actor.can_write,
        problems=problems or [],
        error=error,
        failed_form=failed_form,
        values=values or {},
        sections=sections,
    )


@router.get("/incidents/{key}", response_class=HTMLResponse)
async def show(request: Request, key: str, caller: Caller = Depends(page_auth)) -> Response:
    return await cached_on_loop(request, caller, lambda: incident_page(request, caller, key))


def _act(
    request: Request,
    caller: Caller,
    key: str,
    form: dict[str, str],
    name: str,
    action: Callable[[], object],
    notice: str,
    anchor: str,
) -> Response:
    """Run a form's action; on a user error show the incident page again with the message."""
    try:
        action()
    except NotFound:
        raise
    except CandorError as exc:
        return incident_page(
            request,
            caller,
            key,
            status_code=exc.status,
            problems=exc.problems_list(),
            error=exc.message,
            failed_form=name,
            values=form,
        )
    return redirect(f"/incidents/{key.upper()}", notice=notice, anchor=anchor)


@router.post("/incidents/{key}/edit")
def edit(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    changes = {
        name: form[name] for name in ("title", "summary", "kind", "severity") if name in form
    }
    changes["confidentiality"] = (
        Confidentiality.RESTRICTED.value if form.get("restricted") else Confidentiality.NORMAL.value
    )
    return _act(
        request,
        caller,
        key,
        form,
        "edit",
        lambda: incidents.update(
            context(request),
            caller.actor,
            key,
            changes,
            reason=form.get("reason", ""),
            expected_version=optional_int(form, "version"),
        ),
        "updated",
        "details",
    )


@router.post("/incidents/{key}/transition")
def transition(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    return _act(
        request,
        caller,
        key,
        form,
        "transition",
        lambda: incidents.transition(
            context(request),
            caller.actor,
            key,
            form.get("phase", ""),
            reason=form.get("reason", ""),
            expected_version=optional_int(form, "version"),
        ),
        "transitioned",
        "phase",
    )


@router.post("/incidents/{key}/roles")
def assign_role(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    person = form.get("person", "").strip() or None
    return _act(
        request,
        caller,
        key,
        form,
        "roles",
        lambda: incidents.assign_role(
            context(request),
            caller.actor,
            key,
            form.get("role", ""),
            person,
            expected_version=optional_int(form, "version"),
        ),
        "role",
        "roles",
    )


@router.post("/incidents/{key}/participants")
def participants(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    add = tuple(p for p in [form.get("add", "").strip()] if p)
    remove = tuple(p for p in [form.get("remove", "").strip()] if p)
    return _act(
        request,
        caller,
        key,
        form,
        "participants",
        lambda: incidents.set_participants(
            context(request), caller.actor, key, add=add, remove=remove
        ),
        "participants",
        "roles",
    )


@router.post("/incidents/{key}/clocks")
def set_clock(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    def action() -> object:
        return incidents.set_clock(
            context(request),
            caller.actor,
            key,
            form.get("clock", ""),
            optional_time(form, "value"),
            reason=form.get("reason", ""),
        )

    return _act(request, caller, key, form, "clocks", action, "clock", "clocks")


@router.post("/incidents/{key}/tasks")
def add_task(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    def action() -> object:
        return tasks.add(
            context(request),
            caller.actor,
            key,
            title=form.get("title", ""),
            owner=form.get("owner", "").strip() or None,
            due_at=optional_time(form, "due_at"),
            phase=form.get("phase", "").strip() or None,
            notes=form.get("notes", ""),
        )

    return _act(request, caller, key, form, "tasks", action, "task-added", "tasks")


@router.post("/incidents/{key}/tasks/{seq}")
def task_status(
    request: Request,
    key: str,
    seq: Seq,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    return _act(
        request,
        caller,
        key,
        form,
        "tasks",
        lambda: tasks.set_status(context(request), caller.actor, key, seq, form.get("status", "")),
        "task-status",
        "tasks",
    )


@router.post("/incidents/{key}/timeline")
def add_entry(
    request: Request,
    key: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    def action() -> object:
        return timeline.add(
            context(request),
            caller.actor,
            key,
            kind=form.get("kind", "note"),
            body=form.get("body", ""),
            occurred_at=optional_time(form, "occurred_at"),
            corrects=optional_int(form, "corrects"),
        )

    return _act(request, caller, key, form, "timeline", action, "entry", "timeline")


@router.get("/incidents/{key}/timeline", response_class=HTMLResponse)
def full_timeline(
    request: Request,
    key: str,
    after: int = Query(0, ge=0, le=INT_MAX),
    caller: Caller = Depends(page_auth),
) -> Response:
    ctx = context(request)
    incident = incidents.get(ctx, caller.actor, key)
    entries = timeline.page(ctx, caller.actor, key, after=after, limit=500)
    corrected = {e.corrects for e in entries if e.corrects}
    return render(
        request,
        "timeline.html",
        caller=caller,
        incident=incident,
        entries=entries,
        corrected=corrected,
        after=after,
        next_after=entries[-1].seq if len(entries) == 500 else None,
    )


@router.get("/incidents/{key}/verify", response_class=HTMLResponse)
def verify(request: Request, key: str, caller: Caller = Depends(page_auth)) -> Response:
    ctx = context(request)
    incident = incidents.get(ctx, caller.actor, key)
    result = timeline.verify(ctx, caller.actor, key)
    return render(
        request, "verify.html", caller=caller, incident=incident, result=result, chain="timeline"
    )
