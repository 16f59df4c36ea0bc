"""The public side of intake: the "report a security issue" form and /.well-known/security.txt,
both reachable without signing in (``web.app.PUBLIC_ROUTES``), and the dashboard panels that
tell responders and admins about them.

The form is read here, not by Starlette's parser, because that parser quietly replaces bytes
that are not UTF-8: a report must arrive as sent, or be refused with a clear 400.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException

from candor.bootstrap import Application
from candor.domain import reports as report_model
from candor.domain.errors import InvalidInput, NotFound, PermissionDenied, RateLimited
from candor.domain.reports import LABELS, LIMITS, Channel
from candor.domain.securitytxt import WARN_WITHIN, check
from candor.services import reports
from candor.web.deps import Caller, application, client_address, context
from candor.web.pages.common import render
from candor.web.pages.incidents import DASHBOARD_PANELS
from candor.web.security import PublicFormToken, new_token

router = APIRouter()
log = logging.getLogger("candor.web")

FORM = PublicFormToken("candor_report", "/report")
# the trap: a field people never see (hidden from screen readers too) and programs fill in
TRAP_FIELD = "website"
FORM_TYPE = "application/x-www-form-urlencoded"


def require_intake(app: Application) -> None:
    if not app.settings.intake.enabled:
        raise NotFound("this organisation does not take reports here")


async def request_body(request: Request) -> bytes:
    """The raw body, read on the event loop; the route itself then runs in the thread pool, so
    its database work (and the wait for the submission lock) never blocks other requests."""
    return await request.body()


def strict_form(request: Request, body: bytes) -> dict[str, str]:
    """The form's fields, first value of each, refusing anything that is not UTF-8."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != FORM_TYPE:
        raise HTTPException(415, f"send the form as {FORM_TYPE}")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise HTTPException(400, "the form is not valid UTF-8 text; nothing was stored") from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        fields.setdefault(name, value)
    return fields


def _form(
    request: Request,
    *,
    status_code: int = 200,
    values: dict[str, str] | None = None,
    error: str | None = None,
    problems: list[Any] | None = None,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    token = new_token()
    response = render(
        request,
        "report_form.html",
        status_code=status_code,
        values=values or {},
        error=error,
        problems=problems or [],
        limits=LIMITS,
        labels=LABELS,
        form_token=token,
        trap=TRAP_FIELD,
        security_txt=bool(application(request).settings.security_txt.contact),
    )
    FORM.attach(response, token, secure=application(request).settings.web.secure_cookies)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@router.get("/report", response_class=HTMLResponse)
def report_form(request: Request) -> Response:
    require_intake(application(request))
    return _form(request)


@router.post("/report", response_class=HTMLResponse)
def submit_report(request: Request, body: bytes = Depends(request_body)) -> Response:
    app = application(request)
    require_intake(app)
    fields = strict_form(request, body)
    values = {name: fields.get(name, "") for name in LIMITS}
    # a cross-site page cannot read our cookie, so it cannot make a visitor's browser submit
    if not FORM.matches(request, fields):
        return _form(
            request,
            status_code=403,
            values=values,
            error="The form expired or did not come from this site. Please send it again.",
        )
    address = client_address(request)
    try:
        made = reports.receive(
            context(request),
            fields,
            channel=Channel.WEB,
            client_address=address,
            client_id=report_model.client_digest(address, key=app.client_key),
            rate=app.report_rate,
            trapped=bool(fields.get(TRAP_FIELD, "").strip()),
        )
    except RateLimited as exc:
        return _form(
            request,
            status_code=429,
            values=values,
            error=exc.message,
            headers={"Retry-After": str(exc.retry_after)},
        )
    except InvalidInput as exc:
        return _form(request, status_code=422, values=values, problems=exc.problems)
    except PermissionDenied as exc:
        return _form(request, status_code=403, error=exc.message)
    response = render(request, "report_received.html", report=made)
    # the token is spent: reloading this page cannot send the report a second time
    FORM.spend(response)
    return response


@router.get("/.well-known/security.txt", response_class=PlainTextResponse)
def security_txt(request: Request) -> Response:
    app = application(request)
    if not app.settings.security_txt.contact:
        raise NotFound("no security.txt is configured")
    try:
        text = app.security_txt()
    except InvalidInput as exc:
        # an expired or broken file must not be served; admins see why on the dashboard
        log.warning("security.txt not served: %s", exc.message)
        raise NotFound("security.txt is not available") from None
    return PlainTextResponse(text, headers={"Cache-Control": "max-age=3600"})


def security_txt_panel(request: Request, caller: Caller) -> dict[str, Any] | None:
    """For admins, when the served file expires soon, has expired or cannot be generated."""
    app = application(request)
    if not caller.actor.is_admin or not app.settings.security_txt.contact:
        return None
    try:
        text = app.security_txt()
    except InvalidInput as exc:
        return {
            "title": "security.txt is not served",
            "template": "securitytxt_panel.html",
            "problems": exc.problems,
        }
    now = app.clock.now()
    report = check(text, now=now)
    near = report.expires is not None and report.expires - now < WARN_WITHIN
    if not (report.errors or near):
        return None
    # with the file about to go stale, everything worth fixing before publishing it again
    return {
        "title": "security.txt expires soon",
        "template": "securitytxt_panel.html",
        "problems": [*report.errors, *report.warnings],
    }


def open_reports_panel(request: Request, caller: Caller) -> dict[str, Any] | None:
    if not report_model.can_read(caller.actor):
        return None
    waiting = reports.count_open(context(request), caller.actor)
    if not waiting:
        return None
    return {"title": "Reports waiting", "template": "reports_panel.html", "waiting": waiting}


DASHBOARD_PANELS.extend([open_reports_panel, security_txt_panel])
