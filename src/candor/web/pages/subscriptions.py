"""The public side of subscriptions: subscribe to status updates (double opt-in), confirm,
unsubscribe. Reachable without signing in (``web.app.PUBLIC_ROUTES``).

Confirming and unsubscribing take a POST: mail scanners follow the links in a message with GET,
and that must not confirm or end anything. The unsubscribe POST also serves RFC 8058 one-click
unsubscribe from mail clients (``List-Unsubscribe=One-Click``), which carry no cookie: the
token in the link is the authority.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from candor.domain import reports as report_model
from candor.domain.errors import InvalidInput, NotFound, RateLimited
from candor.domain.reports import RateLimit
from candor.services import subscriptions
from candor.web.deps import application, client_address, context
from candor.web.pages.common import render
from candor.web.pages.intake import request_body, strict_form
from candor.web.security import PublicFormToken, new_token

router = APIRouter(prefix="/subscriptions")

FORM = PublicFormToken("candor_subscribe", "/subscriptions")


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
        "subscribe.html",
        status_code=status_code,
        mode="form",
        values=values or {},
        error=error,
        problems=problems or [],
        form_token=token,
    )
    FORM.attach(response, token, secure=application(request).settings.web.secure_cookies)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@router.get("", response_class=HTMLResponse)
def subscribe_form(request: Request) -> Response:
    return _form(request)


@router.post("", response_class=HTMLResponse)
def subscribe(request: Request, body: bytes = Depends(request_body)) -> Response:
    app = application(request)
    fields = strict_form(request, body)
    values = {"email": fields.get("email", "")}
    if not FORM.matches(request, fields):
        return _form(
            request,
            status_code=403,
            values=values,
            error="The form expired or did not come from this site. Please send it again.",
        )
    conf = app.settings.delivery
    try:
        subscriptions.subscribe(
            context(request),
            address=values["email"],
            client_id=report_model.client_digest(client_address(request), key=app.client_key),
            rate=RateLimit(
                conf.subscribe_rate_limit, timedelta(minutes=conf.subscribe_rate_window_minutes)
            ),
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
    response = render(request, "subscribe.html", mode="asked")
    FORM.spend(response)
    return response


@router.get("/confirm/{token}", response_class=HTMLResponse)
def confirm_page(request: Request, token: str) -> Response:
    return render(request, "subscribe.html", mode="confirm", token=token)


@router.post("/confirm/{token}", response_class=HTMLResponse)
def confirm(request: Request, token: str) -> Response:
    try:
        subscriptions.confirm(context(request), token)
    except NotFound as exc:
        return render(request, "subscribe.html", status_code=404, mode="invalid", error=exc.message)
    return render(request, "subscribe.html", mode="confirmed")


@router.get("/unsubscribe/{subscriber}/{token}", response_class=HTMLResponse)
def unsubscribe_page(request: Request, subscriber: str, token: str) -> Response:
    return render(request, "subscribe.html", mode="unsubscribe", subscriber=subscriber, token=token)


@router.post("/unsubscribe/{subscriber}/{token}", response_class=HTMLResponse)
def unsubscribe(request: Request, subscriber: str, token: str) -> Response:
    try:
        subscriptions.unsubscribe(context(request), subscriber, token)
    except NotFound as exc:
        return render(request, "subscribe.html", status_code=404, mode="invalid", error=exc.message)
    return render(request, "subscribe.html", mode="unsubscribed")
