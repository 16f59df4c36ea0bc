"""Who is asking: sessions (pages, and the API from a browser) and bearer tokens (automation).

Every route that is not in ``PUBLIC_ROUTES`` depends on ``api_auth`` or ``page_auth``; a test
walks the route table and fails when one does not ask for authentication.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request

from candor.bootstrap import Application
from candor.domain.access import Actor
from candor.domain.errors import CandorError, PermissionDenied, Unauthenticated
from candor.services import accounts
from candor.services.accounts import Resolved
from candor.services.context import Context
from candor.web.security import same

# The largest number a path or query parameter may carry: a bigger one would reach the database as
# an integer SQLite cannot hold (a 500) instead of a 422 that names the parameter.
INT_MAX = 2_147_483_647
# A sequence number in a path (a task, a finding, an obligation, a version): 1 … INT_MAX.
Seq = Annotated[int, Path(ge=1, le=INT_MAX)]

SESSION_COOKIE = "candor_session"
PRESESSION_COOKIE = "candor_presession"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SignInRequired(CandorError):
    """Raised by page routes; the error handler redirects to the sign-in page."""

    status = 401
    title = "Sign-in required"
    code = "sign-in-required"


def application(request: Request) -> Application:
    app: Application = request.app.state.candor
    return app


def context(request: Request) -> Context:
    return application(request).context


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def _resolve(request: Request) -> Resolved | None:
    cached: Resolved | bool | None = getattr(request.state, "resolved", False)
    if cached is not False:
        return cached  # type: ignore[return-value]
    ctx = context(request)
    resolved: Resolved | None = None
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        resolved = accounts.resolve_token(ctx, header[7:].strip())
        if resolved is None:
            raise Unauthenticated("the API token is unknown, expired or revoked")
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            resolved = accounts.resolve_session(ctx, cookie)
    request.state.resolved = resolved
    return resolved


@dataclass(frozen=True, slots=True)
class Caller:
    actor: Actor
    resolved: Resolved

    @property
    def csrf_token(self) -> str:
        session = self.resolved.session
        return session.csrf_token if session else ""


def api_auth(request: Request) -> Caller:
    resolved = _resolve(request)
    if resolved is None:
        raise Unauthenticated("sign in, or send an API token as 'Authorization: Bearer …'")
    # a browser sends cookies on its own; a changing call must prove it came from our pages
    if (
        resolved.session is not None
        and request.method not in SAFE_METHODS
        and not same(request.headers.get(CSRF_HEADER), resolved.session.csrf_token)
    ):
        raise PermissionDenied(f"missing or wrong {CSRF_HEADER} header")
    return Caller(resolved.actor, resolved)


def page_auth(request: Request) -> Caller:
    resolved = _resolve(request)
    if resolved is None or resolved.session is None:
        raise SignInRequired("sign in to continue")
    return Caller(resolved.actor, resolved)


def optional_page_caller(request: Request) -> Caller | None:
    resolved = _resolve(request)
    if resolved is None or resolved.session is None:
        return None
    return Caller(resolved.actor, resolved)


async def form_data(request: Request) -> dict[str, str]:
    """The submitted form as plain strings (files are handled by the routes that take them)."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


async def checked_form(request: Request, caller: Caller = Depends(page_auth)) -> dict[str, str]:
    """The form of a state-changing page request, after the CSRF check."""
    data = await form_data(request)
    if not same(data.get(CSRF_FIELD), caller.csrf_token):
        raise PermissionDenied(
            "the form expired or did not come from this site; reload the page and submit it again"
        )
    return data
