"""Sign in and sign out."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from candor.domain.errors import InvalidInput, RateLimited
from candor.services import accounts
from candor.web.deps import (
    PRESESSION_COOKIE,
    SESSION_COOKIE,
    Caller,
    application,
    checked_form,
    client_address,
    context,
    form_data,
    optional_page_caller,
    page_auth,
)
from candor.web.pages.common import redirect, render
from candor.web.security import new_token, same

router = APIRouter()


def _safe_next(value: str | None) -> str:
    """Only local paths: never redirect a user to another site after signing in."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def _signin_page(
    request: Request,
    *,
    status_code: int = 200,
    error: str | None = None,
    username: str = "",
    retry_after: int | None = None,
) -> HTMLResponse:
    token = new_token()
    response = render(
        request,
        "signin.html",
        status_code=status_code,
        error=error,
        username=username,
        presession=token,
        next=_safe_next(request.query_params.get("next")),
    )
    settings = application(request).settings.web
    response.set_cookie(
        PRESESSION_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
        max_age=3600,
        path="/signin",
    )
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


@router.get("/signin", response_class=HTMLResponse)
def signin_form(request: Request) -> Response:
    if optional_page_caller(request) is not None:
        return RedirectResponse(_safe_next(request.query_params.get("next")), status_code=303)
    return _signin_page(request)


@router.post("/signin")
async def signin(request: Request) -> Response:
    form = await form_data(request)
    # login CSRF: the form must come from our own sign-in page (double-submit cookie)
    if not same(form.get("presession"), request.cookies.get(PRESESSION_COOKIE)):
        return _signin_page(
            request, status_code=403, error="The sign-in form expired. Please try again."
        )
    username = form.get("username", "")[:100]
    try:
        # argon2 takes tens of milliseconds: off the event loop, so other requests go on
        signed = await run_in_threadpool(
            accounts.sign_in,
            context(request),
            username=username,
            password=form.get("password", "")[:1024],
            client=client_address(request),
        )
    except RateLimited as exc:
        return _signin_page(
            request,
            status_code=429,
            error=exc.message,
            username=username,
            retry_after=exc.retry_after,
        )
    except InvalidInput:
        return _signin_page(
            request, status_code=401, error="User name or password is wrong.", username=username
        )
    settings = application(request).settings.web
    response = RedirectResponse(_safe_next(form.get("next")), status_code=303)
    # a new session id at every sign-in: a cookie planted before sign-in is worthless
    response.set_cookie(
        SESSION_COOKIE,
        signed.token,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        max_age=settings.session_hours * 3600,
        path="/",
    )
    response.delete_cookie(PRESESSION_COOKIE, path="/signin")
    return response


@router.post("/signout")
def signout(
    request: Request,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    accounts.sign_out(context(request), caller.resolved)
    response = redirect("/signin")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """For load balancers and monitoring; reveals nothing."""
    return {"status": "ok"}
