"""Your account: password, API tokens, sign out everywhere."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from candor.domain.access import Scope
from candor.domain.errors import CandorError
from candor.services import accounts
from candor.web.deps import SESSION_COOKIE, Caller, checked_form, context, page_auth
from candor.web.pages.common import optional_int, redirect, render

router = APIRouter()


def _page(
    request: Request,
    caller: Caller,
    *,
    status_code: int = 200,
    error: str | None = None,
    problems: list | None = None,  # type: ignore[type-arg]
    new_token: str | None = None,
) -> Response:
    ctx = context(request)
    return render(
        request,
        "account.html",
        status_code=status_code,
        caller=caller,
        tokens=accounts.list_tokens(ctx, caller.actor),
        scopes=list(Scope),
        error=error,
        problems=problems or [],
        new_token=new_token,
    )


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, caller: Caller = Depends(page_auth)) -> Response:
    return _page(request, caller)


@router.post("/account/password")
def change_password(
    request: Request,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    if form.get("new_password", "") != form.get("repeat_password", ""):
        return _page(request, caller, status_code=422, error="The two new passwords differ.")
    try:
        accounts.set_password(
            context(request),
            caller.actor,
            caller.actor.username,
            form.get("new_password", ""),
            current_password=form.get("current_password", ""),
        )
    except CandorError as exc:
        return _page(
            request, caller, status_code=exc.status, error=exc.message, problems=exc.problems_list()
        )
    # the password change ended every session, this one included: sign in again
    response = redirect("/signin", notice="password")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/account/tokens")
async def create_token(
    request: Request,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    raw = await request.form()
    scopes = [str(v) for v in raw.getlist("scopes")] or ["read"]
    try:
        made = await run_in_threadpool(
            accounts.create_token,
            context(request),
            caller.actor,
            name=form.get("name", ""),
            scopes=scopes,
            expires_days=optional_int(form, "expires_days"),
        )
    except CandorError as exc:
        return _page(
            request, caller, status_code=exc.status, error=exc.message, problems=exc.problems_list()
        )
    # shown once, on this response only; never stored in the clear
    return _page(request, caller, status_code=201, new_token=made.secret)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_token(
    request: Request,
    token_id: uuid.UUID,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    accounts.revoke_token(context(request), caller.actor, token_id)
    return redirect("/account", notice="token-revoked")


@router.post("/account/signout-everywhere")
def signout_everywhere(
    request: Request,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    accounts.sign_out_everywhere(context(request), caller.actor)
    response = redirect("/signin", notice="signed-out-everywhere")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
