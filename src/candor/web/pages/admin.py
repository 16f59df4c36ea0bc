"""Administration: users and the audit log."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from candor.domain.access import OrgRole, require_admin
from candor.domain.audit import AuditFilter
from candor.domain.errors import CandorError
from candor.services import accounts, audit
from candor.web.deps import INT_MAX, Caller, checked_form, context, page_auth
from candor.web.pages.common import redirect, render

router = APIRouter(prefix="/admin")


def _users_page(
    request: Request,
    caller: Caller,
    *,
    status_code: int = 200,
    error: str | None = None,
    problems: list | None = None,  # type: ignore[type-arg]
    values: dict[str, str] | None = None,
    password: str | None = None,
) -> Response:
    require_admin(caller.actor)
    return render(
        request,
        "admin_users.html",
        status_code=status_code,
        caller=caller,
        users=accounts.list_users(context(request), caller.actor, include_inactive=True),
        roles=list(OrgRole),
        error=error,
        problems=problems or [],
        values=values or {},
        password=password,
    )


@router.get("/users", response_class=HTMLResponse)
def users(request: Request, caller: Caller = Depends(page_auth)) -> Response:
    return _users_page(request, caller)


@router.post("/users")
def create_user(
    request: Request,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    try:
        accounts.create_user(
            context(request),
            caller.actor,
            username=form.get("username", ""),
            password=form.get("password", "") or None,
            display_name=form.get("display_name", ""),
            email=form.get("email", ""),
            role=form.get("role", "responder"),
        )
    except CandorError as exc:
        return _users_page(
            request,
            caller,
            status_code=exc.status,
            error=exc.message,
            problems=exc.problems_list(),
            values=form,
        )
    return redirect("/admin/users", notice="user-created")


@router.post("/users/{username}")
def update_user(
    request: Request,
    username: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    try:
        if form.get("new_password"):
            accounts.set_password(context(request), caller.actor, username, form["new_password"])
        accounts.update_user(
            context(request),
            caller.actor,
            username,
            role=form.get("role") or None,
            active=form.get("active") == "yes" if "active" in form else None,
        )
    except CandorError as exc:
        return _users_page(
            request, caller, status_code=exc.status, error=exc.message, problems=exc.problems_list()
        )
    return redirect("/admin/users", notice="user-updated")


@router.get("/audit", response_class=HTMLResponse)
def audit_log(
    request: Request,
    actor: str | None = Query(None, max_length=100),
    action: str | None = Query(None, max_length=64),
    incident: str | None = Query(None, max_length=32),
    before: int | None = Query(None, ge=1, le=INT_MAX),
    caller: Caller = Depends(page_auth),
) -> Response:
    where = AuditFilter(
        actor=actor or None,
        action_prefix=action or None,
        incident_key=incident.upper() if incident else None,
        before_seq=before,
        limit=100,
    )
    records = audit.list_records(context(request), caller.actor, where)
    return render(
        request,
        "admin_audit.html",
        caller=caller,
        records=records,
        filters={"actor": actor or "", "action": action or "", "incident": incident or ""},
        next_before=records[-1].seq if len(records) == 100 else None,
        datetime=datetime,
    )


@router.get("/audit/verify", response_class=HTMLResponse)
def audit_verify(request: Request, caller: Caller = Depends(page_auth)) -> Response:
    result = audit.verify(context(request), caller.actor)
    return render(
        request, "verify.html", caller=caller, incident=None, result=result, chain="audit"
    )
