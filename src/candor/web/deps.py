"""Who is asking: sessions (pages, and the API from a browser) and bearer tokens (automation).

Every route that is not in ``PUBLIC_ROUTES`` depends on ``api_auth`` or ``page_auth``; a test
walks the route table and fails when one does not ask for authentication.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Path, Request
from starlette.concurrency import run_in_threadpool

from candor.bootstrap import Application
from candor.domain.access import Actor
from candor.domain.accounts import token_digest
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


async def request_context(request: Request) -> Context:
    """``context`` as a dependency: async because it does no I/O, so FastAPI calls it on the
    event loop instead of handing it to a worker thread and back (a sync dependency costs a
    thread hop on every request)."""
    return application(request).context


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


class KnownCallers:
    """Sessions and tokens already resolved, each with the workspace version it was read at.

    Every change to users, sessions and tokens (sign-out, revocation, deactivation, a new role
    or password) appends an audit record in its own transaction, so a caller resolved at audit
    version N is still resolved the same way while the version is N; expiry is checked against
    the clock on every use. A request then costs one small read (the version, which the page
    cache needs anyway) instead of three. Keys are digests of the secrets, never the secrets.
    """

    def __init__(self, *, max_entries: int = 4096) -> None:
        self.max_entries = max_entries
        self._items: dict[tuple[str, str], tuple[int, Resolved]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str], version: int, now: datetime) -> Resolved | None:
        found = self._items.get(key)
        if found is None or found[0] != version:
            return None
        resolved = found[1]
        if resolved.session is not None and not resolved.session.is_valid(now):
            return None
        token = resolved.token
        if token is not None and (
            not token.is_valid(now) or accounts.needs_use_recorded(token, now)
        ):
            return None  # the full path records the use
        return resolved

    def put(self, key: tuple[str, str], version: int, resolved: Resolved) -> None:
        with self._lock:
            if len(self._items) >= self.max_entries:
                self._items.clear()
            self._items[key] = (version, resolved)


def _credentials(request: Request) -> tuple[str, str] | None:
    """(kind, secret) of the bearer token or session cookie the request carries."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return "token", header[7:].strip()
    secret = request.cookies.get(SESSION_COOKIE, "")
    return ("session", secret) if secret else None


def _remembered(request: Request, kind: str, secret: str, version: int) -> Resolved | None:
    known: KnownCallers | None = getattr(request.app.state, "known_callers", None)
    if known is None:
        return None
    return known.get((kind, token_digest(secret)), version, context(request).clock.now())


def _resolve(request: Request) -> Resolved | None:
    cached: Resolved | bool | None = getattr(request.state, "resolved", False)
    if cached is not False:
        return cached  # type: ignore[return-value]
    found = _credentials(request)
    if found is None:
        request.state.resolved = None
        return None
    kind, secret = found
    version = workspace_version(request)
    resolved = _remembered(request, kind, secret, version)
    if resolved is None:
        resolve: Callable[[Context, str], Resolved | None] = (
            accounts.resolve_token if kind == "token" else accounts.resolve_session
        )
        resolved = resolve(context(request), secret)
        known: KnownCallers | None = getattr(request.app.state, "known_callers", None)
        if resolved is not None and known is not None:
            known.put((kind, token_digest(secret)), version, resolved)
    if resolved is None and kind == "token":
        raise Unauthenticated("the API token is unknown, expired or revoked")
    request.state.resolved = resolved
    return resolved


async def _resolve_on_loop(request: Request) -> Resolved | None:
    """``_resolve`` without leaving the event loop when it can: a caller already remembered
    at the current version (almost every request) costs the version read only, made on the
    loop where it is local (SQLite). Anything else (the version on a database server, a
    sign-in to look up) goes to a worker thread as before."""
    if getattr(request.state, "resolved", False) is not False:
        return _resolve(request)
    found = _credentials(request)
    if found is None:  # nobody signed in: nothing to look up
        request.state.resolved = None
        return None
    version = await workspace_version_on_loop(request)
    resolved = _remembered(request, found[0], found[1], version)
    if resolved is not None:
        request.state.resolved = resolved
        return resolved
    return await run_in_threadpool(_resolve, request)


def workspace_version(request: Request) -> int:
    """The audit chain's length, read once per request (the caller memo and the page cache key
    on it)."""
    version: int | None = getattr(request.state, "audit_version", None)
    if version is None:
        version = application(request).workspace_version()
        request.state.audit_version = version
    return version


async def workspace_version_on_loop(request: Request) -> int:
    """``workspace_version`` from the event loop: read in place when the database is a local
    file (a page of SQLite's cache, microseconds); on a server, with the application's asyncio
    reader when it runs one (``adapters.db.version_reader``), else in a worker thread."""
    version: int | None = getattr(request.state, "audit_version", None)
    if version is None:
        app = application(request)
        reader = getattr(request.app.state, "version_reader", None)
        if app.version_read_is_local:
            version = app.workspace_version()
        elif reader is not None:
            version = await reader.read()
        else:
            version = await run_in_threadpool(app.workspace_version)
        request.state.audit_version = version
    return version


@dataclass(frozen=True, slots=True)
class Caller:
    actor: Actor
    resolved: Resolved

    @property
    def csrf_token(self) -> str:
        session = self.resolved.session
        return session.csrf_token if session else ""


async def api_auth(request: Request) -> Caller:
    resolved = await _resolve_on_loop(request)
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


async def page_auth(request: Request) -> Caller:
    resolved = await _resolve_on_loop(request)
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
