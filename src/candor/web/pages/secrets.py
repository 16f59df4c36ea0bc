"""The secret catalogue in the app: paste a suspected secret, learn what it is and what to do.

The value arrives in a POST body and is answered on the same request: it is never stored,
logged, echoed back into the page, or put in a URL; every response is ``no-store``. Only the
masked form is shown, and, when asked, recorded on an incident's timeline.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from candor.domain.errors import CandorError, NotFound
from candor.domain.secrets import MAX_INPUT, SecretMatch, identify
from candor.services import incidents, secret_findings
from candor.services.ports import IncidentFilter
from candor.web.deps import Caller, application, checked_form, context, page_auth
from candor.web.pages.common import NAV_ITEMS, render

router = APIRouter()
NAV_ITEMS.append({"href": "/secrets", "label": "Secrets"})


def _page(
    request: Request,
    caller: Caller,
    *,
    matches: tuple[SecretMatch, ...] | None = None,
    recorded: str | None = None,
    chosen: str = "",
    error: str | None = None,
    problems: list[object] | None = None,
    status_code: int = 200,
) -> Response:
    writable = []
    if caller.actor.can_write:
        writable = incidents.list_incidents(
            context(request), caller.actor, IncidentFilter(open_only=True, limit=200)
        )
    return render(
        request,
        "secrets.html",
        status_code=status_code,
        caller=caller,
        matches=matches,
        recorded=recorded,
        chosen=chosen,
        incidents=writable,
        types=application(request).secret_catalogue.types,
        max_input=MAX_INPUT,
        error=error,
        problems=problems or [],
    )


@router.get("/secrets", response_class=HTMLResponse)
def secrets_form(request: Request, caller: Caller = Depends(page_auth)) -> Response:
    return _page(request, caller)


@router.post("/secrets", response_class=HTMLResponse)
def identify_secret(
    request: Request,
    caller: Caller = Depends(page_auth),
    form: dict[str, str] = Depends(checked_form),
) -> Response:
    text = form.get("value", "")
    key = form.get("incident", "").strip()
    catalogue = application(request).secret_catalogue
    try:
        if key:
            found = secret_findings.record(
                context(request), caller.actor, key, text, catalogue=catalogue
            )
        else:
            found = identify(text, catalogue)
    except NotFound:
        raise
    except CandorError as exc:
        return _page(
            request,
            caller,
            chosen=key,
            error=exc.message,
            problems=list(exc.problems_list()),
            status_code=exc.status,
        )
    return _page(request, caller, matches=found, recorded=key.upper() or None, chosen=key)
