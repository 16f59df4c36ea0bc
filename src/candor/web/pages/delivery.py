"""Administration of delivery: the outbox (with retry and resolve), webhook subscriptions and
status subscribers."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from candor.domain.access import Actor, OrgRole, require_admin
from candor.domain.errors import CandorError
from candor.domain.outbox import State
from candor.services import outbox, subscriptions
from candor.web.deps import Caller, application, checked_form, context, page_auth
from candor.web.pages.common import NAV_ITEMS, redirect, render

router = APIRouter(prefix="/admin")

TABS = (State.QUEUED, State.SENT, State.UNCONFIRMED, State.DEAD, State.HELD, State.SENDING)


def _admins(actor: Actor) -> bool:
    return actor.role is OrgRole.ADMIN


NAV_ITEMS.append({"href": "/admin/outbox", "label": "Outbox", "show": _admins})


def _outbox_page(
    request: Request, caller: Caller, state: State, *, status_code: int = 200, error: str = ""
) -> Response:
    ctx = context(request)
    return render(
        request,
        "admin_outbox.html",
        status_code=status_code,
        caller=caller,
        tabs=TABS,
        state=state,
        counts=outbox.counts(ctx, caller.actor),
        messages=outbox.messages(ctx, caller.actor, states=[state], limit=500),
        unreachable=outbox.unreachable_addresses(ctx, caller.actor),
        error=error or None,
    )


@router.get("/outbox", response_class=HTMLResponse)
def outbox_page(
    request: Request,
    state: State = Query(State.QUEUED),
    caller: Caller = Depends(page_auth),
) -> Response:
    return _outbox_page(request, caller, state)


@router.post("/outbox/retry")
def retry(
    request: Request,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    try:
        outbox.retry(context(request), caller.actor, form.get("key", ""))
    except CandorError as exc:
        return _outbox_page(request, caller, State.DEAD, status_code=exc.status, error=exc.message)
    return redirect("/admin/outbox?state=dead")


@router.post("/outbox/resolve")
def resolve(
    request: Request,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    answer = form.get("answer", "")
    try:
        if answer not in ("received", "resend"):
            from candor.domain.errors import InvalidInput

            raise InvalidInput("choose received or resend", field="answer")
        outbox.resolve(
            context(request), caller.actor, form.get("key", ""), received=answer == "received"
        )
    except CandorError as exc:
        return _outbox_page(
            request, caller, State.UNCONFIRMED, status_code=exc.status, error=exc.message
        )
    return redirect("/admin/outbox?state=unconfirmed")


def _webhooks_page(
    request: Request,
    caller: Caller,
    *,
    status_code: int = 200,
    error: str | None = None,
    problems: list | None = None,  # type: ignore[type-arg]
    secret: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "admin_webhooks.html",
        status_code=status_code,
        caller=caller,
        hooks=subscriptions.webhooks(context(request), caller.actor),
        error=error,
        problems=problems or [],
        secret=secret,
        values=values or {},
    )


@router.get("/webhooks", response_class=HTMLResponse)
def webhooks_page(request: Request, caller: Caller = Depends(page_auth)) -> Response:
    return _webhooks_page(request, caller)


@router.post("/webhooks", response_class=HTMLResponse)
def add_webhook(
    request: Request,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    try:
        made = subscriptions.add_webhook(
            context(request),
            caller.actor,
            url=form.get("url", ""),
            description=form.get("description", ""),
            allow_http=application(request).settings.delivery.webhook_allow_http,
        )
    except CandorError as exc:
        return _webhooks_page(
            request,
            caller,
            status_code=exc.status,
            error=exc.message,
            problems=exc.problems_list(),
            values=form,
        )
    # the one time the secret is shown: this response, not a redirect that could be replayed
    return _webhooks_page(request, caller, secret=made.secret)


@router.post("/webhooks/{hook_id}/remove")
def remove_webhook(
    request: Request,
    hook_id: str,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    try:
        subscriptions.remove_webhook(context(request), caller.actor, hook_id)
    except CandorError as exc:
        return _webhooks_page(request, caller, status_code=exc.status, error=exc.message)
    return redirect("/admin/webhooks")


@router.get("/subscribers", response_class=HTMLResponse)
def subscribers_page(request: Request, caller: Caller = Depends(page_auth)) -> Response:
    require_admin(caller.actor)
    return render(
        request,
        "admin_subscribers.html",
        caller=caller,
        subscribers=subscriptions.subscribers(context(request), caller.actor),
    )
