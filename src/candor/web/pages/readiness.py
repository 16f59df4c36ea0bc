"""The readiness page: each check with its status, what was found and how to fix it, and the
total; and a small panel on the dashboard with the score."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from candor.adapters import readiness_inputs
from candor.domain.readiness import Readiness, Status
from candor.services import readiness
from candor.web.deps import Caller, application, context, page_auth
from candor.web.libraries import playbooks
from candor.web.pages import incidents
from candor.web.pages.common import render

router = APIRouter()


def assess(request: Request, caller: Caller) -> Readiness:
    app = application(request)
    configured = readiness_inputs.configured(app.settings, playbooks(request), now=app.clock.now())
    return readiness.assess(context(request), caller.actor, configured, app.signals)


@router.get("/readiness", response_class=HTMLResponse)
def readiness_page(request: Request, caller: Caller = Depends(page_auth)) -> Response:
    result = assess(request, caller)
    return render(request, "readiness.html", caller=caller, r=result)


def dashboard_panel(request: Request, caller: Caller) -> dict[str, Any]:
    result = assess(request, caller)
    return {
        "title": "Readiness",
        "template": "dashboard_readiness.html",
        "r": result,
        "failing": [c for c in result.checks if c.status is Status.FAIL],
        "warning": [c for c in result.checks if c.status is Status.WARN],
    }


incidents.DASHBOARD_PANELS.append(dashboard_panel)
