"""One error shape: RFC 9457 problem documents in the API, friendly pages in the UI.

Never a stack trace: unexpected errors are logged with an id that the page shows, so an
administrator can find them without the user seeing internals.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from candor.domain.errors import CandorError, Problem, RateLimited
from candor.web.deps import SignInRequired, optional_page_caller

log = logging.getLogger("candor.web")

PROBLEM_TYPE = "https://candor.dev/problems/"


def wants_json(request: Request) -> bool:
    path = request.url.path
    if path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def problem_response(
    request: Request,
    *,
    status: int,
    title: str,
    detail: str,
    code: str,
    problems: list[Problem] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    if wants_json(request):
        body: dict[str, Any] = {
            "type": PROBLEM_TYPE + code,
            "title": title,
            "status": status,
            "detail": detail,
            "instance": request.url.path,
        }
        if problems:
            body["problems"] = [p.as_dict() for p in problems]
        return JSONResponse(
            body, status_code=status, headers=headers, media_type="application/problem+json"
        )
    templates = request.app.state.templates
    try:
        caller = optional_page_caller(request)
    except CandorError:  # e.g. a bad token: show the error page without a signed-in header
        caller = None
    response: Response = templates.response(
        request,
        "error.html",
        status_code=status,
        caller=caller,
        title=title,
        detail=detail,
        problems=problems or [],
        status=status,
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


async def candor_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CandorError)
    if isinstance(exc, SignInRequired) and not wants_json(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/signin?next={quote(target)}", status_code=303)
    headers = {}
    if isinstance(exc, RateLimited):
        headers["Retry-After"] = str(exc.retry_after)
    if exc.status == 401 and wants_json(request):
        headers["WWW-Authenticate"] = 'Bearer realm="candor"'
    if exc.status >= 500:
        log.error("%s: %s", type(exc).__name__, exc.message)
    return problem_response(
        request,
        status=exc.status,
        title=exc.title,
        detail=exc.message,
        code=exc.code,
        problems=exc.problems_list(),
        headers=headers,
    )


async def validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for error in exc.errors():
        location = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path")]
        problems.append(Problem(str(error.get("msg", "invalid")), field=".".join(location) or None))
    detail = "; ".join(str(p) for p in problems) or "the request is not valid"
    return problem_response(
        request,
        status=422,
        title="Invalid input",
        detail=detail,
        code="invalid-input",
        problems=problems,
    )


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    titles = {
        404: "Not found",
        405: "Method not allowed",
        413: "Request too large",
        400: "Bad request",
    }
    detail = exc.detail if isinstance(exc.detail, str) else titles.get(exc.status_code, "Error")
    if exc.status_code == 404 and detail == "Not Found":
        detail = "there is nothing at this address"
    return problem_response(
        request,
        status=exc.status_code,
        title=titles.get(exc.status_code, "Error"),
        detail=detail,
        code=titles.get(exc.status_code, "error").lower().replace(" ", "-"),
        headers=getattr(exc, "headers", None),
    )


async def unexpected_error(request: Request, exc: Exception) -> Response:
    reference = secrets.token_hex(4)
    log.exception("unexpected error %s on %s %s", reference, request.method, request.url.path)
    return problem_response(
        request,
        status=500,
        title="Internal error",
        detail=f"something went wrong on our side (reference {reference}); nothing was changed "
        "unless the page says so. An administrator can find the details in the server log.",
        code="internal-error",
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(CandorError, candor_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)
