"""Helpers shared by the page modules."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from candor.domain.errors import InvalidInput, Problem
from candor.domain.vocabulary import parse_instant
from candor.web.templating import NAV_ITEMS as NAV_ITEMS  # feature modules add nav links
from candor.web.templating import Templates

NOTICES = {
    "declared": "Incident declared.",
    "updated": "Incident updated.",
    "transitioned": "Phase changed.",
    "role": "Role updated.",
    "participants": "Participants updated.",
    "clock": "Time recorded.",
    "task-added": "Task added.",
    "task-status": "Task updated.",
    "entry": "Timeline entry added.",
    "password": "Password changed. Your other sessions were ended.",
    "token-revoked": "Token revoked.",
    "user-created": "User created.",
    "user-updated": "User updated.",
    "signed-out-everywhere": "All your other sessions were ended.",
    "impact": "Impact statement saved as a new version.",
    "finding-added": "Finding added.",
    "finding-reviewed": "Finding reviewed.",
    "finding-dismissed": "Finding dismissed.",
    "finding-integrated": "Finding integrated.",
    "cadence": "Review cadence changed.",
    "status-report": "Status report posted to the timeline.",
}


def templates(request: Request) -> Templates:
    found: Templates = request.app.state.templates
    return found


def render(request: Request, name: str, *, status_code: int = 200, **values: Any) -> HTMLResponse:
    notice = request.query_params.get("notice")
    values.setdefault("notice", NOTICES.get(notice or ""))
    values.setdefault("problems", [])
    values.setdefault("error", None)
    return templates(request).response(request, name, status_code=status_code, **values)


def redirect(path: str, *, notice: str | None = None, anchor: str = "") -> RedirectResponse:
    query = f"?{urlencode({'notice': notice})}" if notice else ""
    return RedirectResponse(f"{path}{query}{'#' + anchor if anchor else ''}", status_code=303)


def optional_time(form: dict[str, str], name: str, *, zone_hint: str = "") -> Any:
    """A time from a form: ISO 8601 with an offset, or empty for none."""
    value = form.get(name, "").strip()
    if not value:
        return None
    if len(value) == 16 and "T" in value:  # <input type=datetime-local> gives no zone
        raise InvalidInput(
            Problem(
                "give the time zone too, e.g. 2026-03-02T14:00Z or +01:00",
                field=name,
                hint=zone_hint or None,
            )
        )
    return parse_instant(value, field=name)


def optional_int(form: dict[str, str], name: str) -> int | None:
    value = form.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise InvalidInput(Problem("must be a whole number", field=name))
    return int(value)
